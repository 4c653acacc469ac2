"""K, rounding and scale ranges shared by every release (DESIGN.md rules 7 and 10)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

#: Minimum cell size allowed by rule 7; K may be raised, never lowered below this.
MIN_K = 5

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


def to_decimal(x) -> Decimal:
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
    q = round_decimal(to_decimal(x), decimals)
    return float(q)


def round_decimal(d: Decimal, decimals: int) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)


def exact_ratio(num, den: int, decimals: int, factor: int = 1) -> Decimal:
    """``factor * num / den`` computed in decimal arithmetic and rounded half away from zero."""
    with localcontext() as ctx:
        ctx.prec = 40
        value = to_decimal(num) * factor / Decimal(int(den))
        return round_decimal(value, decimals)


@dataclass(frozen=True)
class ScaleSpec:
    """A scale's score range and released precision (rules 8 and 10).

    Parameters
    ----------
    lo, hi : float
        Lowest and highest possible score (e.g. 0 and 100 for CBI, 1 and 7 for a 1-7 mean scale).
    decimals : int, default 0
        Decimals of released means: 0 on 0-100 scales, 1 on short scales such as 1-4 or 1-7.
    high_from : float, optional
        Lowest score of the concern band counted in ``n_high`` (e.g. 50 for CBI "high burnout").
        When given, a mean that proves every member of a cell is in the band, or every member
        outside it, is withheld like a share of 100 % or 0 % (rule 7's share rule).

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
    high_from: float | None = None

    def __post_init__(self):
        if not (math.isfinite(self.lo) and math.isfinite(self.hi)) or self.hi <= self.lo:
            raise ValueError(f"scale range must be finite with lo < hi, got [{self.lo}, {self.hi}]")
        if int(self.decimals) != self.decimals or self.decimals < 0:
            raise ValueError(f"decimals must be a non-negative integer, got {self.decimals!r}")
        if self.high_from is not None and not (self.lo < self.high_from <= self.hi):
            raise ValueError(f"high_from must lie in ({self.lo}, {self.hi}], got {self.high_from}")

    @property
    def half_unit(self) -> float:
        return 0.5 * 10.0 ** (-self.decimals)

    @property
    def quarter(self) -> float:
        return (self.hi - self.lo) / 4.0


# ---------------------------------------------------------------------------------------------
# Rule 9: overlap of filters
# ---------------------------------------------------------------------------------------------
