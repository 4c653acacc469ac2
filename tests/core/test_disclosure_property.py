"""Property-based test of rule 8: an adversary written independently of the release code.

The adversary below shares no code with ``wellbeing.core.disclosure`` beyond calling
``release_table``. It reads the *released* table, matches rows to finest cells by their dimension
values, and is granted every finest cell's exact respondent count (rule 8: counts are not secret;
an attacker who only knows that a small cell has 1..K-1 respondents, or a roster bound, has a
larger feasible set and so can only learn less). Its unknowns are the finest cells' *means*
(not sums, as in the release code), each in [lo, hi]; every shown mean m of a row with n
respondents says that the row's score total lies in [n (m - h), n (m + h)], h half a unit of the
last decimal. For each withheld cell that is sensitive in itself it solves two LPs for the
smallest and largest mean and requires the range to be at least a quarter of the scale. Shares
are attacked in the same LP with per-cell fractions in [0, 1] (integer rounding inwards); when
the scale declares a concern band, each cell's mean and fraction are linked.
"""

import math
from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from wellbeing.core.disclosure import ScaleSpec, release_table

K = 5
DIMS = ["region", "group", "shift_pattern"]
MARGINS = [["region", "group"], ["region", "shift_pattern"], ["region"], ["shift_pattern"], []]
SCALES = [ScaleSpec(0, 100, 0), ScaleSpec(0, 100, 0, high_from=50), ScaleSpec(1, 7, 1)]


@st.composite
def tables(draw):
    scale = draw(st.sampled_from(SCALES))
    unit = 10.0 ** -scale.decimals
    n_regions = draw(st.integers(1, 3))
    patterns = ["24-72", "fixed-8h"][: draw(st.integers(1, 2))]
    rows = []
    for r in range(n_regions):
        # Whole regions sometimes sit at the floor or the ceiling of the scale.
        region_mode = draw(st.sampled_from(["free", "free", "free", "floor", "ceiling"]))
        for g in range(draw(st.integers(1, 3))):
            for p in patterns:
                n = draw(st.one_of(st.integers(0, 4), st.integers(0, 4), st.integers(5, 30)))
                mode = region_mode if region_mode != "free" else draw(
                    st.sampled_from(["free", "free", "free", "floor", "ceiling", "near"])
                )
                if mode == "floor":
                    total = scale.lo * n
                elif mode == "ceiling":
                    total = scale.hi * n
                elif mode == "near":
                    total = scale.hi * n - draw(st.integers(0, 3)) * unit * n / 2
                else:
                    # Sums on the grid of the released precision keep the data realistic.
                    steps = draw(st.integers(0, int(round((scale.hi - scale.lo) / unit)) * max(n, 1)))
                    total = min(scale.lo * n + steps * unit, scale.hi * n) if n else 0.0
                if scale.high_from is None:
                    high = draw(st.one_of(st.just(0), st.just(n), st.integers(0, n)))
                else:  # band counts that some set of scores with this sum can have
                    t = scale.high_from
                    least = max(0, math.ceil((total - t * n) / (scale.hi - t) - 1e-9))
                    most = min(n, math.floor((total - scale.lo * n) / (t - scale.lo) + 1e-9))
                    high = draw(st.integers(least, max(least, most)))
                rows.append(
                    {"region": f"R{r}", "group": f"R{r}g{g}", "shift_pattern": p, "n": n, "sum": float(total),
                     "n_high": high}
                )
    return scale, pd.DataFrame(rows)


# ---------------------------------------------------------------- independent adversary


def _members(cells: pd.DataFrame, row: pd.Series) -> np.ndarray:
    mask = np.ones(len(cells), dtype=bool)
    for d in DIMS:
        if row[d] != "*":
            mask &= (cells[d] == row[d]).to_numpy()
    return mask


def _attack(cells, released, scale, mean_targets, share_targets):
    """Min and max of each target's mean score and share over what ``released`` shows.

    Unknowns: per finest cell its mean score mu_j in [lo, hi] and its fraction in the band
    p_j in [0, 1]. With a declared band [t, hi], a cell's scores in the band are >= t and the
    others >= lo, so mu_j >= t p_j + lo (1 - p_j); likewise mu_j <= hi p_j + t (1 - p_j).
    """
    n = cells["n"].to_numpy(dtype=float)
    f = len(n)
    live = n > 0
    half = 0.5 * 10.0 ** -scale.decimals
    a_ub, b_ub = [], []
    for _, row in released.iterrows():
        m = _members(cells, row) & live
        for col, offset, h, unit in (("mean", 0, half, 1.0), ("share_high", f, 0.005, 100.0)):
            if pd.isna(row[col]):
                continue
            coef = np.zeros(2 * f)
            coef[offset : offset + f] = np.where(m, n, 0.0)
            tot = n[m].sum()
            v = float(row[col]) / unit
            a_ub += [coef, -coef]
            b_ub += [tot * (v + h) + 1e-7, -(tot * (v - h)) + 1e-7]
    if scale.high_from is not None:
        t = scale.high_from
        for j in np.flatnonzero(live):
            row = np.zeros(2 * f)
            row[j], row[f + j] = -1.0, t - scale.lo
            a_ub.append(row)
            b_ub.append(-scale.lo + 1e-9)
            row = np.zeros(2 * f)
            row[j], row[f + j] = 1.0, t - scale.hi
            a_ub.append(row)
            b_ub.append(t + 1e-9)
    bounds = [(scale.lo, scale.hi) if x else (0, 0) for x in live] + [(0, 1) if x else (0, 0) for x in live]
    out = []
    for offset, targets in ((0, mean_targets), (f, share_targets)):
        res = []
        for mask in targets:
            coef = np.zeros(2 * f)
            coef[offset : offset + f] = np.where(mask & live, n, 0.0)
            tot = n[mask & live].sum()
            low = linprog(coef, A_ub=a_ub or None, b_ub=b_ub or None, bounds=bounds, method="highs")
            high = linprog(-coef, A_ub=a_ub or None, b_ub=b_ub or None, bounds=bounds, method="highs")
            assert low.status == 0 and high.status == 0, "the released table contradicts the data"
            res.append((low.fun, -high.fun, tot))
        out.append(res)
    return out


def _true_aggregate(cells, mask):
    sub = cells[mask]
    # Exact total of the decimal sums as written (no float accumulation).
    total = sum((Fraction(repr(float(x))) for x in sub["sum"]), Fraction(0))
    return int(sub["n"].sum()), total, int(sub["n_high"].sum())


def _rounded(x, decimals):
    # Independent of the module: exact rational arithmetic, half away from zero.
    f = Fraction(x) * 10**decimals
    q = math.floor(abs(f) + Fraction(1, 2))
    return math.copysign(q, f) / 10**decimals


def check_release(scale, cells, released, protect_all=False):
    quarter = (scale.hi - scale.lo) / 4
    half = 0.5 * 10.0 ** -scale.decimals
    mean_targets, share_targets = [], []
    for _, row in released.iterrows():
        mask = _members(cells, row)
        n, total, high = _true_aggregate(cells, mask)
        at_edge = n > 0 and _rounded(total / n, scale.decimals) in (scale.lo, scale.hi)
        if row["suppressed"]:
            assert pd.isna(row["n"]) and pd.isna(row["mean"]) and pd.isna(row["share_high"])
            assert row["reason"] in {"below_k", "complementary", "auditor"}
        else:
            # Shown numbers are the true ones, rounded once; no shown cell is small or pinned.
            assert row["n"] == n and n >= K and not at_edge
            assert row["mean"] == _rounded(total / n, scale.decimals)
            # A shown mean never proves that every member is in, or every member outside, the band.
            if scale.high_from is not None:
                each_lo = n * (row["mean"] - half) - (n - 1) * scale.hi
                each_hi = n * (row["mean"] + half) - (n - 1) * scale.lo
                assert each_lo < scale.high_from <= each_hi
            if not pd.isna(row["share_high"]):
                assert high >= K and n - high >= K
                assert row["share_high"] == _rounded(Fraction(100 * high, n), 0)
        if n == 0:
            continue
        sensitive = n < K or at_edge or row["reason"] in ("below_k", "auditor")
        if row["suppressed"] and (sensitive or protect_all):
            mean_targets.append(mask)
        share_sensitive = sensitive or high < K or n - high < K or row["share_reason"] != "complementary"
        if pd.isna(row["share_high"]) and (share_sensitive or protect_all):
            share_targets.append(mask)
    mean_ranges, share_ranges = _attack(cells, released, scale, mean_targets, share_targets)
    for low, high, tot in mean_ranges:
        assert (high - low) / tot >= quarter - 1e-6, (low / tot, high / tot)
    for low, high, tot in share_ranges:
        low_i, high_i = math.ceil(low - 1e-6), math.floor(high + 1e-6)
        assert (high_i - low_i) / tot >= 0.25 - 1e-9, (low_i, high_i, tot)


def check_margins(cells, released):
    """Rule 8's counting part, checked on the released table alone."""
    rows = released.assign(mask=[_members(cells, r) for _, r in released.iterrows()])
    levels = {}
    for i, r in rows.iterrows():
        levels.setdefault(tuple(d for d in DIMS if r[d] != "*"), []).append(i)
    for parent_level, parents in levels.items():
        for child_level, children in levels.items():
            if not set(parent_level) < set(child_level):
                continue
            for p in parents:
                if rows.loc[p, "suppressed"]:
                    continue
                kids = [c for c in children if not (rows.loc[c, "mask"] & ~rows.loc[p, "mask"]).any()]
                hidden = [c for c in kids if rows.loc[c, "suppressed"] and cells[rows.loc[c, "mask"]]["n"].sum() > 0]
                if hidden:
                    assert len(hidden) >= 2
                    assert sum(cells[rows.loc[c, "mask"]]["n"].sum() for c in hidden) >= K


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_suppressed_mean_or_share_can_be_narrowed(table):
    scale, cells = table
    released = release_table(cells, DIMS, scale, margins=MARGINS, k=K)
    assert len(released) == len(released.drop_duplicates(DIMS))
    check_release(scale, cells, released)
    check_margins(cells, released)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_strict_mode_protects_every_withheld_cell(table):
    scale, cells = table
    released = release_table(cells, DIMS, scale, margins=MARGINS, k=K, protect_complementary=True)
    check_release(scale, cells, released, protect_all=True)
