"""Schedule-risk features per reporting group of a wave (``flask schedules features``, the project
office's features page).

The officers of a reporting group are the members of the roster snapshot frozen with the wave (see
:func:`wellbeing.services.waves.roster_snapshot_for`) whose unit is one of the group's pooled units and
whose shift pattern is the group's. Their shift records over the wave's reference window (the
``window_days`` local days before it opens, DESIGN.md section 5) go through
:func:`wellbeing.core.schedules.features.compute_features` and
:func:`~wellbeing.core.schedules.thresholds.aggregate_features`.

Group feature tables obey the minimum-cell rule of survey results (DESIGN.md rule 7): every released
number passes :func:`release_features`, the one place where group features are suppressed and rounded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import numpy as np
import pandas as pd
from sqlalchemy import inspect as sa_inspect

from ..core.csv_cells import frame_csv
from ..core.disclosure import round_half_away
from ..core.schedules.features import compute_features, reference_window
from ..core.schedules.thresholds import aggregate_features
from ..core.timeparse import DEFAULT_TIMEZONE
from ..extensions import db
from ..models import RosterSnapshot, Wave
from .roster import load_shifts, snapshot_frame

log = logging.getLogger(__name__)

#: Columns of a released group-feature table, in order (CLI.md conventions: ``suppressed``, ``reason``).
RELEASED_COLUMNS = ["group", "officers", "feature", "n", "mean", "median", "threshold", "threshold_label",
                    "share_pct", "suppressed", "reason", "source"]
#: Numbers nulled in a suppressed row.
_NUMBERS = ["officers", "n", "mean", "median", "share_pct"]
HOURS_DECIMALS = 1     # hours and means of counts: one decimal
SHARE_DECIMALS = 0     # shares of officers above a threshold: whole percent
_DAY_S = 86400


class FeaturesError(ValueError):
    """Features cannot be computed for this wave (the message says why)."""


@dataclass
class WaveFeatures:
    """Unreleased group features of a wave (for :func:`release_features` and the plots only)."""

    wave: Wave
    snapshot: RosterSnapshot
    window: tuple[date, date]          # [start, end) local dates
    persons: pd.DataFrame              # per-person features (index person_id) with a ``group`` column
    officers: dict[str, int]           # group slug -> officers on the roster snapshot
    table: pd.DataFrame                # aggregate_features(...) + ``officers``, not yet released
    shifts_in_window: int              # shift records starting in the window
    released: pd.DataFrame | None = None   # release_features(table, k), once per K (see released_wave_features)
    released_k: int | None = None
    plots: dict = field(default_factory=dict)   # rendered PNGs of released groups, keyed by the caller


def release_features(table: pd.DataFrame, k: int) -> pd.DataFrame:
    """The released form of a group-feature table: the one place group features are suppressed.

    A group with fewer than ``k`` officers (the wave's ``min_cell``) shows no numbers: its rows get
    ``suppressed`` True, ``reason`` ``below_k`` and null ``officers``, ``n``, ``mean``, ``median`` and
    ``share_pct``. Other rows get ``suppressed`` False and an empty reason, except that a share whose
    numerator or complement is below ``k`` is withheld (``share_pct`` null, reason ``share_below_k``). Numbers are
    rounded once,
    half away from zero (DESIGN.md rule 10): means and medians to one decimal (hours, and counts per
    window), shares to whole percent (``share_pct`` = 100 × share of officers above the threshold).

    Parameters
    ----------
    table : DataFrame
        :func:`wellbeing.core.schedules.thresholds.aggregate_features` output with an ``officers`` column
        (officers of the group on the roster snapshot).
    k : int
        Minimum cell size K.

    Returns
    -------
    DataFrame
        Columns :data:`RELEASED_COLUMNS`; numbers as Python floats/ints or None.
    """
    out = table.copy()
    out["share_pct"] = out["share_above"] * 100.0
    small = out["officers"] < k
    out["suppressed"] = small.astype(bool)
    out["reason"] = np.where(small, "below_k", "")
    rounded: dict[str, list] = {}
    for col, dec in (("mean", HOURS_DECIMALS), ("median", HOURS_DECIMALS), ("share_pct", SHARE_DECIMALS)):
        rounded[col] = [None if s else round_half_away(v, dec) for v, s in zip(out[col], small)]
    for col, vals in rounded.items():
        out[col] = pd.Series(vals, index=out.index, dtype=object)
    for col in ("officers", "n"):
        out[col] = pd.Series([None if s else int(v) for v, s in zip(out[col], small)], index=out.index,
                             dtype=object)
    # Rule 7's share rule: a share whose numerator or complement is below K (a group of 6 that all
    # work over 48 h says so of each officer) shows no number; the row's other numbers stay.
    if "n_above" in table:
        n_obs = table["n"].fillna(0).astype(int)
        above = table["n_above"].fillna(0).astype(int)
        share_small = (~small) & out["share_pct"].notna() & ((above < k) | (n_obs - above < k))
        out.loc[share_small, "share_pct"] = None
        out.loc[share_small, "reason"] = "share_below_k"
    out["threshold"] = out["threshold"].astype(object).where(out["threshold"].notna(), None)
    out["threshold_label"] = out["threshold_label"].astype(object).where(out["threshold_label"].notna(), "")
    out["source"] = out["source"].astype(object).where(out["source"].notna(), "")
    return out[RELEASED_COLUMNS].reset_index(drop=True)


def _utc_seconds(d: date, tz: str) -> int:
    from zoneinfo import ZoneInfo

    return int(datetime.combine(d, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC).timestamp())


def wave_features(wave: Wave, *, tz: str = DEFAULT_TIMEZONE) -> WaveFeatures:
    """Compute (unreleased) features of every reporting group of ``wave`` over its reference window.

    Raises FeaturesError when the wave has no opening date, no groups, or groups not formed from a
    roster snapshot.
    """
    if wave.opens is None:
        raise FeaturesError(f"wave {wave.slug!r} has no opening date, hence no reference window")
    if not wave.groups:
        raise FeaturesError(f"wave {wave.slug!r} has no reporting groups yet (issue its codes first)")
    from ..models import WaveRoster

    frozen = db.session.get(WaveRoster, wave.id)
    if frozen is None:
        raise FeaturesError(f"wave {wave.slug!r}: its groups were formed from unit headcounts, not from a "
                            "roster snapshot, so no group has known officers")
    snap = frozen.snapshot
    roster = snapshot_frame(snap)
    member_group: dict[str, str] = {}
    officers: dict[str, int] = {}
    for g in wave.groups:
        units = {u for u in g.unit_slugs.split(",") if u}
        pat = roster["shift_pattern"].fillna("all")
        sel = roster["unit_id"].isin(units) & (pat == g.shift_pattern)
        ids = roster.loc[sel, "person_id"].tolist()
        officers[g.slug] = len(ids)
        member_group.update(dict.fromkeys(ids, g.slug))
    start, end = reference_window(wave.opens, wave.window_days)
    w0, w1 = _utc_seconds(start, tz), _utc_seconds(end, tz)
    persons = list(member_group)
    shifts = load_shifts(persons, w0 - 8 * _DAY_S, w1)
    in_window = int(((shifts["start_utc"] >= w0) & (shifts["start_utc"] < w1)).sum()) if len(shifts) else 0
    hours = dict(zip(roster["person_id"], roster["contract_hours_week"].astype(float)))
    periods = dict(zip(roster["person_id"], roster["accounting_period"]))
    feats = compute_features(shifts, start, end, timezone=tz, contract_hours=hours, persons=persons,
                             accounting_period=periods)
    table = aggregate_features(feats, member_group)
    table["officers"] = table["group"].map(officers).astype(np.int64)
    feats = feats.assign(group=pd.Series(member_group).reindex(feats.index))
    log.info("wave %s: features of %d officers in %d groups over %s..%s (%d shifts)", wave.slug,
             len(persons), len(officers), start, end, in_window)
    return WaveFeatures(wave, snap, (start, end), feats, officers, table, in_window)


_CACHE: dict[tuple, WaveFeatures] = {}
_CACHE_SIZE = 4


def _cache_key(wave: Wave) -> tuple:
    """Changes whenever an input of the features changes: wave, its window, any import (roster or shifts)."""
    from ..models import ImportRecord

    last = db.session.execute(db.select(db.func.max(ImportRecord.id))).scalar_one()
    return (str(db.engine.url), wave.id, wave.opens, wave.window_days, len(wave.groups), last)


def released_wave_features(wave: Wave) -> tuple[WaveFeatures, pd.DataFrame]:
    """:func:`wave_features` and its released table (``release_features`` with the wave's K).

    The computation is kept in a small per-process cache keyed by the wave, its window, its groups
    and the last import (the page, its plots, the CSV and the model exposures need it several times).
    The released table is made once per K by :func:`release_features` and kept with it, together
    with the plots drawn from released groups (``WaveFeatures.plots``), so a page load redraws
    nothing; any new import changes the key and starts afresh.
    """
    key = _cache_key(wave)
    wf = _CACHE.get(key)
    if wf is None:
        wf = wave_features(wave)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = wf
    else:
        # The cached rows were loaded by the session of an earlier request or CLI call, closed since (and
        # expired by its commits): reading one raised DetachedInstanceError, so the second what-if in a
        # process exited 1. Bind this call's rows instead (same keys: the cache key has
        # the wave's id, and the snapshot frozen with a wave does not change).
        wf.wave = wave
        wf.snapshot = db.session.get(RosterSnapshot, sa_inspect(wf.snapshot).identity)
    if wf.released is None or wf.released_k != wave.min_cell:
        wf.released, wf.released_k = release_features(wf.table, wave.min_cell), wave.min_cell
        wf.plots.clear()
    return wf, wf.released.copy()


def released_csv(released: pd.DataFrame) -> str:
    """The released group-feature table as CSV, byte for byte what ``flask schedules features SLUG
    --format csv`` prints (columns :data:`RELEASED_COLUMNS`)."""
    return frame_csv(released, RELEASED_COLUMNS)


#: Features of the page's summary table: (feature, threshold or None, label). Without a threshold the
#: group mean is shown (h or count per window); with one, the share of officers above it (%).
SUMMARY: tuple[tuple[str, float | None, str], ...] = (
    ("weekly_hours_mean", None, "weekly hours (mean, h)"),
    ("weekly_hours_mean", 48.0, "share over 48 h/week"),
    ("overtime_hours_per_month", None, "overtime (h/month)"),
    ("night_shifts", None, "night shifts (per window)"),
    ("quick_returns", None, "quick returns (per window)"),
    ("quick_returns", 0.0, "share with a quick return"),
    ("duties_24h", None, "24-h duties (per window)"),
    ("weekly_rest_short_windows", 0.0, "share with a short weekly rest"),
)


def summary_rows(released: pd.DataFrame) -> list[dict]:
    """One row per group for the page: officers, suppression, the :data:`SUMMARY` values and, for each
    value that is missing, its reason (``reasons``: ``""`` where a number is shown, else the released
    row's reason — ``below_k``, ``share_below_k`` — or ``no_value`` when the feature has no value, e.g.
    no officer with two shifts for the start-time SD)."""
    feats = {f for f, _t, _l in SUMMARY}
    part = released[released["feature"].isin(feats)]
    # dict lookups instead of one DataFrame filter per cell (the page has 159 groups x 8 values)
    first_row = {(g, f): (m, r) for g, f, m, r in part.drop_duplicates(["group", "feature"])[
        ["group", "feature", "mean", "reason"]].itertuples(index=False)}
    by_threshold = {(g, f, float(t)): (v, r) for g, f, t, v, r in part[part["threshold"].notna()][
        ["group", "feature", "threshold", "share_pct", "reason"]].itertuples(index=False)}
    out = []
    for g, officers, suppressed, reason in released.drop_duplicates("group").sort_values("group")[
            ["group", "officers", "suppressed", "reason"]].itertuples(index=False):
        row = {"group": g, "officers": officers, "suppressed": bool(suppressed), "reason": reason,
               "values": [], "reasons": []}
        for feature, threshold, _label in SUMMARY:
            hit = first_row.get((g, feature)) if threshold is None else by_threshold.get((g, feature, threshold))
            v = None if hit is None else hit[0]
            v = None if v is None or (isinstance(v, float) and v != v) else v
            why = "" if v is not None else ((hit[1] or "no_value") if hit is not None else "no_value")
            row["values"].append(v)
            row["reasons"].append(why)
        out.append(row)
    return out

