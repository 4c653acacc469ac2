"""The result of a model: tidy term table, model-level information and their JSON form.

Every model of :mod:`wellbeing.core.stats` returns a :class:`ModelResult`: a term table with the
columns :data:`TERM_COLUMNS` (``term, estimate, std_err, ci_low, ci_high, p_value``) and an ``info``
dict (``n, n_groups, icc, converged, warnings, formula, method`` and what the release check of
DESIGN.md section 4 rule 12 needs: ``df_resid`` and ``factor_levels``). :meth:`ModelResult.to_json`
gives the JSON shape of ``flask models fit`` (CLI.md); :func:`json_safe` is that conversion for any
value (NaN and infinities as ``None``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

TERM_COLUMNS = ["term", "estimate", "std_err", "ci_low", "ci_high", "p_value"]


def json_safe(v: Any) -> Any:
    """``v`` as plain JSON values: dict keys as strings, frames as lists of records, numpy scalars as
    Python numbers, NaN/inf/NA/NaT as ``None``, anything else unknown as its ``str``."""
    if isinstance(v, dict):
        return {str(k): json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    if isinstance(v, pd.DataFrame):
        return [json_safe(r) for r in v.to_dict(orient="records")]
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
            "model": json_safe(self.info),
            "terms": json_safe(self.terms[TERM_COLUMNS + [c for c in self.terms.columns
                                                          if c not in TERM_COLUMNS]]),
        }
        for name, table in self.tables.items():
            out[name] = json_safe(table)
        return out

    def to_json(self, **kwargs: Any) -> str:
        """JSON of :meth:`to_dict` (the ``flask models fit --format json`` shape)."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)


def terms_frame(names: Sequence[str], est: Any, se: Any, p: Any, lo: Any, hi: Any) -> pd.DataFrame:
    """A term table with the columns :data:`TERM_COLUMNS`, term names cleaned by :func:`clean_term`."""
    return pd.DataFrame({
        "term": [clean_term(n) for n in names],
        "estimate": np.asarray(est, dtype=float),
        "std_err": np.asarray(se, dtype=float),
        "ci_low": np.asarray(lo, dtype=float),
        "ci_high": np.asarray(hi, dtype=float),
        "p_value": np.asarray(p, dtype=float),
    })


def clean_term(name: str) -> str:
    """``C(shift_pattern)[T.night]`` -> ``shift_pattern[night]``; ``Intercept`` unchanged."""
    name = re.sub(r"Q\(\s*[\"']([^\"']+)[\"']\s*\)", r"\1", name)
    name = re.sub(r"C\(\s*([^,)]+?)\s*(,[^)]*)?\)\[T\.([^\]]+)\]", r"\1[\3]", name)
    name = re.sub(r"\[T\.([^\]]+)\]", r"[\1]", name)
    return name
