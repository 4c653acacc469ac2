"""Estimated marginal means of the outcome per level of a factor of a fitted model."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from .formula import categorical_variables, formula_variables
from .result import ModelResult


def _design_rows(res: Any, grid: pd.DataFrame) -> np.ndarray:
    spec = getattr(res.model.data, "model_spec", None) or getattr(res.model.data, "design_info", None)
    try:
        import patsy

        if isinstance(spec, patsy.DesignInfo):
            return np.asarray(patsy.build_design_matrices([spec], grid)[0], dtype=float)
    except ImportError:  # pragma: no cover - patsy ships with statsmodels
        pass
    if spec is not None and hasattr(spec, "get_model_matrix"):  # formulaic
        return np.asarray(spec.get_model_matrix(grid), dtype=float)
    raise RuntimeError("cannot rebuild the design matrix of this model")


def marginal_means(result: ModelResult, data: pd.DataFrame, factor: str,
                   ci: float = 0.95) -> pd.DataFrame:
    r"""Estimated marginal means of the outcome per level of a categorical factor.

    For level :math:`\ell` the mean is :math:`\hat\mu_\ell = \bar L_\ell \hat\beta` with
    standard error :math:`\sqrt{\bar L_\ell \hat V \bar L_\ell^\top}`, where
    :math:`\bar L_\ell` averages the design rows of a reference grid: the factor at
    :math:`\ell`, numeric covariates at their sample mean, every other categorical
    predictor at each of its levels with equal weight (the default of R's *emmeans*).
    *t* interval with the smallest df of the model's terms (the model's ``df`` column: the
    group level for a mixed model, G−1 for cluster-robust fits), so one output uses one
    convention; the covariance is ``result.vcov`` when given (lme4's for mixed models).
    In the outcome's units.

    Parameters
    ----------
    result : ModelResult
        From :func:`fit_mixed`, :func:`fit_ols_cluster` or :func:`fit_gee`.
    data : DataFrame
        The data the model was fitted on.
    factor : str
        A categorical predictor of the model (e.g. ``"shift_pattern"``).

    Returns
    -------
    DataFrame
        One row per level: ``level, estimate, std_err, ci_low, ci_high, df, n``.

    References
    ----------
    Searle, S. R., Speed, F. M., & Milliken, G. A. (1980). Population marginal means in the
    linear model. *The American Statistician*, 34, 216–221.
    """
    res = result.fit
    if res is None:
        raise ValueError("result carries no fitted model")
    rhs = result.info["predictors"]
    cats = categorical_variables(rhs, data)
    if factor not in cats:
        raise ValueError(f"{factor!r} is not a categorical predictor of the model")
    nums = [v for v in formula_variables(rhs, data) if v not in cats]
    d = data.dropna(subset=formula_variables(rhs, data))
    others = [c for c in cats if c != factor]
    other_levels = [sorted(d[c].unique()) for c in others]
    k_fe = len(np.asarray(res.fe_params)) if hasattr(res, "fe_params") else len(res.params)
    beta = np.asarray(res.fe_params if hasattr(res, "fe_params") else res.params, dtype=float)
    V = (np.asarray(result.vcov, dtype=float) if result.vcov is not None
         else np.asarray(res.cov_params(), dtype=float)[:k_fe, :k_fe])
    df = float(result.terms["df"].min()) if "df" in result.terms else math.inf
    z = sps.t.ppf(0.5 + ci / 2, df) if math.isfinite(df) else sps.norm.ppf(0.5 + ci / 2)
    rows = []
    for lev in sorted(d[factor].unique()):
        combos = list(itertools.product(*other_levels)) or [()]
        grid = pd.DataFrame([{**dict(zip(others, c)), factor: lev} for c in combos])
        for v in nums:
            grid[v] = d[v].mean()
        for c in cats:
            grid[c] = grid[c].astype(d[c].dtype)
        L = _design_rows(res, grid).mean(axis=0)
        est = float(L @ beta)
        se = float(np.sqrt(L @ V @ L))
        rows.append({"level": lev, "estimate": est, "std_err": se, "ci_low": est - z * se,
                     "ci_high": est + z * se, "df": int(df) if math.isfinite(df) else None,
                     "n": int((d[factor] == lev).sum())})
    return pd.DataFrame(rows)
