"""Linear mixed models: random intercept (and slopes) per group, ICC of the null model.

* :func:`fit_mixed` — linear mixed model (statsmodels ``MixedLM``), random intercept per group
  (unit pool), optional random slopes (``re_formula``); REML estimates by default, ML
  (``reml=False``) for comparing models by AIC/BIC (NaN under REML). ICC from the null model.
  Fitted by the strategy of :mod:`wellbeing.core.stats.mixed_strategy` (certified by lme4's
  profiled deviance, else :class:`~wellbeing.core.stats.mixed_strategy.ModelRefused`). lme4's
  fixed-effect SEs (:data:`LME4_SE_CONVENTION`); *t* intervals with between-within df
  (:data:`DF_CONVENTION`); lme4's unit-free singularity test. Guards statsmodels issue 10239
  (fixed effects returned as 0 when the random-effect variance collapses) by falling back to
  cluster-robust OLS (:func:`wellbeing.core.stats.robust.fit_ols_cluster`).
* :func:`icc_null` — intraclass correlation of the intercept-only model.

Checked against R (lme4 1.1-31) in ``tests/core/test_stats.py``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .formula import complete_rows, factor_levels, formula_variables, quote_name
from .intervals import t_ci
from .mixed_strategy import ModelRefused, fit_by_strategy, is_singular
from .recording import add_warning
from .result import ModelResult, terms_frame
from .robust import fit_ols_cluster

#: statsmodels' ``MixedLM.get_fe_params`` tolerance: an eigenvalue of ``cov_re / scale`` (relative,
#: unit-free) below this switches to the pseudo-inverse branch where issue 10239 happens.
SM_RE_TOL = 1e-10


#: Fixed-effect covariance of :func:`fit_mixed`.
LME4_SE_CONVENTION = (
    "lme4: sigma^2 (X' V^-1 X)^-1 at the (RE)ML estimates, V = I + Z Lambda Lambda' Z' "
    "(Bates et al. 2015, J. Stat. Softw. 67(1), eq. 54); not statsmodels' Hessian-based SEs"
)


#: Denominator degrees of freedom of :func:`fit_mixed`'s t intervals and p-values.
DF_CONVENTION = (
    "t intervals and p-values with between-within df (Pinheiro & Bates 2000, Mixed-effects "
    "models in S, section 2.4.2): terms varying within groups get N - G - p_within, the "
    "intercept, group-level terms and terms with a random slope get G - 1 - p_between"
)


def _variance_components(res: Any) -> dict[str, Any]:
    """``residual``, ``group:<name>`` (variances) and ``group:<a>:<b>`` (covariances) of a MixedLM fit."""
    cov = np.asarray(res.cov_re, dtype=float)
    names = list(res.cov_re.index)
    vc: dict[str, Any] = {"residual": float(res.scale)}
    for i, a in enumerate(names):
        vc[f"group:{a}"] = float(cov[i, i])
        for j in range(i):
            vc[f"group:{names[j]}:{a}"] = float(cov[i, j])
    return vc


def _sm_zero_variance(res: Any) -> bool:
    """True when statsmodels took its pseudo-inverse branch (the condition of issue 10239).

    ``get_fe_params`` switches to a pseudo-inverse when an eigenvalue of the *relative*
    covariance ``cov_re / scale`` is below :data:`SM_RE_TOL`; only then can the fixed effects
    of between-group terms collapse to 0.
    """
    c = np.atleast_2d(np.asarray(res.cov_re, dtype=float)) / float(res.scale)
    return bool(c.size == 0 or np.linalg.eigvalsh((c + c.T) / 2).min() < SM_RE_TOL)


def _issue_10239(res: Any, formula: str, data: pd.DataFrame) -> bool:
    """True if fixed effects disagree with OLS although the random-effect variance is ~0.

    When the random-effect covariance collapses to zero the GLS estimate *is* the OLS
    estimate; statsmodels (issue 10239) instead zeroes every between-group effect.
    """
    import statsmodels.formula.api as smf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # auxiliary fit only, its warnings are irrelevant
        ols = smf.ols(formula, data).fit()
    fe = np.asarray(res.fe_params, dtype=float)
    b = np.asarray(ols.params, dtype=float)
    tol = 1e-4 * (np.abs(b) + np.asarray(ols.bse, dtype=float)) + 1e-12
    return bool(np.any(np.abs(fe - b) > tol))


def icc_null(data: pd.DataFrame, outcome: str, group: str,
             warnings_sink: list[str] | None = None) -> float:
    r"""Intraclass correlation from the null (intercept-only) random-intercept model.

    .. math:: \mathrm{ICC} = \frac{\tau^2}{\tau^2 + \sigma^2}

    with :math:`\tau^2` the between-group and :math:`\sigma^2` the residual variance of
    ``outcome ~ 1 + (1 | group)`` fitted by REML. Unitless, 0–1.

    References
    ----------
    Snijders, T. A. B., & Bosker, R. J. (2012). *Multilevel analysis* (2nd ed.), ch. 3.
    """
    sink = warnings_sink if warnings_sink is not None else []
    d = complete_rows(data, [outcome, group])
    res = fit_by_strategy(f"{quote_name(outcome)} ~ 1", d, group, None, True, sink, "null model: ").res
    tau2 = float(np.asarray(res.cov_re)[0, 0])
    return tau2 / (tau2 + float(res.scale))


def fit_mixed(
    data: pd.DataFrame,
    outcome: str,
    predictors: str,
    group: str,
    re_formula: str | None = None,
    reml: bool = True,
    ci: float = 0.95,
    icc: bool = True,
    fallback: bool = True,
) -> ModelResult:
    r"""Linear mixed model with a random intercept (and optional slopes) per group.

    .. math::

        y_{ij} = x_{ij}^\top \beta + z_{ij}^\top b_j + \varepsilon_{ij},\qquad
        b_j \sim N(0, \Sigma_b),\ \varepsilon_{ij} \sim N(0, \sigma^2)

    fitted by statsmodels ``MixedLM`` (REML by default; ``reml=False`` gives maximum
    likelihood, needed to compare models with different fixed effects by AIC/BIC, which
    are NaN under REML), by the strategy of :func:`fit_by_strategy`: lme4's profiled deviance
    is minimised first (:mod:`wellbeing.core.lmm_profile`), statsmodels is started there and
    run with lbfgs, then Nelder–Mead, then Powell (:data:`OPTIMISERS`) until an attempt
    converges with a finite likelihood at that optimum and a positive-definite Hessian;
    otherwise :class:`ModelRefused` is raised and nothing is estimated.

    Standard errors are lme4's, :math:`\hat\sigma^2 (X^\top V^{-1}X)^{-1}`
    (:data:`LME4_SE_CONVENTION`), and intervals and p-values use *t* with the
    between-within df of :data:`DF_CONVENTION` (column ``df``).

    Guards:

    * every statsmodels warning (convergence, boundary, singular covariance) and every
      rejected optimiser is recorded in ``info["warnings"]``;
    * a singular fit (a random-effect SD below 1e-4 of the residual SD — lme4's
      ``isSingular`` tolerance on θ, so independent of the outcome's units) is warned about,
      with ``info["deviance_increase_at_zero_variance"]``;
    * statsmodels issue 10239 — only when statsmodels took its pseudo-inverse branch (relative
      variance below :data:`SM_RE_TOL`), fixed effects are compared with OLS; if they
      disagree and ``fallback``, the model is refitted as OLS with cluster-robust SEs by
      group (:func:`fit_ols_cluster`) and ``info["method"]`` says so.

    Column names that are not Python identifiers (``G.HRS``, ``a b``) are quoted for patsy
    as ``Q("...")`` in the outcome; in ``predictors`` the caller quotes them (see
    :func:`wellbeing.services.analysis.fit_csv`).

    Parameters
    ----------
    data : DataFrame
        One row per response.
    outcome : str
        Outcome column (e.g. a scale score, in its own units).
    predictors : str
        Right-hand side of a patsy formula, e.g. ``"C(shift_pattern) + night_share + C(wave)"``
        (``"1"`` for the null model).
    group : str
        Grouping column for the random effects (the unit pool).
    re_formula : str, optional
        Random-effects formula, e.g. ``"~Days"`` for a random intercept and slope.
    reml : bool, default True
    ci : float, default 0.95
    icc : bool, default True
        Also fit the null model and report the ICC (see :func:`icc_null`).
    fallback : bool, default True
        Fall back to cluster-robust OLS when issue 10239 is detected.

    Returns
    -------
    ModelResult
        ``info``: ``n, n_groups, icc, converged, warnings, formula, method, optimiser,
        optimiser_attempts, reml, df_resid (n minus the number of fixed effects),
        factor_levels, group_sizes (min, max), variance_components, theta, deviance, llf, aic,
        bic, singular, se_convention, intervals``. ``vcov``: the fixed-effect covariance.

    Raises
    ------
    ModelRefused
        No optimiser reached a valid optimum (the reasons are in the exception).

    References
    ----------
    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects
    models using lme4. *Journal of Statistical Software*, 67(1).

    Lindstrom, M. J., & Bates, D. M. (1988). Newton–Raphson and EM algorithms for linear
    mixed-effects models for repeated-measures data. *JASA*, 83, 1014–1022.
    """
    formula = f"{quote_name(outcome)} ~ {predictors}"
    cols = [outcome, group] + formula_variables(predictors, data)
    if re_formula:
        cols += formula_variables(re_formula.replace("~", ""), data)
    d = complete_rows(data, cols)
    sink: list[str] = []
    fit = fit_by_strategy(formula, d, group, re_formula, reml, sink)
    res, prof = fit.res, fit.profile
    n = int(res.nobs)
    sizes = d.groupby(group).size()
    theta = fit.at.theta
    info: dict[str, Any] = {
        "n": n,
        "n_groups": int(len(sizes)),
        "icc": None,
        "converged": bool(res.converged),
        "warnings": sink,
        "formula": f"{outcome} ~ {predictors}"
                   + f" + (1{' + ' + re_formula.lstrip('~') if re_formula else ''} | {group})",
        "method": f"mixedlm-{'reml' if reml else 'ml'}",
        "optimiser": fit.optimiser,
        "optimiser_attempts": [{k: v for k, v in a.items() if k != "warnings"} for a in fit.attempts],
        "predictors": predictors,
        "reml": reml,
        "df_resid": n - int(res.k_fe),
        "factor_levels": factor_levels(predictors, d),
        "group_sizes": {"min": int(sizes.min()), "max": int(sizes.max())},
        "variance_components": _variance_components(res),
        "theta": [float(t) for t in theta],
        "deviance": float(fit.at.deviance),
        "llf": float(res.llf),
        "aic": float(res.aic),
        "bic": float(res.bic),
        "singular": False,
        "se_convention": LME4_SE_CONVENTION,
        "intervals": DF_CONVENTION,
    }
    if reml:
        info["aic_note"] = "AIC/BIC are undefined under REML; refit with reml=False to compare models"
    if info["n_groups"] < 10:
        add_warning(sink, f"few groups (G={info['n_groups']}): random-effect variances are imprecise")
    re_names = list(getattr(res.model.data, "exog_re_names", []) or [])
    df = _between_within_df(np.asarray(res.model.exog), list(res.fe_params.index),
                            pd.factorize(d[group])[0], re_names)

    if is_singular(theta, prof.q):
        info["singular"] = True
        zero = theta.copy()
        zero[[i for i, (a, b) in enumerate(zip(*np.tril_indices(prof.q))) if a == b]] = 0.0
        info["deviance_increase_at_zero_variance"] = float(prof.deviance(zero) - fit.at.deviance)
        add_warning(sink, "singular fit: a random-effect SD is below 1e-4 of the residual SD "
                          "(lme4's isSingular): its variance is estimated as zero")
        if _sm_zero_variance(res) and _issue_10239(res, formula, d):
            msg = ("statsmodels issue 10239: random-effect variance collapsed and fixed effects "
                   "of between-group terms were returned as 0 despite 'converged'")
            add_warning(sink, msg)
            if fallback:
                ols = fit_ols_cluster(d, outcome, predictors, group, ci=ci)
                info.update({
                    "method": "ols-cluster-cr1 (fallback from mixedlm: statsmodels issue 10239)",
                    "converged": ols.info["converged"],
                    "df_resid": ols.info["df_resid"],
                    "se_convention": ols.info["se_convention"],
                    "intervals": f"t with G-1 = {ols.info['n_groups'] - 1} df",
                })
                for w in ols.info["warnings"]:
                    add_warning(sink, w)
                if icc:
                    info["icc"] = _icc_or_none(d, outcome, group, sink)
                return ModelResult(ols.terms, info, {}, ols.fit)
            info["converged"] = False

    if np.any(df < 1):
        add_warning(sink, f"no degrees of freedom left for {int((df < 1).sum())} term(s) (G = "
                          f"{info['n_groups']} groups for the group-level terms): their intervals "
                          "and p-values are left empty")
    fe = np.asarray(res.fe_params, dtype=float)
    vcov = fit.at.vcov
    se = np.sqrt(np.diag(vcov))
    lo, hi, p = t_ci(fe, se, df, ci)
    terms = terms_frame(list(res.fe_params.index), fe, se, p, lo, hi)
    terms["df"] = df.astype(int)
    if icc:
        info["icc"] = _icc_or_none(d, outcome, group, sink)
    return ModelResult(terms, info, {}, res, vcov=pd.DataFrame(vcov, index=res.fe_params.index,
                                                              columns=res.fe_params.index))


def _icc_or_none(d: pd.DataFrame, outcome: str, group: str, sink: list[str]) -> float | None:
    try:
        return icc_null(d, outcome, group, sink)
    except ModelRefused as exc:
        add_warning(sink, f"null model (ICC) not fitted: {exc}")
        return None


def _between_within_df(exog: np.ndarray, names: Sequence[str], codes: np.ndarray,
                       re_names: Sequence[str]) -> np.ndarray:
    """Denominator degrees of freedom per fixed effect (:data:`DF_CONVENTION`)."""
    N = len(exog)
    G = int(codes.max()) + 1 if len(codes) else 0
    frame = pd.DataFrame(exog)
    grp = frame.groupby(codes)
    spread = (grp.max() - grp.min()).abs().max(axis=0).to_numpy()
    scale = np.abs(exog).max(axis=0) + 1e-300
    varies = spread > 1e-12 * scale
    is_icpt = np.array([n == "Intercept" for n in names])
    inner = varies & ~is_icpt & ~np.isin(np.asarray(names, dtype=object), list(re_names))
    outer = ~inner & ~is_icpt
    df_outer = max(G - 1 - int(outer.sum()), 0)   # 0: no between-group information left
    df_inner = max(N - G - int(inner.sum()), 0)
    return np.where(inner, df_inner, df_outer).astype(float)
