"""Complementary suppression and the auditor, a linear-programming adversary (DESIGN.md rule 8).

Internal engine of :mod:`wellbeing.core.disclosure` (the public API lives there): the cells of a
release and their linear relations, the pin rule, the counting rule, the LP attacker, and the
loops that withhold more cells until both are satisfied.

The attacker of Fellegi (1972) and Cox (1980) writes every released aggregate as a linear
constraint on the unknown cell totals and asks an LP solver for the smallest and largest value of
each suppressed total. Here the unknowns are the *score sums* ``S_j`` of the finest cells (or their
"high" counts ``H_j`` for shares). The auditor grants the attacker **every cell's exact respondent
count** (rule 8: "counts of respondents are not secret"). With the counts fixed the mean
``S_t / n_t`` of a cell is linear in the unknowns, so its exact range is two LPs; an attacker who
knows less about the counts (e.g. only that a small cell has 1 to K-1 respondents, or a count
bounded by the roster) has a feasible set that contains this one, so can only do worse. The
auditor is therefore conservative against every attacker rule 8 describes.

Each respondent's score lies in ``[lo, hi]``, so ``lo * n_j <= S_j <= hi * n_j``. A released mean
``m`` rounded at a half unit ``h`` gives ``(m - h) * n <= sum of its S_j <= (m + h) * n``.

References
----------
Fellegi, I. P. (1972). On the question of statistical confidentiality. JASA 67, 7-18.
Cox, L. H. (1980). Suppression methodology and statistical disclosure control. JASA 75, 377-385.
Hundepool, A. et al. (2012). Statistical Disclosure Control. Wiley, section 4.3 (auditing).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

if TYPE_CHECKING:
    from wellbeing.core.disclosure import ScaleSpec

#: Marker of an aggregated dimension in a margin row ("all values").
ALL = "*"

#: Numerical slack added to every released interval so that LP round-off never makes the true
#: table infeasible.
_EPS = 1e-7


@dataclass(frozen=True)
class Constraint:
    """``low <= sum of x[j] for j in members <= high`` (one released aggregate)."""

    members: np.ndarray
    low: float
    high: float


def lp_ranges(
    box_low: np.ndarray,
    box_high: np.ndarray,
    constraints: Sequence[Constraint],
    targets: Sequence[np.ndarray],
    extra: Sequence[tuple[np.ndarray, np.ndarray, float]] = (),
) -> np.ndarray:
    """Smallest and largest feasible value of each target sum.

    Parameters
    ----------
    box_low, box_high : ndarray, shape (F,)
        Bounds of each finest cell's unknown total (e.g. ``lo * n_j`` and ``hi * n_j``).
    constraints : sequence of Constraint
        Released aggregates over finest cells.
    targets : sequence of int arrays
        Finest-cell index sets whose total the attacker wants to bound.
    extra : sequence of (indices, coefficients, bound)
        Further rows ``sum(coefficients * x[indices]) <= bound`` (e.g. the link between a cell's
        score sum and its count in the concern band).

    Returns
    -------
    ndarray, shape (len(targets), 2)
        ``[min, max]`` of each target's total over the feasible polytope.

    Raises
    ------
    RuntimeError
        If the LP is infeasible (the released numbers contradict the input: a bug or bad input).
    """
    lo = np.asarray(box_low, dtype=float).copy()
    hi = np.asarray(box_high, dtype=float).copy()
    rows, b_low, b_high = [], [], []
    for c in constraints:
        m = np.asarray(c.members, dtype=int)
        if m.size == 1:
            # A released single cell: fold into its bounds.
            j = int(m[0])
            lo[j] = max(lo[j], c.low - _EPS)
            hi[j] = min(hi[j], c.high + _EPS)
        else:
            rows.append(m)
            b_low.append(c.low - _EPS)
            b_high.append(c.high + _EPS)
    if np.any(lo > hi + 1e-6):
        raise RuntimeError("auditor: released values contradict the cell bounds")
    hi = np.maximum(hi, lo)
    nvar = lo.size
    constrained = np.zeros(nvar, dtype=bool)
    # Each released aggregate gives two rows (upper and lower bound); extra rows come as given.
    idx = [*rows, *(m for m in rows), *(np.asarray(e[0], dtype=int) for e in extra)]
    val = [
        *(np.ones(m.size) for m in rows),
        *(-np.ones(m.size) for m in rows),
        *(np.asarray(e[1], dtype=float) for e in extra),
    ]
    if idx:
        indptr = np.concatenate([[0], np.cumsum([m.size for m in idx])])
        indices = np.concatenate(idx)
        a_ub = sparse.csr_array((np.concatenate(val), indices, indptr), shape=(len(idx), nvar))
        if nvar * len(idx) < 40_000:  # small problems: dense input is parsed faster
            a_ub = a_ub.toarray()
        b_ub = np.concatenate([np.array(b_high), -np.array(b_low), [float(e[2]) + _EPS for e in extra]])
        constrained[indices] = True
    else:
        a_ub, b_ub = None, None
    # Variables that appear in no multi-cell constraint are free within their box: their range is
    # the box itself, no LP needed.
    bounds = list(zip(lo, hi, strict=True))
    out = np.empty((len(targets), 2))
    for t, members in enumerate(targets):
        members = np.asarray(members, dtype=int)
        if not constrained[members].any():
            out[t] = lo[members].sum(), hi[members].sum()
            continue
        c = np.zeros(nvar)
        c[members] = 1.0
        res_min = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        res_max = linprog(-c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        if res_min.status != 0 or res_max.status != 0:
            raise RuntimeError(f"auditor LP failed: {res_min.message} / {res_max.message}")
        out[t] = res_min.fun, -res_max.fun
    return out


# ---------------------------------------------------------------------------------------------
# Cells, relations and the suppression loop (rule 8)
# ---------------------------------------------------------------------------------------------


@dataclass
class _Cells:
    """Finest cells and margin cells of one release, with their linear relations."""

    dims: tuple[str, ...]
    levels: list[tuple[str, ...]]
    level_of: np.ndarray  # level index per cell
    keys: list[tuple]  # one value per dim, ALL where aggregated
    members: list[np.ndarray]  # finest-cell indices per cell
    n: np.ndarray
    total: np.ndarray  # sum of scores
    high: np.ndarray | None  # n_high
    relations: list[tuple[int, np.ndarray]]  # (parent, children)
    relations_of: list[list[int]]  # relation ids each cell takes part in
    n_finest: int



def _build_cells(df: pd.DataFrame, dims: tuple[str, ...], levels: list[tuple[str, ...]]) -> _Cells:
    n_f = len(df)
    fn = df["n"].to_numpy(dtype=np.int64)
    fs = df["sum"].fillna(0).to_numpy(dtype=float)
    fh = df["n_high"].to_numpy(dtype=np.int64) if "n_high" in df.columns else None
    fkeys = list(df[list(dims)].itertuples(index=False, name=None))
    level_of, keys, members = [], [], []
    index_of: list[dict[tuple, int]] = []
    for li, lv in enumerate(levels):
        pos = [dims.index(d) for d in lv]
        groups: dict[tuple, list[int]] = {}
        for j, key in enumerate(fkeys):
            groups.setdefault(tuple(key[p] for p in pos), []).append(j)
        idx = {}
        for proj, mem in groups.items():
            full = [ALL] * len(dims)
            for p, v in zip(pos, proj, strict=True):
                full[p] = v
            idx[proj] = len(keys)
            level_of.append(li)
            keys.append(tuple(full))
            members.append(np.array(mem, dtype=int))
        index_of.append(idx)
    n = np.array([fn[m].sum() for m in members], dtype=np.int64)
    total = np.array([fs[m].sum() for m in members], dtype=float)
    high = None if fh is None else np.array([fh[m].sum() for m in members], dtype=np.int64)
    # Relations: every cell of a coarser level is the disjoint union of the cells of each finer
    # level whose dimensions include it.
    relations: list[tuple[int, np.ndarray]] = []
    for la, lva in enumerate(levels):
        for lb, lvb in enumerate(levels):
            if not set(lva) < set(lvb):
                continue
            pos_in_b = [lvb.index(d) for d in lva]
            children: dict[tuple, list[int]] = {}
            for proj_b, cell_b in index_of[lb].items():
                children.setdefault(tuple(proj_b[p] for p in pos_in_b), []).append(cell_b)
            for proj_a, cell_a in index_of[la].items():
                relations.append((cell_a, np.array(children[proj_a], dtype=int)))
    relations_of: list[list[int]] = [[] for _ in keys]
    for r, (parent, kids) in enumerate(relations):
        relations_of[parent].append(r)
        for c in kids:
            relations_of[c].append(r)
    return _Cells(
        dims=dims,
        levels=levels,
        level_of=np.array(level_of, dtype=int),
        keys=keys,
        members=members,
        n=n,
        total=total,
        high=high,
        relations=relations,
        relations_of=relations_of,
        n_finest=n_f,
    )




def _pinned(n: int, mean: float, scale: ScaleSpec) -> bool:
    """Floor/ceiling rule (rule 8): does a released mean pin its members' scores?

    A mean at the floor or ceiling of the scale tells that every member (and every cell under it)
    sits there. More generally, a released mean ``m`` of ``n`` scores in ``[lo, hi]`` tells that
    each member scored at least ``n*(m - h) - (n - 1)*hi`` and at most ``n*(m + h) - (n - 1)*lo``;
    the cell is withheld when that range is narrower than a quarter of the scale (the mean
    counterpart of the share rule: five officers with a mean of 97 all scored 85 or more), or,
    when the scale has a concern band (``high_from``), when the range lies wholly inside or wholly
    below the band (five officers with a mean of 92 all scored 60 or more: all five are "high").
    """
    h = scale.half_unit
    if mean <= scale.lo or mean >= scale.hi:
        return True
    m_lo, m_hi = max(scale.lo, mean - h), min(scale.hi, mean + h)
    each_lo = max(scale.lo, n * m_lo - (n - 1) * scale.hi)
    each_hi = min(scale.hi, n * m_hi - (n - 1) * scale.lo)
    if scale.high_from is not None and (each_lo >= scale.high_from or each_hi < scale.high_from):
        return True
    return each_hi - each_lo < scale.quarter - 1e-9


def _rule8_margins(cells: _Cells, supp: np.ndarray, reason: list[str], k: int) -> bool:
    """Complementary suppression by counts (rule 8, first part), in place.

    In every relation whose parent is released, the suppressed children (ignoring empty cells)
    must be none, or at least two holding at least K respondents together. A violation is fixed by
    suppressing the released child with the fewest respondents (least information lost), or the
    parent when no child is left. Returns whether anything changed.
    """
    changed_any = False
    changed = True
    while changed:
        changed = False
        for parent, kids in cells.relations:
            if supp[parent]:
                continue
            live = kids[cells.n[kids] > 0]
            hidden = live[supp[live]]
            if hidden.size == 0 or (hidden.size >= 2 and cells.n[hidden].sum() >= k):
                continue
            shown = live[~supp[live]]
            pick = int(shown[np.argmin(cells.n[shown])]) if shown.size else parent
            supp[pick] = True
            reason[pick] = "complementary"
            changed = changed_any = True
    return changed_any


def _auditor_pick(cells: _Cells, supp: np.ndarray, target: int) -> int | None:
    """A released cell to suppress so that ``target`` becomes harder to narrow."""
    neigh: set[int] = set()
    for r in cells.relations_of[target]:
        parent, kids = cells.relations[r]
        neigh.add(parent)
        neigh.update(int(c) for c in kids)
    neigh.discard(target)
    cand = [c for c in neigh if not supp[c] and cells.n[c] > 0]
    if not cand:
        tset = set(cells.members[target].tolist())
        cand = [
            c
            for c in range(len(cells.keys))
            if not supp[c] and cells.n[c] > 0 and tset & set(cells.members[c].tolist())
        ]
    if not cand:
        cand = [c for c in range(len(cells.keys)) if not supp[c] and cells.n[c] > 0]
    if not cand:
        return None
    return min(cand, key=lambda c: (cells.n[c], c))


#: Reasons that mark a cell as sensitive in itself (a primary suppression). Cells withheld as
#: ``complementary`` only shield these; see ``protect_complementary``.
PRIMARY_REASONS = frozenset({"below_k", "auditor", "share_below_k"})


def _audit(
    cells: _Cells,
    supp: np.ndarray,
    released_value: np.ndarray,
    kind: str,
    scale: ScaleSpec,
    protect: np.ndarray,
    skip: Collection[int] = (),
):
    """Run the LP attacker; return ``{cell: (low, high)}`` for every protected cell it narrows.

    Cells in ``skip`` are not attacked (already found safe under a smaller suppression pattern:
    withholding more only widens the attacker's feasible set, so they stay safe).

    ``kind`` is ``"mean"`` (unknowns: score sums, per respondent in [lo, hi]) or ``"share"``
    (unknowns: counts in the concern band, per respondent in [0, 1], integers).
    """
    nf = cells.n.astype(float)
    finest = np.arange(cells.n_finest)
    f_n = nf[finest]
    if kind == "mean":
        lo, hi, half = scale.lo, scale.hi, scale.half_unit
        value_scale, quarter = 1.0, scale.quarter
    else:
        lo, hi, half = 0.0, 1.0, 0.005  # whole percent
        value_scale, quarter = 100.0, 0.25
    constraints = []
    for c in range(len(cells.keys)):
        if supp[c] or cells.n[c] == 0:
            continue
        v = released_value[c] / value_scale
        cl = max(lo, v - half) * nf[c]
        ch = min(hi, v + half) * nf[c]
        constraints.append(Constraint(cells.members[c], cl, ch))
    targets = [
        c for c in range(len(cells.keys)) if supp[c] and protect[c] and cells.n[c] > 0 and c not in skip
    ]
    if not targets:
        return {}
    ranges = lp_ranges(lo * f_n, hi * f_n, constraints, [cells.members[t] for t in targets])
    narrow = {}
    for t, (tmin, tmax) in zip(targets, ranges, strict=True):
        if kind == "share":
            # Counts are integers: the attacker rounds inwards.
            tmin, tmax = math.ceil(tmin - 1e-6), math.floor(tmax + 1e-6)
        width = (tmax - tmin) / nf[t]
        if width < quarter - 1e-9:
            narrow[t] = (tmin / nf[t] * value_scale, tmax / nf[t] * value_scale)
    return narrow


def _protect(
    cells: _Cells,
    supp: np.ndarray,
    reason: list[str],
    released_value: np.ndarray,
    kind: str,
    scale: ScaleSpec,
    k: int,
    protect_complementary: bool,
) -> None:
    """Rule 8 margins, then the auditor, repeated until both are satisfied (in place)."""
    safe: set[int] = set()
    while True:
        _rule8_margins(cells, supp, reason, k)
        if protect_complementary:
            protect = supp.copy()
        else:
            protect = np.array([r in PRIMARY_REASONS for r in reason], dtype=bool)
        narrow = _audit(cells, supp, released_value, kind, scale, protect, skip=safe)
        safe.update(int(t) for t in np.flatnonzero(supp & protect) if t not in narrow)
        if not narrow:
            return
        picks = {_auditor_pick(cells, supp, t) for t in narrow}
        picks.discard(None)
        if not picks:  # pragma: no cover - everything is suppressed, the LP cannot narrow
            raise RuntimeError("auditor: cannot protect the table")
        for p in picks:
            supp[p] = True
            reason[p] = "complementary"


def _audit_joint(
    cells: _Cells,
    msupp: np.ndarray,
    ssupp: np.ndarray,
    mean: np.ndarray,
    share: np.ndarray,
    scale: ScaleSpec,
    mprotect: np.ndarray,
    sprotect: np.ndarray,
    skip: Collection[tuple[str, int]] = (),
) -> dict[tuple[str, int], tuple[float, float]]:
    """The LP attacker on means and shares together, for a scale with a concern band.

    Unknowns: score sums ``S_j`` and band counts ``H_j`` of the finest cells. Besides the released
    means (on ``S``) and shares (on ``H``), each cell links the two: its ``H_j`` scores are at least
    ``high_from`` and the others at least ``lo``, so ``S_j >= t*H_j + lo*(n_j - H_j)``; its band
    scores are at most ``hi`` and the others at most ``t``, so ``S_j <= hi*H_j + t*(n_j - H_j)``.
    Returns ``{(kind, cell): (low, high)}`` for every protected withheld number narrowed below a
    quarter of its range (kind ``"mean"`` or ``"share"``).
    """
    t, lo, hi, h = float(scale.high_from), scale.lo, scale.hi, scale.half_unit
    nf = cells.n.astype(float)
    F = cells.n_finest
    fn = nf[:F]
    constraints = []
    for c in range(len(cells.keys)):
        if cells.n[c] == 0:
            continue
        if not msupp[c]:
            m = mean[c]
            constraints.append(Constraint(cells.members[c], max(lo, m - h) * nf[c], min(hi, m + h) * nf[c]))
        if not ssupp[c]:
            v = share[c] / 100.0
            constraints.append(
                Constraint(cells.members[c] + F, max(0.0, v - 0.005) * nf[c], min(1.0, v + 0.005) * nf[c])
            )
    extra = []
    for j in range(F):
        if fn[j] == 0:
            continue
        both = np.array([j, F + j])
        extra.append((both, np.array([-1.0, t - lo]), -lo * fn[j]))
        extra.append((both, np.array([1.0, t - hi]), t * fn[j]))
    targets = [
        (kind, c)
        for kind, supp, prot in (("mean", msupp, mprotect), ("share", ssupp, sprotect))
        for c in range(len(cells.keys))
        if supp[c] and prot[c] and cells.n[c] > 0 and (kind, c) not in skip
    ]
    if not targets:
        return {}
    box_lo = np.concatenate([lo * fn, np.zeros(F)])
    box_hi = np.concatenate([hi * fn, fn])
    ranges = lp_ranges(
        box_lo,
        box_hi,
        constraints,
        [cells.members[c] + (F if kind == "share" else 0) for kind, c in targets],
        extra,
    )
    narrow = {}
    for (kind, c), (tmin, tmax) in zip(targets, ranges, strict=True):
        if kind == "share":
            tmin, tmax = math.ceil(tmin - 1e-6), math.floor(tmax + 1e-6)
            if (tmax - tmin) / nf[c] < 0.25 - 1e-9:
                narrow[(kind, c)] = (100 * tmin / nf[c], 100 * tmax / nf[c])
        elif (tmax - tmin) / nf[c] < scale.quarter - 1e-9:
            narrow[(kind, c)] = (tmin / nf[c], tmax / nf[c])
    return narrow


def _neighbours(cells: _Cells, target: int) -> set[int]:
    out: set[int] = set()
    for r in cells.relations_of[target]:
        parent, kids = cells.relations[r]
        out.add(parent)
        out.update(int(c) for c in kids)
    out.discard(target)
    return out


def _protect_joint(
    cells: _Cells,
    msupp: np.ndarray,
    mreason: list[str],
    ssupp: np.ndarray,
    sreason: list[str],
    mean: np.ndarray,
    share: np.ndarray,
    scale: ScaleSpec,
    k: int,
    protect_complementary: bool,
) -> None:
    """Rule 8 for a scale with a concern band: means and shares audited together (in place).

    Run after the means alone are safe. A narrowed number is protected by withholding the share
    of the neighbour with fewest respondents; only when no neighbouring share is left is a mean
    withheld (the target's own first, e.g. a cell whose mean of 90 shows that most of its
    members are "high" while its share is withheld).
    """
    safe: set[tuple[str, int]] = set()
    live = cells.n > 0
    while True:
        _rule8_margins(cells, msupp, mreason, k)
        for i in np.flatnonzero(msupp & ~ssupp):
            ssupp[i], sreason[i] = True, mreason[i]
        _rule8_margins(cells, ssupp, sreason, k)
        if protect_complementary:
            mprot, sprot = msupp.copy(), ssupp.copy()
        else:
            mprot = np.array([r in PRIMARY_REASONS for r in mreason], dtype=bool)
            sprot = np.array([r in PRIMARY_REASONS for r in sreason], dtype=bool)
        narrow = _audit_joint(cells, msupp, ssupp, mean, share, scale, mprot, sprot, skip=safe)
        for kind, supp, prot in (("mean", msupp, mprot), ("share", ssupp, sprot)):
            safe.update((kind, int(c)) for c in np.flatnonzero(supp & prot) if (kind, c) not in narrow)
        if not narrow:
            return
        changed = False
        touched: set[int] = set()
        for _kind, target in narrow:
            near = _neighbours(cells, target)
            if target in touched or near & touched:
                continue  # a pick made this round may already protect it: audit again first
            everywhere = range(len(cells.keys))
            # Withhold, in this order: a neighbour's share, the target's own mean, a neighbour's
            # mean, any share, any mean -- each time the candidate with fewest respondents.
            for pool, arr, why in (
                (near, ssupp, "complementary"),
                ([target], msupp, "auditor"),
                (near, msupp, "complementary"),
                (everywhere, ssupp, "complementary"),
                (everywhere, msupp, "complementary"),
            ):
                cand = [c for c in pool if not arr[c] and live[c]]
                if cand:
                    c = min(cand, key=lambda c: (cells.n[c], c))
                    if arr is msupp:
                        msupp[c], mreason[c] = True, why
                    else:
                        ssupp[c], sreason[c] = True, why
                    changed = True
                    touched.add(c)
                    break
        if not changed:  # pragma: no cover - nothing is shown, so nothing can be narrowed
            raise RuntimeError("auditor: cannot protect the table")
