"""What overtime costs and what the paperwork takes, per reporting group of a wave (``flask schedules costs``,
the costs page). Issue 22.

The officers of a group and the reference window are those of :func:`wellbeing.services.schedules.wave_features`;
their shift records give the hours by the law (:func:`wellbeing.core.economics.legal_overtime`), the pay-rates
file prices them (:func:`~wellbeing.core.economics.person_costs`) and the paperwork register gives the forms'
hours. Totals go per group, region and the whole wave.

Every number leaves through :func:`release_costs` (group and level rows) or :func:`release_survey_paperwork`
(the survey's paperwork item) — the one place where these tables are suppressed and rounded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from ..core import economics as ec
from ..core.csv_cells import frame_csv
from ..core.disclosure import round_half_away
from ..core.tables import decode
from ..core.timeparse import DEFAULT_TIMEZONE
from ..extensions import db
from ..models import Answer, CostFile, ImportRecord, Response, RosterEntry, RosterSnapshot, Unit, Wave, WaveStatus
from .roster import file_hash, load_shifts, record_import
from .schedules import FeaturesError, released_wave_features

log = logging.getLogger(__name__)

KINDS = {"rates": "cost-rates", "register": "cost-register"}
#: Columns of a released costs table, in order (hours h, money in ``currency``, FTE officers).
RELEASED_COLUMNS = ["level", "key", "officers", "worked_hours", "overtime_hours", "overtime_h_per_officer_month",
                    "above_day_h", "above_month_h", "above_year_h", "night_hours", "weekend_hours",
                    "overtime_cost", "night_premium", "weekend_premium", "premium_cost", "hours_moved",
                    "fte_moved", "savings", "savings_per_year", "paperwork_h_per_officer_week",
                    "paperwork_cost", "paperwork_freed_h_per_officer_week", "paperwork_freed_cost_per_year",
                    "currency", "suppressed", "reason"]
_DECIMALS = {"worked_hours": 1, "overtime_hours": 1, "overtime_h_per_officer_month": 1, "above_day_h": 1,
             "above_month_h": 1, "above_year_h": 1, "night_hours": 1, "weekend_hours": 1, "overtime_cost": 0,
             "night_premium": 0, "weekend_premium": 0, "premium_cost": 0, "hours_moved": 1, "fte_moved": 2,
             "savings": 0, "savings_per_year": 0, "paperwork_h_per_officer_week": 2, "paperwork_cost": 0,
             "paperwork_freed_h_per_officer_week": 2, "paperwork_freed_cost_per_year": 0}
#: Survey item joined with the paperwork hours, and its values meaning "half of the time or more".
PAPERWORK_ITEM = "paperwork_share"
PAPERWORK_HIGH = (3.0, 4.0)
DAYS_PER_MONTH = 365.25 / 12


class CostsError(ValueError):
    """Costs cannot be computed (no rates file, a position without rate, no features; message says why)."""


# ------------------------------------------------------------------------------------ files


def store_cost_file(kind: str, data: bytes, *, imported_by: str, filename: str = "",
                    delimiter: str | None = None, encoding: str = "utf-8") -> int:
    """Check and store a rates file (``kind`` ``rates``) or a paperwork register (``register``).

    All or nothing: a bad file raises :class:`ImportRejected` (row and column of each problem) and
    nothing is stored. Returns the number of rows stored. The newest stored file of a kind is used.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown cost file kind {kind!r}")
    text = decode(data, encoding)
    parsed = (ec.parse_rates(text, delimiter=delimiter) if kind == "rates"
              else ec.parse_register(text, delimiter=delimiter))
    rec = record_import(KINDS[kind], file_hash(text.encode("utf-8")), len(parsed), imported_by)
    db.session.add(CostFile(kind=kind, import_id=rec.id, filename=filename[:200], content=text))
    db.session.commit()
    return len(parsed)


def _latest(kind: str) -> CostFile | None:
    return db.session.execute(db.select(CostFile).filter_by(kind=kind).order_by(CostFile.id.desc())
                              .limit(1)).scalar_one_or_none()


def current_rates() -> tuple[dict[str, ec.PayRate] | None, CostFile | None]:
    """The newest stored pay rates (parsed) and their file record, or (None, None)."""
    f = _latest("rates")
    return (ec.parse_rates(f.content), f) if f else (None, None)


def current_register() -> tuple[tuple[ec.PaperForm, ...] | None, CostFile | None]:
    """The newest stored paperwork register (parsed) and its file record, or (None, None)."""
    f = _latest("register")
    return (ec.parse_register(f.content), f) if f else (None, None)


def cost_file_info(f: CostFile | None) -> dict | None:
    """Who stored the file and when (for the page and the CLI's stderr)."""
    if f is None:
        return None
    rec = db.session.get(ImportRecord, f.import_id)
    return {"filename": f.filename, "rows": rec.rows if rec else None,
            "imported_at": rec.imported_at if rec else None, "imported_by": rec.imported_by if rec else ""}


# ---------------------------------------------------------------------------- computation


def _roster(snapshot: RosterSnapshot) -> pd.DataFrame:
    """The snapshot's officers with position and unit name (index ``person_id``)."""
    rows = db.session.execute(
        db.select(RosterEntry.person_id, Unit.slug, Unit.name, RosterEntry.position, RosterEntry.contract_hours_week,
                  RosterEntry.accounting_period)
        .join(Unit, Unit.id == RosterEntry.unit_id).where(RosterEntry.snapshot_id == snapshot.id)).all()
    return pd.DataFrame(rows, columns=["person_id", "unit_id", "unit_name", "position", "contract_hours_week",
                                       "accounting_period"]).set_index("person_id")


def _utc_midnight(d: date, tz: str = DEFAULT_TIMEZONE) -> int:
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    return int(datetime.combine(d, time(0), tzinfo=ZoneInfo(tz)).timestamp())


@dataclass
class WaveCosts:
    """Unreleased costs of a wave (internal: only :func:`release_costs` output is shown)."""

    wave: Wave
    window: tuple[date, date]
    currency: str
    persons: pd.DataFrame          # per person: hours, costs, paperwork (never shown)
    table: pd.DataFrame            # ec.aggregate_costs(...) + derived columns, not yet released
    group_levels: dict[str, dict[str, str]]
    scenario: dict = field(default_factory=dict)  # removed / merged forms


_CACHE: dict[tuple, WaveCosts] = {}
_CACHE_SIZE = 8


def cached_wave_costs(wave: Wave, *, remove: Sequence[str] = (), merge: Sequence[tuple[str, str]] = ()) -> WaveCosts:
    """:func:`wave_costs` with the newest stored files, kept in a small per-process cache keyed by the wave,
    the last import (roster, shifts, rates or register) and the scenario: the page and its two plots need
    it three times. What leaves the cache is released anew by the caller through :func:`release_costs`."""
    last = db.session.execute(db.select(db.func.max(ImportRecord.id))).scalar_one()
    key = (str(db.engine.url), wave.id, wave.opens, wave.window_days, len(wave.groups), last, tuple(remove),
           tuple(merge))
    wc = _CACHE.get(key)
    if wc is None:
        wc = wave_costs(wave, remove=remove, merge=merge)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = wc
    return wc


def wave_costs(wave: Wave, rates: dict[str, ec.PayRate] | None = None,
               register: Sequence[ec.PaperForm] | None = None, *, remove: Iterable[str] = (),
               merge: Iterable[tuple[str, str]] = ()) -> WaveCosts:
    """Hours by the law, their cost and paperwork per group, region and whole wave (unreleased).

    ``rates``/``register`` default to the newest stored files. Raises :class:`CostsError`.
    """
    if rates is None:
        rates, _ = current_rates()
    if not rates:
        raise CostsError("no pay-rates file yet: store one with --rates FILE or on the costs page")
    if register is None:
        register, _ = current_register()
    remove, merge = list(remove), list(merge)
    try:
        wf, _released = released_wave_features(wave)
    except FeaturesError as exc:
        raise CostsError(str(exc)) from exc
    start, end = wf.window
    window_days = (end - start).days
    roster = _roster(wf.snapshot)
    persons = list(wf.persons.index)
    w0, w1 = _utc_midnight(start), _utc_midnight(end)
    shifts = load_shifts(persons, w0 - 2 * 86400, w1)
    hours = dict(zip(roster.index, roster["contract_hours_week"].astype(float)))
    periods = {k: v for k, v in zip(roster.index, roster["accounting_period"]) if isinstance(v, str) and v}
    p = ec.legal_overtime(shifts, start, end, contract_hours=hours, accounting_period=periods, persons=persons)
    p["group"] = wf.persons["group"].reindex(p.index)
    p["position"] = roster["position"].reindex(p.index)
    try:
        p = ec.person_costs(p, rates, window_days)
    except KeyError as exc:
        raise CostsError(str(exc.args[0])) from exc
    weeks = window_days / 7
    if register:
        p["unit_type"] = roster["unit_name"].reindex(p.index)
        p["shifts_per_week"] = wf.persons["n_shifts"].reindex(p.index) / weeks
        now = ec.paperwork_hours(p, register)
        try:
            after = ec.paperwork_hours(p, ec.apply_form_changes(register, remove, merge)) if (remove or merge) else now
        except ValueError as exc:
            raise CostsError(str(exc)) from exc
        p["paperwork_hours"] = now * weeks
        p["paperwork_cost"] = now * weeks * p["hourly_rate"]
        p["paperwork_freed_hours"] = (now - after) * weeks
        p["paperwork_freed_cost"] = (now - after) * weeks * p["hourly_rate"]
    groups = {g.slug: g for g in wave.groups}
    levels = {"region": {s: (g.region_slug or "-") for s, g in groups.items()}, "all": dict.fromkeys(groups, "*")}
    table = ec.aggregate_costs(p, levels)
    for extra in ("paperwork_cost", "paperwork_freed_hours", "paperwork_freed_cost"):
        if extra in p:
            sums = {lvl: p.groupby(p["group"].map(m) if lvl != "group" else p["group"])[extra].sum()
                    for lvl, m in [("group", None), *levels.items()]}
            table[extra] = [sums[lv].get(k, 0.0) for lv, k in zip(table["level"], table["key"])]
    per_year = 365.25 / window_days
    officers = table["officers"].where(table["officers"] > 0)
    # overtime is counted over the accounting periods inside the window (days_counted per officer)
    officer_days = table["days_counted"].where(table["days_counted"] > 0)
    table["overtime_h_per_officer_month"] = table["overtime_hours"] / officer_days * DAYS_PER_MONTH
    table["savings_per_year"] = table["savings"] / officer_days * table["officers"] * 365.25
    if "paperwork_hours" in table:
        table["paperwork_h_per_officer_week"] = table["paperwork_hours"] / officers / weeks
        table["paperwork_freed_h_per_officer_week"] = table["paperwork_freed_hours"] / officers / weeks
        table["paperwork_freed_cost_per_year"] = table["paperwork_freed_cost"] * per_year
    # officers of every group on the roster (those without shifts count too)
    gsize = pd.Series(wf.officers)
    table.loc[table["level"] == "group", "officers"] = table.loc[table["level"] == "group", "key"].map(gsize)
    currency = next(iter(rates.values())).currency
    log.info("wave %s: costs of %d officers, %d groups, window %s..%s", wave.slug, len(p), len(groups), start, end)
    return WaveCosts(wave, (start, end), currency, p, table, levels, {"remove": remove, "merge": merge})


# ------------------------------------------------------------------------------ the gate


def release_costs(wc: WaveCosts) -> pd.DataFrame:
    """The released costs table: the one place where group and level cost numbers are disclosed.

    * A group with fewer than K officers (the wave's ``min_cell``) shows no number (``below_k``).
    * A region or whole-wave row is withheld (``complement``) when the suppressed groups below it hold
      between 1 and K − 1 officers together: its total minus the released groups' would give them.
    * Numbers are rounded once, half away from zero: hours to 0.1 h (per officer: 0.01 h a week for
      paperwork), money to whole currency units, FTE to 0.01 officer.

    Returns the columns of :data:`RELEASED_COLUMNS` (numbers as float or None).
    """
    k = wc.wave.min_cell
    t = wc.table.copy()
    small = (t["level"] == "group") & (t["officers"] < k)
    hidden = t.loc[small, ["key", "officers"]].set_index("key")["officers"]
    reason = np.where(small, "below_k", "").astype(object)
    for lvl, mapping in wc.group_levels.items():
        keyed = hidden.groupby(hidden.index.map(mapping)).sum() if len(hidden) else pd.Series(dtype=float)
        for i in t.index[t["level"] == lvl]:
            n_hidden = keyed.get(t.at[i, "key"], 0)
            if 0 < n_hidden < k:
                reason[i] = "complement"
    t["reason"] = reason
    t["suppressed"] = t["reason"] != ""
    t["currency"] = wc.currency
    out = pd.DataFrame({"level": t["level"], "key": t["key"]})
    out["officers"] = [None if s else int(v) for v, s in zip(t["officers"], t["suppressed"])]
    for col, dec in _DECIMALS.items():
        if col not in t:
            out[col] = None
            continue
        out[col] = [None if s or pd.isna(v) else round_half_away(float(v), dec)
                    for v, s in zip(t[col], t["suppressed"])]
    out["currency"] = wc.currency
    out["suppressed"] = t["suppressed"].astype(bool)
    out["reason"] = t["reason"]
    return out[RELEASED_COLUMNS].reset_index(drop=True)


def release_survey_paperwork(wave: Wave) -> pd.DataFrame:
    """The survey's paperwork item per group: responses and share answering "half of the time or more".

    Same gate as survey results: nothing but counts while the wave is open (rule 11); a group with
    fewer than K answers shows nothing (``below_k``); a share whose numerator or complement is below
    K is withheld (``share_below_k``). Columns ``group, n, share_high_pct, suppressed, reason``.
    """
    k = wave.min_cell
    q = (db.select(Response.group_id, Answer.value).join(Answer, Answer.response_id == Response.id)
         .where(Response.wave_id == wave.id, Answer.item_id == PAPERWORK_ITEM))
    df = pd.DataFrame(db.session.execute(q).all(), columns=["group_id", "value"])
    slug = {g.id: g.slug for g in wave.groups}
    rows: list[dict] = []
    for gid, gslug in sorted(slug.items(), key=lambda x: x[1]):
        v = df.loc[df["group_id"] == gid, "value"]
        n, hi = int(len(v)), int(v.isin(PAPERWORK_HIGH).sum())
        if wave.status != WaveStatus.closed:
            rows.append({"group": gslug, "n": None, "share_high_pct": None, "suppressed": True,
                         "reason": "wave_open"})
        elif n < k:
            rows.append({"group": gslug, "n": None, "share_high_pct": None, "suppressed": True,
                         "reason": "below_k"})
        elif hi < k or n - hi < k:
            rows.append({"group": gslug, "n": n, "share_high_pct": None, "suppressed": False,
                         "reason": "share_below_k"})
        else:
            rows.append({"group": gslug, "n": n, "share_high_pct": round_half_away(100 * hi / n, 0),
                         "suppressed": False, "reason": ""})
    return pd.DataFrame(rows, columns=["group", "n", "share_high_pct", "suppressed", "reason"], dtype=object)


def costs_csv(released: pd.DataFrame) -> str:
    """The released costs rows as CSV (CLI.md: suppressed numbers empty, ``true``/``false``, whole numbers
    without a decimal point) — the same text as ``flask schedules costs --format csv``."""
    return frame_csv(released, RELEASED_COLUMNS)
