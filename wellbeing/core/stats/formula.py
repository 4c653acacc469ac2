"""Patsy formulas and the data rows they read; a model's design without fitting it.

* :func:`quote_name` — a column name as patsy reads it (``Q("...")`` for non-identifiers);
* :func:`formula_variables`, :func:`categorical_variables`, :func:`factor_levels` — the data
  columns a right-hand side names, which of them are categorical, and respondents per level;
* :func:`complete_rows` — the rows with every model column present (dropped rows are logged);
* :func:`design` — the fixed-effect design of a model, for the release check (rule 12) before
  anything is fitted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .result import ModelResult, terms_frame

logger = logging.getLogger(__name__)


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


def formula_variables(formula_rhs: str, data: pd.DataFrame) -> list[str]:
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


def categorical_variables(formula_rhs: str, data: pd.DataFrame) -> list[str]:
    """The variables of :func:`formula_variables` that are categorical: wrapped in ``C(...)``,
    non-numeric or boolean."""
    wrapped = set(re.findall(r"C\(\s*([A-Za-z_][A-Za-z0-9_.]*)", formula_rhs))
    out = []
    for v in formula_variables(formula_rhs, data):
        col = data[v]
        if v in wrapped or not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            out.append(v)
    return out


def factor_levels(formula_rhs: str, data: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Rows per level of each categorical variable of the formula: ``{variable: {level: count}}``
    (levels as strings, sorted), the respondents-per-level input of the release check (rule 12)."""
    return {
        v: {str(k): int(c) for k, c in data[v].value_counts(sort=False).sort_index().items()}
        for v in categorical_variables(formula_rhs, data)
    }


def complete_rows(data: pd.DataFrame, cols: Iterable[str | None]) -> pd.DataFrame:
    """A copy of the rows of ``data`` with every column of ``cols`` present (``None`` entries skipped).

    Dropped rows are counted in the log (INFO). Raises ``KeyError`` naming the columns not in ``data``.
    """
    names = [c for c in dict.fromkeys(cols) if c is not None]
    missing = [c for c in names if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in data: {missing}")
    out = data.dropna(subset=names).copy()
    if len(out) < len(data):
        logger.info("dropped %d rows with missing values", len(data) - len(out))
    return out


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

    cols = [outcome, group] + formula_variables(predictors, data)
    d = complete_rows(data, cols)
    names = patsy.dmatrix(predictors, d, return_type="dataframe").columns
    nan = np.full(len(names), np.nan)
    info: dict[str, Any] = {
        "n": int(len(d)),
        "n_groups": int(d[group].nunique()) if group else None,
        "df_resid": int(len(d)) - len(names),
        "factor_levels": factor_levels(predictors, d),
        "formula": f"{outcome} ~ {predictors}" + (f" + (1 | {group})" if group else ""),
        "converged": False,
        "icc": None,
        "method": "not fitted",
        "warnings": [],
    }
    return ModelResult(terms_frame(names, nan, nan, nan, nan, nan), info)
