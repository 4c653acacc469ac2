"""Primary and complementary suppression of one table, and the loops running the LP auditor."""

from __future__ import annotations

import math
from collections.abc import Collection

import numpy as np

from wellbeing.core.disclosure.cells import Cells
from wellbeing.core.disclosure.lp import Constraint, lp_ranges
from wellbeing.core.disclosure.rounding import ScaleSpec

#: Tolerance of the attacker's rounding of a count range inwards to whole respondents. Larger than the
#: margin the local proofs keep (:data:`wellbeing.core.disclosure.local.MARGIN`, 1e-5) and than solver
#: round-off, so a range whose end is a whole count is judged the same on a sub-program and on the whole
#: program; much smaller than the grid of the released share bounds (multiples of 0.005 respondents).
COUNT_TOL = 1e-4


def pinned(n: int, mean: float, scale: ScaleSpec) -> bool:
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


def rule8_margins(cells: Cells, supp: np.ndarray, reason: list[str], k: int) -> bool:
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


def local_pick(cells: Cells, target: int, available: np.ndarray) -> int | None:
    """The available cell with fewest respondents in the target's most local relation that has one.

    The target's relations are tried in the order of their parent's count (its department before its
    region, its region before the whole wave), so a complementary cell is chosen where it shields the
    target -- a sibling in the same department -- and not the smallest cell of the country, which a
    national margin also links to the target but which hardly widens the attacker's range (the
    hierarchical choice of HiTaS, de Wolf 2002). ``available`` is a boolean array over cells. Returns
    ``None`` when no relation of the target has an available cell other than the target.
    """
    for r in _by_locality(cells, target):
        parent, kids = cells.relations[r]
        pool = np.concatenate([[parent], kids])
        pool = pool[(pool != target) & available[pool]]
        if pool.size:
            return int(pool[np.lexsort((pool, cells.n[pool]))[0]])
    return None


def local_pool(cells: Cells, target: int) -> set[int]:
    """The cells of the target's most local relation (see :func:`local_pick`), the target excluded."""
    rels = _by_locality(cells, target)
    if not rels:
        return set()
    parent, kids = cells.relations[rels[0]]
    return ({int(parent)} | {int(c) for c in kids}) - {target}


def _by_locality(cells: Cells, target: int) -> list[int]:
    """The target's relations, most local first (by their parent's count, then id)."""
    return sorted(cells.relations_of[target], key=lambda r: (cells.n[cells.relations[r][0]], r))


def auditor_pick(cells: Cells, supp: np.ndarray, target: int) -> int | None:
    """A released cell to suppress so that ``target`` becomes harder to narrow.

    The smallest released cell of the target's most local relation (:func:`local_pick`); failing that,
    the smallest released cell sharing respondents with it, then the smallest released cell at all.
    """
    available = ~supp & (cells.n > 0)
    pick = local_pick(cells, target, available)
    if pick is not None:
        return pick
    tset = set(cells.members[target].tolist())
    cand = [c for c in range(len(cells.keys)) if available[c] and tset & set(cells.members[c].tolist())]
    if not cand:
        cand = [c for c in range(len(cells.keys)) if available[c]]
    if not cand:
        return None
    return min(cand, key=lambda c: (cells.n[c], c))


#: Reasons that mark a cell as sensitive in itself (a primary suppression). Cells withheld as
#: ``complementary`` only shield these; see ``protect_complementary``.
PRIMARY_REASONS = frozenset({"below_k", "auditor", "share_below_k"})


def audit_cells(
    cells: Cells,
    supp: np.ndarray,
    released_value: np.ndarray,
    kind: str,
    scale: ScaleSpec,
    protect: np.ndarray,
    skip: Collection[int] = (),
    memo: dict | None = None,
):
    """Run the LP attacker; return ``{cell: (low, high)}`` for every protected cell it narrows.

    Cells in ``skip`` are not attacked (already found safe under a smaller suppression pattern:
    withholding more only widens the attacker's feasible set, so they stay safe). ``memo`` is the
    suppression loop's store of earlier optima (see :func:`~wellbeing.core.disclosure.lp.lp_ranges`).

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
    truth = cells.total[finest] if kind == "mean" else (None if cells.high is None else cells.high[finest])
    ranges = lp_ranges(lo * f_n, hi * f_n, constraints, [cells.members[t] for t in targets],
                       truth=None if truth is None else np.asarray(truth, dtype=float),
                       supersets=cells.members,
                       wide_enough=lambda i, a, b: not _narrow(kind, a, b, nf[targets[i]], quarter), memo=memo)
    narrow = {}
    for t, (tmin, tmax) in zip(targets, ranges, strict=True):
        if kind == "share":
            # Counts are integers: the attacker rounds inwards.
            tmin, tmax = math.ceil(tmin - COUNT_TOL), math.floor(tmax + COUNT_TOL)
        width = (tmax - tmin) / nf[t]
        if width < quarter - 1e-9:
            narrow[t] = (tmin / nf[t] * value_scale, tmax / nf[t] * value_scale)
    return narrow


def _narrow(kind: str, tmin: float, tmax: float, n: float, quarter: float) -> bool:
    """The auditor's test on an attacker's range of a total (counts round inwards for shares)."""
    if kind == "share":
        tmin, tmax = math.ceil(tmin - COUNT_TOL), math.floor(tmax + COUNT_TOL)
    return (tmax - tmin) / n < quarter - 1e-9


def protect_cells(
    cells: Cells,
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
    memo: dict = {}
    while True:
        rule8_margins(cells, supp, reason, k)
        if protect_complementary:
            protect = supp.copy()
        else:
            protect = np.array([r in PRIMARY_REASONS for r in reason], dtype=bool)
        narrow = audit_cells(cells, supp, released_value, kind, scale, protect, skip=safe, memo=memo)
        safe.update(int(t) for t in np.flatnonzero(supp & protect) if t not in narrow)
        if not narrow:
            return
        picks = {auditor_pick(cells, supp, t) for t in narrow}
        picks.discard(None)
        chosen = [p for p in picks if p is not None]
        if not chosen:  # pragma: no cover - everything is suppressed, the LP cannot narrow
            raise RuntimeError("auditor: cannot protect the table")
        for p in chosen:
            supp[p] = True
            reason[p] = "complementary"


def audit_cells_joint(
    cells: Cells,
    msupp: np.ndarray,
    ssupp: np.ndarray,
    mean: np.ndarray,
    share: np.ndarray,
    scale: ScaleSpec,
    mprotect: np.ndarray,
    sprotect: np.ndarray,
    skip: Collection[tuple[str, int]] = (),
    memo: dict | None = None,
) -> dict[tuple[str, int], tuple[float, float]]:
    """The LP attacker on means and shares together, for a scale with a concern band.

    Unknowns: score sums ``S_j`` and band counts ``H_j`` of the finest cells. Besides the released
    means (on ``S``) and shares (on ``H``), each cell links the two: its ``H_j`` scores are at least
    ``high_from`` and the others at least ``lo``, so ``S_j >= t*H_j + lo*(n_j - H_j)``; its band
    scores are at most ``hi`` and the others at most ``t``, so ``S_j <= hi*H_j + t*(n_j - H_j)``.
    Returns ``{(kind, cell): (low, high)}`` for every protected withheld number narrowed below a
    quarter of its range (kind ``"mean"`` or ``"share"``).
    """
    if scale.high_from is None:
        raise ValueError("joint mean/share audit needs a scale with a concern band (high_from)")
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
    truth = None if cells.high is None else np.concatenate([cells.total[:F], cells.high[:F]]).astype(float)

    def wide_enough(i: int, a: float, b: float) -> bool:
        kind, c = targets[i]
        return not _narrow(kind, a, b, nf[c], 0.25 if kind == "share" else scale.quarter)

    ranges = lp_ranges(
        box_lo,
        box_hi,
        constraints,
        [cells.members[c] + (F if kind == "share" else 0) for kind, c in targets],
        extra,
        truth=truth,
        supersets=[np.concatenate([m, m + F]) for m in cells.members],
        wide_enough=wide_enough if truth is not None else None,
        memo=memo,
    )
    narrow = {}
    for (kind, c), (tmin, tmax) in zip(targets, ranges, strict=True):
        if kind == "share":
            tmin, tmax = math.ceil(tmin - COUNT_TOL), math.floor(tmax + COUNT_TOL)
            if (tmax - tmin) / nf[c] < 0.25 - 1e-9:
                narrow[(kind, c)] = (100 * tmin / nf[c], 100 * tmax / nf[c])
        elif (tmax - tmin) / nf[c] < scale.quarter - 1e-9:
            narrow[(kind, c)] = (tmin / nf[c], tmax / nf[c])
    return narrow


def protect_cells_joint(
    cells: Cells,
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
    memo: dict = {}
    live = cells.n > 0
    while True:
        rule8_margins(cells, msupp, mreason, k)
        for i in np.flatnonzero(msupp & ~ssupp):
            ssupp[i], sreason[i] = True, mreason[i]
        rule8_margins(cells, ssupp, sreason, k)
        if protect_complementary:
            mprot, sprot = msupp.copy(), ssupp.copy()
        else:
            mprot = np.array([r in PRIMARY_REASONS for r in mreason], dtype=bool)
            sprot = np.array([r in PRIMARY_REASONS for r in sreason], dtype=bool)
        narrow = audit_cells_joint(cells, msupp, ssupp, mean, share, scale, mprot, sprot, skip=safe, memo=memo)
        for kind, supp, prot in (("mean", msupp, mprot), ("share", ssupp, sprot)):
            safe.update((kind, int(c)) for c in np.flatnonzero(supp & prot) if (kind, c) not in narrow)
        if not narrow:
            return
        changed = False
        touched: set[int] = set()
        for _kind, target in narrow:
            if target in touched or local_pool(cells, target) & touched:
                continue  # a pick made this round may already protect it: audit again first
            # Withhold, in this order: a neighbour's share, the target's own mean, a neighbour's
            # mean (each in the target's most local relation that has one), any share, any mean --
            # each time the candidate with fewest respondents.
            for where, arr, why in (
                ("near", ssupp, "complementary"),
                ("self", msupp, "auditor"),
                ("near", msupp, "complementary"),
                ("anywhere", ssupp, "complementary"),
                ("anywhere", msupp, "complementary"),
            ):
                available = ~arr & live
                if where == "near":
                    c = local_pick(cells, target, available)
                elif where == "self":
                    c = target if available[target] else None
                else:
                    cand = np.flatnonzero(available)
                    c = int(cand[np.lexsort((cand, cells.n[cand]))[0]]) if cand.size else None
                if c is not None:
                    if arr is msupp:
                        msupp[c], mreason[c] = True, why
                    else:
                        ssupp[c], sreason[c] = True, why
                    changed = True
                    touched.add(c)
                    break
        if not changed:  # pragma: no cover - nothing is shown, so nothing can be narrowed
            raise RuntimeError("auditor: cannot protect the table")

