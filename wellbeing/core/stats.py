"""Models linking shift schedules to burnout, and pilot evaluation.

Pure functions (pandas in, :class:`ModelResult` out), no Flask, no database. Every model
returns a tidy term table with the columns ``term, estimate, std_err, ci_low, ci_high,
p_value`` and a model-level ``info`` dict (``n, n_groups, icc, converged, warnings, formula,
method`` and what the release check of DESIGN.md section 4 rule 12 needs: ``df_resid`` and
``factor_levels``). :meth:`ModelResult.to_json` gives the JSON shape of ``flask models fit``
(CLI.md).

What is here
------------
* :func:`fit_mixed` — linear mixed model (statsmodels ``MixedLM``), random intercept per group
  (unit pool), optional random slopes (``re_formula``); REML estimates by default, ML
  (``reml=False``) for comparing models by AIC/BIC (NaN under REML). ICC from the null model.
  Fitted by a documented strategy certified by lme4's profiled deviance
  (:mod:`wellbeing.core.lmm_profile`): lbfgs, Nelder–Mead, Powell, each started at that optimum,
  until one converges there with a finite likelihood and a positive-definite Hessian; otherwise
  :class:`ModelRefused`. lme4's fixed-effect SEs; *t* intervals with between-within df;
  lme4's unit-free singularity test. Guards statsmodels issue 10239 (fixed effects returned as 0
  when the random-effect variance collapses) by falling back to cluster-robust OLS.
* :func:`marginal_means` — estimated marginal means per level of a factor, with Wald CIs.
* :func:`fit_gee` (exchangeable working correlation) and :func:`fit_ols_cluster`
  (cluster-robust CR1 standard errors with *t* reference distribution) as robustness checks.
* :func:`adjust_pvalues` / :func:`adjust_terms` — Holm and Benjamini–Hochberg, method named.
* :func:`did`, :func:`did_twfe`, :func:`event_study`, :func:`permutation_did`,
  :func:`did_cross_sections` — difference-in-differences with unit and time fixed effects,
  event study and studentised permutation inference for a pilot in one region
  (:mod:`wellbeing.core.pilot_inference`; valid with unequal region sizes).

Every warning raised while fitting is recorded in ``info["warnings"]`` and logged — none is
swallowed. Checked against R (lme4 1.1-31) in ``tests/core/test_stats.py``.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from .lmm_profile import theta_from_cov

logger = logging.getLogger(__name__)

__all__ = [
    "ModelResult",
    "fit_mixed",
    "icc_null",
    "marginal_means",
    "fit_gee",
    "fit_ols_cluster",
    "adjust_pvalues",
    "adjust_terms",
    "did_twfe",
    "event_study",
    "permutation_did",
    "did",
    "did_cross_sections",
    "CR1_CONVENTION",
    "ModelRefused",
    "quote_name",
    "OPTIMISERS",
    "ONE_TREATED_CLUSTER_NOTE",
]

TERM_COLUMNS = ["term", "estimate", "std_err", "ci_low", "ci_high", "p_value"]

#: Small-sample convention of the cluster-robust variance, as statsmodels applies it.
CR1_CONVENTION = (
    "CR1 (statsmodels): V = G/(G-1) * (N-1)/(N-K) * (X'X)^-1 (sum_g X_g'u_g u_g'X_g) (X'X)^-1, "
    "K counting every regressor including each unit and time fixed-effect dummy; "
    "t reference distribution with G-1 degrees of freedom"
)

#: fixest's default small-sample convention (``ssc(fixef.K = "nested")``), offered by did_twfe.
CR1_NESTED_CONVENTION = (
    "CR1 (fixest default, fixef.K = 'nested'): as statsmodels' CR1 but K does not count the unit "
    "fixed-effect dummies nested in the clusters (Berge 2018, fixest vignette 'On standard errors'); "
    "t reference distribution with G-1 degrees of freedom"
)

#: Why a pilot in one region needs permutation inference (DESIGN.md section 6).
ONE_TREATED_CLUSTER_NOTE = (
    "With a single treated cluster, cluster-robust standard errors are unreliable: the "
    "treated cluster's residuals are forced close to zero by its own treatment dummy, so the "
    "variance is badly underestimated and tests over-reject (MacKinnon & Webb 2017, 2018); "
    "the estimate is therefore judged by placebo (permutation) inference, reassigning the "
    "treatment to each unit in turn."
)

#: lme4's ``isSingular`` tolerance on the relative standard deviation of a random effect
#: (a diagonal element of the relative Cholesky factor θ; lme4 ``isSingular(tol = 1e-4)``).
SINGULAR_TOL = 1e-4
#: statsmodels' ``MixedLM.get_fe_params`` tolerance: an eigenvalue of ``cov_re / scale`` (relative,
#: unit-free) below this switches to the pseudo-inverse branch where issue 10239 happens.
SM_RE_TOL = 1e-10
#: Optimisers tried in this order by :func:`fit_mixed` (statsmodels method names: L-BFGS,
#: Nelder–Mead, Powell), each started at lme4's profiled optimum.
OPTIMISERS = ("lbfgs", "nm", "powell")
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
#: An attempt must reach the profiled optimum to this relative deviance tolerance.
DEVIANCE_TOL = 1e-6


class ModelRefused(RuntimeError):
    """No optimiser reached a valid optimum: no estimate may be shown.

    ``reasons``: one line per attempt (optimiser and why it was rejected).
    """

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = list(reasons)
        super().__init__("mixed model not fitted: " + "; ".join(self.reasons))


# --------------------------------------------------------------------------------------------
# Result container
# --------------------------------------------------------------------------------------------


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote_name(name: str) -> str:
    """A column name as patsy reads it: plain identifiers as is, others ``Q("...")``.

    Raises
    ------
    ValueError
        If the name contains a double quote or a backslash (cannot be quoted).
    """
    if _IDENT.match(name):
        return name
    if '"' in name or "\\" in name:
        raise ValueError(f"column name {name!r} cannot be used in a formula: rename it")
    return f'Q("{name}")'


def _json_safe(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    if isinstance(v, pd.DataFrame):
        return [_json_safe(r) for r in v.to_dict(orient="records")]
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if not math.isfinite(f) else f
    if v is None or isinstance(v, (str, int)):
        return v
    if v is pd.NA or v is pd.NaT:
        return None
    return str(v)


@dataclass(frozen=True)
class ModelResult:
    r"""A fitted model: tidy term table, model-level information, optional extra tables.

    Attributes
    ----------
    terms : DataFrame
        One row per term: ``term, estimate, std_err, ci_low, ci_high, p_value`` (in the
        outcome's units per unit of the term; ``p_value`` two-sided).
    info : dict
        ``n, n_groups, icc, converged, warnings, formula, method`` and model-specific keys
        (``df_resid``, ``factor_levels``, ``variance_components``, ``aic``, ...).
    tables : dict of DataFrame
        Extra tables, e.g. ``"marginal_means"``, ``"event_study"``, ``"placebo"``.
    fit : object
        The underlying statsmodels results object (not serialised).
    vcov : DataFrame, optional
        Covariance matrix of the fixed effects behind ``std_err`` when it is not the fit
        object's own (mixed models: lme4's :math:`\hat\sigma^2 (X^\top V^{-1}X)^{-1}`).
    """

    terms: pd.DataFrame
    info: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    fit: Any = field(default=None, repr=False, compare=False)
    vcov: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """``{"model": info, "terms": [...], **tables}`` with NaN/inf as ``None``."""
        out: dict[str, Any] = {
            "model": _json_safe(self.info),
            "terms": _json_safe(self.terms[TERM_COLUMNS + [c for c in self.terms.columns
                                                           if c not in TERM_COLUMNS]]),
        }
        for name, table in self.tables.items():
            out[name] = _json_safe(table)
        return out

    def to_json(self, **kwargs: Any) -> str:
        """JSON of :meth:`to_dict` (the ``flask models fit --format json`` shape)."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


class _Recorder:
    """Record every warning raised inside the block into a list (and the log)."""

    def __init__(self, sink: list[str], prefix: str = "") -> None:
        self.sink = sink
        self.prefix = prefix
        self._cm = warnings.catch_warnings(record=True)

    def __enter__(self) -> _Recorder:
        self._caught = self._cm.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc: Any) -> None:
        self._cm.__exit__(*exc)
        for w in self._caught:
            msg = f"{self.prefix}{w.category.__name__}: {w.message}"
            if msg not in self.sink:
                self.sink.append(msg)
                logger.warning(msg)


def _add_warning(sink: list[str], msg: str) -> None:
    if msg not in sink:
        sink.append(msg)
        logger.warning(msg)


def _variables(formula_rhs: str, data: pd.DataFrame) -> list[str]:
    """Data columns named in a formula's right-hand side (in order of appearance)."""
    tokens = re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", formula_rhs)
    seen: list[str] = []
    for t in tokens:
        if t in data.columns and t not in seen:
            seen.append(t)
    # Q("odd name") references
    for q in re.findall(r"Q\(\s*['\"]([^'\"]+)['\"]\s*\)", formula_rhs):
        if q in data.columns and q not in seen:
            seen.append(q)
    return seen


def _categorical_vars(formula_rhs: str, data: pd.DataFrame) -> list[str]:
    wrapped = set(re.findall(r"C\(\s*([A-Za-z_][A-Za-z0-9_.]*)", formula_rhs))
    out = []
    for v in _variables(formula_rhs, data):
        col = data[v]
        if v in wrapped or not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            out.append(v)
    return out


def _factor_levels(formula_rhs: str, data: pd.DataFrame) -> dict[str, dict[str, int]]:
    return {
        v: {str(k): int(c) for k, c in data[v].value_counts(sort=False).sort_index().items()}
        for v in _categorical_vars(formula_rhs, data)
    }


def _terms_frame(names: Sequence[str], est: Any, se: Any, p: Any, lo: Any, hi: Any) -> pd.DataFrame:
    return pd.DataFrame({
        "term": [_clean_term(n) for n in names],
        "estimate": np.asarray(est, dtype=float),
        "std_err": np.asarray(se, dtype=float),
        "ci_low": np.asarray(lo, dtype=float),
        "ci_high": np.asarray(hi, dtype=float),
        "p_value": np.asarray(p, dtype=float),
    })


def _clean_term(name: str) -> str:
    """``C(shift_pattern)[T.night]`` -> ``shift_pattern[night]``; ``Intercept`` unchanged."""
    name = re.sub(r"Q\(\s*[\"']([^\"']+)[\"']\s*\)", r"\1", name)
    name = re.sub(r"C\(\s*([^,)]+?)\s*(,[^)]*)?\)\[T\.([^\]]+)\]", r"\1[\3]", name)
    name = re.sub(r"\[T\.([^\]]+)\]", r"[\1]", name)
    return name


def _complete_rows(data: pd.DataFrame, cols: Iterable[str]) -> pd.DataFrame:
    cols = [c for c in dict.fromkeys(cols) if c is not None]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in data: {missing}")
    out = data.dropna(subset=cols).copy()
    if len(out) < len(data):
        logger.info("dropped %d rows with missing values", len(data) - len(out))
    return out


def _z_ci(est: np.ndarray, se: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    z = sps.norm.ppf(0.5 + level / 2)
    p = 2 * sps.norm.sf(np.abs(est / se))
    return est - z * se, est + z * se, p


# --------------------------------------------------------------------------------------------
# Mixed models
# --------------------------------------------------------------------------------------------


def _fit_mixedlm(formula: str, data: pd.DataFrame, group: str, re_formula: str | None,
                 reml: bool, sink: list[str], prefix: str = "") -> Any:
    """The statsmodels fit chosen by :func:`_mixed_strategy` (``res`` only, for old callers)."""
    return _mixed_strategy(formula, data, group, re_formula, reml, sink, prefix).res


@dataclass
class _MixedFit:
    res: Any                      # statsmodels MixedLMResults of the accepted attempt
    profile: Any                  # lmm_profile.Profile of the data
    at: Any                       # lmm_profile.ProfileFit at the accepted estimate
    optimiser: str
    attempts: list[dict[str, Any]]
    deviance_optimum: float


def _mixed_strategy(formula: str, data: pd.DataFrame, group: str, re_formula: str | None,
                    reml: bool, sink: list[str], prefix: str = "") -> _MixedFit:
    """Fit a MixedLM by the documented strategy; raise :class:`ModelRefused` if nothing converges.

    1. lme4's profiled deviance (:mod:`wellbeing.core.lmm_profile`) is minimised first: for a
       random intercept in one dimension (grid over log θ plus θ = 0, then Brent); with random
       slopes from the random-intercept model's θ (the simpler model) and from lme4's start,
       L-BFGS-B then Nelder–Mead.
    2. statsmodels is started at that optimum and run with each optimiser of
       :data:`OPTIMISERS` in turn (lbfgs, Nelder–Mead, Powell). An attempt is accepted when it
       says it converged, its log-likelihood is finite, it reaches the profiled optimum (deviance
       within :data:`DEVIANCE_TOL` of it), and the deviance's Hessian in the interior θ is
       positive definite (at a boundary θ: moving inside does not lower the deviance). The first
       accepted attempt is the best likelihood (it reaches the optimum), so the chain stops there.
    3. No accepted attempt → :class:`ModelRefused` with each attempt's reason.
    """
    import statsmodels.formula.api as smf
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    from .lmm_profile import Profile

    model = smf.mixedlm(formula, data, groups=data[group], re_formula=re_formula)
    codes = pd.factorize(data[group])[0]
    try:
        prof = Profile(model.exog, model.exog_re, model.endog, codes, reml=reml)
    except ValueError as exc:
        raise ModelRefused([str(exc)]) from exc
    if prof.q == 1:
        theta, pinfo = prof.minimise()
    else:
        simple = Profile(model.exog, model.exog_re[:, :1], model.endog, codes, reml=reml)
        t0, _ = simple.minimise()
        start = np.zeros(prof.n_theta)
        start[0] = t0[0]
        start[prof._diag] = np.maximum(start[prof._diag], 0.1)
        start[0] = max(t0[0], 0.1)
        theta, pinfo = prof.minimise(start)
        theta2, pinfo2 = prof.minimise(None)
        if pinfo2["deviance"] < pinfo["deviance"]:
            theta, pinfo = theta2, pinfo2
    dev_opt = float(pinfo["deviance"])
    if not math.isfinite(dev_opt):
        raise ModelRefused(["the profiled deviance is not finite anywhere (degenerate data)"])
    flat = prof.q == 1 and _flat_profile(prof, dev_opt)
    if flat:  # any θ is an optimum: the Hessian is 0, which says nothing against the fit
        _add_warning(sink, f"{prefix}the random-intercept variance is not identified: the deviance is the "
                           f"same for every value of it (the fixed effects absorb every {group} "
                           f"difference, e.g. one {group} per exposure level)")
    opt = prof.at(theta)
    L = np.zeros((prof.q, prof.q))
    L[np.tril_indices(prof.q)] = theta
    cov_unscaled = L @ L.T + 1e-8 * np.eye(prof.q)  # statsmodels needs a Cholesky factor to start
    attempts: list[dict[str, Any]] = []
    for method in OPTIMISERS:
        att_sink: list[str] = []
        start = MixedLMParams.from_components(fe_params=opt.beta, cov_re=cov_unscaled)
        try:
            with _Recorder(att_sink, prefix):
                res = model.fit(reml=reml, start_params=start, method=[method])
        except (np.linalg.LinAlgError, ValueError, RuntimeError, FloatingPointError) as exc:
            attempts.append({"optimiser": method, "accepted": False, "reason": f"raised {exc}"})
            continue
        reason = ""
        llf = float(res.llf)
        dev = math.inf
        th = None
        if not res.converged:
            reason = "did not converge"
        elif not math.isfinite(llf):
            reason = f"log-likelihood {llf}"
        else:
            th = theta_from_cov(np.asarray(res.cov_re, dtype=float), float(res.scale))
            dev = prof.deviance(th)
            if not dev <= dev_opt + DEVIANCE_TOL * max(1.0, abs(dev_opt)):
                reason = f"stopped at deviance {dev:.6f}, above the optimum {dev_opt:.6f}"
            elif not flat and not prof.hessian_pd(th):
                reason = "Hessian of the deviance not positive definite"
            elif not prof.boundary_ok(th):
                reason = "a boundary variance is not a minimum"
        attempts.append({"optimiser": method, "accepted": not reason, "reason": reason or "ok",
                         "deviance": dev, "warnings": att_sink})
        if not reason:
            singular = _is_singular(th, prof.q)
            for w in att_sink:
                if "on the boundary of the parameter space" in w and not singular:
                    w += (" [statsmodels' test is absolute: a variance below 0.01 in the outcome's "
                          "units; relative to the residual variance (lme4's isSingular) the fit is "
                          "not singular]")
                _add_warning(sink, w)
            for a in attempts[:-1]:
                _add_warning(sink, f"{prefix}optimiser {a['optimiser']} rejected: {a['reason']}")
            return _MixedFit(res, prof, prof.at(th), method, attempts, dev_opt)
    raise ModelRefused([f"{prefix}{a['optimiser']}: {a['reason']}" for a in attempts])


def _flat_profile(prof: Any, dev_opt: float) -> bool:
    """True when the profiled deviance does not move with θ (θ from 0 to 10): the random intercept
    is confounded with the fixed effects and has no estimate."""
    devs = [prof.deviance(np.array([t])) for t in (0.0, 0.1, 1.0, 10.0)]
    return bool(max(devs) - min(devs) <= 1e-8 * max(1.0, abs(dev_opt)))


def _variance_components(res: Any) -> dict[str, Any]:
    cov_re = pd.DataFrame(np.asarray(res.cov_re), index=list(res.cov_re.index),
                          columns=list(res.cov_re.columns))
    vc: dict[str, Any] = {"residual": float(res.scale)}
    for i, a in enumerate(cov_re.index):
        vc[f"group:{a}"] = float(cov_re.iloc[i, i])
        for j in range(i):
            vc[f"group:{cov_re.index[j]}:{a}"] = float(cov_re.iloc[i, j])
    return vc


def _is_singular(theta: np.ndarray, q: int) -> bool:
    """lme4's ``isSingular``: a diagonal element of the relative Cholesky factor θ below 1e-4.

    θ is the random-effect SD relative to the residual SD, so the test does not depend on the
    outcome's units.
    """
    diag = np.array([i == j for i, j in zip(*np.tril_indices(q))])
    return bool(np.any(np.asarray(theta)[diag] < SINGULAR_TOL))


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
    d = _complete_rows(data, [outcome, group])
    res = _fit_mixedlm(f"{quote_name(outcome)} ~ 1", d, group, None, True, sink, "null model: ")
    tau2 = float(np.asarray(res.cov_re)[0, 0])
    return tau2 / (tau2 + float(res.scale))


def design(data: pd.DataFrame, outcome: str, predictors: str, group: str | None = None) -> ModelResult:
    """The fixed-effect design of ``outcome ~ predictors`` without fitting anything.

    Used to judge a model's release (rule 12: residual df, respondents per factor level) *before*
    it is fitted, so a model that may not be shown is never estimated.

    Returns
    -------
    ModelResult
        ``terms``: one row per fixed-effect column, every number NaN. ``info``: ``n``, ``n_groups``
        (when ``group`` is given), ``df_resid`` (n minus the number of fixed effects),
        ``factor_levels``, ``formula``, ``converged`` (False), ``icc`` (None), ``method``
        (``"not fitted"``), ``warnings`` (empty).
    """
    import patsy

    cols = [outcome, group] + _variables(predictors, data)
    d = _complete_rows(data, cols)
    names = patsy.dmatrix(predictors, d, return_type="dataframe").columns
    nan = np.full(len(names), np.nan)
    info: dict[str, Any] = {
        "n": int(len(d)),
        "n_groups": int(d[group].nunique()) if group else None,
        "df_resid": int(len(d)) - len(names),
        "factor_levels": _factor_levels(predictors, d),
        "formula": f"{outcome} ~ {predictors}" + (f" + (1 | {group})" if group else ""),
        "converged": False,
        "icc": None,
        "method": "not fitted",
        "warnings": [],
    }
    return ModelResult(_terms_frame(names, nan, nan, nan, nan, nan), info)


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
    are NaN under REML), by the strategy of :func:`_mixed_strategy`: lme4's profiled deviance
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
    cols = [outcome, group] + _variables(predictors, data)
    if re_formula:
        cols += _variables(re_formula.replace("~", ""), data)
    d = _complete_rows(data, cols)
    sink: list[str] = []
    fit = _mixed_strategy(formula, d, group, re_formula, reml, sink)
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
        "factor_levels": _factor_levels(predictors, d),
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
        _add_warning(sink, f"few groups (G={info['n_groups']}): random-effect variances are imprecise")
    re_names = list(getattr(res.model.data, "exog_re_names", []) or [])
    df = _between_within_df(np.asarray(res.model.exog), list(res.fe_params.index),
                            pd.factorize(d[group])[0], re_names)

    if _is_singular(theta, prof.q):
        info["singular"] = True
        zero = theta.copy()
        zero[[i for i, (a, b) in enumerate(zip(*np.tril_indices(prof.q))) if a == b]] = 0.0
        info["deviance_increase_at_zero_variance"] = float(prof.deviance(zero) - fit.at.deviance)
        _add_warning(sink, "singular fit: a random-effect SD is below 1e-4 of the residual SD "
                           "(lme4's isSingular): its variance is estimated as zero")
        if _sm_zero_variance(res) and _issue_10239(res, formula, d):
            msg = ("statsmodels issue 10239: random-effect variance collapsed and fixed effects "
                   "of between-group terms were returned as 0 despite 'converged'")
            _add_warning(sink, msg)
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
                    _add_warning(sink, w)
                if icc:
                    info["icc"] = _icc_or_none(d, outcome, group, sink)
                return ModelResult(ols.terms, info, {}, ols.fit)
            info["converged"] = False

    if np.any(df < 1):
        _add_warning(sink, f"no degrees of freedom left for {int((df < 1).sum())} term(s) (G = "
                           f"{info['n_groups']} groups for the group-level terms): their intervals "
                           "and p-values are left empty")
    fe = np.asarray(res.fe_params, dtype=float)
    vcov = fit.at.vcov
    se = np.sqrt(np.diag(vcov))
    lo, hi, p = _t_ci(fe, se, df, ci)
    terms = _terms_frame(list(res.fe_params.index), fe, se, p, lo, hi)
    terms["df"] = df.astype(int)
    if icc:
        info["icc"] = _icc_or_none(d, outcome, group, sink)
    return ModelResult(terms, info, {}, res, vcov=pd.DataFrame(vcov, index=res.fe_params.index,
                                                              columns=res.fe_params.index))


def _icc_or_none(d: pd.DataFrame, outcome: str, group: str, sink: list[str]) -> float | None:
    try:
        return icc_null(d, outcome, group, sink)
    except ModelRefused as exc:
        _add_warning(sink, f"null model (ICC) not fitted: {exc}")
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


def _t_ci(est: np.ndarray, se: np.ndarray, df: np.ndarray, level: float
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    df = np.where(np.asarray(df, dtype=float) >= 1, df, np.nan)   # t with 0 df: NaN, not a number
    q = sps.t.ppf(0.5 + level / 2, df)
    p = 2 * sps.t.sf(np.abs(est / se), df)
    return est - q * se, est + q * se, p


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
    cats = _categorical_vars(rhs, data)
    if factor not in cats:
        raise ValueError(f"{factor!r} is not a categorical predictor of the model")
    nums = [v for v in _variables(rhs, data) if v not in cats]
    d = data.dropna(subset=_variables(rhs, data))
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


# --------------------------------------------------------------------------------------------
# Robustness checks
# --------------------------------------------------------------------------------------------


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
    d = _complete_rows(data, [outcome, cluster] + _variables(predictors, data))
    sink: list[str] = []
    codes = pd.factorize(d[cluster])[0]
    with _Recorder(sink):
        res = smf.ols(formula, d).fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
        ci_arr = np.asarray(res.conf_int(alpha=1 - ci))
    G = int(len(np.unique(codes)))
    if G < 30:
        _add_warning(sink, f"few clusters (G={G}): cluster-robust standard errors may be unreliable")
    terms = _terms_frame(list(res.params.index), res.params, res.bse, res.pvalues,
                         ci_arr[:, 0], ci_arr[:, 1])
    terms["df"] = int(G - 1)
    info = {
        "n": int(res.nobs), "n_groups": G, "icc": None, "converged": True, "warnings": sink,
        "formula": formula, "predictors": predictors, "method": "ols-cluster-cr1", "df_resid": int(res.df_resid),
        "factor_levels": _factor_levels(predictors, d), "se_convention": CR1_CONVENTION,
    }
    return ModelResult(terms, info, {}, res)


def fit_gee(data: pd.DataFrame, outcome: str, predictors: str, group: str,
            ci: float = 0.95) -> ModelResult:
    r"""Gaussian GEE with an exchangeable working correlation within groups.

    Estimates population-averaged effects; robust (sandwich) standard errors with *t*
    intervals and p-values on G−1 df (like :func:`fit_ols_cluster`, so that every table of one
    output uses *t*; Cameron & Miller 2015, section VI). The working correlation :math:`\rho` (all pairs within a group) is in
    ``info["working_correlation"]``.

    References
    ----------
    Liang, K.-Y., & Zeger, S. L. (1986). Longitudinal data analysis using generalized
    linear models. *Biometrika*, 73, 13–22.
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    formula = f"{quote_name(outcome)} ~ {predictors}"
    d = _complete_rows(data, [outcome, group] + _variables(predictors, data))
    sink: list[str] = []
    with _Recorder(sink):
        model = smf.gee(formula, groups=d[group], data=d, cov_struct=sm.cov_struct.Exchangeable(),
                        family=sm.families.Gaussian())
        res = model.fit()
        ci_arr = np.asarray(res.conf_int(alpha=1 - ci))
    G = int(d[group].nunique())
    if G < 30:
        _add_warning(sink, f"few clusters (G={G}): GEE sandwich standard errors may be unreliable")
    converged = bool(getattr(res, "converged", True))
    est, se = np.asarray(res.params, dtype=float), np.asarray(res.bse, dtype=float)
    lo, hi, p = _t_ci(est, se, np.full(len(est), float(max(G - 1, 1))), ci)
    terms = _terms_frame(list(res.params.index), est, se, p, lo, hi)
    terms["df"] = int(max(G - 1, 1))
    info = {
        "n": int(res.nobs), "n_groups": G, "icc": None, "converged": converged,
        "warnings": sink, "formula": formula, "predictors": predictors, "method": "gee-exchangeable",
        "df_resid": int(res.nobs) - len(res.params),
        "factor_levels": _factor_levels(predictors, d),
        "working_correlation": float(np.asarray(res.model.cov_struct.dep_params).ravel()[0]),
    }
    return ModelResult(terms, info, {}, res)


# --------------------------------------------------------------------------------------------
# Multiple comparisons
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Difference-in-differences
# --------------------------------------------------------------------------------------------


def _fe_projector(data: pd.DataFrame, unit: str, time: str) -> np.ndarray:
    """Orthonormal basis Q of the column space of the unit and time dummies."""
    X = np.column_stack([
        np.ones(len(data)),
        pd.get_dummies(data[unit], drop_first=True, dtype=float).to_numpy(),
        pd.get_dummies(data[time], drop_first=True, dtype=float).to_numpy(),
    ])
    q, r = np.linalg.qr(X)
    keep = np.abs(np.diag(r)) > 1e-10 * np.abs(r).max()
    return q[:, keep]


def _twfe_estimate(y_res: np.ndarray, d: np.ndarray, Q: np.ndarray) -> float:
    """Frisch–Waugh–Lovell: coefficient of d after partialling out the fixed effects."""
    d_res = d - Q @ (Q.T @ d)
    denom = float(d_res @ d_res)
    return float(d_res @ y_res / denom) if denom > 1e-12 else float("nan")


def _treated_units(data: pd.DataFrame, unit: str, treated: str) -> list[Any]:
    return sorted(data.loc[data[treated].astype(float) > 0, unit].unique().tolist())


def did_twfe(data: pd.DataFrame, outcome: str, unit: str, time: str, treated: str,
             cluster: str | None = None, ci: float = 0.95, k_convention: str = "all") -> ModelResult:
    r"""Two-way fixed-effects difference-in-differences.

    .. math:: y_{it} = \alpha_i + \gamma_t + \delta\, D_{it} + \varepsilon_{it}

    OLS with unit (:math:`\alpha_i`) and time (:math:`\gamma_t`) dummies, :math:`D_{it}=1`
    for treated units in treated periods; cluster-robust SE by ``cluster`` (default
    ``unit``) with the CR1 convention of :data:`CR1_CONVENTION` (every fixed-effect dummy
    counts in *K*) and *t* inference on :math:`G-1` df; ``k_convention="nested"`` gives
    fixest's default instead (:data:`CR1_NESTED_CONVENTION`: unit dummies nested in the
    clusters not counted; 0.00613 rather than 0.00672 on the organ-donation example). Works on panels (one row per unit
    and period) and on individual-level repeated cross-sections (several rows per cell).
    With one treated cluster, use :func:`permutation_did` (see
    :data:`ONE_TREATED_CLUSTER_NOTE`).

    Returns
    -------
    ModelResult
        One term, ``treated``; ``info`` adds ``n_units, n_periods, n_treated_units,
        n_treated_obs, se_convention, df_resid``.

    References
    ----------
    Angrist, J. D., & Pischke, J.-S. (2009). *Mostly harmless econometrics*, ch. 5.

    Kessler, J. B., & Roth, A. E. (2014). Don't take 'no' for an answer: an experiment with
    actual organ donor registrations. NBER Working Paper 20378.
    """
    import statsmodels.formula.api as smf

    cluster = cluster or unit
    d = _complete_rows(data, [outcome, unit, time, treated, cluster])
    d = d.assign(_y=d[outcome].astype(float), _u=d[unit].astype(str), _t=d[time].astype(str),
                 _d=d[treated].astype(float))
    sink: list[str] = []
    codes = pd.factorize(d[cluster])[0]
    with _Recorder(sink):
        res = smf.ols("_y ~ _d + C(_u) + C(_t)", d).fit(
            cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
        ci_arr = np.asarray(res.conf_int(alpha=1 - ci).loc[["_d"]])
    tr_units = _treated_units(d, unit, treated)
    G = int(len(np.unique(codes)))
    tr_clusters = int(d.loc[d["_d"] > 0, cluster].nunique())
    if tr_clusters < 2:
        _add_warning(sink, ONE_TREATED_CLUSTER_NOTE)
    elif G < 30:
        _add_warning(sink, f"few clusters (G={G}): cluster-robust standard errors may be unreliable")
    est, se_d = float(res.params["_d"]), float(res.bse["_d"])
    convention = CR1_CONVENTION
    if k_convention == "nested":
        nested = bool((d.groupby("_u")[cluster].nunique() == 1).all())
        if not nested:
            raise ValueError("k_convention='nested' needs every unit inside one cluster")
        n_obs, k_all = float(res.nobs), float(res.df_model + 1)
        k_nested = k_all - (d["_u"].nunique() - 1)
        se_d *= math.sqrt((n_obs - k_all) / (n_obs - k_nested))
        q = sps.t.ppf(0.5 + ci / 2, G - 1)
        ci_arr = np.array([[est - q * se_d, est + q * se_d]])
        p_d = float(2 * sps.t.sf(abs(est / se_d), G - 1))
        convention = CR1_NESTED_CONVENTION
    elif k_convention == "all":
        p_d = float(res.pvalues["_d"])
    else:
        raise ValueError(f"k_convention must be 'all' or 'nested', got {k_convention!r}")
    terms = _terms_frame(["treated"], [est], [se_d], [p_d], ci_arr[:, 0], ci_arr[:, 1])
    info = {
        "n": int(res.nobs), "n_groups": G, "icc": None, "converged": True, "warnings": sink,
        "formula": f"{outcome} ~ {treated} + C({unit}) + C({time})",
        "method": "did-twfe-ols-cluster-cr1", "se_convention": convention,
        "cluster": cluster, "n_units": int(d[unit].nunique()), "n_periods": int(d[time].nunique()),
        "n_treated_units": len(tr_units), "treated_units": [str(u) for u in tr_units],
        "n_treated_clusters": tr_clusters, "n_treated_obs": int((d["_d"] > 0).sum()),
        "df_resid": int(res.df_resid),
        "factor_levels": {unit: {str(k): int(v) for k, v in d[unit].value_counts().sort_index().items()},
                          time: {str(k): int(v) for k, v in d[time].value_counts().sort_index().items()}},
    }
    return ModelResult(terms, info, {}, res)


def _time_index(values: pd.Series) -> pd.Series:
    order = sorted(values.unique())
    return values.map({v: i for i, v in enumerate(order)})


def event_study(data: pd.DataFrame, outcome: str, unit: str, time: str, treated: str,
                cluster: str | None = None, reference: int = -1, ci: float = 0.95,
                time_order: Sequence[Any] | None = None) -> ModelResult:
    r"""Event study: leads and lags of treatment start with unit and time fixed effects.

    .. math::

        y_{it} = \alpha_i + \gamma_t + \sum_{k \ne -1} \delta_k\,
                 \mathbf 1[t - s_i = k] + \varepsilon_{it}

    where :math:`s_i` is the first treated period of unit :math:`i` (never-treated units
    have all indicators 0) and :math:`k` counts periods (positions in ``time_order``,
    default the sorted distinct values of ``time``; pass ``time_order`` when labels such as
    ``"Q42010"`` do not sort chronologically). Reference period :math:`k=-1`
    (the last period before treatment) is omitted, so each :math:`\delta_k` is the
    difference from it. Leads (:math:`k<-1`) near zero support parallel pre-trends.
    Cluster-robust CR1 SEs by unit (unreliable with one treated cluster; see
    :data:`ONE_TREATED_CLUSTER_NOTE`).

    Returns
    -------
    ModelResult
        Terms ``rel_m3, rel_m2, rel_p0, rel_p1, ...`` (``m`` = minus, ``p`` = plus) with
        an extra column ``rel_time``; the reference row (``rel_m1``) is included with
        estimate 0 and NaN inference.

    References
    ----------
    Freyaldenhoven, S., Hansen, C., Pérez, J. P., & Shapiro, J. M. (2021). Visualization,
    identification, and estimation in the linear panel event-study design. NBER WP 29170.
    """
    import statsmodels.formula.api as smf

    cluster = cluster or unit
    d = _complete_rows(data, [outcome, unit, time, treated, cluster])
    if time_order is not None:
        pos = {v: i for i, v in enumerate(time_order)}
        tix = d[time].map(pos)
        if tix.isna().any():
            raise ValueError("time_order misses some time values")
    else:
        tix = _time_index(d[time])
    d = d.assign(_tix=tix.astype(int))
    start = d.loc[d[treated].astype(float) > 0].groupby(unit)["_tix"].min()
    rel = d[unit].map(start) if len(start) else pd.Series(np.nan, index=d.index)
    rel = d["_tix"] - rel  # NaN for never-treated units
    ks = sorted(int(k) for k in rel.dropna().unique() if int(k) != reference)

    def name(k: int) -> str:
        return f"rel_{'m' if k < 0 else 'p'}{abs(k)}"

    cols = {}
    for k in ks:
        cols[name(k)] = (rel == k).astype(float)
    X = pd.DataFrame(cols, index=d.index)
    X["_y"] = d[outcome].astype(float)
    X["_u"] = d[unit].astype(str)
    X["_t"] = d[time].astype(str)
    rhs = " + ".join(list(cols) + ["C(_u)", "C(_t)"])
    sink: list[str] = []
    codes = pd.factorize(d[cluster])[0]
    with _Recorder(sink):
        res = smf.ols(f"_y ~ {rhs}", X).fit(cov_type="cluster", cov_kwds={"groups": codes},
                                            use_t=True)
        cia = res.conf_int(alpha=1 - ci)
    names = [c for c in cols if c in res.params.index]
    terms = _terms_frame(names, res.params[names], res.bse[names], res.pvalues[names],
                         cia.loc[names, 0], cia.loc[names, 1])
    terms["rel_time"] = [int(re.sub("^rel_", "", n).replace("m", "-").replace("p", "")) for n in names]
    ref = pd.DataFrame([{"term": name(reference), "estimate": 0.0, "std_err": np.nan,
                         "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
                         "rel_time": reference}])
    terms = pd.concat([terms, ref], ignore_index=True).sort_values("rel_time", ignore_index=True)
    if int(d.loc[d[treated].astype(float) > 0, cluster].nunique()) < 2:
        _add_warning(sink, ONE_TREATED_CLUSTER_NOTE)
    info = {
        "n": int(res.nobs), "n_groups": int(len(np.unique(codes))), "icc": None,
        "converged": True, "warnings": sink,
        "formula": f"{outcome} ~ sum_k 1[rel_time = k] (k != {reference}) + C({unit}) + C({time})",
        "method": "event-study-twfe-ols-cluster-cr1", "reference_period": reference,
        "se_convention": CR1_CONVENTION, "df_resid": int(res.df_resid),
    }
    return ModelResult(terms, info, {}, res)


def permutation_did(data: pd.DataFrame, outcome: str, unit: str, time: str, treated: str,
                    max_permutations: int = 5000, seed: int = 0, statistic: str = "t",
                    ci: float = 0.95) -> tuple[pd.DataFrame, dict[str, Any]]:
    r"""Placebo (permutation) inference for a two-way fixed-effects DiD estimate.

    The treatment — the actual treated periods — is reassigned to each unit in turn (with
    several treated units: to every set of the same size, or ``max_permutations`` random
    sets); for each assignment :math:`r = 1..R` (the actual one included) the TWFE estimate
    :math:`\hat\delta_r` and its studentised value :math:`t_r = \hat\delta_r/\widehat{se}_r`
    are computed, the SE from the noise model of :mod:`wellbeing.core.pilot_inference`
    (region × wave shock plus individual noise, so a small region's noisier estimate is not
    mistaken for an effect). Two-sided p-value (``statistic="t"``, the default)

    .. math:: p = \frac{\#\{r : |t_r| \ge |t_{\mathrm{actual}}|\}}{R},

    or on the raw estimates with ``statistic="estimate"`` (placebo-in-space; over-rejects with
    unequal region sizes: 16 % at 5 % in ``benchmarks/null_pilot.py``). The smallest possible
    value is :math:`1/R` (0.05 with 20 regions). The interval inverts the studentised test
    (NaN bounds when :math:`1/R > 1 - ci`). Treated units must share the treated periods (no
    staggered adoption).

    Returns
    -------
    placebo : DataFrame
        ``assignment, estimate, std_err, t, is_actual``, sorted by the statistic's size, descending.
    summary : dict
        ``estimate, std_err, t, p_value, p_value_estimate, ci_low, ci_high, statistic, sigma2,
        tau2, n_permutations, p_floor, exact, note``.

    Raises
    ------
    ValueError
        No treated observations, staggered adoption, or ``statistic`` unknown.

    References
    ----------
    MacKinnon, J. G., & Webb, M. D. (2020). Randomization inference for difference-in-
    differences with few treated clusters. *Journal of Econometrics*, 218, 435–450.

    Ferman, B., & Pinto, C. (2019). Inference in differences-in-differences with few treated
    groups and heteroskedasticity. *Review of Economics and Statistics*, 101, 452–467.

    Abadie, A., Diamond, A., & Hainmueller, J. (2010). Synthetic control methods for
    comparative case studies. *JASA*, 105, 493–505 (placebo-in-space inference).
    """
    from .pilot_inference import studentised_permutation

    if statistic not in ("t", "estimate"):
        raise ValueError(f"statistic must be 't' or 'estimate', got {statistic!r}")
    d = _complete_rows(data, [outcome, unit, time, treated]).reset_index(drop=True)
    D = d[treated].astype(float).to_numpy()
    tr_units = _treated_units(d, unit, treated)
    if not tr_units:
        raise ValueError("no treated observations")
    periods_by_unit = {u: frozenset(d.loc[(d[unit] == u) & (D > 0), time]) for u in tr_units}
    periods = set(periods_by_unit.values())
    if len(periods) != 1:
        raise ValueError("treated units have different treated periods (staggered adoption); "
                         "permutation by reassignment needs a common treatment timing")
    tr_periods = next(iter(periods))
    units = sorted(d[unit].unique().tolist())
    n_combos = math.comb(len(units), len(tr_units))
    exact = n_combos <= max_permutations
    actual_key = tuple(tr_units)
    if exact:
        assignments = list(itertools.combinations(units, len(tr_units)))
    else:
        rng = np.random.default_rng(seed)
        assignments = [actual_key] + [
            tuple(sorted(rng.choice(np.array(units, dtype=object), len(tr_units), replace=False)))
            for _ in range(max_permutations - 1)]
    actual_index = next(i for i, a in enumerate(assignments) if tuple(a) == actual_key)
    sp = studentised_permutation(d, outcome, unit, time, assignments, sorted(tr_periods),
                                 actual_index=actual_index, ci=ci)
    est, tv = sp["estimates"], sp["t_values"]
    placebo = pd.DataFrame({"assignment": [",".join(map(str, a)) for a in assignments],
                            "estimate": est, "std_err": sp["std_errs"], "t": tv,
                            "is_actual": [i == actual_index for i in range(len(assignments))]})
    R = len(placebo)
    actual = float(est[actual_index])
    tol = 1e-10 * max(1.0, abs(actual))
    p_est = float((np.abs(est) >= abs(actual) - tol).sum() / R)
    p = sp["p_value"] if statistic == "t" else p_est
    key = placebo["t"].abs() if statistic == "t" else placebo["estimate"].abs()
    placebo = placebo.reindex(key.sort_values(ascending=False, kind="stable").index)
    what = ("|t| (estimate over its own model-based SE, so regions of different sizes compare)"
            if statistic == "t" else "|estimate|")
    summary = {
        "estimate": actual, "std_err": sp["std_err"], "t": sp["t"], "p_value": p,
        "p_value_estimate": p_est, "ci_low": sp["ci_low"], "ci_high": sp["ci_high"],
        "statistic": statistic, "sigma2": sp["sigma2"], "tau2": sp["tau2"],
        "n_permutations": R, "p_floor": 1.0 / R, "exact": exact,
        "note": (f"Permutation p-value: share of the {R} assignments (actual included) whose "
                 f"{what} is at least the actual one; the smallest possible value is 1/{R} = "
                 f"{1.0 / R:.3g}. " + (ONE_TREATED_CLUSTER_NOTE if len(tr_units) == 1 else "")),
    }
    return placebo.reset_index(drop=True), summary


def did(data: pd.DataFrame, outcome: str, unit: str, time: str, treated: str,
        cluster: str | None = None, ci: float = 0.95, with_event_study: bool = True,
        with_permutation: bool = True, time_order: Sequence[Any] | None = None) -> ModelResult:
    """Difference-in-differences report: TWFE estimate, event study, permutation inference.

    Combines :func:`did_twfe`, :func:`event_study` and :func:`permutation_did` (the
    ``flask models did`` engine). With permutation inference (the default) the ``treated``
    term carries the studentised permutation inference: ``std_err`` the model-based SE,
    ``p_value`` (also ``p_value_permutation``) the permutation p with its floor
    ``info["permutation_p_floor"]`` = 1/R, and the interval from inverting that test. The
    cluster-robust (CR1) row, which over-rejects with one treated cluster, is only in
    ``tables["cluster_robust"]`` with its warning (``info["cluster_robust_warning"]``).

    Returns
    -------
    ModelResult
        ``tables``: ``"event_study"`` (term table with ``rel_time``), ``"placebo"`` and
        ``"cluster_robust"``.
    """
    base = did_twfe(data, outcome, unit, time, treated, cluster, ci)
    info = dict(base.info)
    tables: dict[str, pd.DataFrame] = {}
    if with_event_study:
        es = event_study(data, outcome, unit, time, treated, cluster, ci=ci, time_order=time_order)
        tables["event_study"] = es.terms
        for w in es.info["warnings"]:
            if w not in info["warnings"]:
                info["warnings"].append(f"event study: {w}" if w != ONE_TREATED_CLUSTER_NOTE else w)
    if with_permutation:
        placebo, summ = permutation_did(data, outcome, unit, time, treated, ci=ci)
        tables["placebo"] = placebo
        tables["cluster_robust"] = base.terms.assign(df=int(base.info["n_groups"] - 1))
        info.update({"permutation_p": summ["p_value"], "permutation_p_floor": summ["p_floor"],
                     "n_permutations": summ["n_permutations"],
                     "permutation_exact": summ["exact"], "inference_note": summ["note"],
                     "permutation_statistic": "studentised (t)",
                     "permutation_p_estimate": summ["p_value_estimate"],
                     "noise_model": {"sigma2": summ["sigma2"], "tau2": summ["tau2"]},
                     "method": info["method"].replace("ols-cluster-cr1", "ols-studentised-permutation"),
                     "cluster_robust_warning": (
                         "cluster-robust (CR1) p-values and intervals are in the robustness table "
                         "only: with one or few treated clusters they reject true nulls far too "
                         "often (MacKinnon & Webb 2017, 2018)")})
        terms = _terms_frame(["treated"], [summ["estimate"]], [summ["std_err"]], [summ["p_value"]],
                             [summ["ci_low"]], [summ["ci_high"]])
        terms["p_value_permutation"] = summ["p_value"]
        if not math.isfinite(summ["ci_low"]):
            _add_warning(info["warnings"], f"with R = {summ['n_permutations']} assignments the "
                         f"permutation interval at {ci:.0%} is unbounded (1/R > {1 - ci:.2g})")
    else:
        terms = base.terms
    return ModelResult(terms, info, tables, base.fit)


def did_cross_sections(data: pd.DataFrame, outcome: str, region: str = "region",
                       wave: str = "wave", treated: str = "treated", ci: float = 0.95,
                       wave_order: Sequence[Any] | None = None, **kwargs: Any) -> ModelResult:
    r"""DiD on individual-level repeated cross-sections (officers' scores in region × wave).

    .. math:: y_{irw} = \alpha_r + \gamma_w + \delta\, D_{rw} + \varepsilon_{irw}

    Each wave surveys different (anonymous) officers, so there is no individual panel:
    region and wave fixed effects, treatment :math:`D_{rw}` = pilot region in waves after
    the pilot started, SEs clustered by region, permutation over regions (floor 1/R).
    ``info["cell_sizes"]`` gives the smallest region × wave cell, for the release check.
    """
    res = did(data, outcome, region, wave, treated, cluster=region, ci=ci,
              time_order=wave_order, **kwargs)
    cells = data.dropna(subset=[outcome]).groupby([region, wave]).size()
    info = dict(res.info)
    info["method"] = "did-repeated-cross-sections-" + info["method"]
    info["cell_sizes"] = {"min": int(cells.min()), "max": int(cells.max()), "n_cells": int(len(cells))}
    return ModelResult(res.terms, info, res.tables, res.fit)
