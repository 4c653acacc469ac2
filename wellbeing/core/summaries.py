"""Group summaries of scale scores, before and after disclosure control.

Pure functions: score rows in, cell statistics out. The released numbers are those of
:func:`wellbeing.core.disclosure.release_table`; this module only adds confidence intervals to the
cells that release shows, rounded once at the scale's precision (DESIGN.md section 4, rule 10).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from .disclosure import round_half_away


def cell_statistics(scores: pd.DataFrame, dims: Sequence[str]) -> pd.DataFrame:
    """Sufficient statistics per finest cell.

    Parameters
    ----------
    scores : DataFrame with the ``dims`` columns, ``value`` (score in scale units) and ``concern``
        (bool: the score lies in a band marked as concern, e.g. CBI ≥ 50).

    Returns
    -------
    DataFrame: ``dims``, ``n``, ``sum``, ``sumsq``, ``n_high`` (one row per observed cell).
    """
    g = scores.assign(sq=scores["value"] ** 2, hi=scores["concern"].astype(int)).groupby(list(dims), dropna=False)
    out = g.agg(n=("value", "size"), sum=("value", "sum"), sumsq=("sq", "sum"), n_high=("hi", "sum"))
    return out.reset_index()


def wilson_ci(count: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (Wilson 1927; statsmodels ``proportion_confint``),
    as fractions in [0, 1]."""
    low, high = proportion_confint(count, n, alpha=1 - level, method="wilson")
    return float(low), float(high)


def add_intervals(released: pd.DataFrame, decimals: int, pooled_sd: float | None,
                  level: float = 0.95) -> pd.DataFrame:
    """Add ``ci_low``/``ci_high`` (mean, at ``decimals``) and ``share_ci_low``/``share_ci_high``
    (percent, whole numbers) to the shown cells of a released table; suppressed numbers stay null.

    The intervals are functions of released numbers only, so they disclose nothing the auditor has
    not seen: the mean's t interval uses ``pooled_sd`` — the scale's standard deviation over the whole
    wave — instead of each cell's own SD (which would reveal the cell's spread); the Wilson interval
    uses the released (rounded) share and ``n`` instead of the exact count in the concern band.
    """
    out = released.copy()
    for col in ("ci_low", "ci_high", "share_ci_low", "share_ci_high"):
        out[col] = pd.array([pd.NA] * len(out), dtype="Float64")
    for i, row in out.iterrows():
        if row["suppressed"] or pd.isna(row["mean"]) or pd.isna(row["n"]):
            continue
        n = int(row["n"])
        if pooled_sd is not None and n >= 2:
            half = float(sps.t.ppf(0.5 + level / 2, n - 1)) * pooled_sd / np.sqrt(n)
            out.at[i, "ci_low"] = round_half_away(float(row["mean"]) - half, decimals)
            out.at[i, "ci_high"] = round_half_away(float(row["mean"]) + half, decimals)
        if "share_high" in out and not pd.isna(row.get("share_high")):
            count = round(float(row["share_high"]) / 100 * n)
            slo, shi = wilson_ci(count, n, level)
            out.at[i, "share_ci_low"] = round_half_away(100 * slo, 0)
            out.at[i, "share_ci_high"] = round_half_away(100 * shi, 0)
    return out
