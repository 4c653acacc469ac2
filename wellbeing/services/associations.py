"""What goes with burnout: the association of each scale with each schedule feature (issue 18).

For one scale over closed waves, the project office's screen fits

* **one model per feature** — ``score ~ feature [+ C(wave)] + (1 | unit pool)``, and
* **a joint model** — every estimable feature at once (each association adjusted for the others),

on the released group-level features of :mod:`wellbeing.services.features` (joined by reporting group;
groups under K contribute nothing). Estimates are **standardised per a stated unit**: the exposure's
``step`` (:data:`wellbeing.services.features.EXPOSURES`, e.g. per 10 night hours a month, per quick
return a month), i.e. estimate × step in scale points. p-values are adjusted over the features of the
scale by Holm (family-wise error) and Benjamini–Hochberg (false discovery rate), separately for the
single-feature models and for the joint model's terms (``core.stats.multitest.adjust_pvalues``).

Every model passes rule 12 (``core.disclosure.check_model_release``: ≥ 10 residual df, every factor
level ≥ K) and the joint auditor (``services.model_audit.audit_model``, as ``fit_platform``) before a
number leaves; a refused or inestimable row keeps its reason (``reason``), never an
estimate. Public names: :func:`associations`, :data:`ASSOCIATION_COLUMNS`, :data:`REASONS`,
:data:`PLAIN_WORDS`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.disclosure import check_model_release
from ..core.stats.mixed import fit_mixed
from ..core.stats.multitest import adjust_pvalues
from .analysis import AnalysisError, platform_data, resolve_waves, scale_of
from .features import EXPOSURES, exposure_names
from .model_audit import audit_model
from .schedules import FeaturesError

log = logging.getLogger(__name__)

#: Columns of the association table (one row per feature × model).
ASSOCIATION_COLUMNS = ["scale", "feature", "model", "per", "estimate", "ci_low", "ci_high", "p_value", "p_holm",
                       "p_bh", "n", "n_groups", "suppressed", "reason"]
#: Why a row shows no number ("–" on the page), in plain words.
REASONS: dict[str, str] = {
    "model_refused": "not released: the model has fewer than 10 residual degrees of freedom or a factor level "
                     "with fewer than K respondents (reporting rule 12), or its estimates with the published "
                     "tables would pin a withheld cell (joint auditor)",
    "no_variation": "every released group has the same value of this feature, so no association can be "
                    "estimated",
    "not_estimable": "the model could not be fitted (the features move together too closely to be told apart)",
}
#: The words the screen says with every table (what the design can and cannot tell).
PLAIN_WORDS: tuple[str, ...] = (
    "Association, not proof of cause. Officers were not assigned their schedules at random: groups with more "
    "night work may differ in other ways (duties, staffing, region) that also affect burnout.",
    "The features belong to reporting groups, not to officers: the comparison is between groups, so the "
    "information comes from the number of groups, and a group-level association need not hold for each officer.",
    "What the design can tell: whether groups whose rosters show more of a feature report more (or less) "
    "burnout, allowing for differences between unit pools and waves, and how precisely.",
    "What it cannot tell: whether changing the feature would change burnout, or which of several features "
    "that move together (night hours, night shifts, 24-hour duties) matters; the joint model tries to separate "
    "them and its intervals say how well it can.",
    "Many tests: p-values are adjusted over the features (Holm: family-wise error; Benjamini–Hochberg: false "
    "discovery rate).",
)


@dataclass
class Associations:
    """The association table of one scale and what it rests on."""

    scale: str
    waves: list[str]
    table: pd.DataFrame                 # ASSOCIATION_COLUMNS, released numbers only
    k: int
    covariates: list[str]
    features: list[str]
    warnings: list[str] = field(default_factory=list)

    def for_plot(self) -> pd.DataFrame:
        """Released rows with a label ``"<feature label> (<per>)"`` for the forest plot."""
        t = self.table[~self.table["suppressed"].astype(bool)].copy()
        t["label"] = [f"{EXPOSURES[f].label} ({EXPOSURES[f].step_label})" for f in t["feature"]]
        return t


def _fit(data: pd.DataFrame, feats: Sequence[str], covs: Sequence[str], k: int, waves, scale):  # type: ignore[no-untyped-def]
    """Fit one model and decide its release as ``fit_platform`` does: rule 12, then the joint auditor."""
    rhs = " + ".join([*feats, *(f"C({c})" for c in covs)])
    res = fit_mixed(data, "score", rhs, "pool", icc=False)
    levels = dict(res.info.get("factor_levels") or {})
    for c in covs:
        levels.setdefault(c, {str(k_): int(v) for k_, v in data[c].value_counts().items()})
    check = check_model_release(res.info["df_resid"], levels, k)
    if check.released:
        check = audit_model([res.fit], data, waves, scale)
    return res, check


def _adjust(p: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    ok = p.notna().to_numpy()
    holm = np.full(len(p), np.nan)
    bh = np.full(len(p), np.nan)
    if ok.any():
        holm[ok] = adjust_pvalues(p[ok].to_numpy(float), "holm")["p_adjusted"].to_numpy()
        bh[ok] = adjust_pvalues(p[ok].to_numpy(float), "bh")["p_adjusted"].to_numpy()
    return holm, bh


def associations(wave_slugs: Sequence[str], outcome: str, features: Sequence[str] | None = None) -> Associations:
    """One model per feature and a joint model of ``outcome`` on the schedule features.

    Parameters
    ----------
    wave_slugs : closed waves (slugs); with several, ``C(wave)`` is a covariate of every model
    outcome : scale id (e.g. ``cbi.work``, points on the scale's range)
    features : exposure names (default: all of :data:`~wellbeing.services.features.EXPOSURES`)

    Returns
    -------
    Associations
        ``table``: rows ``model`` = ``single`` then ``joint`` per feature, estimate and 95 % CI in scale
        points per ``per`` (the exposure's step), two-sided Wald p, Holm and BH adjusted p; suppressed
        rows have ``reason`` from :data:`REASONS` and no numbers.

    Raises
    ------
    AnalysisError
        Unknown or open waves, unknown scale or features, or waves without schedule features.
    """
    waves = resolve_waves(wave_slugs)
    scale = scale_of(waves, outcome)
    feats = list(features) if features else exposure_names()
    bad = [f for f in feats if f not in EXPOSURES]
    if bad:
        raise AnalysisError(f"unknown feature(s) {', '.join(bad)}; choose from {', '.join(EXPOSURES)}")
    try:
        data = platform_data(waves, scale, feats)
    except FeaturesError as exc:
        raise AnalysisError(str(exc)) from exc
    data = data.dropna(subset=["score", "pool", *feats]).reset_index(drop=True)
    if data.empty:
        raise AnalysisError("no response belongs to a reporting group with released schedule features")
    k = max(w.min_cell for w in waves)
    covs = ["wave"] if len(waves) > 1 else []
    rows: list[dict] = []
    warnings: list[str] = []
    varying = [f for f in feats if data.groupby("group")[f].first().nunique() > 1]

    def row(feature: str, model: str, res=None, reason: str = "") -> dict:  # type: ignore[no-untyped-def]
        e = EXPOSURES[feature]
        out = {"scale": outcome, "feature": feature, "model": model, "per": e.step_label, "estimate": None,
               "ci_low": None, "ci_high": None, "p_value": None, "n": None, "n_groups": None,
               "suppressed": bool(reason), "reason": reason}
        if res is not None and not reason:
            t = res.terms.set_index("term").loc[feature]
            out.update(estimate=float(t["estimate"]) * e.step, ci_low=float(t["ci_low"]) * e.step,
                       ci_high=float(t["ci_high"]) * e.step, p_value=float(t["p_value"]),
                       n=int(res.info["n"]), n_groups=int(res.info["n_groups"]))
        return out

    for f in feats:
        if f not in varying:
            rows.append(row(f, "single", reason="no_variation"))
            continue
        try:
            res, check = _fit(data, [f], covs, k, waves, scale)
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
            warnings.append(f"{f}: {exc}")
            rows.append(row(f, "single", reason="not_estimable"))
            continue
        warnings += [f"{f}: {w}" for w in res.info.get("warnings", [])]
        rows.append(row(f, "single", res, "" if check.released else "model_refused"))
    joint_res, joint_reason = None, ""
    if varying:
        try:
            joint_res, check = _fit(data, varying, covs, k, waves, scale)
            joint_reason = "" if check.released else "model_refused"
            warnings += [f"joint: {w}" for w in joint_res.info.get("warnings", [])]
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
            warnings.append(f"joint: {exc}")
            joint_reason = "not_estimable"
        if joint_res is not None and not joint_reason:
            bad_terms = joint_res.terms.set_index("term").loc[varying, "std_err"]
            if not np.isfinite(bad_terms.to_numpy(float)).all():
                joint_reason = "not_estimable"
    for f in feats:
        if f not in varying:
            rows.append(row(f, "joint", reason="no_variation"))
        else:
            rows.append(row(f, "joint", joint_res, joint_reason))
    table = pd.DataFrame(rows)
    table["p_holm"] = np.nan
    table["p_bh"] = np.nan
    for model in ("single", "joint"):
        sel = table["model"] == model
        holm, bh = _adjust(pd.to_numeric(table.loc[sel, "p_value"], errors="coerce"))
        table.loc[sel, "p_holm"] = holm
        table.loc[sel, "p_bh"] = bh
    log.info("associations of %s with %d features over %s", outcome, len(feats), ",".join(w.slug for w in waves))
    return Associations(outcome, [w.slug for w in waves], table[ASSOCIATION_COLUMNS], k, covs, feats, warnings)
