"""Psychometrics of a scale's items: reliability, item analysis, missingness.

Pure functions, no Flask, no database. Every function takes a :class:`pandas.DataFrame`
with one column per item and one row per response (item scores as numbers, missing answers
as ``NaN``) and returns a tidy :class:`pandas.DataFrame` with identifier-safe columns.

Reverse-keyed items must already be recoded (the scoring module does that), so that a
higher number means more of the construct for every item.

Checked against R's psych 2.2.9 (``alpha``, ``alpha.ci``, ``fa(..., fm = "ml")``) on the
fourteen work-stressor items of the FRA dispatchers' survey; see
``tests/reference/reference.R`` and ``tests/core/test_psychometrics.py``.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from scipy import stats

logger = logging.getLogger(__name__)

__all__ = [
    "cronbach_alpha",
    "one_factor_ml",
    "omega_total",
    "item_total",
    "missingness",
    "floor_ceiling",
    "item_analysis",
    "reliability",
    "feldt_two_alphas",
    "language_equivalence",
]

#: A language version's corrected item–total correlation that differs from the other languages' by more
#: than this is flagged by :func:`language_equivalence`.
ITEM_PATTERN_DIFF = 0.20
#: Feldt's test flags an α difference only when it is also at least this large (with thousands of
#: responses a trivial difference is "significant").
ALPHA_DIFF = 0.05

#: Corrected item–total correlations below this are flagged (DESIGN.md section 6).
ITEM_TOTAL_FLAG = 0.30


def _numeric_items(items: pd.DataFrame, min_items: int = 2) -> pd.DataFrame:
    if not isinstance(items, pd.DataFrame):
        raise TypeError("items must be a pandas DataFrame (one column per item)")
    if items.shape[1] < min_items:
        raise ValueError(f"need at least {min_items} items, got {items.shape[1]}")
    return items.apply(pd.to_numeric, errors="raise").astype(float)


def _complete(items: pd.DataFrame, min_items: int = 2) -> pd.DataFrame:
    x = _numeric_items(items, min_items).dropna(axis=0, how="any")
    if len(x) < 3:
        raise ValueError(f"need at least 3 complete responses, got {len(x)}")
    return x


def _alpha_value(x: np.ndarray) -> float:
    k = x.shape[1]
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var <= 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - item_var / total_var))


def cronbach_alpha(items: pd.DataFrame, ci: float = 0.95) -> pd.DataFrame:
    r"""Cronbach's :math:`\alpha` with the Feldt confidence interval.

    Computed on complete cases (listwise deletion), as ``psych::alpha(na.omit(x))``.

    .. math::

        \alpha = \frac{k}{k-1}\left(1 - \frac{\sum_{i=1}^k s_i^2}{s_X^2}\right)

    where :math:`k` is the number of items, :math:`s_i^2` the variance of item :math:`i`
    and :math:`s_X^2` the variance of the sum score. The :math:`100(1-p)\,\%` interval of
    Feldt, Woodruff & Salih (1987), with :math:`n` complete responses, is

    .. math::

        \left[\,1 - (1-\alpha)\,F_{1-p/2},\; 1 - (1-\alpha)\,F_{p/2}\,\right],
        \qquad F_q = F^{-1}_{q}\bigl(n-1,\,(n-1)(k-1)\bigr),

    the interval of ``psych::alpha.ci`` and ``pingouin.cronbach_alpha``.

    Parameters
    ----------
    items : DataFrame
        One column per item (at least two), one row per response; ``NaN`` = missing.
    ci : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    DataFrame
        One row: ``alpha, ci_low, ci_high, n, k, ci_method`` (``n`` complete responses,
        ``k`` items; ``ci_method`` is ``"feldt"``). Unitless.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16, 297–334.

    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
    coefficient alpha. *Applied Psychological Measurement*, 11, 93–103.
    """
    if not 0 < ci < 1:
        raise ValueError("ci must be in (0, 1)")
    x = _complete(items).to_numpy()
    n, k = x.shape
    a = _alpha_value(x)
    p = 1.0 - ci
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lo = 1.0 - (1.0 - a) * stats.f.ppf(1.0 - p / 2.0, df1, df2)
    hi = 1.0 - (1.0 - a) * stats.f.ppf(p / 2.0, df1, df2)
    return pd.DataFrame(
        [{"alpha": a, "ci_low": lo, "ci_high": hi, "n": n, "k": k, "ci_method": "feldt"}]
    )


def one_factor_ml(items: pd.DataFrame) -> pd.DataFrame:
    r"""Standardised loadings and uniquenesses of a one-factor maximum-likelihood model.

    Fits the common-factor model :math:`R = \lambda\lambda^\top + \Psi` to the correlation
    matrix of the complete cases by maximum likelihood (statsmodels
    ``Factor(method="ml")``), like ``psych::fa(x, nfactors = 1, fm = "ml")`` and
    ``factanal``. Loadings are oriented so that their sum is positive.

    Parameters
    ----------
    items : DataFrame
        One column per item (at least three), one row per response.

    Returns
    -------
    DataFrame
        One row per item: ``item, loading, uniqueness`` (standardised, unitless). The
        frame's ``attrs`` hold ``n`` (complete responses) and ``converged``.

    Warns
    -----
    RuntimeWarning
        If the optimiser did not converge or a uniqueness is at its lower bound
        (a Heywood case).

    References
    ----------
    Jöreskog, K. G. (1967). Some contributions to maximum likelihood factor analysis.
    *Psychometrika*, 32, 443–482.
    """
    from statsmodels.multivariate.factor import Factor

    x = _complete(items, min_items=3)
    corr = np.corrcoef(x.to_numpy(), rowvar=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = Factor(corr=corr, n_factor=1, method="ml", nobs=len(x)).fit()
    for w in caught:  # re-raise what statsmodels said, never swallow it
        warnings.warn(f"factor analysis: {w.message}", RuntimeWarning, stacklevel=2)
    lam = np.asarray(res.loadings)[:, 0]
    if lam.sum() < 0:
        lam = -lam
    psi = np.asarray(res.uniqueness)
    converged = bool(getattr(res, "mle_retvals", {}).get("converged", True))
    if not converged:
        warnings.warn("one-factor ML model did not converge", RuntimeWarning, stacklevel=2)
    if np.any(psi < 0.01):
        warnings.warn(
            "Heywood case: a uniqueness is near zero; omega is unreliable",
            RuntimeWarning,
            stacklevel=2,
        )
    out = pd.DataFrame({"item": list(x.columns), "loading": lam, "uniqueness": psi})
    out.attrs.update(n=len(x), converged=converged)
    return out


def omega_total(items: pd.DataFrame) -> pd.DataFrame:
    r"""McDonald's :math:`\omega_t` from a one-factor maximum-likelihood model.

    .. math::

        \omega_t = \frac{\left(\sum_i \lambda_i\right)^2}
                        {\left(\sum_i \lambda_i\right)^2 + \sum_i \psi_i}

    with standardised loadings :math:`\lambda_i` and uniquenesses :math:`\psi_i` from
    :func:`one_factor_ml` (complete cases). Equals
    ``sum(f$loadings)^2 / (sum(f$loadings)^2 + sum(f$uniquenesses))`` for
    ``f <- psych::fa(x, nfactors = 1, fm = "ml")``.

    Parameters
    ----------
    items : DataFrame
        One column per item (at least three), one row per response.

    Returns
    -------
    DataFrame
        One row: ``omega, n, k, converged``. Unitless.

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Mahwah, NJ: Erlbaum.

    Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the glb.
    *Psychometrika*, 74, 145–154.
    """
    fa = one_factor_ml(items)
    s = fa["loading"].sum()
    omega = s**2 / (s**2 + fa["uniqueness"].sum())
    return pd.DataFrame(
        [{"omega": float(omega), "n": fa.attrs["n"], "k": len(fa),
          "converged": fa.attrs["converged"]}]
    )


def item_total(items: pd.DataFrame, flag_below: float = ITEM_TOTAL_FLAG) -> pd.DataFrame:
    r"""Corrected item–total correlations and :math:`\alpha` if an item is dropped.

    The corrected item–total correlation of item :math:`i` is the Pearson correlation
    of the item with the sum of the *other* items, :math:`r(x_i, X - x_i)`
    (``r.drop`` of ``psych::alpha``). Complete cases.

    Parameters
    ----------
    items : DataFrame
        One column per item (at least three), one row per response.
    flag_below : float, default 0.30
        Items whose corrected correlation is below this are flagged.

    Returns
    -------
    DataFrame
        One row per item: ``item, r_drop, alpha_if_dropped, flag``.

    References
    ----------
    Nunnally, J. C., & Bernstein, I. H. (1994). *Psychometric theory* (3rd ed.).
    New York: McGraw-Hill.
    """
    x = _complete(items, min_items=3)
    arr = x.to_numpy()
    total = arr.sum(axis=1)
    rows = []
    for j, name in enumerate(x.columns):
        rest = total - arr[:, j]
        if np.std(arr[:, j]) == 0 or np.std(rest) == 0:
            r = float("nan")
        else:
            r = float(np.corrcoef(arr[:, j], rest)[0, 1])
        a_drop = _alpha_value(np.delete(arr, j, axis=1))
        rows.append({"item": name, "r_drop": r, "alpha_if_dropped": a_drop,
                     "flag": bool(np.isnan(r) or r < flag_below)})
    out = pd.DataFrame(rows)
    out.attrs["n"] = len(x)
    return out


def missingness(items: pd.DataFrame) -> pd.DataFrame:
    """Missing answers per item.

    Parameters
    ----------
    items : DataFrame
        One column per item, one row per response; ``NaN`` = missing.

    Returns
    -------
    DataFrame
        One row per item: ``item, n, n_missing, share_missing`` (``n`` = all rows; share
        as a proportion 0–1).
    """
    x = _numeric_items(items, min_items=1)
    n = len(x)
    miss = x.isna().sum(axis=0)
    return pd.DataFrame({
        "item": list(x.columns),
        "n": n,
        "n_missing": miss.to_numpy().astype(int),
        "share_missing": (miss / n).to_numpy() if n else np.nan,
    })


def floor_ceiling(items: pd.DataFrame, low: float, high: float) -> pd.DataFrame:
    """Share of answers at the lowest and highest response option, per item.

    Parameters
    ----------
    items : DataFrame
        One column per item, one row per response.
    low, high : float
        The lowest and highest possible answer (e.g. 1 and 4).

    Returns
    -------
    DataFrame
        One row per item: ``item, n_answered, share_floor, share_ceiling``
        (proportions 0–1 of the answered, non-missing responses).

    References
    ----------
    Terwee, C. B., et al. (2007). Quality criteria were proposed for measurement properties
    of health status questionnaires. *J Clin Epidemiol*, 60, 34–42 (floor/ceiling effects
    when more than 15 % answer at an extreme).
    """
    if not low < high:
        raise ValueError("low must be below high")
    x = _numeric_items(items, min_items=1)
    answered = x.notna().sum(axis=0)
    floor = (x == low).sum(axis=0) / answered.replace(0, np.nan)
    ceiling = (x == high).sum(axis=0) / answered.replace(0, np.nan)
    return pd.DataFrame({
        "item": list(x.columns),
        "n_answered": answered.to_numpy().astype(int),
        "share_floor": floor.to_numpy(),
        "share_ceiling": ceiling.to_numpy(),
    })


def item_analysis(
    items: pd.DataFrame, low: float, high: float, flag_below: float = ITEM_TOTAL_FLAG
) -> pd.DataFrame:
    """Per-item table: missingness, floor/ceiling shares, corrected item–total correlation.

    Combines :func:`missingness`, :func:`floor_ceiling` and :func:`item_total`.

    Returns
    -------
    DataFrame
        One row per item: ``item, n, n_missing, share_missing, share_floor,
        share_ceiling, r_drop, alpha_if_dropped, flag``.
    """
    m = missingness(items)
    fc = floor_ceiling(items, low, high).drop(columns="n_answered")
    it = item_total(items, flag_below)
    return m.merge(fc, on="item").merge(it, on="item")


def reliability(items: pd.DataFrame, ci: float = 0.95) -> pd.DataFrame:
    """Scale-level reliability summary: α with Feldt CI and ω total (complete cases).

    Returns
    -------
    DataFrame
        One row: ``alpha, ci_low, ci_high, ci_method, omega, n, k, n_flagged``
        (``n_flagged`` = items with corrected item–total correlation < .30).
    """
    a = cronbach_alpha(items, ci)
    row = a.iloc[0].to_dict()
    try:
        row["omega"] = float(omega_total(items)["omega"].iloc[0])
    except ValueError as exc:  # fewer than three items
        logger.info("omega not computed: %s", exc)
        row["omega"] = float("nan")
    if items.shape[1] >= 3:
        row["n_flagged"] = int(item_total(items)["flag"].sum())
    else:
        row["n_flagged"] = 0
    cols = ["alpha", "ci_low", "ci_high", "ci_method", "omega", "n", "k", "n_flagged"]
    return pd.DataFrame([row])[cols]


def feldt_two_alphas(alpha1: float, n1: int, alpha2: float, n2: int) -> tuple[float, float]:
    r"""Feldt's test that two independent samples' Cronbach's α are equal.

    .. math:: W = \frac{1 - \alpha_1}{1 - \alpha_2} \sim F(n_1 - 1,\ n_2 - 1)

    under :math:`H_0: \alpha_1 = \alpha_2`; the p-value is two-sided,
    :math:`2 \min(F(W), 1 - F(W))`.

    Returns
    -------
    (W, p_value)

    References
    ----------
    Feldt, L. S. (1969). A test of the hypothesis that Cronbach's alpha or Kuder-Richardson
    coefficient twenty is the same for two tests. *Psychometrika*, 34, 363–373.
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient
    alpha. *Applied Psychological Measurement*, 11(1), 93–103.
    """
    if n1 < 2 or n2 < 2:
        raise ValueError("each sample needs at least 2 responses")
    if not (alpha1 < 1 and alpha2 < 1):
        raise ValueError("alpha must be below 1")
    w = (1.0 - alpha1) / (1.0 - alpha2)
    f = stats.f(n1 - 1, n2 - 1)
    p = float(min(1.0, 2.0 * min(f.cdf(w), f.sf(w))))
    return float(w), p


def language_equivalence(groups: dict[str, pd.DataFrame], alpha_level: float = 0.05,
                         alpha_diff: float = ALPHA_DIFF,
                         item_diff: float = ITEM_PATTERN_DIFF) -> pd.DataFrame:
    r"""A simple measurement-equivalence screen of one scale across language versions.

    Every pair of language versions is compared (independent samples, complete cases):

    1. **Reliability**: Feldt's test of equal α (:func:`feldt_two_alphas`), Holm-adjusted over all
       pairs; a pair differs when the adjusted p < ``alpha_level`` **and** :math:`|\Delta\alpha|` ≥
       ``alpha_diff`` (.05), so that a trivial difference in a large sample does not count.
    2. **Item pattern**: an item's corrected item–total correlation (:func:`item_total`) differs by
       more than ``item_diff`` (.20).

    A language version is flagged when it differs from **every** other version (in α, or in the same
    item): with three or more versions this points at the odd one out rather than at every version
    compared with it; with two versions both are flagged (the data cannot tell which one is off).

    This screens for non-equivalence; it does not establish invariance (multi-group confirmatory factor
    analysis would, and needs a SEM package and larger samples per language).

    Parameters
    ----------
    groups : dict of DataFrame
        Language code → item scores (one column per item, same columns in every frame).

    Returns
    -------
    DataFrame
        One row per language: ``language, n, alpha, alpha_rest, p_holm, alpha_flag, item_r,
        items_flagged, flag``. ``alpha_rest`` is α of the other versions pooled (for display);
        ``p_holm`` the largest Holm-adjusted p of the version's pairs; ``item_r`` a dict item → r
        (empty for scales of fewer than three items).
    """
    frames = {k: _complete_or_empty(v) for k, v in groups.items()}
    langs = [k for k, v in frames.items() if len(v) >= 3]
    alpha = {k: _alpha_value(frames[k].to_numpy()) for k in langs}
    item_r: dict[str, dict[str, float]] = {}
    for k in langs:
        if frames[k].shape[1] >= 3:
            item_r[k] = {str(i): float(r) for i, r in item_total(frames[k]).set_index("item")["r_drop"].items()}
        else:
            item_r[k] = {}
    pairs = [(a, b) for i, a in enumerate(langs) for b in langs[i + 1:]]
    p_raw = []
    for a, b in pairs:
        if alpha[a] < 1 and alpha[b] < 1:
            p_raw.append(feldt_two_alphas(alpha[a], len(frames[a]), alpha[b], len(frames[b]))[1])
        else:
            p_raw.append(float("nan"))
    p_adj = dict(zip(pairs, [float("nan")] * len(pairs)))
    ok = [i for i, p in enumerate(p_raw) if np.isfinite(p)]
    if ok:
        from statsmodels.stats.multitest import multipletests

        adj = multipletests([p_raw[i] for i in ok], method="holm")[1]
        for i, pa in zip(ok, adj):
            p_adj[pairs[i]] = float(pa)

    def pair_p(a: str, b: str) -> float:
        return p_adj.get((a, b), p_adj.get((b, a), float("nan")))

    rows = []
    for k in langs:
        others = [m for m in langs if m != k]
        row: dict = {"language": k, "n": len(frames[k]), "alpha": alpha[k], "alpha_rest": None,
                     "p_holm": None, "alpha_flag": False, "item_r": item_r[k], "items_flagged": [],
                     "flag": False}
        if others:
            rest = pd.concat([frames[m] for m in others])
            row["alpha_rest"] = _alpha_value(rest.to_numpy())
            ps = [pair_p(k, m) for m in others]
            if all(np.isfinite(p) for p in ps):
                row["p_holm"] = max(ps)
                row["alpha_flag"] = all(p < alpha_level and abs(alpha[k] - alpha[m]) >= alpha_diff
                                        for p, m in zip(ps, others))
            row["items_flagged"] = [
                i for i, r in item_r[k].items()
                if np.isfinite(r) and all(i in item_r[m] and np.isfinite(item_r[m][i])
                                          and abs(r - item_r[m][i]) > item_diff for m in others)]
        row["flag"] = bool(row["alpha_flag"] or row["items_flagged"])
        rows.append(row)
    return pd.DataFrame(rows, columns=["language", "n", "alpha", "alpha_rest", "p_holm", "alpha_flag",
                                       "item_r", "items_flagged", "flag"])


def _complete_or_empty(items: pd.DataFrame) -> pd.DataFrame:
    return items.apply(pd.to_numeric, errors="coerce").dropna()
