"""Difference-in-differences with unit and time fixed effects, and the event study.

* :func:`did_twfe` — two-way fixed-effects estimate with cluster-robust CR1 SEs (statsmodels' or
  fixest's convention);
* :func:`event_study` — leads and lags of treatment start (parallel pre-trends);
* :func:`did` — the report of ``flask models did``: TWFE estimate, event study and studentised
  permutation inference (:func:`wellbeing.core.stats.permutation.permutation_did`);
* :func:`did_cross_sections` — the same on individual-level repeated cross-sections (officers'
  scores in region × wave).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from .formula import complete_rows
from .permutation import ONE_TREATED_CLUSTER_NOTE, permutation_did, treated_units
from .recording import WarningRecorder, add_warning
from .result import ModelResult, terms_frame
from .robust import CR1_CONVENTION

#: fixest's default small-sample convention (``ssc(fixef.K = "nested")``), offered by did_twfe.
CR1_NESTED_CONVENTION = (
    "CR1 (fixest default, fixef.K = 'nested'): as statsmodels' CR1 but K does not count the unit "
    "fixed-effect dummies nested in the clusters (Berge 2018, fixest vignette 'On standard errors'); "
    "t reference distribution with G-1 degrees of freedom"
)


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
    d = complete_rows(data, [outcome, unit, time, treated, cluster])
    d = d.assign(_y=d[outcome].astype(float), _u=d[unit].astype(str), _t=d[time].astype(str),
                 _d=d[treated].astype(float))
    sink: list[str] = []
    codes = pd.factorize(d[cluster])[0]
    with WarningRecorder(sink):
        res = smf.ols("_y ~ _d + C(_u) + C(_t)", d).fit(
            cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
        ci_arr = np.asarray(res.conf_int(alpha=1 - ci).loc[["_d"]])
    tr_units = treated_units(d, unit, treated)
    G = int(len(np.unique(codes)))
    tr_clusters = int(d.loc[d["_d"] > 0, cluster].nunique())
    if tr_clusters < 2:
        add_warning(sink, ONE_TREATED_CLUSTER_NOTE)
    elif G < 30:
        add_warning(sink, f"few clusters (G={G}): cluster-robust standard errors may be unreliable")
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
    terms = terms_frame(["treated"], [est], [se_d], [p_d], ci_arr[:, 0], ci_arr[:, 1])
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
    d = complete_rows(data, [outcome, unit, time, treated, cluster])
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
    with WarningRecorder(sink):
        res = smf.ols(f"_y ~ {rhs}", X).fit(cov_type="cluster", cov_kwds={"groups": codes},
                                            use_t=True)
        cia = res.conf_int(alpha=1 - ci)
    names = [c for c in cols if c in res.params.index]
    terms = terms_frame(names, res.params[names], res.bse[names], res.pvalues[names],
                        cia.loc[names, 0], cia.loc[names, 1])
    terms["rel_time"] = [int(re.sub("^rel_", "", n).replace("m", "-").replace("p", "")) for n in names]
    ref = pd.DataFrame([{"term": name(reference), "estimate": 0.0, "std_err": np.nan,
                         "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
                         "rel_time": reference}])
    terms = pd.concat([terms, ref], ignore_index=True).sort_values("rel_time", ignore_index=True)
    if int(d.loc[d[treated].astype(float) > 0, cluster].nunique()) < 2:
        add_warning(sink, ONE_TREATED_CLUSTER_NOTE)
    info = {
        "n": int(res.nobs), "n_groups": int(len(np.unique(codes))), "icc": None,
        "converged": True, "warnings": sink,
        "formula": f"{outcome} ~ sum_k 1[rel_time = k] (k != {reference}) + C({unit}) + C({time})",
        "method": "event-study-twfe-ols-cluster-cr1", "reference_period": reference,
        "se_convention": CR1_CONVENTION, "df_resid": int(res.df_resid),
    }
    return ModelResult(terms, info, {}, res)


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
        terms = terms_frame(["treated"], [summ["estimate"]], [summ["std_err"]], [summ["p_value"]],
                            [summ["ci_low"]], [summ["ci_high"]])
        terms["p_value_permutation"] = summ["p_value"]
        if not math.isfinite(summ["ci_low"]):
            add_warning(info["warnings"], f"with R = {summ['n_permutations']} assignments the "
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
