"""Multiple comparisons: Holm and Benjamini–Hochberg adjustment, the method always named."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

_ADJUST = {"holm": "holm", "bh": "fdr_bh", "fdr_bh": "fdr_bh", "benjamini-hochberg": "fdr_bh"}


def adjust_pvalues(p: Sequence[float] | np.ndarray | pd.Series, method: str,
                   alpha: float = 0.05) -> pd.DataFrame:
    r"""Holm or Benjamini–Hochberg adjustment (``method`` is required).

    Holm (family-wise error): with sorted :math:`p_{(1)}\le\dots\le p_{(m)}`,
    :math:`\tilde p_{(i)} = \max_{j\le i} \min\{1, (m-j+1)\,p_{(j)}\}`.
    Benjamini–Hochberg (false discovery rate):
    :math:`\tilde p_{(i)} = \min_{j\ge i} \min\{1, \tfrac{m}{j} p_{(j)}\}`.
    Both via ``statsmodels.stats.multitest.multipletests`` with ``method`` passed
    explicitly (its default would be Holm–Šidák). ``NaN`` p-values are left out and kept.

    Parameters
    ----------
    p : sequence of float
    method : {"holm", "bh"}
    alpha : float, default 0.05

    Returns
    -------
    DataFrame
        ``p_value, p_adjusted, reject, method`` (``method`` = ``"holm"`` or
        ``"fdr_bh"``), in the input order.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics*, 6, 65–70.

    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B*,
    57, 289–300.
    """
    from statsmodels.stats.multitest import multipletests

    key = method.lower()
    if key not in _ADJUST:
        raise ValueError(f"method must be one of {sorted(_ADJUST)}, got {method!r}")
    sm_method = _ADJUST[key]
    arr = np.asarray(p, dtype=float)
    adj = np.full_like(arr, np.nan)
    rej = np.zeros(arr.shape, dtype=bool)
    ok = ~np.isnan(arr)
    if ok.any():
        r, padj, _, _ = multipletests(arr[ok], alpha=alpha, method=sm_method)
        adj[ok], rej[ok] = padj, r
    return pd.DataFrame({"p_value": arr, "p_adjusted": adj, "reject": rej, "method": sm_method})


def adjust_terms(terms: pd.DataFrame, method: str, exclude: Iterable[str] = ("Intercept",),
                 alpha: float = 0.05) -> pd.DataFrame:
    """Add ``p_adjusted`` and ``p_adjust_method`` columns to a term table.

    Terms in ``exclude`` (default the intercept) are not part of the family and get NaN.
    """
    out = terms.copy()
    fam = ~out["term"].isin(list(exclude))
    adj = adjust_pvalues(out.loc[fam, "p_value"].to_numpy(), method, alpha)
    out["p_adjusted"] = np.nan
    out.loc[fam, "p_adjusted"] = adj["p_adjusted"].to_numpy()
    out["p_adjust_method"] = adj["method"].iloc[0] if len(adj) else _ADJUST[method.lower()]
    return out
