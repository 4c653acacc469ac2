"""External and paper responses: the groups file, the mapping file and the response file, pure Python.

``flask responses import FILE --wave SLUG --mapping MAPPING.toml`` (CLI.md, DESIGN.md section 7) reads
a delimited file of item answers into an import-only wave. This module does everything that needs no
database: it parses the wave's ``GROUPS.csv`` (:func:`parse_groups_csv`) and the ``MAPPING.toml``
(:func:`parse_mapping`), and turns a response file into validated, scored responses
(:func:`parse_responses`). The service ``wellbeing.services.response_import`` saves them.

Rules (each refusal is a :class:`~wellbeing.core.tables.RowError` with the spreadsheet row — header =
row 1 — and the column; one :class:`~wellbeing.core.tables.ImportRejected` lists them all):

* every column the mapping names must be in the file (``missing_column``, row 1);
* columns not named anywhere are ignored (not stored) and listed in the report; among them, a column
  whose values are filled and distinct in every row of a file of 20 rows or more is a likely
  identifier and must be named in ``drop`` (``identifier``);
* item values are recoded by ``[values]`` (per item id or ``"*"``; ``"missing"`` = unanswered) and
  must then be one of the item's response-set values, as on the web form (``not_in_response_set``);
  a blank cell not recoded is refused (``blank``), so that missing answers are always declared;
* the reporting-group value must be one of the wave's groups file (``unknown_group``);
* a self-reported week (``[weekly_schedule]``) becomes banded context answers (night hours per week,
  mean shift length, weekly hours; :mod:`wellbeing.core.schedules.self_report`); the clock times themselves are
  never returned, so they cannot be stored. A week without any shift counts as not reported.

Values are compared after :func:`normalise_value`, so ``"1"``, ``"1.0"`` and ``" 1 "`` are the same
value (the FRA file writes its codes as ``1.0``).
"""

from __future__ import annotations

import logging
import math
import re
import tomllib
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .instruments import Instrument, ScaleScore, score, validate_answers
from .schedules.bands import NIGHT_HOURS_BANDS, SHIFT_LENGTH_BANDS, WEEKLY_HOURS_BANDS, Band, band
from .schedules.self_report import weekly_schedule_features
from .tables import ImportRejected, RowError, read_table

log = logging.getLogger(__name__)

MISSING = "missing"
#: A file needs at least this many rows before a column of distinct values is taken for an identifier.
IDENTIFIER_MIN_ROWS = 20
GROUP_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
            "sunday": 6}
SCHEDULE_INSTRUMENT = "selfreport_schedule"
#: Context item of the schedule instrument -> (feature column of weekly_schedule_features, bands).
SCHEDULE_ITEMS: dict[str, tuple[str, tuple[Band, ...]]] = {
    "night_hours_band": ("night_hours_per_week", NIGHT_HOURS_BANDS),
    "shift_length_band": ("mean_shift_hours", SHIFT_LENGTH_BANDS),
    "weekly_hours_band": ("weekly_hours", WEEKLY_HOURS_BANDS),
}


def normalise_value(raw: str) -> str:
    """A cell value as compared with groups and recodings: stripped; a number written as an integer
    (``"1.0"`` -> ``"1"``, ``"2.50"`` -> ``"2.5"``); anything else unchanged."""
    s = raw.strip()
    try:
        f = float(s)
    except ValueError:
        return s
    if not math.isfinite(f):
        return s
    return str(int(f)) if f.is_integer() else repr(f)


# ------------------------------------------------------------------------------------ groups file


@dataclass(frozen=True)
class ImportGroup:
    """One row of an import-only wave's ``GROUPS.csv``: the (normalised) value found in the data's
    group column, the reporting-group slug it stands for, and a label."""

    value: str
    slug: str
    label: str


def parse_groups_csv(data: bytes | str, *, delimiter: str | None = None,
                     encoding: str = "utf-8") -> list[ImportGroup]:
    """Parse ``GROUPS.csv`` (``value,slug,label``).

    Raises
    ------
    ImportRejected
        missing column, blank value or slug, a slug that is not ``[a-z0-9][a-z0-9-]*``, a value or
        slug listed twice, or no group at all.
    """
    table = read_table(data, required=("value", "slug", "label"), delimiter=delimiter, encoding=encoding)
    errors: list[RowError] = []
    groups: list[ImportGroup] = []
    seen_values: dict[str, int] = {}
    seen_slugs: dict[str, int] = {}
    for row, rec in table.rows:
        value, slug, label = normalise_value(rec["value"]), rec["slug"], rec["label"]
        if not value:
            errors.append(RowError(row, "value", "", "required", "a group value is needed"))
        elif value in seen_values:
            errors.append(RowError(row, "value", rec["value"], "duplicate",
                                   f"value listed already in row {seen_values[value]}"))
        if not GROUP_SLUG_RE.match(slug):
            errors.append(RowError(row, "slug", slug, "slug", "not a slug (lower-case letters, digits, '-')"))
        elif slug in seen_slugs:
            errors.append(RowError(row, "slug", slug, "duplicate", f"slug listed already in row {seen_slugs[slug]}"))
        seen_values.setdefault(value, row)
        seen_slugs.setdefault(slug, row)
        groups.append(ImportGroup(value, slug, label or slug))
    if not table.rows:
        errors.append(RowError(None, None, None, "empty", "the groups file lists no group"))
    if errors:
        raise ImportRejected(errors, "groups file")
    return groups


# ---------------------------------------------------------------------------------- mapping file


@dataclass(frozen=True)
class Section:
    """Columns of one instrument: file column -> item id."""

    instrument: str
    items: Mapping[str, str]


@dataclass(frozen=True)
class WeeklySchedule:
    """Columns of a self-reported week: 7 start and 7 end columns beginning with ``first_weekday``
    (0 = Monday ... 6 = Sunday); features go to the context instrument ``instrument``."""

    start: tuple[str, ...]
    end: tuple[str, ...]
    first_weekday: int
    instrument: str = SCHEDULE_INSTRUMENT


@dataclass(frozen=True)
class ResponseMapping:
    """A validated ``MAPPING.toml`` (format: CLI.md and ``docs/response-import.md``).

    ``values`` maps an item id (or ``"*"``) to {normalised raw value -> recoded value}; a recoded
    value of None means unanswered (``"missing"`` in the file).
    """

    sections: tuple[Section, ...]
    reporting_group: str
    drop: tuple[str, ...] = ()
    skip_rows_where: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)
    context: Mapping[str, str] = field(default_factory=dict)
    weekly_schedule: WeeklySchedule | None = None
    language: str = "en"

    @property
    def stored_columns(self) -> list[str]:
        """Columns whose values reach the stored response (group, items, context, schedule), in order.
        Columns read only by ``skip_rows_where`` are not among them."""
        cols: list[str] = [self.reporting_group]
        for s in self.sections:
            cols.extend(s.items)
        cols.extend(self.context)
        if self.weekly_schedule:
            cols.extend(self.weekly_schedule.start)
            cols.extend(self.weekly_schedule.end)
        return list(dict.fromkeys(cols))

    @property
    def used_columns(self) -> list[str]:
        """Columns read from the file (items, context, group, schedule, skip rules), in order."""
        cols: list[str] = [self.reporting_group]
        for s in self.sections:
            cols.extend(s.items)
        cols.extend(self.context)
        if self.weekly_schedule:
            cols.extend(self.weekly_schedule.start)
            cols.extend(self.weekly_schedule.end)
        cols.extend(self.skip_rows_where)
        return list(dict.fromkeys(cols))


def _recoded(value: Any) -> float | None | str:
    """A [values] target: "missing" -> None, a number (or numeric text) -> float; else an error text."""
    if isinstance(value, bool):
        return f"{value!r} is not a number or \"missing\""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        if value.strip().lower() == MISSING:
            return None
        try:
            return float(value)
        except ValueError:
            pass
    return f"{value!r} is not a number or \"missing\""


def parse_mapping(text: str, file: str = "MAPPING.toml") -> ResponseMapping:
    """Parse and check a mapping file (structure only; the wave's instruments are checked later).

    Raises
    ------
    ImportRejected
        one :class:`RowError` per problem (``row`` None, ``column`` = the mapping's field, ``rule``
        ``mapping``); its ``source`` is ``file``.
    """
    def err(fld: str, msg: str) -> RowError:
        return RowError(None, fld or None, None, "mapping", msg)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ImportRejected([err("", f"not valid TOML ({exc})")], file) from None
    errors: list[RowError] = []
    known = {"instrument", "items", "sections", "reporting_group", "drop", "skip_rows_where", "values",
             "context", "weekly_schedule", "language"}
    for key in data:
        if key not in known:
            errors.append(err(key, f"unknown key (known: {', '.join(sorted(known))})"))

    def columns_table(value: Any, fld: str) -> dict[str, str]:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            errors.append(err(fld, "expected a table of column = \"item id\""))
            return {}
        return dict(value)

    sections: list[Section] = []
    if "items" in data or "instrument" in data:
        inst = data.get("instrument")
        if not isinstance(inst, str) or not inst:
            errors.append(err("instrument", "name the instrument of [items]"))
        else:
            sections.append(Section(inst, columns_table(data.get("items", {}), "items")))
    raw_sections = data.get("sections", [])
    if not isinstance(raw_sections, list):
        errors.append(err("sections", "expected [[sections]] tables"))
        raw_sections = []
    for i, sec in enumerate(raw_sections, 1):
        where = f"sections[{i}]"
        if not isinstance(sec, dict) or not isinstance(sec.get("instrument"), str):
            errors.append(err(where, "each [[sections]] needs instrument = \"id\" and a table items"))
            continue
        cols = sec.get("items", sec.get("columns", {}))
        sections.append(Section(sec["instrument"], columns_table(cols, f"{where}.items")))
    if not sections or not any(s.items for s in sections):
        errors.append(err("items", "map at least one column to an item ([items] or [[sections]])"))

    group = data.get("reporting_group")
    if not isinstance(group, str) or not group:
        errors.append(err("reporting_group", "name the column whose values name the reporting group"))
        group = ""
    drop = data.get("drop", [])
    if not isinstance(drop, list) or not all(isinstance(d, str) for d in drop):
        errors.append(err("drop", "expected a list of column names"))
        drop = []
    skip: dict[str, re.Pattern[str]] = {}
    raw_skip = data.get("skip_rows_where", {})
    if not isinstance(raw_skip, dict):
        errors.append(err("skip_rows_where", "expected a table of column = \"regex\""))
        raw_skip = {}
    for col, pattern in raw_skip.items():
        if not isinstance(pattern, str):
            errors.append(err(f"skip_rows_where.{col}", "expected a regular expression as text"))
            continue
        try:
            skip[col] = re.compile(pattern)
        except re.error as exc:
            errors.append(err(f"skip_rows_where.{col}", f"not a regular expression ({exc})"))
    values: dict[str, dict[str, float | None]] = {}
    raw_values = data.get("values", {})
    if not isinstance(raw_values, dict):
        errors.append(err("values", "expected a table of item = { raw = recoded }"))
        raw_values = {}
    for item, table in raw_values.items():
        if not isinstance(table, dict):
            errors.append(err(f"values.{item}", "expected a table { raw = recoded }"))
            continue
        recodes: dict[str, float | None] = {}
        for raw, target in table.items():
            rec = _recoded(target)
            if isinstance(rec, str):
                errors.append(err(f"values.{item}.{raw!r}", rec))
            else:
                recodes[normalise_value(str(raw))] = rec
        values[item] = recodes
    context = columns_table(data.get("context", {}), "context")
    schedule = None
    ws = data.get("weekly_schedule")
    if ws is not None:
        if not isinstance(ws, dict):
            errors.append(err("weekly_schedule", "expected a table with start, end and first_day"))
        else:
            start, end = ws.get("start"), ws.get("end")
            ok = True
            for name, cols in (("start", start), ("end", end)):
                if not isinstance(cols, list) or len(cols) != 7 or not all(isinstance(c, str) for c in cols):
                    errors.append(err(f"weekly_schedule.{name}", "expected 7 column names, one per weekday"))
                    ok = False
            first = ws.get("first_day")
            if not isinstance(first, str) or first.strip().lower() not in WEEKDAYS:
                errors.append(err("weekly_schedule.first_day",
                                  "name the weekday of the first column, e.g. \"sunday\""))
                ok = False
            inst = ws.get("instrument", SCHEDULE_INSTRUMENT)
            if ok:
                schedule = WeeklySchedule(tuple(start), tuple(end), WEEKDAYS[first.strip().lower()],  # type: ignore[arg-type, union-attr]
                                          str(inst))
    language = data.get("language", "en")
    if not isinstance(language, str) or not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?", language):
        errors.append(err("language", f"{language!r} is not a language code such as \"en\""))
        language = "en"

    # A column has one role only.
    roles: dict[str, list[str]] = {}
    for s in sections:
        for col in s.items:
            roles.setdefault(col, []).append(f"items of {s.instrument}")
    for col in context:
        roles.setdefault(col, []).append("context")
    if group:
        roles.setdefault(group, []).append("reporting_group")
    if schedule:
        for col in (*schedule.start, *schedule.end):
            roles.setdefault(col, []).append("weekly_schedule")
    for col in drop:
        roles.setdefault(col, []).append("drop")
    for col, rs in roles.items():
        if len(rs) > 1:
            errors.append(err(col, f"column named more than once ({', '.join(rs)})"))
    if errors:
        raise ImportRejected(errors, file)
    return ResponseMapping(tuple(sections), group, tuple(drop), skip, values, context, schedule, language)


# -------------------------------------------------------------------------------- response file


@dataclass(frozen=True)
class ParsedResponse:
    """One validated response: its group value, raw answers per instrument (every item of each mapped
    instrument; None = unanswered) and scale scores per instrument. No row number, no time."""

    group_value: str
    answers: Mapping[str, Mapping[str, float | None]]
    scores: Mapping[str, Mapping[str, ScaleScore | None]]


@dataclass(frozen=True)
class ImportReport:
    """What an import read and what it left out (shown to the operator; saved nowhere but the
    import record's row count).

    ``per_group``: group value -> responses; ``ignored_columns``: columns in the file the mapping
    does not name (not stored); ``schedule``: {"reported": rows with a reported week, "not_reported":
    rows without, "quick_returns": {count per week: rows}} or empty.
    """

    rows_read: int
    rows_skipped: int
    responses: int
    ignored_columns: tuple[str, ...]
    dropped_columns: tuple[str, ...]
    per_group: Mapping[str, int]
    schedule: Mapping[str, Any]
    warnings: tuple[str, ...]


@dataclass
class _Target:
    """Where one file column goes: instrument and item, and the item's allowed values."""

    column: str
    instrument: str
    item: str
    allowed: tuple[float, ...]


def _resolve(mapping: ResponseMapping, instruments: Mapping[str, Instrument]) -> tuple[list[_Target], list[RowError]]:
    """Check the mapping against the wave's instruments; return item and context targets."""
    errors: list[RowError] = []
    targets: list[_Target] = []
    seen: dict[tuple[str, str], str] = {}

    def add(col: str, inst: Instrument, item_id: str) -> None:
        try:
            it = inst.item(item_id)
        except KeyError:
            errors.append(RowError(None, col, item_id, "mapping",
                                   f"instrument '{inst.id}' has no item '{item_id}'"))
            return
        key = (inst.id, item_id)
        if key in seen:
            errors.append(RowError(None, col, item_id, "mapping",
                                   f"item '{inst.id}.{item_id}' is mapped from column {seen[key]} already"))
            return
        seen[key] = col
        targets.append(_Target(col, inst.id, item_id, inst.response_sets[it.response_set].values))

    for sec in mapping.sections:
        inst = instruments.get(sec.instrument)
        if inst is None:
            errors.append(RowError(None, None, sec.instrument, "mapping",
                                   f"the wave has no instrument '{sec.instrument}' (waves create --instruments)"))
            continue
        for col, item_id in sec.items.items():
            add(col, inst, item_id)
    contexts = [i for i in instruments.values() if i.kind == "context"]
    for col, ref in mapping.context.items():
        if "." in ref:
            iid, item_id = ref.split(".", 1)
            owners = [i for i in contexts if i.id == iid]
        else:
            item_id = ref
            owners = [i for i in contexts if any(it.id == ref for it in i.items)]
        if len(owners) != 1:
            why = "no" if not owners else "more than one"
            errors.append(RowError(None, col, ref, "mapping",
                                   f"{why} context instrument of the wave has an item '{item_id}'"))
            continue
        add(col, owners[0], item_id)
    ws = mapping.weekly_schedule
    if ws is not None:
        inst = instruments.get(ws.instrument)
        if inst is None or inst.kind != "context":
            errors.append(RowError(None, "weekly_schedule", ws.instrument, "mapping",
                                   f"the wave has no context instrument '{ws.instrument}' for the schedule bands"))
        else:
            for item_id, (_, bands) in SCHEDULE_ITEMS.items():
                try:
                    it = inst.item(item_id)
                except KeyError:
                    errors.append(RowError(None, "weekly_schedule", item_id, "mapping",
                                           f"instrument '{inst.id}' has no item '{item_id}'"))
                    continue
                opts = inst.response_sets[it.response_set].options
                want = [(float(i + 1), b.label) for i, b in enumerate(bands)]
                got = [(float(o.value), o.label.get("en", "")) for o in opts]
                if got != want:
                    errors.append(RowError(None, "weekly_schedule", item_id, "mapping",
                                           f"options of '{inst.id}.{item_id}' must be "
                                           + ", ".join(f"{v:g} = {lbl}" for v, lbl in want)))
    return targets, errors


def _recode(mapping: ResponseMapping, item_keys: Sequence[str], raw: str) -> tuple[bool, float | None, str]:
    """Apply [values]: (recoded?, value, normalised raw). Item-specific tables win over "*"."""
    key = normalise_value(raw)
    for k in (*item_keys, "*"):
        table = mapping.values.get(k)
        if table is not None and key in table:
            return True, table[key], key
    return False, None, key


def _schedule_answers(rows: Sequence[tuple[int, dict[str, str]]], ws: WeeklySchedule
                      ) -> tuple[dict[int, dict[str, float | None]], dict[str, Any], list[RowError]]:
    """Banded schedule context answers per row number; the raw clock times are not returned."""
    frame = pd.DataFrame([{c: rec[c] for c in (*ws.start, *ws.end)} for _, rec in rows],
                         index=[r for r, _ in rows], dtype=object)
    if frame.empty:
        return {}, {}, []
    try:
        feats = weekly_schedule_features(frame.reset_index(drop=True), ws.start, ws.end,
                                         first_weekday=ws.first_weekday)
    except ImportRejected as exc:
        numbers = list(frame.index)
        # weekly_schedule_features numbers rows 2.. by position: map back to the file's rows.
        return {}, {}, [RowError(numbers[e.row - 2] if e.row is not None else None, e.column, e.value,
                                 e.rule, e.message) for e in exc.errors]
    feats.index = frame.index
    reported = feats["shifts_per_week"] > 0
    out: dict[int, dict[str, float | None]] = {r: {} for r in frame.index}
    for item_id, (col, bands) in SCHEDULE_ITEMS.items():
        cat = band(feats[col].where(reported), bands)
        codes = cat.cat.codes
        for r, c in zip(codes.index, codes.to_numpy()):
            out[int(r)][item_id] = None if c < 0 else float(c + 1)
    qr = Counter(int(v) for v in feats.loc[reported, "quick_returns_per_week"])
    summary = {"reported": int(reported.sum()), "not_reported": int((~reported).sum()),
               "quick_returns": dict(sorted(qr.items()))}
    return out, summary, []


def parse_responses(data: bytes | str, mapping: ResponseMapping, instruments: Mapping[str, Instrument],
                    group_values: Collection[str], *, delimiter: str | None = None,
                    encoding: str = "utf-8") -> tuple[list[ParsedResponse], ImportReport]:
    """Validate a response file against a mapping and the wave's instruments; score every response.

    Parameters
    ----------
    data : the file's bytes (UTF-8 with or without BOM unless ``encoding`` says otherwise).
    mapping : from :func:`parse_mapping`.
    instruments : the wave's instrument snapshots, id -> Instrument.
    group_values : the wave's normalised group values (``ReportingGroup.import_value``).

    Returns
    -------
    (responses in file order, report). Raw schedule times and ignored/dropped columns are not in
    the responses.

    Raises
    ------
    ImportRejected
        listing every problem with its row (header = 1) and column; nothing may be saved then.
    """
    table = read_table(data, required=mapping.used_columns, delimiter=delimiter, encoding=encoding)
    targets, errors = _resolve(mapping, instruments)
    known_keys = {"*"} | {t.item for t in targets} | {f"{t.instrument}.{t.item}" for t in targets}
    for key in mapping.values:
        if key not in known_keys:
            errors.append(RowError(None, f"values.{key}", None, "mapping",
                                   "not a mapped item id (or \"*\"): the recoding would never apply"))
    if errors:
        raise ImportRejected(errors, "mapping")
    warnings: list[str] = []
    header = table.header
    missing_drop = [c for c in mapping.drop if c not in header]
    if missing_drop:
        warnings.append("drop: not in the file: " + ", ".join(missing_drop))
    rows = []
    skipped = 0
    for row, rec in table.rows:
        if any(p.search(rec[c]) for c, p in mapping.skip_rows_where.items()):
            skipped += 1
            continue
        rows.append((row, rec))
    stored = set(mapping.stored_columns)  # a column read only by skip_rows_where is still checked
    ignored = [c for c in header if c not in stored and c not in mapping.drop]
    if len(rows) >= IDENTIFIER_MIN_ROWS:
        for c in ignored:
            vals = [rec[c] for _, rec in rows]
            if all(vals) and len(set(vals)) == len(vals):
                errors.append(RowError(1, c, None, "identifier",
                                       f"values are filled and distinct in all {len(rows)} rows: a likely "
                                       "identifier; name it in drop = [...] (it is never stored)"))
    sched: dict[int, dict[str, float | None]] = {}
    sched_summary: dict[str, Any] = {}
    if mapping.weekly_schedule is not None:
        sched, sched_summary, sched_errors = _schedule_answers(rows, mapping.weekly_schedule)
        errors.extend(sched_errors)
    scored_ids = {t.instrument for t in targets if instruments[t.instrument].kind == "scale"}
    parsed: list[ParsedResponse] = []
    per_group: Counter[str] = Counter()
    for row, rec in rows:
        raw_group = rec[mapping.reporting_group]
        gval = normalise_value(raw_group)
        row_errors: list[RowError] = []
        if not gval:
            row_errors.append(RowError(row, mapping.reporting_group, raw_group, "required",
                                       "the reporting-group value is blank"))
        elif gval not in group_values:
            row_errors.append(RowError(row, mapping.reporting_group, raw_group, "unknown_group",
                                       "not a value of the wave's groups file"))
        answers: dict[str, dict[str, float | None]] = {}
        for t in targets:
            raw = rec[t.column]
            done, value, key = _recode(mapping, (t.item, f"{t.instrument}.{t.item}"), raw)
            if not done:
                if key == "":
                    row_errors.append(RowError(row, t.column, raw, "blank",
                                               "empty cell: declare it in [values], "
                                               "e.g. \"*\" = { \"\" = \"missing\" }"))
                    continue
                try:
                    value = float(key)
                except ValueError:
                    value = math.nan
            if value is not None and value not in t.allowed:
                allowed = ", ".join(f"{v:g}" for v in t.allowed)
                row_errors.append(RowError(row, t.column, raw, "not_in_response_set",
                                           f"item '{t.instrument}.{t.item}' takes {allowed}"))
                continue
            answers.setdefault(t.instrument, {})[t.item] = value
        if mapping.weekly_schedule is not None and row in sched:
            answers.setdefault(mapping.weekly_schedule.instrument, {}).update(sched[row])
        if not row_errors and not any(v is not None for iid in scored_ids for v in answers.get(iid, {}).values()):
            row_errors.append(RowError(row, None, None, "empty_response",
                                       "no item answered (skip such rows with skip_rows_where)"))
        if row_errors:
            errors.extend(row_errors)
            continue
        # The web form's validation, on every mapped instrument (all its items; unmapped = None).
        values = {iid: validate_answers(instruments[iid], a) for iid, a in answers.items()}
        scores = {iid: score(instruments[iid], v) for iid, v in values.items()
                  if instruments[iid].kind == "scale"}
        parsed.append(ParsedResponse(gval, values, scores))
        per_group[gval] += 1
    if errors:
        raise ImportRejected(errors, "response file")
    unmapped = [i for i in instruments if i not in {t.instrument for t in targets}
                and not (mapping.weekly_schedule and i == mapping.weekly_schedule.instrument)]
    if unmapped:
        warnings.append("no column mapped to instrument(s): " + ", ".join(unmapped))
    report = ImportReport(len(table.rows), skipped, len(parsed), tuple(ignored),
                          tuple(c for c in mapping.drop if c in header), dict(sorted(per_group.items())),
                          sched_summary, tuple(warnings))
    log.info("parsed %d responses (%d rows skipped, %d columns ignored)", len(parsed), skipped, len(ignored))
    return parsed, report
