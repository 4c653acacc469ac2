"""Saving the roster and shift records (``flask roster import``, ``flask shifts ...`` and the project
office's upload pages).

Parsing and validation live in :mod:`wellbeing.core.roster` and :mod:`wellbeing.core.shifts` (pure); this
module adds what needs the database: unknown units and persons, overlaps with **stored** shifts of the same
person, the import record (file hash, rows, who, when), idempotent re-imports and the bulk insert of shift
records.

Every import is all or nothing: it raises :class:`~wellbeing.core.tables.ImportRejected` listing every
problem (with row numbers) having saved nothing, or commits everything with one :class:`ImportRecord`.
Re-importing the same file (same SHA-256, same kind) changes nothing and returns ``unchanged=True``.

Roster data are personal data (DESIGN.md section 4): nothing here touches responses or the code ledger.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import insert

from ..core.patterns import SHIFT_PATTERN_SLUGS
from ..core.roster import parse_roster
from ..core.shifts.generate import generate_shifts
from ..core.shifts.grids import ShiftCode, parse_grid, parse_inrc_text
from ..core.shifts.records import MAX_SHIFT_HOURS, parse_shifts
from ..core.shifts.weekly import parse_weekly_template
from ..core.tables import ImportRejected, RowError, read_table, read_text
from ..core.timeparse import DEFAULT_TIMEZONE
from ..extensions import db
from ..models import ImportRecord, RosterEntry, RosterSnapshot, ShiftRecord, Unit, UnitLevel

log = logging.getLogger(__name__)

#: Rows per INSERT batch of :func:`store_shifts` (SQLite's executemany in chunks keeps memory flat).
CHUNK_ROWS = 50_000
#: How far around a new shift stored shifts are searched for overlaps: the longest record (36 h).
_MARGIN_S = int(MAX_SHIFT_HOURS * 3600)
_PERSON_BATCH = 500   # persons per IN (...) query (SQLite's bound-parameter limit)


@dataclass(frozen=True)
class ImportResult:
    """What an import did: ``kind``, ``rows`` stored, ``unchanged`` (same file imported before)."""

    kind: str
    rows: int
    unchanged: bool = False
    import_id: int | None = None
    detail: str = ""


def file_hash(data: bytes, *params: object) -> str:
    """SHA-256 of the file's bytes; options that change an import's meaning (a grid's start date and
    codes, a weekly template's period) are hashed in too, so the same template for another month is a
    new import, the same file with the same options is not."""
    h = hashlib.sha256(data)
    for p in params:
        h.update(b"\0" + str(p).encode("utf-8"))
    return h.hexdigest()


def _already(kind: str, digest: str) -> ImportRecord | None:
    return db.session.execute(db.select(ImportRecord).filter_by(kind=kind, file_hash=digest)
                              .order_by(ImportRecord.id).limit(1)).scalar_one_or_none()


def record_import(kind: str, digest: str, rows: int, imported_by: str) -> ImportRecord:
    """Add (and flush) the import record of an accepted import: kind, hash, rows, who, when (UTC)."""
    rec = ImportRecord(kind=kind, file_hash=digest, rows=rows, imported_by=imported_by,
                       imported_at=datetime.now(UTC).replace(tzinfo=None))
    db.session.add(rec)
    db.session.flush()
    return rec


# ------------------------------------------------------------------------------------------- roster


#: Per-column value recoding: contract column -> {file value: contract value}.
ValueMap = Mapping[str, Mapping[str, str]]


def recent_imports(kinds: Sequence[str], limit: int = 20) -> list[ImportRecord]:
    """The latest ``limit`` import records of these kinds (e.g. the shift imports), newest first."""
    return list(db.session.execute(
        db.select(ImportRecord).where(ImportRecord.kind.in_(list(kinds))).order_by(ImportRecord.id.desc())
        .limit(limit)).scalars())


def unit_ids() -> dict[str, int]:
    """Unit slug -> database id of the units (leaf level) officers can be on."""
    return {slug: uid for uid, slug in db.session.execute(
        db.select(Unit.id, Unit.slug).filter_by(level=UnitLevel.unit))}


def preview_roster(data: bytes, *, columns: Mapping[str, str] | None = None, delimiter: str | None = None,
                   encoding: str = "utf-8", values: ValueMap | None = None) -> pd.DataFrame:
    """Validate a roster file against the stored units without saving (raises ImportRejected)."""
    return parse_roster(data, known_units=unit_ids(), known_patterns=SHIFT_PATTERN_SLUGS,
                             columns=columns, delimiter=delimiter, encoding=encoding, values=values)


def _values_part(values: ValueMap | None) -> tuple[str, ...]:
    """The value mapping as hash input (it changes the meaning of a file); nothing when absent."""
    if not values:
        return ()
    return (repr(sorted((k, sorted(v.items())) for k, v in values.items())),)


def import_roster(data: bytes, *, imported_by: str, as_of: date | None = None,
                  columns: Mapping[str, str] | None = None, delimiter: str | None = None,
                  encoding: str = "utf-8", values: ValueMap | None = None) -> ImportResult:
    """Store a roster snapshot as of ``as_of`` (default today): ``person_id,unit_id,shift_pattern,
    position,contract_hours_week[,accounting_period]``. Waves opening on or after ``as_of`` form their
    groups from it; earlier waves keep theirs (DESIGN.md rule 6). ``values``: per-column value
    recoding (``[values.shift_pattern]`` of a columns file)."""
    as_of = as_of or date.today()
    digest = file_hash(data, as_of.isoformat(), *_values_part(values))
    if (rec := _already("roster", digest)) is not None:
        return ImportResult("roster", 0, True, rec.id)
    units = unit_ids()
    frame = parse_roster(data, known_units=units, known_patterns=SHIFT_PATTERN_SLUGS, columns=columns,
                              delimiter=delimiter, encoding=encoding, values=values)
    try:
        rec = record_import("roster", digest, len(frame), imported_by)
        snap = RosterSnapshot(as_of=as_of, import_id=rec.id, persons=len(frame))
        db.session.add(snap)
        db.session.flush()
        rows = [{"snapshot_id": snap.id, "person_id": p, "unit_id": units[u],
                 "shift_pattern": None if pd.isna(sp) else str(sp),
                 "position": None if pd.isna(pos) else str(pos), "contract_hours_week": float(h),
                 "accounting_period": None if pd.isna(ap) else str(ap)}
                for p, u, sp, pos, h, ap in zip(frame["person_id"], frame["unit_id"], frame["shift_pattern"],
                                                frame["position"], frame["contract_hours_week"],
                                                frame["accounting_period"])]
        for i in range(0, len(rows), CHUNK_ROWS):
            db.session.execute(insert(RosterEntry.__table__), rows[i:i + CHUNK_ROWS])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("roster snapshot %s as of %s: %d officers", snap.id, as_of, len(frame))
    return ImportResult("roster", len(frame), False, rec.id, f"snapshot as of {as_of}")


def snapshot_for(on: date | None) -> RosterSnapshot | None:
    """The newest roster snapshot as of ``on`` (``as_of <= on``; the latest of all when ``on`` is None)."""
    stmt = db.select(RosterSnapshot).order_by(RosterSnapshot.as_of.desc(), RosterSnapshot.id.desc()).limit(1)
    if on is not None:
        stmt = stmt.where(RosterSnapshot.as_of <= on)
    return db.session.execute(stmt).scalar_one_or_none()


def list_snapshots() -> list[RosterSnapshot]:
    return list(db.session.execute(db.select(RosterSnapshot).order_by(RosterSnapshot.as_of.desc(),
                                                                       RosterSnapshot.id.desc())).scalars())


def snapshot_frame(snapshot: RosterSnapshot) -> pd.DataFrame:
    """A snapshot's officers: ``person_id, unit_id`` (unit slug), ``shift_pattern``, ``contract_hours_week``,
    ``accounting_period`` (None = the default,
    :data:`wellbeing.core.schedules.accounting.DEFAULT_ACCOUNTING_PERIOD`)."""
    rows = db.session.execute(
        db.select(RosterEntry.person_id, Unit.slug, RosterEntry.shift_pattern, RosterEntry.contract_hours_week,
                  RosterEntry.accounting_period)
        .join(Unit, Unit.id == RosterEntry.unit_id).where(RosterEntry.snapshot_id == snapshot.id)).all()
    return pd.DataFrame(rows, columns=["person_id", "unit_id", "shift_pattern", "contract_hours_week",
                                       "accounting_period"])


def known_persons() -> set[str]:
    """Every person on any roster snapshot (shift files may cover officers who have since left)."""
    return set(db.session.execute(db.select(RosterEntry.person_id).distinct()).scalars())


# ------------------------------------------------------------------------------------------- shifts


def _epoch_seconds(s: pd.Series) -> np.ndarray:
    """tz-aware timestamps -> whole seconds since 1970-01-01 UTC."""
    return (s.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[s]")
            .astype("int64").to_numpy())


_SHIFT_COLS = ("person_id", "start_utc", "end_utc", "break_min", "duty_type", "shift_code", "import_id")


def _driver_sql(sql: str) -> str:
    """``sql`` written with ``?`` placeholders, in the database driver's parameter style."""
    style = db.session.connection().dialect.paramstyle
    return sql if style == "qmark" else sql.replace("?", "%s")


def store_shifts(frame: pd.DataFrame, import_id: int, *, chunk: int = CHUNK_ROWS) -> int:
    """Bulk-insert validated shift records in the session's transaction; the caller commits.

    One INSERT statement run by the driver's ``executemany`` on plain tuples, ``chunk`` rows at a time
    (no ORM object, no dict per row). Returns the rows stored.
    """
    if frame.empty:
        return 0
    start = _epoch_seconds(frame["start"]).tolist()
    end = _epoch_seconds(frame["end"]).tolist()
    code = frame["shift_code"].astype(object).where(frame["shift_code"].notna(), None).tolist()
    rows = list(zip(frame["person_id"].astype(str).tolist(), start, end,
                    frame["break_min"].astype("int64").tolist(), frame["duty_type"].astype(str).tolist(), code,
                    [import_id] * len(frame)))
    # Justified (bandit B608): table and column names are module constants; every value is bound.
    sql = _driver_sql(f"INSERT INTO {ShiftRecord.__tablename__} ({', '.join(_SHIFT_COLS)}) "  # nosec B608
                      f"VALUES ({', '.join('?' * len(_SHIFT_COLS))})")
    conn = db.session.connection()
    for i in range(0, len(rows), chunk):
        conn.exec_driver_sql(sql, rows[i:i + chunk])
    return len(rows)


def load_shifts(persons: Iterable[str], start_utc: int, end_utc: int) -> pd.DataFrame:
    """Stored shift records of ``persons`` overlapping ``[start_utc - 36 h, end_utc + 36 h)`` (epoch
    seconds) as the frame of :mod:`wellbeing.core.shifts.records` (``start``/``end`` tz-aware UTC), with the
    stored ``start_utc``, ``end_utc`` and ``import_id``."""
    ids = sorted(set(persons))
    lo, hi = start_utc - _MARGIN_S, end_utc + _MARGIN_S
    # Justified (bandit B608): table and column names are module constants; every value is bound.
    base = (f"SELECT {', '.join(_SHIFT_COLS)} FROM {ShiftRecord.__tablename__} "  # nosec B608
            "WHERE start_utc < ? AND end_utc > ?")
    cursor = db.session.connection().connection.dbapi_connection.cursor()   # plain tuples, no Row objects
    parts: list[tuple] = []
    many = len(ids) > 4 * _PERSON_BATCH
    try:
        if many:   # many persons: one query by time, persons filtered below
            cursor.execute(_driver_sql(base), (hi, lo))
            parts.extend(cursor.fetchall())
        else:
            for i in range(0, len(ids), _PERSON_BATCH):
                batch = ids[i:i + _PERSON_BATCH]
                sql = _driver_sql(f"{base} AND person_id IN ({', '.join('?' * len(batch))})")
                cursor.execute(sql, (hi, lo, *batch))
                parts.extend(cursor.fetchall())
    finally:
        cursor.close()
    names = list(_SHIFT_COLS)
    df = pd.DataFrame.from_records(parts, columns=names) if parts else pd.DataFrame(
        {n: pd.Series([], dtype=object if n in ("person_id", "duty_type", "shift_code") else "int64")
         for n in names})
    if many:
        df = df[df["person_id"].isin(set(ids))].reset_index(drop=True)
    df["start"] = pd.to_datetime(df["start_utc"].astype("int64"), unit="s", utc=True)
    df["end"] = pd.to_datetime(df["end_utc"].astype("int64"), unit="s", utc=True)
    df["break_min"] = df["break_min"].astype("int64")
    return df


def stored_overlaps(frame: pd.DataFrame, rows: Sequence[int | None] | np.ndarray,
                    columns: Sequence[str | None] | np.ndarray | None = None) -> list[RowError]:
    """Rule ``overlap``: new records starting before a stored shift of the same person ends and ending
    after it starts (touching shifts are fine). ``rows``/``columns`` locate each new record in its file.
    """
    if frame.empty:
        return []
    s_new = _epoch_seconds(frame["start"])
    e_new = _epoch_seconds(frame["end"])
    stored = load_shifts(frame["person_id"].astype(str), int(s_new.min()), int(e_new.max()))
    if stored.empty:
        return []
    stored = stored.sort_values(["person_id", "start_utc"], kind="stable")
    names = pd.Index(pd.unique(pd.concat([frame["person_id"].astype(str), stored["person_id"]])))
    pn = names.get_indexer(frame["person_id"].astype(str)).astype(np.int64)
    ps = names.get_indexer(stored["person_id"]).astype(np.int64)
    base = int(min(s_new.min(), stored["start_utc"].min()))
    shift = np.int64(1) << 40
    s_st = stored["start_utc"].to_numpy(np.int64)
    e_st = stored["end_utc"].to_numpy(np.int64)
    key_st = ps * shift + (s_st - base)
    order = np.argsort(key_st, kind="stable")
    key_st, s_st, e_st, ps = key_st[order], s_st[order], e_st[order], ps[order]
    imp = stored["import_id"].to_numpy()[order]
    # the last stored shift of the person starting before the new one ends; stored shifts do not
    # overlap one another, so it has the latest end among those and decides the overlap
    j = np.searchsorted(key_st, pn * shift + (e_new - base), side="left") - 1
    ok = j >= 0
    jj = np.where(ok, j, 0)
    hit = ok & (ps[jj] == pn) & (e_st[jj] > s_new)
    errors = []
    for i in np.flatnonzero(hit):
        k = jj[i]
        a = pd.Timestamp(int(s_st[k]), unit="s", tz="UTC").isoformat()
        b = pd.Timestamp(int(e_st[k]), unit="s", tz="UTC").isoformat()
        col = None if columns is None else columns[i]
        errors.append(RowError(None if rows[i] is None else int(rows[i]), col or "start",
                               str(frame["person_id"].iat[i]), "overlap",
                               f"overlaps a stored shift of this person ({a} to {b}, import #{imp[k]})"))
    return errors


def _unknown_persons(persons: Iterable[str], row_of: Mapping[str, int | None]) -> list[RowError]:
    known = known_persons()
    return [RowError(row_of.get(p), "person_id", p, "unknown_person", "person is on no roster snapshot")
            for p in sorted(set(persons) - known)]


def _save_shifts(kind: str, digest: str, frame: pd.DataFrame, imported_by: str) -> ImportResult:
    try:
        rec = record_import(kind, digest, len(frame), imported_by)
        n = store_shifts(frame, rec.id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("%s: %d shift records stored (import %s)", kind, n, rec.id)
    return ImportResult(kind, n, False, rec.id)


def check_shifts(data: bytes, *, timezone: str = DEFAULT_TIMEZONE, columns: Mapping[str, str] | None = None,
                 delimiter: str | None = None, encoding: str = "utf-8", values: ValueMap | None = None) -> pd.DataFrame:
    """Parse and validate a shift-records file against the roster and the stored shifts (no saving)."""
    frame = parse_shifts(data, timezone=timezone, known_persons=known_persons(), columns=columns,
                              delimiter=delimiter, encoding=encoding, values=values)
    errors = stored_overlaps(frame, frame.attrs.get("rows", [None] * len(frame)))
    if errors:
        raise ImportRejected(errors)
    return frame


def import_shifts(data: bytes, *, imported_by: str, timezone: str = DEFAULT_TIMEZONE,
                  columns: Mapping[str, str] | None = None, delimiter: str | None = None,
                  encoding: str = "utf-8", values: ValueMap | None = None) -> ImportResult:
    """Store a shift-records file ``person_id,start,end,break_min,duty_type,shift_code`` (all or nothing);
    ``values``: per-column value recoding (``[values.duty_type]`` of a columns file)."""
    digest = file_hash(data, timezone, *_values_part(values))
    if (rec := _already("shifts", digest)) is not None:
        return ImportResult("shifts", 0, True, rec.id)
    frame = check_shifts(data, timezone=timezone, columns=columns, delimiter=delimiter, encoding=encoding,
                         values=values)
    return _save_shifts("shifts", digest, frame, imported_by)


def _person_rows(data: bytes, *, delimiter: str | None, encoding: str,
                 columns: Mapping[str, str] | None) -> dict[str, int]:
    """Person -> row (line) of a grid or weekly file, for row numbers of checks made after parsing."""
    text = read_text(data, encoding)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if "|" in first and delimiter is None:
        persons, _cells, rows, _header = parse_inrc_text(text)
        return dict(zip(persons, rows))
    table = read_table(text, required=("person_id",), delimiter=delimiter, columns=columns)
    return {p: int(r) for p, r in zip(table.frame["person_id"], table.row_numbers)}


def _check_expanded(frame: pd.DataFrame, row_of: Mapping[str, int | None], tz: str) -> None:
    errors = _unknown_persons(frame["person_id"].astype(str), row_of)
    if not errors:
        rows = [row_of.get(p) for p in frame["person_id"].astype(str)]
        days = frame["start"].dt.tz_convert(tz).dt.strftime("%Y-%m-%d").tolist()
        errors = stored_overlaps(frame, rows, days)
    if errors:
        raise ImportRejected(errors)


def check_grid(data: bytes, codes: bytes | Mapping[str, ShiftCode], start: date, *,
               timezone: str = DEFAULT_TIMEZONE, columns: Mapping[str, str] | None = None,
               delimiter: str | None = None, encoding: str = "utf-8",
               values: ValueMap | None = None) -> pd.DataFrame:
    """Parse a person × day grid with its codes table and check it against roster and stored shifts
    (``values`` recodes the codes table's columns, e.g. ``[values.duty_type]``)."""
    frame = parse_grid(data, codes, start, timezone=timezone, delimiter=delimiter, encoding=encoding,
                       columns=columns, values=values)
    _check_expanded(frame, _person_rows(data, delimiter=delimiter, encoding=encoding, columns=columns), timezone)
    return frame


def import_grid(data: bytes, codes: bytes, start: date, *, imported_by: str,
                timezone: str = DEFAULT_TIMEZONE, columns: Mapping[str, str] | None = None,
                delimiter: str | None = None, encoding: str = "utf-8",
                values: ValueMap | None = None) -> ImportResult:
    """Store the shifts of a person × day grid (CLI ``flask shifts import-grid``)."""
    digest = file_hash(data, start.isoformat(), hashlib.sha256(codes).hexdigest(), timezone, *_values_part(values))
    if (rec := _already("shifts-grid", digest)) is not None:
        return ImportResult("shifts-grid", 0, True, rec.id)
    frame = check_grid(data, codes, start, timezone=timezone, columns=columns, delimiter=delimiter,
                       encoding=encoding, values=values)
    return _save_shifts("shifts-grid", digest, frame, imported_by)


def import_weekly(data: bytes, start: date, end: date, *, imported_by: str,
                  timezone: str = DEFAULT_TIMEZONE, columns: Mapping[str, str] | None = None,
                  delimiter: str | None = None, encoding: str = "utf-8",
                  values: ValueMap | None = None) -> ImportResult:
    """Expand a weekly template per person over ``start``..``end`` (inclusive) and store it."""
    digest = file_hash(data, start.isoformat(), end.isoformat(), timezone, *_values_part(values))
    if (rec := _already("shifts-weekly", digest)) is not None:
        return ImportResult("shifts-weekly", 0, True, rec.id)
    if end < start:
        raise ImportRejected([RowError(None, None, end.isoformat(), "bad_period", "--to is before --from")])
    frame = parse_weekly_template(data, start, end, timezone=timezone, delimiter=delimiter,
                                       encoding=encoding, columns=columns, values=values)
    _check_expanded(frame, _person_rows(data, delimiter=delimiter, encoding=encoding, columns=columns), timezone)
    return _save_shifts("shifts-weekly", digest, frame, imported_by)


def generate_for_unit(unit: str, pattern: str, start: date, end: date, *, imported_by: str,
                      timezone: str = DEFAULT_TIMEZONE) -> ImportResult:
    """Planned shifts on catalogue ``pattern`` for the officers of ``unit`` in the latest roster
    snapshot (``flask shifts generate``); crews are assigned in ``person_id`` order."""
    problems = []
    if pattern not in SHIFT_PATTERN_SLUGS:
        problems.append(RowError(None, "pattern", pattern, "unknown_shift_pattern",
                                 f"unknown shift pattern (one of {', '.join(sorted(SHIFT_PATTERN_SLUGS))})"))
    if end < start:
        problems.append(RowError(None, "to", end.isoformat(), "bad_period", "--to is before --from"))
    snap = snapshot_for(None)
    units = unit_ids()
    if unit not in units:
        problems.append(RowError(None, "unit", unit, "unknown_unit", "unknown unit"))
    if snap is None:
        problems.append(RowError(None, None, None, "no_roster", "no roster snapshot: run `flask roster import` first"))
    if problems:
        raise ImportRejected(problems)
    assert snap is not None
    persons = sorted(db.session.execute(
        db.select(RosterEntry.person_id).where(RosterEntry.snapshot_id == snap.id,
                                               RosterEntry.unit_id == units[unit])).scalars())
    if not persons:
        raise ImportRejected([RowError(None, "unit", unit, "empty_unit",
                                       f"no officer of this unit in the roster snapshot as of {snap.as_of}")])
    digest = file_hash(b"generate", unit, pattern, start.isoformat(), end.isoformat(), timezone, snap.id)
    if (rec := _already("shifts-generated", digest)) is not None:
        return ImportResult("shifts-generated", 0, True, rec.id)
    frame = generate_shifts(persons, pattern, start, end, timezone)
    errors = stored_overlaps(frame, [None] * len(frame),
                             frame["start"].dt.tz_convert(timezone).dt.strftime("%Y-%m-%d").tolist())
    if errors:
        raise ImportRejected(errors)
    res = _save_shifts("shifts-generated", digest, frame, imported_by)
    return ImportResult(res.kind, res.rows, False, res.import_id, f"{len(persons)} officers")
