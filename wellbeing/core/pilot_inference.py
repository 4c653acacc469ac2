"""Studentised permutation inference for a pilot in few regions (unequal region sizes).

The job of this module: the p-value and confidence interval of a two-way fixed-effects
difference-in-differences estimate when one (or a few) regions are treated, valid when the
regions' sizes differ widely.

Why studentise. Reassigning the treatment to each region and comparing raw estimates
(placebo-in-space, "RI-β") assumes every region's estimate has the same distribution. A small
region's estimate is much noisier than a large one's, so when the pilot is the smallest region
its estimate is the most extreme far more often than 1/R: simulated null pilots with 20 regions
of 40–600 responses per wave reject 16 % of the time at the 5 % level (``benchmarks/null_pilot.py``).
MacKinnon & Webb (2020) show that randomisation inference on a *t*-statistic ("RI-t") instead of
the coefficient repairs most of this; Ferman & Pinto (2019) make it exact up to estimation error
by modelling the variance as a function of group size. Both ideas are used here:

* Model of the noise (Ferman & Pinto's heteroskedasticity from group sizes): each response
  :math:`y_{irt} = \\alpha_r + \\gamma_t + \\delta D_{rt} + c_{rt} + \\varepsilon_{irt}` with a
  region × wave shock :math:`c_{rt} \\sim (0, \\tau^2)` and individual noise
  :math:`\\varepsilon \\sim (0, \\sigma^2)`, so a cell mean of :math:`n_{rt}` responses has variance
  :math:`\\tau^2 + \\sigma^2/n_{rt}`.
* The TWFE estimate is linear in the cell means, :math:`\\hat\\delta = \\sum_c w_c \\bar y_c` with
  :math:`w_c = n_c \\tilde d_c / \\sum_c n_c \\tilde d_c^2` (:math:`\\tilde d` the treatment dummy
  net of the fixed effects, weights :math:`n_c`), hence
  :math:`\\mathrm{Var}(\\hat\\delta) = \\sigma^2 / S + \\tau^2 \\sum_c n_c^2 \\tilde d_c^2 / S^2` with
  :math:`S = \\sum_c n_c \\tilde d_c^2` — different for every placebo assignment.
* :math:`\\hat\\sigma^2` is the pooled within-cell variance (df N − C); :math:`\\hat\\tau^2` the
  REML estimate from the cell means with variances :math:`\\tau^2 + \\hat\\sigma^2/n_c` and the
  region and wave fixed effects (weighted, so a tiny region's noisy cells do not inflate it).
  For the p-value both come from the model *without* the treatment (the null), so they are the
  same for every assignment (the reassignment is then a permutation of statistics computed the
  same way); for the interval from the model with the actual treatment (valid at every
  :math:`\\delta_0`).
  With one response per cell (a panel), only :math:`\\tau^2 + \\sigma^2` is identified and the
  statistic reduces to the homoskedastic one.
* Statistic :math:`t_a = \\hat\\delta_a / \\widehat{\\mathrm{se}}_a` for every assignment
  :math:`a` (the actual one included); two-sided p-value
  :math:`\\#\\{a: |t_a| \\ge |t_{actual}|\\}/R`, floor :math:`1/R`.
* Confidence interval by test inversion: the set of :math:`\\delta_0` not rejected when
  :math:`\\delta_0 D` is subtracted from the outcome (grid of 401 points over ±20 SE, a
  bisection at each end). With :math:`1/R > \\alpha` the interval is unbounded (NaN).

References
----------
MacKinnon, J. G., & Webb, M. D. (2020). Randomization inference for difference-in-differences
with few treated clusters. *Journal of Econometrics*, 218, 435–450.

Ferman, B., & Pinto, C. (2019). Inference in differences-in-differences with few treated groups
and heteroskedasticity. *Review of Economics and Statistics*, 101, 452–467.

Chung, E., & Romano, J. P. (2013). Exact and asymptotically robust permutation tests.
*Annals of Statistics*, 41, 484–507.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

__all__ = ["CellDesign", "studentised_permutation"]


@dataclass(frozen=True)
class CellDesign:
    """Region × wave cells of a repeated cross-section (or panel), with the nuisance variances.

    ``n`` (C,) responses per cell, ``ybar`` (C,) cell means, ``unit``/``time`` (C,) labels,
    ``sigma2`` pooled within-cell variance (NaN for a panel), ``tau2`` cell-shock variance
    (for a panel: the total variance of a cell), ``panel`` one response per cell.
    """

    n: np.ndarray
    ybar: np.ndarray
    unit: np.ndarray
    time: np.ndarray
    within_ss: float
    panel: bool


def _cells(d: pd.DataFrame, outcome: str, unit: str, time: str) -> CellDesign:
    g = d.groupby([unit, time], sort=True)[outcome]
    agg = g.agg(["size", "mean", "var"]).reset_index()
    n = agg["size"].to_numpy(dtype=float)
    within = float(((n - 1) * agg["var"].fillna(0.0)).sum())
    return CellDesign(n=n, ybar=agg["mean"].to_numpy(dtype=float), unit=agg[unit].to_numpy(),
                      time=agg[time].to_numpy(), within_ss=within, panel=bool(n.max() <= 1))


def _fe_matrix(unit: np.ndarray, time: np.ndarray) -> np.ndarray:
    return np.column_stack([
        np.ones(len(unit)),
        pd.get_dummies(pd.Series(unit), drop_first=True, dtype=float).to_numpy(),
        pd.get_dummies(pd.Series(time), drop_first=True, dtype=float).to_numpy(),
    ])


def studentised_permutation(data: pd.DataFrame, outcome: str, unit: str, time: str,
                            assignments: Sequence[Sequence[Any]], treated_periods: Sequence[Any],
                            actual_index: int = 0, ci: float = 0.95) -> dict[str, Any]:
    """Studentised permutation test and interval for a TWFE DiD (see the module docstring).

    Parameters
    ----------
    data : DataFrame
        One row per response (or per unit and period), complete cases.
    outcome, unit, time : str
        Columns: outcome (its own units), unit (region) and period (wave).
    assignments : sequence of unit tuples
        Every treatment assignment to compare (the actual one included).
    treated_periods : sequence
        The periods treated units are treated in (common timing).
    actual_index : int
        Position of the actual assignment in ``assignments``.
    ci : float
        Interval level.

    Returns
    -------
    dict
        ``estimate`` (outcome units), ``std_err`` (model-based, of the actual assignment),
        ``t``, ``p_value``, ``ci_low``, ``ci_high`` (NaN when unbounded), ``sigma2``, ``tau2``,
        ``estimates`` (R,), ``t_values`` (R,), ``std_errs`` (R,).

    Raises
    ------
    ValueError
        If the design leaves no residual degrees of freedom for the noise model.
    """
    cd = _cells(data, outcome, unit, time)
    C = len(cd.n)
    F = _fe_matrix(cd.unit, cd.time)
    # weighted projection (individual-level OLS == cell-level WLS with weights n)
    Wf = F * cd.n[:, None]
    P_w = F @ np.linalg.pinv(F.T @ Wf) @ Wf.T             # fitted values operator, W-metric
    # rank of the fixed effects at the cell level
    Q, R_ = np.linalg.qr(F)
    keep = np.abs(np.diag(R_)) > 1e-10 * np.abs(R_).max()
    Q = Q[:, keep]
    rank = int(keep.sum())
    dof_cells = C - rank
    if dof_cells <= 0:
        raise ValueError("no residual degrees of freedom at the cell level for the noise model")
    N = float(cd.n.sum())
    sigma2 = cd.within_ss / (N - C) if (not cd.panel and N > C) else float("nan")
    tp = set(treated_periods)
    in_periods = np.array([t in tp for t in cd.time])
    D = np.array([[(u in set(a)) and ip for u, ip in zip(cd.unit, in_periods)]
                  for a in assignments], dtype=float)            # (R, C)
    Dres = D - D @ P_w.T                                           # treatment net of the FE
    S = (Dres ** 2 * cd.n).sum(axis=1)                             # (R,)
    if np.any(S <= 1e-12):
        raise ValueError("an assignment is collinear with the fixed effects")
    Wt = Dres * cd.n / S[:, None]                                  # estimate weights on cell means
    s_a = (Wt ** 2 / cd.n).sum(axis=1)                             # coefficient of sigma^2
    t_a = (Wt ** 2).sum(axis=1)                                    # coefficient of tau^2
    def reml_tau2(y: np.ndarray, X: np.ndarray) -> float:
        """REML estimate of the cell-shock variance given sigma^2 (cell variances tau^2 + sigma^2/n)."""
        base = sigma2 / cd.n

        def crit(log_t: float) -> float:
            v = np.exp(log_t) + base
            w = 1.0 / v
            XtW = X.T * w
            A = XtW @ X
            beta = np.linalg.lstsq(A, XtW @ y, rcond=None)[0]
            r = y - X @ beta
            sign, logdet = np.linalg.slogdet(A + 1e-12 * np.eye(len(A)))
            return float(np.log(v).sum() + logdet + (w * r * r).sum())

        scale = float(np.var(y)) + float(base.mean()) + 1e-12
        grid = np.log(scale) + np.linspace(-16, 2, 37)
        vals = [crit(g) for g in grid]
        k = int(np.argmin(vals))
        if k == 0:
            return 0.0  # the criterion keeps falling towards tau^2 = 0
        lo_, hi_ = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
        r = optimize.minimize_scalar(crit, bounds=(lo_, hi_), method="bounded")
        return float(np.exp(r.x))

    def nuisance(y: np.ndarray, X: np.ndarray) -> tuple[float, float]:
        if cd.panel:
            e = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
            return 0.0, float(e @ e) / (C - np.linalg.matrix_rank(X))   # total cell variance
        return sigma2, reml_tau2(y, X)

    s2_null, t2_null = nuisance(cd.ybar, F)                         # H0: no effect, same for all a
    actual = D[actual_index]
    s2_alt, t2_alt = nuisance(cd.ybar, np.column_stack([F, actual]))  # for the interval

    def stats_at(delta0: float, s2: float, t2: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        y = cd.ybar - delta0 * actual
        est = Wt @ y
        se = np.sqrt(s2 * s_a + t2 * t_a)
        return est, se, est / np.where(se > 0, se, np.nan)

    def pval(tv: np.ndarray) -> float:
        ta = abs(tv[actual_index])
        return float((np.abs(tv) >= ta * (1 - 1e-10)).sum() / len(tv))

    est, se, tv = stats_at(0.0, s2_null, t2_null)
    p = pval(tv)
    alpha = 1 - ci
    lo = hi = float("nan")
    R = len(assignments)
    if 1.0 / R <= alpha and math.isfinite(se[actual_index]) and se[actual_index] > 0:
        d_hat, s_hat = float(est[actual_index]), float(se[actual_index])
        grid = d_hat + s_hat * np.linspace(-20, 20, 401)
        acc = np.array([pval(stats_at(g, s2_alt, t2_alt)[2]) > alpha for g in grid])
        if acc.any() and not acc[0] and not acc[-1]:
            idx = np.flatnonzero(acc)

            def edge(a: float, b: float) -> float:  # a rejected, b accepted
                for _ in range(40):
                    mid = (a + b) / 2
                    if pval(stats_at(mid, s2_alt, t2_alt)[2]) > alpha:
                        b = mid
                    else:
                        a = mid
                return b

            lo = edge(float(grid[idx[0] - 1]), float(grid[idx[0]]))
            hi = edge(float(grid[idx[-1] + 1]), float(grid[idx[-1]]))
    s2, t2 = s2_null, t2_null
    return {"estimate": float(est[actual_index]), "std_err": float(se[actual_index]),
            "t": float(tv[actual_index]), "p_value": p, "ci_low": lo, "ci_high": hi,
            "sigma2": s2, "tau2": t2, "estimates": est, "t_values": tv, "std_errs": se,
            "panel": cd.panel, "n_cells": C}
