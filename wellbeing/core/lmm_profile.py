"""lme4's profiled deviance of a linear mixed model with one grouping factor.

The job of this module: evaluate and minimise the criterion lme4 minimises, exactly, from group
cross-products only, so that :func:`wellbeing.core.stats.mixed.fit_mixed` can (a) start statsmodels at
the optimum, (b) certify statsmodels' answer (a fit that does not reach this optimum is not
accepted), (c) compute lme4's fixed-effect covariance :math:`\\hat\\sigma^2 (X^\\top V^{-1} X)^{-1}`
and (d) test singularity by the profile at the boundary, without depending on the outcome's units.

Model (Bates, Mächler, Bolker & Walker 2015, *J. Stat. Softw.* 67(1), section 3):

.. math::

    y = X\\beta + Z b + \\varepsilon,\\quad b_g \\sim N(0, \\sigma^2 \\Lambda_\\theta\\Lambda_\\theta^\\top),
    \\quad \\varepsilon \\sim N(0, \\sigma^2 I)

with :math:`\\Lambda_\\theta` the lower-triangular :math:`q\\times q` relative Cholesky factor (the
same for every group; ``theta`` its lower triangle in row-major order, diagonal ≥ 0). With
:math:`A_g = Z_g^\\top Z_g`, :math:`B_g = Z_g^\\top X_g`, :math:`c_g = Z_g^\\top y_g` and
:math:`M_g = I + \\Lambda^\\top A_g \\Lambda`, Woodbury's identity gives
:math:`X^\\top V^{-1}X = X^\\top X - \\sum_g B_g^\\top \\Lambda M_g^{-1}\\Lambda^\\top B_g` (V scaled by
:math:`\\sigma^2`), and likewise for :math:`X^\\top V^{-1}y` and :math:`y^\\top V^{-1} y`;
:math:`\\log|V| = \\sum_g \\log|M_g|`. With :math:`r^2 = y^\\top V^{-1}y - \\hat\\beta^\\top X^\\top V^{-1} y`
the profiled deviances (eqs. 34 and 41 of Bates et al. 2015) are

.. math::

    d_{ML}(\\theta) = \\sum_g \\log|M_g| + N\\,[1 + \\log(2\\pi r^2/N)]

    d_{REML}(\\theta) = \\sum_g \\log|M_g| + \\log|X^\\top V^{-1}X| + (N-p)\\,[1 + \\log(2\\pi r^2/(N-p))]

and :math:`\\hat\\sigma^2 = r^2/N` (ML) or :math:`r^2/(N-p)` (REML). For a random intercept
(:math:`q = 1`) every quantity depends on group sizes and group sums only, so one evaluation costs
:math:`O(Gp^2)` whatever :math:`N`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

__all__ = ["Profile", "ProfileFit", "theta_from_cov"]


@dataclass(frozen=True)
class ProfileFit:
    """Estimates at one ``theta``.

    ``beta`` (p,), ``vcov`` (p, p) = :math:`\\hat\\sigma^2 (X^\\top V^{-1}X)^{-1}` (lme4's ``vcov``),
    ``sigma2`` residual variance, ``cov_re`` (q, q) random-effect covariance (outcome units²),
    ``deviance`` (−2 log-likelihood, ML or REML), ``theta``.
    """

    theta: np.ndarray
    beta: np.ndarray
    vcov: np.ndarray
    sigma2: float
    cov_re: np.ndarray
    deviance: float


def _lower(theta: np.ndarray, q: int) -> np.ndarray:
    L = np.zeros((q, q))
    L[np.tril_indices(q)] = theta
    return L


def theta_from_cov(cov_re: np.ndarray, sigma2: float) -> np.ndarray:
    """``theta`` of a random-effect covariance (outcome units²) and residual variance.

    Cholesky of ``cov_re / sigma2``; a singular matrix gets the pivot-free LDLᵀ-like factor with
    zero columns where the variance is zero (eigen-decomposition fallback).
    """
    c = np.atleast_2d(np.asarray(cov_re, dtype=float)) / float(sigma2)
    q = c.shape[0]
    try:
        L = np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh((c + c.T) / 2)
        w = np.clip(w, 0, None)
        # a lower-triangular square root via QR of (V sqrt(W))^T
        r: np.ndarray = np.linalg.qr((v * np.sqrt(w)).T, mode="r")  # type: ignore[assignment]  # mode="r": R only
        L = r.T
        s = np.sign(np.diag(L))
        s[s == 0] = 1
        L = L * s
    return L[np.tril_indices(q)]


class Profile:
    """Sufficient statistics of one data set and its profiled deviance.

    Parameters
    ----------
    X : (N, p) fixed-effect design
    Z : (N, q) random-effect design (column of ones for a random intercept)
    y : (N,) outcome
    groups : (N,) integer group codes 0..G-1
    reml : bool
        REML (default, lme4's default) or ML criterion.

    Raises
    ------
    ValueError
        If the shapes disagree, N ≤ p, or X is rank deficient.
    """

    def __init__(self, X: np.ndarray, Z: np.ndarray, y: np.ndarray, groups: np.ndarray,
                 reml: bool = True) -> None:
        X = np.asarray(X, dtype=float)
        Z = np.asarray(Z, dtype=float)
        y = np.asarray(y, dtype=float).ravel()
        g = np.asarray(groups)
        if X.ndim != 2 or Z.ndim != 2 or len(X) != len(y) or len(Z) != len(y) or len(g) != len(y):
            raise ValueError("X, Z, y and groups must have the same number of rows")
        self.N, self.p = X.shape
        self.q = Z.shape[1]
        if self.N <= self.p:
            raise ValueError(f"{self.N} observations for {self.p} fixed effects")
        if np.linalg.matrix_rank(X) < self.p:
            raise ValueError("the fixed-effect design is rank deficient (collinear predictors)")
        codes, g = np.unique(g, return_inverse=True)
        self.G = len(codes)
        self.reml = reml
        G, q, p = self.G, self.q, self.p
        self.XtX = X.T @ X
        self.Xty = X.T @ y
        self.yty = float(y @ y)
        # per-group cross-products, summed by bincount over flattened outer products
        def gsum(M: np.ndarray) -> np.ndarray:
            flat = M.reshape(len(y), -1)
            out = np.empty((G, flat.shape[1]))
            for j in range(flat.shape[1]):
                out[:, j] = np.bincount(g, weights=flat[:, j], minlength=G)
            return out

        self.A = gsum(Z[:, :, None] * Z[:, None, :]).reshape(G, q, q)
        self.B = gsum(Z[:, :, None] * X[:, None, :]).reshape(G, q, p)
        self.c = gsum(Z * y[:, None]).reshape(G, q)
        self.n_theta = q * (q + 1) // 2
        self._tril = np.tril_indices(q)
        self._diag = np.array([i == j for i, j in zip(*self._tril)])

    # ---------------------------------------------------------------------------------------
    def _pieces(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, float]:
        L = np.zeros((self.q, self.q))
        L[self._tril] = theta
        LtA = np.einsum("ji,gjk->gik", L, self.A)                 # Λ' A_g
        M = np.einsum("gik,kl->gil", LtA, L) + np.eye(self.q)      # I + Λ' A_g Λ
        LtB = np.einsum("ji,gjk->gik", L, self.B)                  # Λ' B_g  (G, q, p)
        Ltc = np.einsum("ji,gj->gi", L, self.c)                    # Λ' c_g  (G, q)
        Ch = np.linalg.cholesky(M)
        logdet = 2.0 * float(np.log(np.diagonal(Ch, axis1=1, axis2=2)).sum())
        rhs = np.concatenate([LtB, Ltc[:, :, None]], axis=2)       # (G, q, p+1)
        W = np.linalg.solve(Ch, rhs)                               # Ch^-1 [Λ'B, Λ'c]
        S = np.einsum("gqi,gqj->ij", W, W)                         # sum_g rhs' M^-1 rhs
        XtVX = self.XtX - S[:-1, :-1]
        XtVy = self.Xty - S[:-1, -1]
        ytVy = self.yty - S[-1, -1]
        return logdet, XtVX, XtVy, ytVy

    def deviance(self, theta: np.ndarray) -> float:
        """Profiled deviance (−2 log-likelihood, REML or ML) at ``theta``; ``inf`` if undefined."""
        try:
            logdet, XtVX, XtVy, ytVy = self._pieces(theta)
            cx = np.linalg.cholesky(XtVX)
        except np.linalg.LinAlgError:
            return math.inf
        beta = np.linalg.solve(XtVX, XtVy)
        r2 = float(ytVy - beta @ XtVy)
        if not r2 > 0:
            return math.inf
        if self.reml:
            nu = self.N - self.p
            return logdet + 2.0 * float(np.log(np.diag(cx)).sum()) + nu * (1 + math.log(2 * math.pi * r2 / nu))
        return logdet + self.N * (1 + math.log(2 * math.pi * r2 / self.N))

    def at(self, theta: np.ndarray) -> ProfileFit:
        """Estimates at ``theta`` (lme4's ``fixef``, ``vcov``, ``sigma^2``, ``VarCorr``)."""
        theta = np.asarray(theta, dtype=float)
        logdet, XtVX, XtVy, ytVy = self._pieces(theta)
        beta = np.linalg.solve(XtVX, XtVy)
        r2 = float(ytVy - beta @ XtVy)
        sigma2 = r2 / (self.N - self.p if self.reml else self.N)
        L = _lower(theta, self.q)
        return ProfileFit(theta=theta, beta=beta, vcov=sigma2 * np.linalg.inv(XtVX), sigma2=sigma2,
                          cov_re=sigma2 * (L @ L.T), deviance=self.deviance(theta))

    def bounds(self) -> list[tuple[float | None, float | None]]:
        """lme4's box: diagonal elements of Λ ≥ 0, off-diagonal free."""
        return [(0.0, None) if d else (None, None) for d in self._diag]

    # ---------------------------------------------------------------------------------------
    def minimise(self, start: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Minimise the profiled deviance; returns ``(theta, info)``.

        q = 1: a grid over log θ ∈ [−9, 5] plus θ = 0, then bounded Brent in the best bracket
        (θ ≥ 0). q > 1: L-BFGS-B within lme4's box from ``start`` (default: the identity, lme4's
        start) and Nelder–Mead polishing; the better of the two. ``info``: ``deviance``,
        ``evaluations``, ``method``.
        """
        if self.q == 1:
            grid = np.concatenate([[0.0], np.exp(np.linspace(-9, 5, 57))])
            devs = np.array([self.deviance(np.array([t])) for t in grid])
            k = int(np.argmin(devs))
            lo = grid[max(k - 1, 0)]
            hi = grid[min(k + 1, len(grid) - 1)]
            r = optimize.minimize_scalar(lambda t: self.deviance(np.array([t])), bounds=(lo, hi),
                                         method="bounded", options={"xatol": 1e-10 * max(hi, 1e-3)})
            best = float(r.x) if r.fun <= devs[k] else float(grid[k])
            if self.deviance(np.array([0.0])) <= min(r.fun, devs[k]):
                best = 0.0
            theta = np.array([best])
            return theta, {"deviance": self.deviance(theta), "evaluations": len(grid) + int(r.nfev),
                           "method": "grid + bounded Brent"}
        x0 = np.asarray(start, dtype=float) if start is not None else np.where(self._diag, 1.0, 0.0)
        fun = self.deviance
        cands = []
        r1 = optimize.minimize(fun, x0, method="L-BFGS-B", bounds=self.bounds(),
                               options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 2000})
        cands.append(r1)

        def boxed(t: np.ndarray) -> float:
            return fun(np.where(self._diag, np.abs(t), t))

        r2 = optimize.minimize(boxed, r1.x, method="Nelder-Mead",
                               options={"xatol": 1e-8, "fatol": 1e-10, "adaptive": True,
                                        "maxfev": 400 * self.n_theta})
        r2.x = np.where(self._diag, np.abs(r2.x), r2.x)
        cands.append(r2)
        best = min(cands, key=lambda r: r.fun)
        return np.asarray(best.x), {"deviance": float(best.fun),
                                    "evaluations": int(sum(r.nfev for r in cands)),
                                    "method": "L-BFGS-B + Nelder-Mead"}

    def hessian_pd(self, theta: np.ndarray, rel_step: float = 1e-4) -> bool:
        """True if the deviance's finite-difference Hessian in the free (interior) θ is positive definite.

        Coordinates on the boundary (a diagonal element of Λ at 0) are left out: there the
        criterion is judged by :meth:`boundary_ok`.
        """
        theta = np.asarray(theta, dtype=float)
        free = [i for i in range(self.n_theta) if not (self._diag[i] and theta[i] <= 1e-8)]
        if not free:
            return True
        k = len(free)
        H = np.empty((k, k))
        h = [rel_step * max(abs(theta[i]), 1e-2) for i in free]
        f0 = self.deviance(theta)

        def f(di: dict[int, float]) -> float:
            t = theta.copy()
            for i, v in di.items():
                t[i] += v
            return self.deviance(t)

        for a, i in enumerate(free):
            for b, j in enumerate(free[a:], start=a):
                if a == b:
                    H[a, a] = (f({i: h[a]}) - 2 * f0 + f({i: -h[a]})) / h[a] ** 2
                else:
                    H[a, b] = H[b, a] = (f({i: h[a], j: h[b]}) - f({i: h[a], j: -h[b]})
                                         - f({i: -h[a], j: h[b]}) + f({i: -h[a], j: -h[b]})) / (4 * h[a] * h[b])
        if not np.all(np.isfinite(H)):
            return False
        return bool(np.linalg.eigvalsh((H + H.T) / 2).min() > 0)

    def boundary_ok(self, theta: np.ndarray, step: float = 1e-4) -> bool:
        """At a boundary θ (a diagonal element 0), moving into the interior does not lower the deviance."""
        theta = np.asarray(theta, dtype=float)
        f0 = self.deviance(theta)
        for i in range(self.n_theta):
            if self._diag[i] and theta[i] <= 1e-8:
                t = theta.copy()
                t[i] = step
                if self.deviance(t) < f0 - 1e-9:
                    return False
        return True
