"""Placebo (permutation) inference for a difference-in-differences pilot in one or few regions.

:func:`permutation_did` reassigns the treatment to each unit in turn and compares the actual
studentised estimate with the placebo ones (:mod:`wellbeing.core.pilot_inference`; valid with
unequal region sizes). :data:`ONE_TREATED_CLUSTER_NOTE` says why a pilot in one region needs it.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd

from .formula import complete_rows

#: Why a pilot in one region needs permutation inference (DESIGN.md section 6).
ONE_TREATED_CLUSTER_NOTE = (
    "With a single treated cluster, cluster-robust standard errors are unreliable: the "
    "treated cluster's residuals are forced close to zero by its own treatment dummy, so the "
    "variance is badly underestimated and tests over-reject (MacKinnon & Webb 2017, 2018); "
    "the estimate is therefore judged by placebo (permutation) inference, reassigning the "
    "treatment to each unit in turn."
)


def treated_units(data: pd.DataFrame, unit: str, treated: str) -> list[Any]:
    """The units with any treated row (``treated`` > 0), sorted."""
    return sorted(data.loc[data[treated].astype(float) > 0, unit].unique().tolist())


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
    from ..pilot_inference import studentised_permutation

    if statistic not in ("t", "estimate"):
        raise ValueError(f"statistic must be 't' or 'estimate', got {statistic!r}")
    d = complete_rows(data, [outcome, unit, time, treated]).reset_index(drop=True)
    D = d[treated].astype(float).to_numpy()
    tr_units = treated_units(d, unit, treated)
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
