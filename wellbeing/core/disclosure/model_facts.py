"""Released model terms as linear facts about the joint cells' score sums (issue 14, item 4).

A model's point estimates are linear in the outcome vector: ``beta = L y`` with
``L = (X' W X)^-1 X' W``. For OLS and cluster-robust OLS ``W = I``; for the random-intercept mixed
model and the exchangeable GEE, given their variance components, ``W`` is block-diagonal per pool with
``W_p = I - gamma_p J`` (``gamma_p = tau^2 / (sigma^2 + n_p tau^2)`` for the mixed model,
``rho / (1 - rho + n_p rho)`` for the GEE; Searle, Casella and McCulloch 1992, *Variance
Components*, ch. 6). When every predictor is constant within a joint cell (reporting group, language,
context values, wave), the columns of ``L`` are equal within a cell, so ``beta_k = sum_j c_kj S_j`` with
``c_kj`` the common column of ``L`` in cell ``j``: a released estimate rounded at ``half`` is the fact
``beta_k - half <= c_k . S <= beta_k + half``, added to the auditor's program
(:func:`wellbeing.core.disclosure.joint.audit_facts`). The auditor grants the attacker the variance
components (the released standard errors and ICC tell them).
"""

from __future__ import annotations

import numpy as np


class ModelAuditError(ValueError):
    """A model whose estimates are not a function of the joint cells' sums (cannot be audited)."""


def linear_map(exog: np.ndarray, groups: np.ndarray | None = None, gamma: dict | None = None) -> np.ndarray:
    """``L`` of ``beta = L y`` for GLS with per-group weight ``W_g = I - gamma_g J``.

    Parameters
    ----------
    exog : ndarray, shape (N, p)
        Design matrix of the fitted model (rows = respondents).
    groups : ndarray, shape (N,), optional
        Pool of each row; with ``gamma`` the within-pool weight.
    gamma : dict pool -> float, optional
        ``gamma_g`` per pool; absent pools have 0 (OLS).

    Returns
    -------
    ndarray, shape (p, N)

    Raises
    ------
    ModelAuditError
        When ``X' W X`` is singular.
    """
    x = np.asarray(exog, dtype=float)
    wx = x.copy()
    if groups is not None and gamma:
        g = np.asarray(groups)
        for pool, gm in gamma.items():
            rows = g == pool
            if gm and rows.any():
                wx[rows] -= gm * x[rows].sum(axis=0)
    a = x.T @ wx
    try:
        return np.linalg.solve(a, wx.T)
    except np.linalg.LinAlgError as exc:
        raise ModelAuditError(f"singular design: {exc}") from exc


def cell_coefficients(lmap: np.ndarray, cell_of_row: np.ndarray, n_cells: int, tol: float = 1e-8) -> np.ndarray:
    """``L``'s common column per joint cell: ``C`` of shape (p, n_cells) with ``beta = C @ S``
    (``S``: the cells' score sums; a cell without rows gets 0).

    Raises
    ------
    ModelAuditError
        When the columns of ``L`` differ within a cell (a predictor varies inside a joint cell).
    """
    cell_of_row = np.asarray(cell_of_row, dtype=int)
    p = lmap.shape[0]
    c = np.zeros((p, n_cells))
    np.add.at(c.T, cell_of_row, lmap.T)
    counts = np.bincount(cell_of_row, minlength=n_cells).astype(float)
    mean_col = np.divide(c, counts, out=np.zeros_like(c), where=counts > 0)
    spread = np.abs(lmap - mean_col[:, cell_of_row]).max() if lmap.size else 0.0
    scale = max(1.0, float(np.abs(lmap).max()) if lmap.size else 1.0)
    if spread > tol * scale:
        raise ModelAuditError("a predictor varies within a joint cell")
    return mean_col


def term_facts(coef: np.ndarray, estimates: np.ndarray, half: float) -> list[tuple[np.ndarray, float, float]]:
    """One ``(coefficients, low, high)`` fact per released estimate (``half``: half a released unit)."""
    return [(coef[k], float(b) - half, float(b) + half) for k, b in enumerate(estimates) if np.isfinite(b)]
