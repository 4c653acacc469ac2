"""The joint auditor: a wave's publication (standard table + breakdown tables) audited as one program.

Every released cell of every table is a set of *joint cells* -- reporting group x every breakdown
value of the wave's menu (language, each context item). Cells of different tables that hold the same
respondents are one cell with one status (the linked-table rule of sdcTable / tau-Argus: a common
cell cannot be shown in one table and hidden in another). Tables are suppressed in a fixed order
(the standard table first, exactly as :func:`~wellbeing.core.disclosure.tables.release_table`
releases it alone, then each breakdown in menu order), and a table only ever withholds its own new
cells: what is hidden therefore depends on the menu, never on the order in which people ask, and the
standard table releases exactly what it released alone (the usefulness floor).

For a new table, repeated until nothing changes:

* primary suppression (K, pin rule) of its new cells;
* the counting rule inside the table's own margins (rule 8);
* rule 9 on respondent sets: for every pair of shown cells of the whole publication,
  ``|A \\ B|`` and ``|B \\ A|`` are each 0 or at least K; otherwise the new cell of the pair (the
  smaller one when both are new) is withheld (``overlap``) and the difference ``A \\ B`` becomes a
  protected set of the auditor;
* the LP attacker over the joint cells' score sums, knowing every joint cell's exact count and
  every shown mean of every table (rounding interval), must not narrow any protected set -- every
  primary-suppressed cell of the publication and every rule-9 difference -- below a quarter of the
  scale; otherwise the smallest new shown cell touching the target is withheld (``complementary``).

Breakdown tables release means and counts, not shares: shares and band counts come from the
standard table only (its means and shares are audited together there).

:class:`ReleaseFacts` is what an attacker holds after a publication (linear facts on the joint cells'
score sums); :func:`audit_facts` adds further facts -- model terms, other waves -- and reports every
protected set they narrow. Models are audited with it (see ``docs/disclosure.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

import wellbeing.core.disclosure.lp as lp
from wellbeing.core.disclosure.cells import ALL
from wellbeing.core.disclosure.lp import Constraint, lp_ranges
from wellbeing.core.disclosure.rounding import ScaleSpec, check_k, exact_ratio, to_decimal
from wellbeing.core.disclosure.suppression import PRIMARY_REASONS, pinned
from wellbeing.core.disclosure.tables import normalise_levels, release_table

#: Version of the suppression algorithm; part of every ledger key (a new version is a new release and
#: the old one stays a constraint).
ALGORITHM_VERSION = "joint-1"


@dataclass(frozen=True)
class TableSpec:
    """One table of a publication.

    Attributes
    ----------
    name : str
        ``"standard"`` or the breakdown dimension (``"language"``, ``"service_years"``).
    dims : tuple of str
        Finest dimensions of the table (columns of the joint cells), e.g.
        ``("region", "department", "group", "shift_pattern", "language")``.
    margins : tuple of tuple of str
        Released aggregations, as in :func:`release_table`.
    """

    name: str
    dims: tuple[str, ...]
    margins: tuple[tuple[str, ...], ...] = ()


@dataclass
class ReleaseFacts:
    """Everything an attacker knows about the joint cells' score sums after a release.

    Attributes
    ----------
    n : ndarray, shape (F,)
        Exact respondent count of each joint cell (granted to the attacker).
    lo, hi : float
        Scale range: each score lies in ``[lo, hi]``.
    rows : list of (members, low, high)
        ``low <= sum of S_j over members <= high`` for every shown mean (score points x respondents).
    general : list of (coefficients, low, high)
        ``low <= coefficients @ S <= high`` (dense, shape (F,)): model terms and estimated means.
    targets : list of (members, label)
        Protected sets: no attacker may narrow their mean below ``(hi - lo) / 4``.
    """

    n: np.ndarray
    lo: float
    hi: float
    rows: list[tuple[np.ndarray, float, float]] = field(default_factory=list)
    general: list[tuple[np.ndarray, float, float]] = field(default_factory=list)
    targets: list[tuple[np.ndarray, str]] = field(default_factory=list)

    @property
    def quarter(self) -> float:
        return (self.hi - self.lo) / 4.0


def stack_facts(parts: Sequence[ReleaseFacts]) -> ReleaseFacts:
    """Facts of several waves side by side (variables concatenated), e.g. for a pooled model.

    All parts must share the scale range. Returns one :class:`ReleaseFacts` over ``sum(F_i)`` cells.
    """
    if not parts:
        raise ValueError("no facts to stack")
    offset = 0
    out = ReleaseFacts(np.concatenate([p.n for p in parts]), parts[0].lo, parts[0].hi)
    total = len(out.n)
    for p in parts:
        if (p.lo, p.hi) != (out.lo, out.hi):
            raise ValueError("facts of different scale ranges cannot be stacked")
        out.rows += [(m + offset, lo, hi) for m, lo, hi in p.rows]
        for coef, lo, hi in p.general:
            full = np.zeros(total)
            full[offset:offset + len(p.n)] = coef
            out.general.append((full, lo, hi))
        out.targets += [(m + offset, label) for m, label in p.targets]
        offset += len(p.n)
    return out


def facts_from_tables(keys: pd.DataFrame, n: np.ndarray, tables: Sequence[pd.DataFrame], scale: ScaleSpec,
                      ) -> ReleaseFacts:
    """Facts an attacker holds from tables released earlier (e.g. under an older algorithm version).

    Parameters
    ----------
    keys : DataFrame
        One row per joint cell with its dimension values.
    n : ndarray, shape (F,)
        Joint cells' counts.
    tables : released frames (``*`` marks an aggregated dimension; absent dimensions are aggregated)
    scale : ScaleSpec

    Returns
    -------
    ReleaseFacts
        A row per shown mean; a target per primary-suppressed cell.
    """
    n = np.asarray(n)
    facts = ReleaseFacts(n.copy(), scale.lo, scale.hi)
    for t in tables:
        dims = [c for c in t.columns if c in keys.columns]
        for _, row in t.iterrows():
            mask = np.ones(len(keys), dtype=bool)
            for d in dims:
                if str(row[d]) != ALL:
                    mask &= keys[d].astype(str).to_numpy() == str(row[d])
            mem = np.flatnonzero(mask)
            tot = int(n[mem].sum())
            if tot == 0:
                continue
            if not bool(row["suppressed"]) and pd.notna(row["mean"]):
                m = float(row["mean"])
                facts.rows.append((mem, (m - scale.half_unit) * tot, (m + scale.half_unit) * tot))
            elif str(row.get("reason", "")) in PRIMARY_REASONS:
                facts.targets.append((mem, f"earlier release {len(facts.targets)}"))
    return facts


def audit_facts(facts: ReleaseFacts, targets: Sequence[tuple[np.ndarray, str]] | None = None,
                *, truth: np.ndarray | None = None, supersets: Sequence[np.ndarray] = (),
                memo: dict | None = None) -> list[tuple[str, float, float]]:
    """The LP attacker on ``facts``: every protected set narrowed below a quarter of the scale.

    Parameters
    ----------
    facts : ReleaseFacts
    targets : sequence of (members, label), optional
        Sets to attack; default ``facts.targets``.
    truth : ndarray, shape (F,), optional
        The joint cells' true score sums: with it, most targets are proven safe on small
        neighbourhoods taken from ``supersets`` (:mod:`wellbeing.core.disclosure.local`); the verdict
        is the same as without it.
    supersets : sequence of int arrays
        Candidate neighbourhoods (e.g. every cell of the publication).
    memo : dict, optional
        A suppression loop's store of earlier optima (see :func:`~wellbeing.core.disclosure.lp.lp_ranges`).
        With ``truth``, on more than :data:`~wellbeing.core.disclosure.lp.WHOLE_PROGRAM_LIMIT` joint
        cells a set no local proof decides is reported narrowed (its true mean) instead of solved on
        the whole program: the caller withholds one more cell.

    Returns
    -------
    list of (label, low, high)
        The attacker's range of each narrowed set's mean (score points). Empty when safe.

    Raises
    ------
    RuntimeError
        When the facts contradict each other (a bug or wrong input).
    """
    targets = facts.targets if targets is None else list(targets)
    live = [(m[facts.n[m] > 0], label) for m, label in targets]
    live = [(m, label) for m, label in live if m.size]
    if not live:
        return []
    n = facts.n.astype(float)
    constraints = [Constraint(m, lo, hi) for m, lo, hi in facts.rows]
    extra = []
    for coef, lo, hi in facts.general:
        idx = np.flatnonzero(coef)
        extra.append((idx, coef[idx], hi))
        extra.append((idx, -coef[idx], -lo))
    tots = np.array([n[m].sum() for m, _ in live])

    def wide_enough(t: int, tmin: float, tmax: float) -> bool:
        return (tmax - tmin) / tots[t] >= facts.quarter - 1e-9

    ranges = lp_ranges(facts.lo * n, facts.hi * n, constraints, [m for m, _ in live], extra,
                       truth=truth, supersets=supersets, wide_enough=wide_enough if truth is not None else None,
                       memo=memo, undecided_narrow_above=lp.WHOLE_PROGRAM_LIMIT if truth is not None else None)
    out = []
    for (m, label), (tmin, tmax) in zip(live, ranges, strict=True):
        tot = n[m].sum()
        if (tmax - tmin) / tot < facts.quarter - 1e-9:
            out.append((label, tmin / tot, tmax / tot))
    return out


@dataclass
class _Registry:
    """Unique released cells of the publication so far (one status per respondent set)."""

    members: list[np.ndarray] = field(default_factory=list)
    n: list[int] = field(default_factory=list)
    mean: list[float] = field(default_factory=list)
    shown: list[bool] = field(default_factory=list)
    reason: list[str] = field(default_factory=list)
    table: list[int] = field(default_factory=list)
    by_key: dict[tuple, int] = field(default_factory=dict)
    extra_targets: list[tuple[np.ndarray, str]] = field(default_factory=list)


def _key(members: np.ndarray, fn: np.ndarray, label: tuple) -> tuple:
    members = np.asarray(members, dtype=np.int64)
    pos = tuple(members[fn[members] > 0].tolist())
    return ("set", pos) if pos else ("empty", label)


def _decimal_mean(fs: list[Decimal], members: np.ndarray, n: int, decimals: int) -> float:
    with localcontext() as ctx:
        ctx.prec = 40
        total = sum((fs[j] for j in members), Decimal(0))
    return float(exact_ratio(total, n, decimals))


def _table_cells(cells: pd.DataFrame, spec: TableSpec) -> tuple[list, list, list[np.ndarray], list]:
    """Cells of one table over the joint cells: (level names, keys, members, relations)."""
    dims = spec.dims
    levels = normalise_levels(dims, spec.margins)
    names: list[str] = []
    keys: list[tuple] = []
    members: list[np.ndarray] = []
    index_of: list[dict[tuple, int]] = []
    sub = cells[cells["n"] > 0]  # groups without respondents belong to the standard table only
    where = sub.index.to_numpy()
    for lv in levels:
        groups = sub.groupby(list(lv), sort=True).indices if lv else {(): np.arange(len(sub))}
        idx = {}
        for proj, mem in groups.items():
            proj = proj if isinstance(proj, tuple) else (proj,)
            mem = where[mem]
            full = [ALL] * len(dims)
            for d, v in zip(lv, proj, strict=True):
                full[dims.index(d)] = v
            idx[proj] = len(keys)
            names.append("+".join(lv) if lv else "total")
            keys.append(tuple(full))
            members.append(np.asarray(mem, dtype=int))
        index_of.append(idx)
    relations = []
    for la, lva in enumerate(levels):
        for lb, lvb in enumerate(levels):
            if not set(lva) < set(lvb):
                continue
            pos = [lvb.index(d) for d in lva]
            kids: dict[tuple, list[int]] = {}
            for proj_b, cb in index_of[lb].items():
                kids.setdefault(tuple(proj_b[p] for p in pos), []).append(cb)
            for proj_a, ca in index_of[la].items():
                relations.append((ca, kids[proj_a]))
    return names, keys, members, relations


def _overlap_conflicts(reg: _Registry, fn: np.ndarray, k: int, only_new: bool = True,
                       ) -> list[tuple[int, int, int, int]]:
    """Pairs (a, b, |a\\b|, |b\\a|) of shown cells breaking rule 9, at least one of them new (table -1)."""
    shown = [i for i, s in enumerate(reg.shown) if s and reg.n[i] > 0]
    if len(shown) < 2:
        return []
    rows = np.concatenate([np.full(reg.members[i].size, r) for r, i in enumerate(shown)])
    cols = np.concatenate([reg.members[i] for i in shown])
    m = sparse.csr_array((np.ones(rows.size), (rows, cols)), shape=(len(shown), len(fn)))
    inter = (m @ sparse.diags_array(fn.astype(float)) @ m.T).tocoo()
    sizes = np.array([reg.n[i] for i in shown], dtype=np.int64)
    r, c, v = inter.row, inter.col, np.rint(inter.data).astype(np.int64)
    upper = r < c
    r, c, v = r[upper], c[upper], v[upper]
    only_a, only_b = sizes[r] - v, sizes[c] - v
    bad = ((only_a > 0) & (only_a < k)) | ((only_b > 0) & (only_b < k))
    ids = np.asarray(shown, dtype=np.int64)
    if only_new:
        table = np.asarray(reg.table)
        bad &= (table[ids[r]] == -1) | (table[ids[c]] == -1)
    return [(int(ids[i]), int(ids[j]), int(x), int(y))
            for i, j, x, y in zip(r[bad], c[bad], only_a[bad], only_b[bad], strict=True)]


def release_publication(
    cells: pd.DataFrame,
    tables: Sequence[TableSpec],
    scale: ScaleSpec,
    k: int,
    *,
    wave_open: bool = False,
    prior: ReleaseFacts | None = None,
    standard_cells: pd.DataFrame | None = None,
) -> tuple[dict[str, pd.DataFrame], ReleaseFacts]:
    """Suppress and audit a wave's publication jointly.

    Parameters
    ----------
    cells : DataFrame
        One row per joint cell: every dimension named by any table, ``n``, ``sum`` and ``n_high``
        (no microdata). Groups without respondents may appear with ``n = 0``.
    tables : sequence of TableSpec
        The standard table first, then the breakdown tables in menu order.
    scale : ScaleSpec
    k : int
        Minimum cell size (>= 5).
    wave_open : bool
        While a wave is open only its total count is released (rule 11): breakdown tables withhold
        everything.
    prior : ReleaseFacts, optional
        Facts released earlier about the same joint cells (a superseded publication): added to the
        attacker's knowledge.
    standard_cells : DataFrame, optional
        The standard table's own finest cells (``tables[0].dims``, ``n``, ``sum``, ``n_high``) when the
        caller has them summed directly from the scores (then the standard table is bit for bit what
        :func:`release_table` gives alone); by default they are summed from ``cells``.

    Returns
    -------
    (dict of name -> DataFrame, ReleaseFacts)
        Each table in :func:`release_table`'s format, and the attacker's knowledge after it.

    Raises
    ------
    ValueError
        On K < 5 or malformed cells (as :func:`release_table`).
    """
    k = check_k(k)
    if not tables:
        raise ValueError("a publication needs at least the standard table")
    cells = cells.reset_index(drop=True)
    fn = cells["n"].to_numpy(dtype=np.int64)
    fs = [to_decimal(x) for x in cells["sum"].fillna(0)]
    reg = _Registry()
    facts = ReleaseFacts(fn.copy(), scale.lo, scale.hi)
    if prior is not None:
        facts.rows += prior.rows
        facts.general += prior.general
        facts.targets += prior.targets
    out: dict[str, pd.DataFrame] = {}
    first = tables[0]
    agg = standard_cells if standard_cells is not None else (
        cells.groupby(list(first.dims), sort=False, dropna=False)[["n", "sum", "n_high"]].sum().reset_index())
    std = release_table(agg, first.dims, scale, [list(m) for m in first.margins], k, wave_open=wave_open)
    out[first.name] = std
    std_members = _rows_members(cells, std, first.dims)
    std_ids = []
    for (_, row), mem in zip(std.iterrows(), std_members, strict=True):
        key = _key(mem, fn, (first.name, *(row[d] for d in first.dims)))
        shown = not bool(row["suppressed"]) and pd.notna(row["mean"])
        if key not in reg.by_key:
            reg.by_key[key] = len(reg.members)
            reg.members.append(mem)
            reg.n.append(int(fn[mem].sum()))
            reg.mean.append(float(row["mean"]) if shown else float("nan"))
            reg.shown.append(shown)
            reg.reason.append(str(row["reason"]))
            reg.table.append(0)
        std_ids.append(reg.by_key[key])
    finest = {i for i, lv in zip(std_ids, std["level"], strict=True) if lv == "+".join(first.dims)}
    if not wave_open:
        _standard_overlaps(reg, fn, k, finest)
        changed = [r for r, i in enumerate(std_ids) if not reg.shown[i] and not bool(std.at[r, "suppressed"])]
        if changed:
            std = std.copy()
            for col in ("n", "mean", "share_high"):
                std.loc[changed, col] = pd.NA
            std.loc[changed, "suppressed"] = True
            std.loc[changed, "reason"] = "overlap"
            std.loc[changed, "share_reason"] = "overlap"
            out[first.name] = std
    table_ids = {first.name: std_ids}
    for ti, spec in enumerate(tables[1:], start=1):
        out[spec.name], table_ids[spec.name] = _release_breakdown(cells, fn, fs, spec, ti, reg, facts, scale, k,
                                                                  wave_open)
    # Cells of earlier tables that a later breakdown withheld (see _release_breakdown): their tables say so.
    for name, ids in table_ids.items():
        tab = out[name]
        late = [r for r, i in enumerate(ids) if not reg.shown[i] and not bool(tab.at[r, "suppressed"])]
        if late:
            tab = tab.copy()
            for col in ("n", "mean", "share_high"):
                tab.loc[late, col] = pd.NA
            tab.loc[late, "suppressed"] = True
            tab.loc[late, "reason"] = [reg.reason[ids[r]] for r in late]
            tab.loc[late, "share_reason"] = [reg.reason[ids[r]] for r in late]
            out[name] = tab
    facts.rows = list(facts.rows) + [(reg.members[i], (reg.mean[i] - scale.half_unit) * reg.n[i],
                                      (reg.mean[i] + scale.half_unit) * reg.n[i])
                                     for i in range(len(reg.members)) if reg.shown[i] and reg.n[i] > 0]
    facts.targets = list(facts.targets) + _protected(reg) + reg.extra_targets
    return out, facts


def _rows_members(cells: pd.DataFrame, table: pd.DataFrame, dims: Sequence[str]) -> list[np.ndarray]:
    """Joint cells under each row of a released table (``*`` = aggregated), sorted; one group-by per level."""
    values = {d: table[d].to_numpy() for d in dims}
    is_all = {d: np.array([str(v) == ALL for v in values[d]]) for d in dims}
    out: list[np.ndarray] = [np.zeros(0, dtype=int)] * len(table)
    kept_of = [tuple(d for d in dims if not is_all[d][r]) for r in range(len(table))]
    for kept in set(kept_of):
        rows = [r for r, k in enumerate(kept_of) if k == kept]
        if not kept:
            for r in rows:
                out[r] = np.arange(len(cells))
            continue
        index = cells.groupby(list(kept), sort=False, dropna=False).indices
        for r in rows:
            key = tuple(values[d][r] for d in kept)
            mem = index.get(key if len(kept) > 1 else key[0])
            out[r] = np.zeros(0, dtype=int) if mem is None else np.sort(np.asarray(mem, dtype=int))
    return out


def _standard_overlaps(reg: _Registry, fn: np.ndarray, k: int, finest: set[int]) -> None:
    """Rule 9 inside the standard table: of two shown cells whose respondent sets differ by 1..K-1, the
    margin (not a group cell; the smaller one) is withheld, and the difference becomes a protected set.
    Withholding only removes facts, so the table's own audit still holds."""
    while True:
        found = _overlap_conflicts(reg, fn, k, only_new=False)
        if not found:
            return
        a, b, only_a, only_b = found[0]
        c = min((a, b), key=lambda c: (c in finest, reg.n[c], c))
        reg.shown[c], reg.reason[c] = False, "overlap"
        for x, y, size in ((a, b, only_a), (b, a, only_b)):
            if 0 < size < k:
                reg.extra_targets.append((np.setdiff1d(reg.members[x], reg.members[y]), f"difference {x}-{y}"))


def _protected(reg: _Registry) -> list[tuple[np.ndarray, str]]:
    return [(reg.members[i], f"cell {i}") for i in range(len(reg.members))
            if not reg.shown[i] and reg.reason[i] in PRIMARY_REASONS and reg.n[i] > 0]


def _release_breakdown(cells, fn, fs, spec, ti, reg, facts, scale, k, wave_open):
    names, keys, members, relations = _table_cells(cells, spec)
    truth = cells["sum"].fillna(0).to_numpy(dtype=float)
    memo: dict = {}
    ids = []
    for label, mem in zip(keys, members, strict=True):
        key = _key(mem, fn, (spec.name, *label))
        i = reg.by_key.get(key)
        if i is None:
            i = len(reg.members)
            reg.by_key[key] = i
            n = int(fn[mem].sum())
            reg.members.append(mem)
            reg.n.append(n)
            mean = _decimal_mean(fs, mem, n, scale.decimals) if n > 0 else float("nan")
            reg.mean.append(mean)
            if wave_open:
                shown, why = False, "wave_open" if n >= k else "below_k"
            elif n < k:
                shown, why = False, "below_k"
            elif pinned(n, mean, scale):
                shown, why = False, "auditor"
            else:
                shown, why = True, ""
            reg.shown.append(shown)
            reg.reason.append(why)
            reg.table.append(-1)  # new in this table
        ids.append(i)
    rel = [(ids[p], [ids[c] for c in kids]) for p, kids in relations]
    new = {i for i in ids if reg.table[i] == -1}
    safe: set[str] = set()
    while not wave_open:
        changed = _counting_rule(reg, rel, new, k)
        for a, b, only_a, only_b in _overlap_conflicts(reg, fn, k):
            pick = [c for c in (a, b) if reg.table[c] == -1 and reg.shown[c]]
            if not pick:
                continue
            c = min(pick, key=lambda c: (reg.n[c], c))
            reg.shown[c], reg.reason[c] = False, "overlap"
            for x, y, size in ((a, b, only_a), (b, a, only_b)):
                if 0 < size < k:
                    diff = np.setdiff1d(reg.members[x], reg.members[y])
                    reg.extra_targets.append((diff, f"difference {x}-{y}"))
            changed = True
        if changed:
            continue
        trial = ReleaseFacts(fn, scale.lo, scale.hi, rows=list(facts.rows), general=list(facts.general))
        trial.rows += [(reg.members[i], (reg.mean[i] - scale.half_unit) * reg.n[i],
                        (reg.mean[i] + scale.half_unit) * reg.n[i])
                       for i in range(len(reg.members)) if reg.shown[i] and reg.n[i] > 0]
        targets = [t for t in list(facts.targets) + _protected(reg) + reg.extra_targets if t[1] not in safe]
        narrow = audit_facts(trial, targets, truth=truth, supersets=reg.members, memo=memo)
        # Withholding more only widens the attacker's feasible set: a set found safe in this table's
        # loop stays safe, and is not attacked again.
        hit = {label for label, _lo, _hi in narrow}
        safe.update(label for _m, label in targets if label not in hit)
        if not narrow:
            break
        by_label = {label: m for m, label in targets}
        live_new = [i for i in new if reg.shown[i] and reg.n[i] > 0]
        # A target this table's own cells cannot widen (e.g. a breakdown cell of 4 inside a shown group
        # of 5 whose mean is high: the standard table alone pins it, given the joint counts) is
        # protected by withholding the earlier table's cell that pins it, in this same publication.
        live_std = [i for i in range(len(reg.members)) if reg.table[i] != -1 and reg.shown[i] and reg.n[i] > 0]
        picks = set()
        for label, _lo, _hi in narrow:
            tset = set(by_label[label].tolist())
            touch = [i for i in live_new if tset & set(reg.members[i].tolist())]
            if not touch:
                touch = [i for i in live_std if tset & set(reg.members[i].tolist())]
            if touch or live_new:
                picks.add(min(touch or live_new, key=lambda c: (reg.n[c], c)))
        if not picks:
            break  # nothing shown touches what remains narrow: it was so in earlier releases (prior facts)
        for c in picks:
            reg.shown[c], reg.reason[c] = False, "complementary"
    for i in new:
        reg.table[i] = ti
    rows = {"level": names}
    for p, d in enumerate(spec.dims):
        rows[d] = [key[p] for key in keys]
    rows["n"] = pd.array([reg.n[i] if reg.shown[i] else None for i in ids], dtype="Int64")
    rows["mean"] = pd.array([reg.mean[i] if reg.shown[i] else None for i in ids], dtype="Float64")
    rows["share_high"] = pd.array([None] * len(ids), dtype="Int64")
    rows["suppressed"] = [not reg.shown[i] for i in ids]
    rows["reason"] = [reg.reason[i] for i in ids]
    rows["share_reason"] = [reg.reason[i] if not reg.shown[i] else "complementary" for i in ids]
    return pd.DataFrame(rows), ids


def _counting_rule(reg: _Registry, relations: Any, new: set[int], k: int) -> bool:
    """Rule 8's counting rule inside one table, withholding only the table's new cells."""
    changed_any, changed = False, True
    while changed:
        changed = False
        for parent, kids in relations:
            if not reg.shown[parent]:
                continue
            live = [c for c in kids if reg.n[c] > 0]
            hidden = [c for c in live if not reg.shown[c]]
            if not hidden or (len(hidden) >= 2 and sum(reg.n[c] for c in hidden) >= k):
                continue
            cand = [c for c in live if reg.shown[c] and c in new]
            if not cand and parent in new:
                cand = [parent]
            if not cand:
                continue  # only earlier tables' cells are left: they were safe without this table
            c = min(cand, key=lambda c: (reg.n[c], c))
            reg.shown[c], reg.reason[c] = False, "complementary"
            changed = changed_any = True
    return changed_any
