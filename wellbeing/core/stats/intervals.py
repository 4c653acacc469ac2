"""*t* intervals and two-sided p-values of estimates on given degrees of freedom."""

from __future__ import annotations

import numpy as np
from scipy import stats as sps


def t_ci(est: np.ndarray, se: np.ndarray, df: np.ndarray, level: float
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ci_low, ci_high, p_value)`` of estimates ``est`` with standard errors ``se``: two-sided *t*
    interval at ``level`` (e.g. 0.95) and p-value on ``df`` degrees of freedom per estimate; a term with
    fewer than 1 df gets NaN (no interval rather than a made-up one)."""
    df = np.where(np.asarray(df, dtype=float) >= 1, df, np.nan)   # t with 0 df: NaN, not a number
    q = sps.t.ppf(0.5 + level / 2, df)
    p = 2 * sps.t.sf(np.abs(est / se), df)
    return est - q * se, est + q * se, p
