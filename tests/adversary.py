"""An attacker written independently of ``wellbeing.core.disclosure``: its own linear program over
everything released (tables and model terms), given the exact counts of every joint cell
(reporting group x language x context values), whatever the docs assume the attacker knows.

Used by the attack tests and the property test. Scipy's ``linprog`` only; no code of the gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.optimize import linprog

NON_DIM = {"scale", "level", "n", "mean", "share_high", "suppressed", "reason", "share_reason", "ci_low",
           "ci_high", "share_ci_low", "share_ci_high"}


def joint_cells(people: pd.DataFrame, dims: Sequence[str]) -> pd.DataFrame:
    """Finest joint cells: one row per combination of ``dims`` with ``n`` and ``sum`` of ``score``."""
    return (people.groupby(list(dims), observed=True)["score"].agg(n="size", sum="sum").reset_index())


def member_mask(cells: pd.DataFrame, row: pd.Series) -> np.ndarray:
    """Joint cells inside a released row: every dimension the row names (not ``*``) must match."""
    mask = np.ones(len(cells), dtype=bool)
    for d, v in row.items():
        if d in NON_DIM or d not in cells.columns or str(v) == "*":
            continue
        mask &= cells[d].astype(str).to_numpy() == str(v)
    return mask


def table_facts(cells: pd.DataFrame, tables: Sequence[pd.DataFrame], half: float) -> list[tuple]:
    """``(coefficients over joint cells, low, high)`` for every shown mean of every table."""
    n = cells["n"].to_numpy(float)
    facts = []
    for t in tables:
        for _, row in t.iterrows():
            if bool(row["suppressed"]) or pd.isna(row["mean"]):
                continue
            mask = member_mask(cells, row)
            tot = float(n[mask].sum())
            if tot == 0:
                continue
            facts.append((mask.astype(float), (float(row["mean"]) - half) * tot, (float(row["mean"]) + half) * tot))
    return facts


def mean_range(cells: pd.DataFrame, facts: Sequence[tuple], target: np.ndarray, lo: float, hi: float,
               ) -> tuple[float, float]:
    """Smallest and largest mean of the joint cells in ``target`` (bool mask) given ``facts``."""
    n = cells["n"].to_numpy(float)
    a_ub, b_ub = [], []
    for coef, low, high in facts:
        a_ub += [coef, -coef]
        b_ub += [high + 1e-6, -low + 1e-6]
    bounds = [(lo * x, hi * x) for x in n]
    c = target.astype(float)
    kw = {"A_ub": np.array(a_ub) if a_ub else None, "b_ub": np.array(b_ub) if b_ub else None,
          "bounds": bounds, "method": "highs"}
    r1, r2 = linprog(c, **kw), linprog(-c, **kw)
    assert r1.status == 0 and r2.status == 0, (r1.message, r2.message)
    tot = float(n[target].sum())
    return r1.fun / tot, -r2.fun / tot


def set_differences(cells: pd.DataFrame, tables: Sequence[pd.DataFrame], k: int) -> list[tuple]:
    """Pairs of shown released rows whose respondent sets differ by 1..K-1 on one side."""
    n = cells["n"].to_numpy(int)
    shown = []
    for t in tables:
        for _, row in t.iterrows():
            if not bool(row["suppressed"]) and pd.notna(row["n"]):
                shown.append((tuple((d, str(v)) for d, v in row.items() if d not in NON_DIM),
                              member_mask(cells, row)))
    bad = []
    for (la, a), (lb, b) in combinations(shown, 2):
        only_a, only_b = int(n[a & ~b].sum()), int(n[b & ~a].sum())
        if 0 < only_a < k or 0 < only_b < k:
            bad.append((la, lb, only_a, only_b))
    return bad
