"""The linear-programming adversary (DESIGN.md rule 8): bounds of sums of unknown cell totals.

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

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from wellbeing.core.disclosure.local import UNKNOWN, classify

try:  # MIT; one model per program, re-solved from the last basis for every target
    import highspy
except ImportError:  # pragma: no cover - scipy's HiGHS (one fresh model per LP) is the fallback
    highspy = None  # type: ignore[assignment]


def _quiet_highs() -> Any:
    """A ``highspy.Highs`` with logging off. highspy 1.16 prints its banner to file descriptor 1 in the
    constructor, before any option can be set: that would corrupt the CLI's CSV/JSON on stdout, so
    descriptor 1 points at /dev/null while it is built."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    return h

#: Targets whose last full optima a suppression loop keeps (memory: two vectors per target).
MEMO_SIZE = 400

#: Numerical slack added to every released interval so that LP round-off never makes the true
#: table infeasible.
EPS = 1e-7

#: Variables above which a suppression loop never solves its whole program (see :func:`lp_ranges`): one
#: such solve of a national wave's 100,000 joint cells takes minutes, and a set the local proofs leave
#: undecided is then treated as narrow (protected by one more withheld cell) instead.
WHOLE_PROGRAM_LIMIT = 20_000


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
    *,
    truth: np.ndarray | None = None,
    supersets: Sequence[np.ndarray] = (),
    wide_enough: Callable[[int, float, float], bool] | None = None,
    memo: dict[bytes, tuple[np.ndarray, np.ndarray]] | None = None,
    undecided_narrow_above: int | None = None,
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
        ``[min, max]`` of each target's total over the feasible polytope. With ``truth`` and
        ``wide_enough``, a target proven safe on a neighbourhood (:mod:`.local`) gets a range
        contained in the exact one and still ``wide_enough``, a target proven narrow a range
        containing it and still narrow; every other target gets its exact range.
    truth : ndarray, shape (F,), optional
        The true totals (a feasible point), enabling the local proofs of :mod:`.local`.
    supersets : sequence of int arrays
        Candidate neighbourhoods for the local proofs (e.g. every released cell's members).
    wide_enough : callable (target index, min, max) -> bool, optional
        The caller's safety test; targets it accepts on a sub-program skip the full program.
    memo : dict, optional
        Kept by the caller across the rounds of a suppression loop (each round only withholds
        more, so earlier feasible points stay feasible; checked anyway): the optima of each
        target's last full solve, the starting points of its next local proof.
    undecided_narrow_above : int, optional
        With ``truth`` and ``wide_enough``, on a program of more variables than this a target no local
        proof decides is not solved on the whole program: it gets its true total as its range (narrow),
        and the caller protects it as if it were narrowed. Only for a caller whose loop ends when it
        cannot withhold more (the publication's breakdowns: :data:`WHOLE_PROGRAM_LIMIT`).

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
            lo[j] = max(lo[j], c.low - EPS)
            hi[j] = min(hi[j], c.high + EPS)
        else:
            rows.append(m)
            b_low.append(c.low - EPS)
            b_high.append(c.high + EPS)
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
        a_ub: Any = sparse.csr_array((np.concatenate(val), indices, indptr), shape=(len(idx), nvar))
        if highspy is None and nvar * len(idx) < 40_000:  # small problems: dense input is parsed faster
            a_ub = a_ub.toarray()
        b_ub: np.ndarray | None = np.concatenate([np.array(b_high), -np.array(b_low),
                                                  [float(e[2]) + EPS for e in extra]])
        constrained[indices] = True
    else:
        a_ub, b_ub = None, None
    # Variables that appear in no multi-cell constraint are free within their box: their range is
    # the box itself, no LP needed.
    if highspy is not None and a_ub is not None and b_ub is not None:
        a_ub = sparse.csr_array(a_ub)
        if truth is None or wide_enough is None:
            return _ranges_highs(lo, hi, a_ub, b_ub, constrained, targets)
        keys = [np.asarray(m, dtype=np.int64).tobytes() for m in targets]
        bases = [None if memo is None else memo.get(k) for k in keys]
        status, out = classify(lo, hi, a_ub, b_ub, truth, targets, supersets, wide_enough, _quiet_highs, bases)
        rest = np.flatnonzero(status == UNKNOWN)
        if rest.size and undecided_narrow_above is not None and nvar > undecided_narrow_above:
            # A national wave: no solve on the whole program. A set no local proof decides is reported
            # as narrow (its true total, width 0), so the suppression loop withholds one more cell next
            # to it and tries again -- never less protection, only (rarely) one cell more withheld.
            true = np.asarray(truth, dtype=float)
            for undecided in rest:
                x = float(true[np.asarray(targets[int(undecided)], dtype=int)].sum())
                out[undecided] = x, x
            return out
        if rest.size:
            solutions: list[tuple[np.ndarray, np.ndarray] | None] = []
            out[rest] = _ranges_highs(lo, hi, a_ub, b_ub, constrained, [targets[int(t)] for t in rest], solutions)
            if memo is not None:
                for r, sol in zip(rest, solutions, strict=True):
                    if sol is not None and len(memo) < MEMO_SIZE:
                        memo[keys[int(r)]] = sol
        return out
    bounds = list(zip(lo, hi, strict=True))
    out = np.empty((len(targets), 2))
    for t, members in enumerate(targets):
        members = np.asarray(members, dtype=int)
        if not constrained[members].any():
            out[t] = lo[members].sum(), hi[members].sum()
            continue
        objective = np.zeros(nvar)
        objective[members] = 1.0
        res_min = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        res_max = linprog(-objective, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        if res_min.status != 0 or res_max.status != 0:
            raise RuntimeError(f"auditor LP failed: {res_min.message} / {res_max.message}")
        out[t] = res_min.fun, -res_max.fun
    return out


def _ranges_highs(lo: np.ndarray, hi: np.ndarray, a_ub: sparse.csr_array, b_ub: np.ndarray,
                  constrained: np.ndarray, targets: Sequence[np.ndarray],
                  solutions: list | None = None) -> np.ndarray:
    """:func:`lp_ranges` with one HiGHS model: only the objective changes between solves, so each
    solve starts from the previous optimal basis (dual simplex warm start; Huangfu & Hall 2018).
    ``solutions`` (optional) receives each target's ``(x_min, x_max)`` optima (None when no LP)."""
    nvar = lo.size
    h = _quiet_highs()
    lp = highspy.HighsLp()
    lp.num_col_ = nvar
    lp.num_row_ = a_ub.shape[0]
    lp.col_cost_ = np.zeros(nvar)
    lp.col_lower_ = lo
    lp.col_upper_ = hi
    lp.row_lower_ = np.full(a_ub.shape[0], -highspy.kHighsInf)
    lp.row_upper_ = np.asarray(b_ub, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = nvar
    lp.a_matrix_.num_row_ = a_ub.shape[0]
    lp.a_matrix_.start_ = a_ub.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a_ub.indices.astype(np.int32)
    lp.a_matrix_.value_ = a_ub.data.astype(float)
    h.passModel(lp)
    out = np.empty((len(targets), 2))
    previous = np.zeros(0, dtype=np.int32)
    for t, members in enumerate(targets):
        members = np.asarray(members, dtype=np.int32)
        if not constrained[members].any():
            out[t] = lo[members].sum(), hi[members].sum()
            if solutions is not None:
                solutions.append(None)
            continue
        if previous.size:
            h.changeColsCost(previous.size, previous, np.zeros(previous.size))
        h.changeColsCost(members.size, members, np.ones(members.size))
        previous = members
        optimum: list[np.ndarray] = []
        for col, sense in ((0, highspy.ObjSense.kMinimize), (1, highspy.ObjSense.kMaximize)):
            h.changeObjectiveSense(sense)
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                raise RuntimeError(f"auditor LP failed: {h.modelStatusToString(h.getModelStatus())}")
            out[t, col] = h.getInfo().objective_function_value
            if solutions is not None:
                optimum.append(np.asarray(h.getSolution().col_value, dtype=float))
        if solutions is not None:
            solutions.append((optimum[0], optimum[1]))
    return out


# ---------------------------------------------------------------------------------------------
# Cells, relations and the suppression loop (rule 8)
# ---------------------------------------------------------------------------------------------
