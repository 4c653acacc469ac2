"""Disclosure control for released tables (DESIGN.md section 4, rules 7-12).

Pure functions, DataFrame in and DataFrame out; no Flask, no database.

Public API
----------
round_half_away
    Rounding used for every released number (rule 10).
ScaleSpec
    Range ``[lo, hi]``, precision and quarter-width of one scale.
release_table
    Minimum cell K, share rule, floor/ceiling ("pin") rule, complementary suppression and the
    LP auditor over a hierarchy with crossed margins (rules 7, 8, 10, 11).
audit_release
    The auditor alone, run against any released table (rule 8).
overlap_conflicts, refuse_overlapping
    The overlap rule for filters (rule 9).
check_model_release
    Residual degrees of freedom and factor-level sizes of a model (rule 12).

References
----------
Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Nordholt, E. S., Spicer, K.,
de Wolf, P.-P. (2012). *Statistical Disclosure Control*. Wiley. Chapter 4 (magnitude tables:
primary and secondary/complementary suppression, the "audit" of a suppression pattern).

Fellegi, I. P. (1972). On the question of statistical confidentiality. *JASA* 67(337), 7-18.

Cox, L. H. (1980). Suppression methodology and statistical disclosure control. *JASA* 75(370),
377-385 (the linear-programming attacker on a suppressed table).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from itertools import combinations

import pandas as pd

#: Minimum cell size allowed by rule 7; K may be raised, never lowered below this.
MIN_K = 5
#: Marker of an aggregated dimension in a margin row ("all values").
ALL = "*"

#: Reasons used in the ``reason`` column (CLI.md conventions).
REASONS = (
    "below_k",
    "complementary",
    "overlap",
    "wave_open",
    "share_below_k",
    "auditor",
    "model_refused",
)


def check_k(k: int) -> int:
    """Validate a minimum cell size (rule 7).

    Parameters
    ----------
    k : int
        Minimum number of respondents for any released number.

    Returns
    -------
    int
        ``k`` unchanged.

    Raises
    ------
    ValueError
        If ``k`` is not an integer or is below :data:`MIN_K` (5): K can be raised, never lowered
        below 5 (DESIGN.md rule 7).
    """
    if isinstance(k, bool) or not isinstance(k, int | Decimal) or int(k) != k:
        raise ValueError(f"K must be an integer, got {k!r}")
    if k < MIN_K:
        raise ValueError(f"K must be at least {MIN_K} (rule 7), got {k}")
    return int(k)


def _to_decimal(x) -> Decimal:
    if isinstance(x, Decimal):
        return x
    if isinstance(x, int):
        return Decimal(x)
    # repr() of a float is its shortest round-tripping decimal: 2.675 -> "2.675",
    # so rounding follows the written number, not its binary approximation.
    return Decimal(repr(float(x)))


def round_half_away(x, decimals: int = 0) -> float | None:
    """Round once, half away from zero (rule 10).

    Python's ``round`` and numpy's ``around`` round half to even (``round(2.5) == 2``) and act on
    the binary approximation of a float (``round(2.675, 2) == 2.67``). Released tables round
    half away from zero on the decimal value: ``2.5 -> 3``, ``-2.5 -> -3``, ``2.675 -> 2.68``.

    Parameters
    ----------
    x : float, int, Decimal or None
        Value to round. ``None`` and NaN give ``None``.
    decimals : int, default 0
        Number of decimals kept (the scale's precision; 0 for whole points and percentages).

    Returns
    -------
    float or None
        The rounded value.

    Examples
    --------
    >>> round_half_away(2.5), round_half_away(-2.5), round_half_away(2.675, 2)
    (3.0, -3.0, 2.68)
    """
    if x is None:
        return None
    if not isinstance(x, Decimal) and isinstance(x, float) and math.isnan(x):
        return None
    q = _round_decimal(_to_decimal(x), decimals)
    return float(q)


def _round_decimal(d: Decimal, decimals: int) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)


def _exact_ratio(num, den: int, decimals: int, factor: int = 1) -> Decimal:
    """``factor * num / den`` computed in decimal arithmetic and rounded half away from zero."""
    with localcontext() as ctx:
        ctx.prec = 40
        value = _to_decimal(num) * factor / Decimal(int(den))
        return _round_decimal(value, decimals)


@dataclass(frozen=True)
class ScaleSpec:
    """A scale's score range and released precision (rules 8 and 10).

    Parameters
    ----------
    lo, hi : float
        Lowest and highest possible score (e.g. 0 and 100 for CBI, 1 and 7 for a 1-7 mean scale).
    decimals : int, default 0
        Decimals of released means: 0 on 0-100 scales, 1 on short scales such as 1-4 or 1-7.

    Attributes
    ----------
    half_unit : float
        Half a unit of the last released decimal: a released mean ``m`` tells the reader that the
        exact mean lies in ``[m - half_unit, m + half_unit]``.
    quarter : float
        ``(hi - lo) / 4``: no suppressed cell's mean may be narrowed to a shorter range (rule 8).
    """

    lo: float
    hi: float
    decimals: int = 0

    def __post_init__(self):
        if not (math.isfinite(self.lo) and math.isfinite(self.hi)) or self.hi <= self.lo:
            raise ValueError(f"scale range must be finite with lo < hi, got [{self.lo}, {self.hi}]")
        if int(self.decimals) != self.decimals or self.decimals < 0:
            raise ValueError(f"decimals must be a non-negative integer, got {self.decimals!r}")

    @property
    def half_unit(self) -> float:
        return 0.5 * 10.0 ** (-self.decimals)

    @property
    def quarter(self) -> float:
        return (self.hi - self.lo) / 4.0


# ---------------------------------------------------------------------------------------------
# Rule 9: overlap of filters
# ---------------------------------------------------------------------------------------------


def overlap_ok(a: Collection[Hashable], b: Collection[Hashable], k: int = MIN_K) -> bool:
    """Whether two released groups may both be shown (rule 9).

    Parameters
    ----------
    a, b : collection of hashable
        Member sets of two filters (e.g. the random response ids each filter selects).
    k : int, default 5
        Minimum cell size (>= 5).

    Returns
    -------
    bool
        True when ``|A \\ B|`` and ``|B \\ A|`` are each 0 or at least ``k``. Otherwise the
        difference of the two released results describes fewer than ``k`` respondents
        (e.g. two equal-size filters that swap one member reveal that member's score change).
    """
    k = check_k(k)
    sa, sb = set(a), set(b)
    only_a, only_b = len(sa - sb), len(sb - sa)
    return (only_a == 0 or only_a >= k) and (only_b == 0 or only_b >= k)


def overlap_conflicts(filters: Mapping[Hashable, Collection[Hashable]], k: int = MIN_K) -> pd.DataFrame:
    """Every pair of filters that breaks the overlap rule (rule 9).

    Parameters
    ----------
    filters : mapping of name -> member collection
        The candidate filters, in order of priority.
    k : int, default 5

    Returns
    -------
    DataFrame
        Columns ``filter_a``, ``filter_b``, ``only_a`` (``|A \\ B|``), ``only_b`` (``|B \\ A|``);
        one row per offending pair, empty when all pairs pass.
    """
    k = check_k(k)
    sets = {name: set(members) for name, members in filters.items()}
    rows = []
    for (na, sa), (nb, sb) in combinations(sets.items(), 2):
        only_a, only_b = len(sa - sb), len(sb - sa)
        if not ((only_a == 0 or only_a >= k) and (only_b == 0 or only_b >= k)):
            rows.append({"filter_a": na, "filter_b": nb, "only_a": only_a, "only_b": only_b})
    return pd.DataFrame(rows, columns=["filter_a", "filter_b", "only_a", "only_b"])


def refuse_overlapping(
    filters: Mapping[Hashable, Collection[Hashable]],
    k: int = MIN_K,
    released: Mapping[Hashable, Collection[Hashable]] | None = None,
) -> pd.DataFrame:
    """Decide which filters may be released under the overlap rule (rule 9).

    Filters are taken in order; a filter is refused (reason ``overlap``) when it conflicts with a
    filter already released (``released``) or accepted earlier in ``filters``.

    Parameters
    ----------
    filters : mapping of name -> member collection
        Filters requested now, in priority order.
    k : int, default 5
    released : mapping of name -> member collection, optional
        Filters already released earlier for the same wave, item and scale.

    Returns
    -------
    DataFrame
        One row per requested filter: ``filter``, ``suppressed`` (bool), ``reason``
        (``""`` or ``"overlap"``), ``conflicts_with`` (name of the first conflicting filter or None).
    """
    k = check_k(k)
    accepted: dict[Hashable, set] = {n: set(m) for n, m in (released or {}).items()}
    rows = []
    for name, members in filters.items():
        s = set(members)
        clash = next((other for other, o in accepted.items() if not overlap_ok(s, o, k)), None)
        if clash is None:
            accepted[name] = s
        rows.append(
            {
                "filter": name,
                "suppressed": clash is not None,
                "reason": "overlap" if clash is not None else "",
                "conflicts_with": clash,
            }
        )
    return pd.DataFrame(rows, columns=["filter", "suppressed", "reason", "conflicts_with"])


# ---------------------------------------------------------------------------------------------
# Rule 12: models
# ---------------------------------------------------------------------------------------------


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
