"""What changed since the previous wave, and a short summary in words per scale (issue 20).

Both are computed from *released* numbers only: a change is the difference of two released (rounded)
means of the same cell in two waves, so it reveals nothing either release does not. A cell is
compared only where its definition recurs (DESIGN.md section 6): a shift pattern or language always;
a region or department when it covers the same units in both waves; a reporting group only when the
previous wave has a group with the same slug, the same pooled units and the same shift pattern.

A change is called *meaningful* when it is at least half the standard deviation of the scale's
published reference population — the distribution-based minimal important difference of Norman,
Sloan & Wyrwich (2003), "Interpretation of changes in health-related quality of life: the remarkable
universality of half a standard deviation", *Medical Care* 41(5), 582–592. Scales without a
reference SD get no such label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select

from ..extensions import db
from ..models import Wave, WaveStatus
from .results import ScaleInfo

#: Dimensions whose values mean the same thing in every wave.
RECURRING = ("region", "department", "shift_pattern", "language")


def previous_wave(wave: Wave) -> Wave | None:
    """The latest closed wave that opened before ``wave`` (None if there is none)."""
    if wave.opens is None:
        return None
    return db.session.execute(
        select(Wave).where(Wave.status == WaveStatus.closed, Wave.opens < wave.opens, Wave.id != wave.id)
        .order_by(Wave.opens.desc(), Wave.slug.desc()).limit(1)).scalar_one_or_none()


def recurring_groups(wave: Wave, previous: Wave) -> set[str]:
    """Group slugs of ``wave`` whose units and shift pattern are the same in ``previous``."""
    before = {g.slug: (g.unit_slugs, g.shift_pattern) for g in previous.groups}
    return {g.slug for g in wave.groups if before.get(g.slug) == (g.unit_slugs, g.shift_pattern)}


def recurring_places(wave: Wave, previous: Wave) -> set[str]:
    """Department and region values (as the results table names them, pools included) that cover the
    same units in both waves: a department that gained or lost a unit is not the same cell."""
    def units_of(w: Wave) -> dict[str, frozenset[str]]:
        out: dict[str, set[str]] = {}
        for g in w.groups:
            units = set((g.unit_slugs or "").split(",")) - {""}
            dept = g.department_slug or (f"{g.region_slug}-pooled" if g.region_slug else "-")
            for key in (dept, g.region_slug or "-"):
                out.setdefault(key, set()).update(units)
        return {k: frozenset(v) for k, v in out.items()}

    now, before = units_of(wave), units_of(previous)
    return {k for k, v in now.items() if before.get(k) == v and v}


def add_changes(table: pd.DataFrame, previous_table: pd.DataFrame, by: Sequence[str],
                comparable_groups: set[str] | None = None,
                comparable_places: set[str] | None = None) -> pd.DataFrame:
    """``table`` with a ``change`` column: its released mean minus the previous wave's released mean.

    Parameters
    ----------
    table, previous_table : released views (``services.results.view``) of the same breakdown ``by``;
        columns ``scale``, the ``by`` dimensions, ``mean``, ``suppressed``.
    comparable_groups : for ``by == ["group"]``, the recurring group slugs (others get no change).
    comparable_places : departments and regions covering the same units in both waves
        (:func:`recurring_places`); when given, rows of other departments or regions get no change.

    Returns
    -------
    DataFrame
        ``table`` plus ``change`` (scale points; NaN where either mean is hidden, or the cell does
        not recur).
    """
    keys = ["scale", *by]
    if not set(keys) <= set(previous_table.columns) or any(d not in RECURRING and d != "group" for d in by):
        return table.assign(change=float("nan"))
    prev = previous_table.loc[~previous_table["suppressed"].astype(bool), [*keys, "mean"]]
    prev = prev.rename(columns={"mean": "previous_mean"}).drop_duplicates(keys)
    out = table.merge(prev, on=keys, how="left")
    out.index = table.index
    change = out["mean"].astype(float) - out["previous_mean"].astype(float)
    change[table["suppressed"].astype(bool).to_numpy()] = float("nan")
    if "group" in by:
        ok = table["group"].isin(comparable_groups or set())
        change[~ok.to_numpy()] = float("nan")
    if comparable_places is not None:
        for d in ("department", "region"):
            if d in by:
                change[~table[d].astype(str).isin(comparable_places).to_numpy()] = float("nan")
    return table.assign(change=change.to_numpy())


def meaningful_difference(info: ScaleInfo) -> float | None:
    """Half the reference population's SD (Norman et al. 2003), in scale points; None without one."""
    sds = [r.sd for r in info.scale.reference if r.sd]
    return 0.5 * float(sds[0]) if sds else None


@dataclass
class ScaleSummary:
    """The facts behind a scale's summary sentence (all from released rows).

    ``above``: (row name, mean) of shown rows at or above the concern line, highest first (at most
    ``top``); ``above_count``: how many shown rows are there;
    ``shown``: number of shown rows; ``threshold``: the concern line (points) or None;
    ``rises`` / ``falls``: (row name, change) of meaningful changes since the previous wave.
    """

    shown: int
    threshold: float | None
    above_count: int = 0
    above: list[tuple[str, float]] = field(default_factory=list)
    rises: list[tuple[str, float]] = field(default_factory=list)
    falls: list[tuple[str, float]] = field(default_factory=list)
    meaningful: float | None = None


def summarise(rows: pd.DataFrame, names: Sequence[str], info: ScaleInfo, top: int = 3) -> ScaleSummary:
    """Summary facts of one scale's released rows; ``names`` are the rows' display names (same order)."""
    sc = info.scale
    concern = [b.at for b in sc.bands if b.concern]
    threshold = (min(concern) if sc.bounds == "lower" else max(concern)) if concern else None
    shown = ~rows["suppressed"].astype(bool).to_numpy()
    means = rows["mean"].astype(float).to_numpy()
    named = list(names)
    out = ScaleSummary(shown=int(shown.sum()), threshold=threshold, meaningful=meaningful_difference(info))
    if threshold is not None:
        worse = means >= threshold if sc.bounds == "lower" else means <= threshold
        hits = [(named[i], float(means[i])) for i in range(len(named)) if shown[i] and worse[i]]
        out.above = sorted(hits, key=lambda t: -t[1] if sc.bounds == "lower" else t[1])[:top]
        out.above_count = len(hits)
    if out.meaningful is not None and "change" in rows.columns:
        ch = rows["change"].astype(float).to_numpy()
        big = [(named[i], float(ch[i])) for i in range(len(named)) if shown[i] and abs(ch[i]) >= out.meaningful]
        out.rises = sorted([b for b in big if b[1] > 0], key=lambda t: -t[1])[:top]
        out.falls = sorted([b for b in big if b[1] < 0], key=lambda t: t[1])[:top]
    return out
