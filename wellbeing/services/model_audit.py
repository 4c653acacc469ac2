"""Models in the joint audit (issue 14, item 4): a model is released only if its estimates, added to
everything the waves it touches have published, narrow no protected cell below a quarter of the scale.

The design choice is *refuse*, not coarsen: a refused model says why in plain words
(``model_refused``), and the analyst may drop or regroup the covariate.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core.disclosure import ModelCheck
from ..core.disclosure.joint import audit_facts, stack_facts
from ..core.disclosure.model_facts import ModelAuditError, cell_coefficients, linear_map, term_facts
from ..models import Wave
from .results import STANDARD_DIMS, ScaleInfo, release_scale, released_facts

log = logging.getLogger(__name__)

#: Half-width of the interval an estimate is known to. JSON shows estimates at full precision; the
#: auditor uses +-0.0005 points (three decimals) because much tighter rows make the LP numerically
#: infeasible, and at that width it still pins a cell that the estimates pin (see docs/disclosure.md).
TERM_HALF_UNIT = 5e-4
#: Suffix of a context item column renamed beside a schedule feature of the same name.
CONTEXT_SUFFIX = "_context"


def _linear_map(fit) -> tuple[np.ndarray, np.ndarray, pd.Index]:  # type: ignore[no-untyped-def]
    """``(L, estimates, row labels)`` of a statsmodels fit (OLS, MixedLM or GEE with exchangeable)."""
    model = fit.model
    exog = np.asarray(model.exog, dtype=float)
    labels = pd.Index(model.data.row_labels) if getattr(model.data, "row_labels", None) is not None \
        else pd.RangeIndex(len(exog))
    name = type(fit).__name__
    if hasattr(fit, "cov_re") and hasattr(model, "row_indices"):  # MixedLM: GLS given its variance components
        tau2 = float(np.asarray(fit.cov_re)[0, 0])
        sigma2 = float(fit.scale)
        groups = np.empty(len(exog), dtype=object)
        gamma = {}
        for g, rows in model.row_indices.items():
            groups[rows] = g
            gamma[g] = tau2 / (sigma2 + len(rows) * tau2) if tau2 > 0 else 0.0
        return linear_map(exog, groups, gamma), np.asarray(fit.fe_params, dtype=float), labels
    if "GEE" in name:
        rho = float(np.atleast_1d(model.cov_struct.dep_params)[0])
        groups = np.asarray(model.groups)
        gamma = {}
        for g in np.unique(groups):
            m = int((groups == g).sum())
            gamma[g] = rho / (1 - rho + m * rho) if rho else 0.0
        return linear_map(exog, groups, gamma), np.asarray(fit.params, dtype=float), labels
    return linear_map(exog), np.asarray(fit.params, dtype=float), labels


def audit_model(fits: Sequence[object], data: pd.DataFrame, waves: Sequence[Wave], scale: ScaleInfo) -> ModelCheck:
    """Audit released model fits against everything the ledger has released for ``waves`` (their
    standard tables and every breakdown released so far, superseded ones included).

    Parameters
    ----------
    fits : statsmodels results of every released estimator (main model and robustness fits)
    data : the model's rows (``wave``, the standard dimensions and each wave's menu columns)
    waves : the waves the model pools
    scale : the outcome

    Returns
    -------
    ModelCheck
        Released, or ``model_refused`` with the reason in plain words.
    """
    for w in waves:  # the standard table is always released before a model on its wave
        release_scale(w, scale)
    pubs = [released_facts(w, scale) for w in waves]
    facts = stack_facts([p.facts for p in pubs])
    offsets = np.cumsum([0, *[len(p.cells) for p in pubs]])
    cell_of = pd.Series(-1, index=data.index)
    for w, pub, off in zip(waves, pubs, offsets, strict=False):
        keys = [*STANDARD_DIMS, *pub.menu]
        # a context item that shares a schedule feature's name (quick_returns) is carried as
        # "<name>_context" beside the feature (services.analysis.platform_data): its cells are the item's
        source = {c: f"{c}{CONTEXT_SUFFIX}" if f"{c}{CONTEXT_SUFFIX}" in data.columns else c for c in keys}
        if any(src not in data.columns for src in source.values()):
            return ModelCheck(False, "model_refused", ("the model's rows lack the breakdown columns the audit needs",))
        lookup = pub.cells.assign(_cell=np.arange(len(pub.cells)) + off)
        part = data[data["wave"] == w.slug]
        part_keys = part[list(source.values())].set_axis(keys, axis=1)
        merged = part_keys.astype(str).merge(lookup.astype({c: str for c in keys}), on=keys, how="left")
        cell_of.loc[part.index] = merged["_cell"].fillna(-1).astype(int).to_numpy()
    if (cell_of < 0).any():
        return ModelCheck(False, "model_refused", ("some of the model's rows are in no published cell",))
    for fit in fits:
        try:
            lmap, est, labels = _linear_map(fit)
            rows = cell_of.loc[labels].to_numpy()
            coef = cell_coefficients(lmap, rows, len(facts.n))
        except (ModelAuditError, KeyError) as exc:
            return ModelCheck(False, "model_refused", (f"the model cannot be audited: {exc}",))
        # Iterative fits (GEE) stop within a tolerance of the GLS solution for their final variance
        # parameters: the released estimate is L y up to that gap, which widens the fact accordingly.
        gap = float(np.abs(lmap @ np.asarray(fit.model.endog, dtype=float) - est).max()) if est.size else 0.0
        facts.general += term_facts(coef, est, max(TERM_HALF_UNIT, 2 * gap))
    narrowed = audit_facts(facts)
    if narrowed:
        # The narrowed range itself is the secret: the reason names no number of it.
        log.info("model refused by the joint auditor: %d withheld cells narrowed", len(narrowed))
        return ModelCheck(False, "model_refused", (
            "its estimates, combined with the published tables, would pin the average of a withheld "
            "cell to less than a quarter of the scale",))
    return ModelCheck(True, "", ())
