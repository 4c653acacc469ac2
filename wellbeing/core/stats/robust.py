"""Robustness checks: cluster-robust OLS and GEE.

* :func:`fit_ols_cluster` — OLS with cluster-robust CR1 standard errors (:data:`CR1_CONVENTION`)
  and a *t* reference distribution on G−1 df;
* :func:`fit_gee` — Gaussian GEE with an exchangeable working correlation, sandwich standard
  errors, *t* on G−1 df.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .formula import complete_rows, factor_levels, formula_variables, quote_name
from .intervals import t_ci
from .recording import WarningRecorder, add_warning
from .result import ModelResult, terms_frame

#: Small-sample convention of the cluster-robust variance, as statsmodels applies it.
CR1_CONVENTION = (
    "CR1 (statsmodels): V = G/(G-1) * (N-1)/(N-K) * (X'X)^-1 (sum_g X_g'u_g u_g'X_g) (X'X)^-1, "
    "K counting every regressor including each unit and time fixed-effect dummy; "
    "t reference distribution with G-1 degrees of freedom"
)


def fit_ols_cluster(data: pd.DataFrame, outcome: str, predictors: str, cluster: str,
                    ci: float = 0.95) -> ModelResult:
    r"""OLS with cluster-robust (CR1) standard errors and *t* inference.

    :math:`\hat V = \frac{G}{G-1}\frac{N-1}{N-K}(X^\top X)^{-1}
    \left(\sum_g X_g^\top \hat u_g \hat u_g^\top X_g\right)(X^\top X)^{-1}`, with *t*
    reference distribution on :math:`G-1` degrees of freedom (``use_t=True``; statsmodels
    would otherwise use normal p-values). Unreliable with few clusters (warned below 30
    clusters).

    Returns
    -------
    ModelResult
        ``info`` adds ``df_resid``, ``factor_levels``, ``se_convention``.

    References
    ----------
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust
    inference. *Journal of Human Resources*, 50, 317–372.
    """
    import statsmodels.formula.api as smf

    formula = f"{quote_name(outcome)} ~ {predictors}"
    d = complete_rows(data, [outcome, cluster] + formula_variables(predictors, data))
    sink: list[str] = []
    codes = pd.factorize(d[cluster])[0]
    with WarningRecorder(sink):
        res = smf.ols(formula, d).fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
        ci_arr = np.asarray(res.conf_int(alpha=1 - ci))
    G = int(len(np.unique(codes)))
    if G < 30:
        add_warning(sink, f"few clusters (G={G}): cluster-robust standard errors may be unreliable")
    terms = terms_frame(list(res.params.index), res.params, res.bse, res.pvalues,
                        ci_arr[:, 0], ci_arr[:, 1])
    terms["df"] = int(G - 1)
    info = {
        "n": int(res.nobs), "n_groups": G, "icc": None, "converged": True, "warnings": sink,
        "formula": formula, "predictors": predictors, "method": "ols-cluster-cr1", "df_resid": int(res.df_resid),
        "factor_levels": factor_levels(predictors, d), "se_convention": CR1_CONVENTION,
    }
    return ModelResult(terms, info, {}, res)


def fit_gee(data: pd.DataFrame, outcome: str, predictors: str, group: str,
            ci: float = 0.95) -> ModelResult:
    r"""Gaussian GEE with an exchangeable working correlation within groups.

    Estimates population-averaged effects; robust (sandwich) standard errors with *t*
    intervals and p-values on G−1 df (like :func:`fit_ols_cluster`, so that every table of one
    output uses *t*; Cameron & Miller 2015, section VI). The working correlation :math:`\rho` (all pairs
    within a group) is in ``info["working_correlation"]``.

    References
    ----------
    Liang, K.-Y., & Zeger, S. L. (1986). Longitudinal data analysis using generalized
    linear models. *Biometrika*, 73, 13–22.
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    formula = f"{quote_name(outcome)} ~ {predictors}"
    d = complete_rows(data, [outcome, group] + formula_variables(predictors, data))
    sink: list[str] = []
    with WarningRecorder(sink):
        model = smf.gee(formula, groups=d[group], data=d, cov_struct=sm.cov_struct.Exchangeable(),
                        family=sm.families.Gaussian())
        res = model.fit()
    G = int(d[group].nunique())
    if G < 30:
        add_warning(sink, f"few clusters (G={G}): GEE sandwich standard errors may be unreliable")
    converged = bool(getattr(res, "converged", True))
    est, se = np.asarray(res.params, dtype=float), np.asarray(res.bse, dtype=float)
    lo, hi, p = t_ci(est, se, np.full(len(est), float(max(G - 1, 1))), ci)
    terms = terms_frame(list(res.params.index), est, se, p, lo, hi)
    terms["df"] = int(max(G - 1, 1))
    info = {
        "n": int(res.nobs), "n_groups": G, "icc": None, "converged": converged,
        "warnings": sink, "formula": formula, "predictors": predictors, "method": "gee-exchangeable",
        "df_resid": int(res.nobs) - len(res.params),
        "factor_levels": factor_levels(predictors, d),
        "working_correlation": float(np.asarray(res.model.cov_struct.dep_params).ravel()[0]),
    }
    return ModelResult(terms, info, {}, res)
