"""Rule 12: residual degrees of freedom and factor-level sizes of a released model."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from wellbeing.core.disclosure.rounding import MIN_K, check_k


@dataclass(frozen=True)
class ModelCheck:
    """Outcome of :func:`check_model_release`.

    Attributes
    ----------
    released : bool
    reason : str
        ``""`` or ``"model_refused"``.
    problems : tuple of str
        Human-readable list of what failed (residual df, factor levels below K).
    """

    released: bool
    reason: str
    problems: tuple[str, ...] = ()


def check_model_release(
    df_resid: float,
    factor_levels: Mapping[str, Mapping[Hashable, int]] | None = None,
    k: int = MIN_K,
    min_df_resid: int = 10,
) -> ModelCheck:
    """Whether a fitted model may be released (rule 12).

    Parameters
    ----------
    df_resid : float
        Residual degrees of freedom of the fitted model (``n - p``).
    factor_levels : mapping of factor name -> mapping of level -> respondent count, optional
        Respondents per level of every categorical predictor (e.g. shift pattern, wave, pilot arm).
    k : int, default 5
    min_df_resid : int, default 10
        Rule 12 asks for at least 10 residual degrees of freedom.

    Returns
    -------
    ModelCheck
        ``released`` False with reason ``model_refused`` when df_resid < 10 or any level < K.
    """
    k = check_k(k)
    problems = []
    if not (df_resid >= min_df_resid):
        problems.append(f"residual degrees of freedom {df_resid} < {min_df_resid}")
    for factor, levels in (factor_levels or {}).items():
        for level, count in levels.items():
            if count < k:
                problems.append(f"{factor}={level}: {count} respondents < K={k}")
    if problems:
        return ModelCheck(False, "model_refused", tuple(problems))
    return ModelCheck(True, "", ())

