"""The fitting strategy of the linear mixed model, certified by lme4's profiled deviance.

:func:`fit_by_strategy` minimises lme4's profiled deviance (:mod:`wellbeing.core.lmm_profile`) first,
then starts statsmodels ``MixedLM`` at that optimum with each optimiser of :data:`OPTIMISERS` (lbfgs,
Nelder–Mead, Powell) until one converges there with a finite likelihood and a positive-definite
Hessian; otherwise :class:`ModelRefused` and no estimate may be shown. :func:`is_singular` is lme4's
unit-free singularity test (:data:`SINGULAR_TOL`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..lmm_profile import theta_from_cov
from .recording import WarningRecorder, add_warning

#: lme4's ``isSingular`` tolerance on the relative standard deviation of a random effect
#: (a diagonal element of the relative Cholesky factor θ; lme4 ``isSingular(tol = 1e-4)``).
SINGULAR_TOL = 1e-4


#: Optimisers tried in this order by :func:`fit_mixed` (statsmodels method names: L-BFGS,
#: Nelder–Mead, Powell), each started at lme4's profiled optimum.
OPTIMISERS = ("lbfgs", "nm", "powell")


#: An attempt must reach the profiled optimum to this relative deviance tolerance.
DEVIANCE_TOL = 1e-6


class ModelRefused(RuntimeError):
    """No optimiser reached a valid optimum: no estimate may be shown.

    ``reasons``: one line per attempt (optimiser and why it was rejected).
    """

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = list(reasons)
        super().__init__("mixed model not fitted: " + "; ".join(self.reasons))


@dataclass
class MixedFit:
    """The accepted attempt of :func:`fit_by_strategy`, with the profile that certified it."""

    res: Any                      # statsmodels MixedLMResults of the accepted attempt
    profile: Any                  # lmm_profile.Profile of the data
    at: Any                       # lmm_profile.ProfileFit at the accepted estimate
    optimiser: str
    attempts: list[dict[str, Any]]
    deviance_optimum: float


def fit_by_strategy(formula: str, data: pd.DataFrame, group: str, re_formula: str | None,
                    reml: bool, sink: list[str], prefix: str = "") -> MixedFit:
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

    from ..lmm_profile import Profile

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
        add_warning(sink, f"{prefix}the random-intercept variance is not identified: the deviance is the "
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
            with WarningRecorder(att_sink, prefix):
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
        if not reason and th is not None:  # th is computed whenever no reason was found
            singular = is_singular(th, prof.q)
            for w in att_sink:
                if "on the boundary of the parameter space" in w and not singular:
                    w += (" [statsmodels' test is absolute: a variance below 0.01 in the outcome's "
                          "units; relative to the residual variance (lme4's isSingular) the fit is "
                          "not singular]")
                add_warning(sink, w)
            for a in attempts[:-1]:
                add_warning(sink, f"{prefix}optimiser {a['optimiser']} rejected: {a['reason']}")
            return MixedFit(res, prof, prof.at(th), method, attempts, dev_opt)
    raise ModelRefused([f"{prefix}{a['optimiser']}: {a['reason']}" for a in attempts])


def _flat_profile(prof: Any, dev_opt: float) -> bool:
    """True when the profiled deviance does not move with θ (θ from 0 to 10): the random intercept
    is confounded with the fixed effects and has no estimate."""
    devs = [prof.deviance(np.array([t])) for t in (0.0, 0.1, 1.0, 10.0)]
    return bool(max(devs) - min(devs) <= 1e-8 * max(1.0, abs(dev_opt)))


def is_singular(theta: np.ndarray, q: int) -> bool:
    """lme4's ``isSingular``: a diagonal element of the relative Cholesky factor θ below 1e-4.

    θ is the random-effect SD relative to the residual SD, so the test does not depend on the
    outcome's units.
    """
    diag = np.array([i == j for i, j in zip(*np.tril_indices(q))])
    return bool(np.any(np.asarray(theta)[diag] < SINGULAR_TOL))
