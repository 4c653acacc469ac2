"""Rounding once, half away from zero (DESIGN.md section 4, rule 10)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def round_half_away(x: float, decimals: int = 0) -> float:
    """Round ``x`` to ``decimals`` places, halves away from zero (2.5 → 3, −2.5 → −3), unlike Python's
    ``round`` (banker's rounding). The float's shortest decimal representation is rounded, so
    ``round_half_away(0.125, 2) == 0.13``."""
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))
