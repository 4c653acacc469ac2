"""Local proofs of safety for the LP attacker: small sub-programs around each target.

The attacker's program (:mod:`wellbeing.core.disclosure.lp`) is one LP over every finest cell of a
wave; a national wave has tens of thousands of them and one protected set per small cell, so solving
the whole program once per protected set grows quadratically. But a released margin couples a small
cell to cells far away only through one rounded number, and the attacker's range of a target is
almost always decided by the target's own neighbourhood. This module proves that, exactly:

*Restriction.* Let ``x*`` be the true cell totals (feasible: the released numbers were computed from
them) and ``N`` any set of cells containing the target. The sub-program "the whole program, plus
``x_j = x*_j`` for every ``j`` outside ``N``" is the attacker's program with *more* knowledge: its
feasible set is contained in the full one, so its range of the target is contained in the full range
(Fellegi 1972: the attacker's bounds only tighten as facts are added). When the sub-program already
leaves the target wider than the threshold, so does the full program: the target is safe, proven on
``|N|`` variables instead of all of them. Only the rows touching ``N`` remain, with the known
outside part moved into their bounds.

*Feasible points.* Every optimum of a sub-program, completed by ``x*`` outside ``N``, is a feasible
point of the full program; so is ``x*``. The attacker cannot exclude any of them, so the spread of a
target's total over these points is a lower bound of its range: a target already spread wider than
the threshold needs no LP at all.

*Relaxation.* Replacing, in every row, the part outside ``N`` by its smallest value over the boxes
gives rows that every feasible point satisfies: the relaxed sub-program's range *contains* the full
range, so a target narrow there is narrow for the full program too.

*Shared points.* Before any target gets a solve of its own, the targets sharing their largest
neighbourhood (a region, say) get two or four together: all their means as low as possible, all as
high, then every other one the other way. Each optimum is a feasible point as above, so one pair of
solves proves most of a region's targets safe at once (59,000 HiGHS solves for one scale of a
10,000-response publication before, about 5,000 after).

A target proven neither safe nor narrow on its largest neighbourhood is solved on the full program
(one HiGHS model, re-solved from the last basis), so every verdict -- narrowed or not -- is the full
LP's, exactly as before; only the cost changes. Neighbourhoods are released cells containing the target (its group,
department, region ...), tried smallest first, each sub-program built once and re-solved for every
target sharing it (dual simplex warm start; Huangfu & Hall 2018).

References
----------
Fellegi, I. P. (1972). On the question of statistical confidentiality. JASA 67, 7-18.
de Wolf, P.-P. (2002). HiTaS: a heuristic approach to cell suppression in hierarchical tables.
  In *Inference Control in Statistical Databases*, LNCS 2316, 74-82 (protecting each sub-table
  region in its own small program).
Huangfu, Q., Hall, J. A. J. (2018). Parallelizing the dual revised simplex method. Math. Prog.
  Comp. 10, 119-142.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import sparse

#: A target is declared safe on a sub-program only with this margin (score points x respondents) above
#: the threshold, so that solver round-off can never turn a full-program verdict around.
MARGIN = 1e-5

#: Largest neighbourhood tried, as a share of all variables (beyond it the full program is as cheap).
MAX_SHARE = 0.25

#: Passes of bound tightening for the relaxation (:func:`implied_bounds`).
PASSES = 4

#: Verdicts of :func:`classify`.
UNKNOWN, SAFE, NARROW = 0, 1, 2

#: Neighbourhoods tried per target (each at least ``GROWTH`` times the previous one).
TIERS = 3
GROWTH = 3.0

#: Targets sharing their largest neighbourhood from which :func:`classify` first looks for two feasible
#: points spreading all of them at once (:func:`_spread`) before solving for each one.
SPREAD_MIN = 3

#: Sign patterns of the pre-pass (two solves each).
SPREAD_PATTERNS = 2


def neighbourhoods(supersets: Sequence[np.ndarray], targets: Sequence[np.ndarray], nvar: int,
                   ) -> list[list[int]]:
    """For each target, the indices into ``supersets`` of the sets containing it, smallest first.

    Parameters
    ----------
    supersets : sequence of int arrays
        Candidate neighbourhoods (variable index sets), e.g. every released cell's members.
    targets : sequence of int arrays
        The protected sets.
    nvar : int
        Number of variables.

    Returns
    -------
    list of list of int
        Per target at most :data:`TIERS` candidates, each containing the previous one (a chain such as
        department, region: a cell crossing the previous one, like region x shift pattern after a
        department, fixes part of the previous neighbourhood at its truth and proves little), at least
        :data:`GROWTH` times larger than the previous and at most ``MAX_SHARE * nvar`` variables.
    """
    if not supersets:
        return [[] for _ in targets]
    sets = [_sorted_unique(m) for m in supersets]
    tsets = [_sorted_unique(m) for m in targets]
    sizes = np.array([m.size for m in sets])
    tsizes = np.array([m.size for m in tsets])
    inc = _incidence(sets, nvar)
    # hits[t, s] = |target t & superset s|, for every pair at once (one sparse product).
    hits = (_incidence(tsets, nvar) @ inc.T).tocsr()
    cap = max(1.0, MAX_SHARE * nvar)
    out: list[list[int]] = []
    for t in range(len(tsets)):
        row = slice(hits.indptr[t], hits.indptr[t + 1])
        cand, overlap = hits.indices[row], hits.data[row]
        cand = cand[(overlap == tsizes[t]) & (sizes[cand] > tsizes[t]) & (sizes[cand] <= cap)]
        cand = cand[np.lexsort((cand, sizes[cand]))]
        tiers: list[int] = []
        for c in cand:
            if tiers and sizes[c] < GROWTH * sizes[tiers[-1]]:
                continue
            if tiers and not _looks_nested(sets[tiers[-1]], sets[c]):
                continue  # not nested: e.g. a region x shift-pattern cell after a department
            tiers.append(int(c))
            if len(tiers) == TIERS:
                break
        out.append(tiers)
    return out


def _sorted_unique(m: np.ndarray) -> np.ndarray:
    """``m`` as a sorted array of distinct ints (as given when it is one already: no sort)."""
    m = np.asarray(m, dtype=np.int64)
    return m if m.size < 2 or bool((m[1:] > m[:-1]).all()) else np.unique(m)


def _looks_nested(inner: np.ndarray, outer: np.ndarray) -> bool:
    """Whether sorted ``inner`` seems to lie in sorted ``outer``, judged on its first, middle and last
    element. The chain of neighbourhoods only chooses which sub-programs to try -- any neighbourhood gives
    valid proofs -- so a cheap test is enough (an exact one took a third of a national publication)."""
    if inner.size > outer.size:
        return False
    probe = inner[[0, inner.size // 2, inner.size - 1]]
    at = np.searchsorted(outer, probe)
    return bool((at < outer.size).all() and (outer[np.minimum(at, outer.size - 1)] == probe).all())


def _incidence(sets: Sequence[np.ndarray], nvar: int) -> sparse.csr_array:
    """Rows = sets, columns = variables, 1 where the variable is in the set (sets given unique)."""
    indptr = np.concatenate([[0], np.cumsum([m.size for m in sets])]).astype(np.int64)
    indices = np.concatenate(sets) if sets else np.zeros(0, dtype=np.int64)
    return sparse.csr_array((np.ones(indices.size, dtype=np.int32), indices, indptr), shape=(len(sets), nvar))


def classify(lo: np.ndarray, hi: np.ndarray, a_ub: sparse.csr_array, b_ub: np.ndarray,
             truth: np.ndarray, targets: Sequence[np.ndarray], supersets: Sequence[np.ndarray],
             wide_enough: Callable[[int, float, float], bool], new_model: Callable[[], object],
             bases: Sequence[tuple[np.ndarray, np.ndarray] | None] = (),
             ) -> tuple[np.ndarray, np.ndarray]:
    """Targets proven safe (restriction, feasible points) or proven narrow (relaxation) locally.

    *Relaxation*: on a neighbourhood ``N``, replacing the outside part of every row by its smallest
    value over the variables' boxes gives rows every feasible point of the full program satisfies,
    so the relaxed sub-program's range contains the full range; a target narrow there is narrow in
    the full program. Targets proven neither way are left to the full program.

    Parameters
    ----------
    lo, hi : ndarray, shape (V,)
        Variable bounds of the full program.
    a_ub, b_ub : sparse (R, V) and ndarray (R,)
        Rows ``a_ub @ x <= b_ub`` of the full program.
    truth : ndarray, shape (V,)
        The true totals (a feasible point).
    targets : sequence of int arrays
    supersets : sequence of int arrays
        Candidate neighbourhoods (see :func:`neighbourhoods`).
    wide_enough : callable (target index, min, max) -> bool
        The caller's safety test on a range of the target's total (monotone: a wider range is
        never less safe).
    new_model : callable
        Returns an empty ``highspy.Highs`` (logging off).
    bases : sequence of (x_min, x_max) or None, optional
        Per target, the optima of its previous full solve (e.g. the last round of a suppression
        loop, when it was narrow). Used, when still feasible, as the fixed outside for the
        restriction (outside ``N`` at ``x_min`` for the minimum, at ``x_max`` for the maximum): the
        restricted range then contains the previous one, and only has to find the new freedom a
        withheld neighbour gave.

    Returns
    -------
    (status, ranges)
        ``status`` int array, shape (T,): :data:`SAFE`, :data:`NARROW` or :data:`UNKNOWN`;
        ``ranges`` shape (T, 2): for a safe target a range inside the full program's range (still
        wide enough), for a narrow one a range containing it (still narrow); undefined otherwise.
    """
    import highspy

    nvar = lo.size
    status = np.full(len(targets), UNKNOWN, dtype=np.int8)
    ranges = np.zeros((len(targets), 2))
    truth = np.clip(np.asarray(truth, dtype=float), lo, hi)
    ax_true = a_ub @ truth
    if np.any(ax_true > b_ub + 1e-6):  # the facts are not those of this data: no local proof
        return status, ranges
    relax: list[np.ndarray] = []  # tightened bounds and row minima, computed when first needed
    tiers = neighbourhoods(supersets, targets, nvar)
    by_col = a_ub.tocsc()
    base_ax: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
    for t, base in enumerate(bases):
        if base is None:
            continue
        pair = [np.clip(np.asarray(x, dtype=float), lo, hi) for x in base]
        axs = [a_ub @ x for x in pair]
        if all(np.all(ax <= b_ub + 1e-7) for ax in axs):
            base_ax[t] = (pair[0], pair[1], axs[0], axs[1])
    pending = list(range(len(targets)))
    h: Any = None   # a highspy.Highs (untyped), made when the first target needs a linear program
    # Pre-pass: the targets sharing their largest neighbourhood (a region, say) get two solves together, the
    # lowest and the highest point of all their means at once. Each optimum, completed by the truth outside,
    # is a feasible point of the whole program; a target whose total spreads wide enough over these points
    # and the truth is safe without a solve of its own.
    # (Sharing the second tier instead of the largest cost 135 s a scale against 94 s on 100,000 responses.)
    shared: dict[int, list[int]] = {}
    for t in pending:
        if tiers[t]:
            shared.setdefault(tiers[t][-1], []).append(t)
    for cont, ts in shared.items():
        if len(ts) < SPREAD_MIN:
            continue
        cols, sub, live, fixed = _restriction(supersets[cont], by_col, b_ub, ax_true, truth)
        if h is None:
            h = new_model()
        _pass(h, lo[cols], hi[cols], sub, fixed)
        where = [np.searchsorted(cols, np.asarray(targets[t], dtype=int)) for t in ts]
        points = [truth[cols]]
        for pattern in range(SPREAD_PATTERNS):  # all targets one way; then every other one the other way
            weights = np.zeros(cols.size)
            for i, pos in enumerate(where):
                weights[pos] += (-1.0 if pattern and i % 2 else 1.0) / max(pos.size, 1)
            _spread(h, weights, points, lo[cols], hi[cols])
        for t, pos in zip(ts, where, strict=True):
            vals = [float(p[pos].sum()) for p in points]
            if wide_enough(t, min(vals) + MARGIN, max(vals) - MARGIN):
                status[t], ranges[t] = SAFE, (min(vals), max(vals))
    pending = [t for t in pending if status[t] == UNKNOWN]
    for level in range(TIERS):
        groups: dict[int, list[int]] = {}
        for t in pending:
            if level < len(tiers[t]):
                groups.setdefault(tiers[t][level], []).append(t)
        for cont, ts in groups.items():
            cols, sub, live, fixed = _restriction(supersets[cont], by_col, b_ub, ax_true, truth)
            points = [truth[cols]]
            if h is None:
                h = new_model()
            model_ready = False
            unsure = []
            every = np.arange(live.size, dtype=np.int32)
            minus_inf = np.full(live.size, -highspy.kHighsInf)
            for t in ts:
                pos = np.searchsorted(cols, np.asarray(targets[t], dtype=int))
                vals = [float(p[pos].sum()) for p in points]
                if wide_enough(t, min(vals) + MARGIN, max(vals) - MARGIN):
                    status[t], ranges[t] = SAFE, (min(vals), max(vals))
                    continue
                if not model_ready:
                    _pass(h, lo[cols], hi[cols], sub, fixed)
                    model_ready = True
                if t in base_ax:
                    x_min, x_max, ax_min, ax_max = base_ax[t]
                    ends: list[float] = []
                    for x, ax, sense in ((x_min, ax_min, "min"), (x_max, ax_max, "max")):
                        h.changeRowsBounds(live.size, every, minus_inf, b_ub[live] - (ax[live] - sub @ x[cols]))
                        one = _solve(h, cols.size, pos, points, lo[cols], hi[cols], only=sense)
                        if one is not None:
                            ends.append(one[0])
                    h.changeRowsBounds(live.size, every, minus_inf, fixed)
                    if len(ends) == 2 and wide_enough(t, ends[0] + MARGIN, ends[1] - MARGIN):
                        status[t], ranges[t] = SAFE, (ends[0], ends[1])
                        continue
                bounds = _solve(h, cols.size, pos, points, lo[cols], hi[cols])
                if bounds is not None and wide_enough(t, bounds[0] + MARGIN, bounds[1] - MARGIN):
                    status[t], ranges[t] = SAFE, bounds
                else:
                    unsure.append((t, pos))
            if unsure:
                if not relax:
                    tlo, thi = implied_bounds(lo, hi, a_ub, b_ub)
                    relax += [tlo, thi, a_ub.maximum(0) @ tlo + a_ub.minimum(0) @ thi]  # rows' smallest values
                tlo, thi, row_min = relax
                relaxed = b_ub[live] - (row_min[live] - (sub.maximum(0) @ tlo[cols] + sub.minimum(0) @ thi[cols]))
                h.changeRowsBounds(live.size, np.arange(live.size, dtype=np.int32),
                                   np.full(live.size, -highspy.kHighsInf), relaxed)
                h.changeColsBounds(cols.size, np.arange(cols.size, dtype=np.int32), tlo[cols], thi[cols])
                for t, pos in unsure:
                    bounds = _solve(h, cols.size, pos, None, lo[cols], hi[cols])
                    if bounds is not None and not wide_enough(t, bounds[0] - MARGIN, bounds[1] + MARGIN):
                        status[t], ranges[t] = NARROW, bounds
        pending = [t for t in pending if status[t] == UNKNOWN]
        if not pending:
            break
    return status, ranges


def implied_bounds(lo: np.ndarray, hi: np.ndarray, a_ub: sparse.csr_array, b_ub: np.ndarray,
                   passes: int = PASSES) -> tuple[np.ndarray, np.ndarray]:
    """Variable bounds implied by the rows (feasibility-based bound tightening, a few passes).

    For a row ``sum a_j x_j <= b`` and each of its variables, ``a_j x_j <= b - (smallest value of
    the other terms over the boxes)``. Every feasible point satisfies the tightened bounds, so a
    program using them is still a relaxation. Each pass widens the result by a relative ``1e-9``
    (never tighter than the exact implication despite round-off).

    Returns
    -------
    (lo, hi) : ndarrays, shape (V,)
    """
    lo, hi = lo.astype(float).copy(), hi.astype(float).copy()
    coo = a_ub.tocoo()
    r, j, a = coo.row, coo.col, coo.data
    for _ in range(passes):
        term_min = np.where(a > 0, a * lo[j], a * hi[j])
        row_min = np.bincount(r, weights=term_min, minlength=a_ub.shape[0])
        room = b_ub[r] - (row_min[r] - term_min)  # a_j x_j <= room
        bound = room / a
        slack = 1e-9 * (np.abs(bound) + 1.0)
        new_hi, new_lo = hi.copy(), lo.copy()
        up = a > 0
        np.minimum.at(new_hi, j[up], bound[up] + slack[up])
        np.maximum.at(new_lo, j[~up], bound[~up] - slack[~up])
        new_lo = np.minimum(new_lo, new_hi)
        if np.allclose(new_lo, lo) and np.allclose(new_hi, hi):
            lo, hi = new_lo, new_hi
            break
        lo, hi = new_lo, new_hi
    return lo, hi


def _solve(h: Any, ncols: int, pos: np.ndarray, points: list | None, lo: np.ndarray, hi: np.ndarray,
           only: str | None = None) -> tuple[float, ...] | None:
    """Min and max (or ``only`` one) of the sum of columns ``pos`` on the model in ``h`` (None if not
    optimal)."""
    import highspy

    h.changeColsCost(ncols, np.arange(ncols, dtype=np.int32), np.zeros(ncols))
    h.changeColsCost(pos.size, pos.astype(np.int32), np.ones(pos.size))
    bounds = []
    senses = {"min": [highspy.ObjSense.kMinimize], "max": [highspy.ObjSense.kMaximize],
              None: [highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize]}[only]
    for sense in senses:
        h.changeObjectiveSense(sense)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        bounds.append(h.getInfo().objective_function_value)
        if points is not None:
            points.append(np.clip(np.asarray(h.getSolution().col_value), lo, hi))
    return tuple(bounds)


def _restriction(neighbourhood: np.ndarray, by_col: sparse.csc_array, b_ub: np.ndarray, ax_true: np.ndarray,
                 truth: np.ndarray) -> tuple[np.ndarray, sparse.csr_array, np.ndarray, np.ndarray]:
    """The whole program restricted to ``neighbourhood`` (everything outside fixed at its truth):
    its columns, the rows touching them (``sub``, ``live`` their indices) and their right-hand sides."""
    cols = np.unique(np.asarray(neighbourhood, dtype=int))
    sub = by_col[:, cols].tocsr()
    live = np.flatnonzero(np.diff(sub.indptr))
    sub = sub[live]
    return cols, sub, live, b_ub[live] - (ax_true[live] - sub @ truth[cols])


def _spread(h: Any, weights: np.ndarray, points: list, lo: np.ndarray, hi: np.ndarray) -> None:
    """Minimise and maximise ``weights @ x`` on the model in ``h``; append the optima to ``points``."""
    import highspy

    h.changeColsCost(weights.size, np.arange(weights.size, dtype=np.int32), weights)
    for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
        h.changeObjectiveSense(sense)
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            points.append(np.clip(np.asarray(h.getSolution().col_value), lo, hi))


def _pass(h: Any, lo: np.ndarray, hi: np.ndarray, a: sparse.csr_array, rhs: np.ndarray) -> None:
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_ = lo.size
    lp.num_row_ = a.shape[0]
    lp.col_cost_ = np.zeros(lo.size)
    lp.col_lower_ = lo
    lp.col_upper_ = hi
    lp.row_lower_ = np.full(a.shape[0], -highspy.kHighsInf)
    lp.row_upper_ = np.asarray(rhs, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = lo.size
    lp.a_matrix_.num_row_ = a.shape[0]
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    h.passModel(lp)
