"""Released tables (rules 7, 8, 10, 11): :func:`release_table` and :func:`audit_release`."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext
from typing import Any

import numpy as np
import pandas as pd

from wellbeing.core.disclosure.cells import ALL, Cells, build_cells
from wellbeing.core.disclosure.rounding import MIN_K, ScaleSpec, check_k, exact_ratio, to_decimal
from wellbeing.core.disclosure.suppression import (
    PRIMARY_REASONS,
    audit_cells,
    audit_cells_joint,
    pinned,
    protect_cells,
    protect_cells_joint,
)

# ---------------------------------------------------------------------------------------------
# Rules 7, 8, 10, 11: released tables
# ---------------------------------------------------------------------------------------------

#: Columns of the released table besides the dimension columns.
RELEASE_COLUMNS = ("level", "n", "mean", "share_high", "suppressed", "reason", "share_reason")



def normalise_levels(dims: tuple[str, ...], margins) -> list[tuple[str, ...]]:
    levels = [dims]
    seen = {frozenset(dims)}
    for m in margins:
        m = (m,) if isinstance(m, str) else tuple(m)
        unknown = [d for d in m if d not in dims]
        if unknown:
            raise ValueError(f"margin {m!r} names dimensions not in dims: {unknown}")
        if len(set(m)) != len(m):
            raise ValueError(f"margin {m!r} repeats a dimension")
        key = frozenset(m)
        if key in seen:
            continue
        seen.add(key)
        levels.append(tuple(d for d in dims if d in key))
    return levels


def validate_cells(cells: pd.DataFrame, dims: tuple[str, ...], scale: ScaleSpec) -> pd.DataFrame:
    missing = [c for c in (*dims, "n", "sum") if c not in cells.columns]
    if missing:
        raise ValueError(f"cells lack columns: {missing}")
    if not dims:
        raise ValueError("at least one dimension is required")
    df = cells.reset_index(drop=True)
    if df[list(dims)].isna().any().any():
        raise ValueError("dimension values must not be null")
    for d in dims:
        if (df[d].astype(str) == ALL).any():
            raise ValueError(f"dimension {d!r} uses the reserved margin marker {ALL!r}")
    if df.duplicated(list(dims)).any():
        raise ValueError("cells must be unique per combination of dimension values")
    n = df["n"].to_numpy()
    if df["n"].isna().any() or np.any(n < 0) or np.any(n != np.round(n)):
        raise ValueError("n must be a non-negative whole number")
    if (df["sum"].isna() & (df["n"] > 0)).any():
        raise ValueError("sum must be given for every cell with n > 0")
    s = df["sum"].fillna(0).to_numpy(dtype=float)
    tol = 1e-9 * max(1.0, abs(scale.lo), abs(scale.hi)) * np.maximum(n, 1)
    if np.any(s < scale.lo * n - tol) or np.any(s > scale.hi * n + tol):
        raise ValueError(f"sum must lie in [lo*n, hi*n] for the scale [{scale.lo}, {scale.hi}]")
    if "n_high" in df.columns:
        h = df["n_high"].to_numpy()
        if df["n_high"].isna().any() or np.any(h < 0) or np.any(h > n) or np.any(h != np.round(h)):
            raise ValueError("n_high must be a whole number in [0, n]")
        if scale.high_from is not None:
            t = scale.high_from
            least = t * h + scale.lo * (n - h)
            most = scale.hi * h + t * (n - h)
            if np.any(s < least - tol) or np.any(s > most + tol):
                raise ValueError(f"n_high disagrees with sum: band scores are >= {t}, others < {t}")
    if "roster" in df.columns:
        r = df["roster"].to_numpy()
        if df["roster"].isna().any() or np.any(r < n):
            raise ValueError("roster size must be given and at least n")
    return df


def rounded_means(cells: Cells, df: pd.DataFrame, scale: ScaleSpec) -> np.ndarray:
    """Released means: each cell's sum added up in decimal arithmetic, divided once, rounded once.

    Summing floats would turn 6.2 + 6.85 + ... = 166.05 into 166.04999999999998 and a mean of
    exactly 4.05 into 4.0 instead of 4.1.
    """
    finest = [to_decimal(x) for x in df["sum"].fillna(0)]
    out = np.full(len(cells.keys), np.nan)
    with localcontext() as ctx:
        ctx.prec = 40
        for i, (members, n) in enumerate(zip(cells.members, cells.n, strict=True)):
            if n > 0:
                total = sum((finest[j] for j in members), Decimal(0))
                out[i] = float(exact_ratio(total, int(n), scale.decimals))
    return out


def rounded_shares(cells: Cells) -> np.ndarray:
    out = np.full(len(cells.keys), np.nan)
    if cells.high is None:
        return out
    for i, (h, n) in enumerate(zip(cells.high, cells.n, strict=True)):
        if n > 0:
            out[i] = float(exact_ratio(int(h), int(n), 0, factor=100))
    return out


def level_name(lv: tuple[str, ...]) -> str:
    return "+".join(lv) if lv else "total"


def release_table(
    cells: pd.DataFrame,
    dims: Sequence[str],
    scale: ScaleSpec,
    margins: Sequence[Sequence[str] | str] = (),
    k: int = MIN_K,
    *,
    wave_open: bool = False,
    protect_complementary: bool = False,
) -> pd.DataFrame:
    """Apply disclosure control to the cells and margins of one released analysis.

    Rules applied, in order (DESIGN.md section 4):

    * rule 11 -- while the wave is open only the whole wave's count is released; every other
      cell is withheld with reason ``wave_open``;
    * rule 7 -- a cell (finest or margin) with fewer than K respondents shows nothing, not even
      its count (``below_k``); a share is withheld when its numerator or complement is below K
      (``share_below_k``);
    * rule 8, floor/ceiling -- a cell whose released mean would sit at the scale's floor or
      ceiling, or would pin each member's score to less than a quarter of the scale, is withheld
      (``auditor``);
    * rule 8, complementary suppression -- in every relation "margin cell = sum of the cells of a
      finer released level", when the margin is shown, the withheld cells are none, or at least
      two holding at least K respondents; the shown cell with fewest respondents is withheld next
      (``complementary``; Hundepool et al. 2012, section 4.3; smallest-first heuristic);
    * rule 8, auditor -- an LP attacker (Fellegi 1972; Cox 1980) who knows every released number
      (means as intervals of plus/minus half a unit of the last decimal, shares likewise) and every
      cell's exact count must not narrow any withheld mean to less than a quarter of the scale
      (nor any withheld share to less than 25 points); otherwise a neighbouring shown cell is
      withheld (``complementary``) and the check repeats;
    * rule 8, means with shares -- when the scale declares its concern band
      (``ScaleSpec.high_from``), a second LP also links each cell's score sum to its band count, so
      a shown share cannot narrow a withheld mean and a shown mean cannot narrow a withheld share
      (a mean of 90 over 20 scores proves at least 16 are "high"); neighbouring shares are
      withheld first, then the cell's own mean (``auditor``);
    * rule 10 -- means and shares are rounded once, half away from zero.

    Parameters
    ----------
    cells : DataFrame
        One row per finest cell (e.g. reporting group x breakdown value). Columns: the ``dims``;
        ``n`` (respondents with a score on this scale, may be 0); ``sum`` (sum of their scores);
        optional ``n_high`` (scores in the concern band, for ``share_high``); optional ``roster``
        (officers on the roster, only validated as >= n: the auditor already assumes the attacker
        knows every exact count, which is stronger than a roster bound). No microdata.
    dims : sequence of str
        Breakdown dimension columns, e.g. ``["region", "department", "group", "shift_pattern"]``.
        Nested dimensions are allowed (a group belongs to one department).
    scale : ScaleSpec
        Range and released precision of the scale.
    margins : sequence of (sequence of str or str)
        Released aggregations, each given by the dimensions it keeps; the others are summed over
        and shown as ``"*"``. ``[]`` or ``()`` is the grand total, ``["region"]`` region totals,
        ``["region", "shift_pattern"]`` a crossed margin. The finest level is always released.
    k : int, default 5
        Minimum cell size; ``ValueError`` when below 5.
    wave_open : bool, default False
        True while the wave is open (rule 11).
    protect_complementary : bool, default False
        By default the auditor protects the cells withheld for their own sake (reasons
        ``below_k``, ``auditor``, ``share_below_k``): a cell withheld as ``complementary`` has at
        least K respondents and could have been shown, so narrowing it discloses nothing new
        (Hundepool et al. 2012, section 4.3: protection intervals are set for primary cells). True
        protects every withheld cell, at the price of withholding much more.

    Returns
    -------
    DataFrame
        One row per released cell: ``level`` (``"+"``-joined kept dimensions, or ``"total"``),
        the ``dims`` (``"*"`` where aggregated), ``n`` (Int64), ``mean`` (Float64, at
        ``scale.decimals``), ``share_high`` (Int64, percent of ``n`` in the concern band; null
        without ``n_high``), ``suppressed`` (bool: the whole cell is withheld), ``reason``, and
        ``share_reason``. A suppressed cell has null ``n``, ``mean`` and ``share_high``. A shown
        cell whose share alone is withheld has ``suppressed`` False, null ``share_high`` and the
        share's reason (``share_below_k``, ``complementary`` or ``auditor``) in both ``reason`` and
        ``share_reason``. While the wave is open the grand-total row shows ``n`` only, with reason
        ``wave_open``.

    Raises
    ------
    ValueError
        On K < 5, unknown margin dimensions, duplicate or malformed cells, sums outside
        ``[lo*n, hi*n]``, ``n_high`` outside ``[0, n]``, or a dimension value equal to ``"*"``.

    References
    ----------
    Hundepool, A. et al. (2012). Statistical Disclosure Control. Wiley, ch. 4.
    Fellegi, I. P. (1972). JASA 67, 7-18. Cox, L. H. (1980). JASA 75, 377-385.

    Examples
    --------
    >>> cells = pd.DataFrame({"region": ["R1", "R1", "R1"], "group": ["a", "b", "c"],
    ...                       "n": [3, 8, 9], "sum": [150.0, 400.0, 430.0]})
    >>> out = release_table(cells, ["region", "group"], ScaleSpec(0, 100), margins=[["region"]])
    >>> out[["group", "n", "mean", "reason"]].to_dict("list")["reason"]
    ['below_k', 'complementary', '', '']
    """
    k = check_k(k)
    dims = tuple(dims)
    df = validate_cells(cells, dims, scale)
    levels = normalise_levels(dims, margins)
    if wave_open and () not in levels:
        levels.append(())
    c = build_cells(df, dims, levels)
    ncell = len(c.keys)
    mean = rounded_means(c, df, scale)
    share = rounded_shares(c)
    supp = np.zeros(ncell, dtype=bool)
    reason = [""] * ncell
    if wave_open:
        for i in range(ncell):
            if levels[c.level_of[i]] == () and c.n[i] >= k:
                reason[i] = "wave_open"
            else:
                supp[i] = True
                reason[i] = "wave_open" if c.n[i] >= k else "below_k"
        show_mean = np.zeros(ncell, dtype=bool)
        show_share = np.zeros(ncell, dtype=bool)
        share_reason = list(reason)
    else:
        for i in range(ncell):
            if c.n[i] < k:
                supp[i], reason[i] = True, "below_k"
            elif pinned(int(c.n[i]), mean[i], scale):
                supp[i], reason[i] = True, "auditor"
        protect_cells(c, supp, reason, mean, "mean", scale, k, protect_complementary)
        show_mean = ~supp
        share_reason = list(reason)
        if c.high is None:
            show_share = np.zeros(ncell, dtype=bool)
        else:
            ssupp = supp.copy()
            for i in range(ncell):
                # Also for cells withheld as complementary: their share is sensitive in itself.
                small = c.high[i] < k or c.n[i] - c.high[i] < k
                if small and c.n[i] > 0 and share_reason[i] not in PRIMARY_REASONS:
                    ssupp[i], share_reason[i] = True, "share_below_k"
            protect_cells(c, ssupp, share_reason, share, "share", scale, k, protect_complementary)
            if scale.high_from is not None:
                protect_cells_joint(
                    c, supp, reason, ssupp, share_reason, mean, share, scale, k, protect_complementary
                )
                show_mean = ~supp
            show_share = ~ssupp
            for i in range(ncell):
                if not supp[i] and ssupp[i]:
                    reason[i] = share_reason[i]
    rows: dict[str, Any] = {"level": [level_name(levels[li]) for li in c.level_of]}
    for p, d in enumerate(dims):
        rows[d] = [key[p] for key in c.keys]
    rows["n"] = pd.array([int(c.n[i]) if not supp[i] else None for i in range(ncell)], dtype="Int64")
    rows["mean"] = pd.array([mean[i] if show_mean[i] else None for i in range(ncell)], dtype="Float64")
    rows["share_high"] = pd.array(
        [int(share[i]) if show_share[i] else None for i in range(ncell)], dtype="Int64"
    )
    rows["suppressed"] = supp.tolist()
    rows["reason"] = reason
    rows["share_reason"] = [r if c.high is not None or supp[i] else "" for i, r in enumerate(share_reason)]
    return pd.DataFrame(rows)


def audit_release(
    released: pd.DataFrame,
    cells: pd.DataFrame,
    dims: Sequence[str],
    scale: ScaleSpec,
    *,
    protect_complementary: bool = False,
) -> pd.DataFrame:
    """Run the rule-8 auditor against a released table (the same LP as in :func:`release_table`).

    Use it as the last gate before any output path (page, CSV, JSON, PDF, plot): it re-derives
    what an attacker can learn from the released numbers alone. With ``scale.high_from`` and an
    ``n_high`` column, means and shares are attacked together.

    Parameters
    ----------
    released : DataFrame
        A table in the format returned by :func:`release_table` (``dims``, ``mean``,
        ``share_high``, ``suppressed``; ``"*"`` marks aggregated dimensions).
    cells : DataFrame
        The finest cells the table was computed from (``dims``, ``n``, ``sum``, optional
        ``n_high``); their exact counts are granted to the attacker.
    dims : sequence of str
    scale : ScaleSpec
    protect_complementary : bool, default False
        As in :func:`release_table`: by default only cells whose ``reason`` (``share_reason`` for
        shares) is ``below_k``, ``auditor`` or ``share_below_k`` are protected.

    Returns
    -------
    DataFrame
        One row per withheld number the attacker can narrow: ``level``, the ``dims``, ``kind``
        (``"mean"`` or ``"share"``), ``low`` and ``high`` (the attacker's bounds, in score points
        or percent). Empty when the table is safe.
    """
    dims = tuple(dims)
    df = validate_cells(cells, dims, scale)
    rel = released.reset_index(drop=True)
    kept = [tuple(d for d in dims if str(row[d]) != ALL) for _, row in rel.iterrows()]
    levels = [dims] + sorted({lv for lv in kept if lv != dims}, key=lambda lv: (-len(lv), lv))
    c = build_cells(df, dims, levels)
    where = {key: i for i, key in enumerate(c.keys)}
    ncell = len(c.keys)
    supp = np.ones(ncell, dtype=bool)
    ssupp = np.ones(ncell, dtype=bool)
    mean = np.full(ncell, np.nan)
    share = np.full(ncell, np.nan)
    protect = np.zeros(ncell, dtype=bool)
    sprotect = np.zeros(ncell, dtype=bool)
    for r, row in rel.iterrows():
        key = tuple(ALL if str(row[d]) == ALL else row[d] for d in dims)
        i = where.get(key)
        if i is None:
            raise ValueError(f"released row {r} does not match any cell: {key}")
        protect[i] = protect_complementary or row.get("reason", "") in PRIMARY_REASONS
        sprotect[i] = protect_complementary or row.get("share_reason", "") in PRIMARY_REASONS
        if not bool(row["suppressed"]) and not pd.isna(row["mean"]):
            supp[i] = False
            mean[i] = float(row["mean"])
        if "share_high" in rel.columns and not pd.isna(row["share_high"]):
            ssupp[i] = False
            share[i] = float(row["share_high"])
    # Cells absent from the released table are unknown to the attacker: treat them as withheld.
    cols = ["level", *dims, "kind", "low", "high"]
    out = []
    if c.high is not None and scale.high_from is not None:
        ssupp |= supp
        found = audit_cells_joint(c, supp, ssupp, mean, share, scale, protect, sprotect)
    else:
        found = {("mean", i): r for i, r in audit_cells(c, supp, mean, "mean", scale, protect).items()}
        if c.high is not None:
            found.update(
                {("share", i): r for i, r in audit_cells(c, ssupp, share, "share", scale, sprotect).items()}
            )
    for (kind, i), (low, high) in found.items():
        out.append([level_name(levels[c.level_of[i]]), *c.keys[i], kind, low, high])
    return pd.DataFrame(out, columns=cols)

