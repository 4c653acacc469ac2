"""Shift codes and person × day grids of codes (CLI.md "shifts import-grid"): the codes table, the
INRC codes, and grids as CSV or as the INRC pipe-separated text grid, turned into shift records
(:mod:`wellbeing.core.shifts.records`).

A CSV grid is read by :func:`wellbeing.core.tables.read_table` (header = row 1, first data row = 2);
the text grid's row is the file's line number (1-based), so that its header line is row 1 too.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ..roster import check_person_ids
from ..tables import ErrorList, ImportRejected, Source, read_table, read_text
from ..timeparse import DEFAULT_TIMEZONE, local_time_problem, localize, parse_clock
from .records import MAX_SHIFT_HOURS, normalise_duty, shift_frame, validate_shift_frame

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShiftCode:
    """A grid code: local ``start``/``end`` clock times (None = off), duty type, unpaid break.

    ``end`` earlier than ``start`` means the next day; ``end == start`` is a 24-hour duty.
    """

    code: str
    start: dt.time | None
    end: dt.time | None
    duty_type: str = "regular"
    break_min: int = 0

    @property
    def is_off(self) -> bool:
        """An off code (no working time)."""
        return self.start is None

    def minutes(self) -> tuple[int, int]:
        """(start minute of day, length in minutes) of a working code; ValueError for an off code."""
        if self.start is None or self.end is None:
            raise ValueError(f"code {self.code!r} is off")
        s = self.start.hour * 60 + self.start.minute
        e = self.end.hour * 60 + self.end.minute
        return s, (e - s) % 1440 or 1440


#: INRC-I (2010) clock times for the INRC-II codes (E early, D day, L late, N night).
INRC_CODES: Mapping[str, ShiftCode] = {
    "E": ShiftCode("E", dt.time(6, 30), dt.time(14, 30)),
    "D": ShiftCode("D", dt.time(8, 30), dt.time(16, 30)),
    "L": ShiftCode("L", dt.time(14, 30), dt.time(22, 30)),
    "N": ShiftCode("N", dt.time(22, 30), dt.time(6, 30)),
    "-": ShiftCode("-", None, None),
}


def parse_codes(
    source: Source | Mapping[str, ShiftCode],
    *,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, ShiftCode]:
    """Parse a codes table ``code,start,end,duty_type`` (optional ``break_min``).

    Empty ``start`` and ``end`` (or code ``-``) = off. Times are ``HH:MM`` local clock times.

    Raises
    ------
    ImportRejected
        Rules ``missing_column``, ``required``, ``bad_time``, ``unknown_duty_type``,
        ``bad_number``, ``duplicate``.
    """
    if isinstance(source, Mapping):
        return dict(source)
    got = read_table(source, required=("code", "start", "end", "duty_type"), optional=("break_min",),
                     delimiter=delimiter, encoding=encoding, columns=columns, values=values)
    df, rows = got.frame, got.row_numbers
    errors = ErrorList()
    duty = normalise_duty(df["duty_type"], rows, errors, default="regular")
    out: dict[str, ShiftCode] = {"-": ShiftCode("-", None, None), "": ShiftCode("", None, None)}
    code_col: list[str] = df["code"].tolist()
    start_col: list[str] = df["start"].tolist()
    end_col: list[str] = df["end"].tolist()
    break_col: list[str] = df["break_min"].tolist() if "break_min" in df else [""] * len(df)
    for i, r in enumerate(rows):
        code = code_col[i]
        if code == "":
            errors.add(r, "code", "", "required", "code is required")
            continue
        if code in out and code not in ("-", ""):
            errors.add(r, "code", code, "duplicate", "code defined twice")
        s, e = start_col[i], end_col[i]
        if code == "-" or (s == "" and e == ""):
            out[code] = ShiftCode(code, None, None)
            continue
        times: list[dt.time] = []
        for col, v in (("start", s), ("end", e)):
            try:
                times.append(parse_clock(v))
            except ValueError:
                errors.add(r, col, v, "bad_time", "not a clock time HH:MM")
        b = break_col[i]
        try:
            brk = int(b) if b else 0
            if brk < 0:
                raise ValueError
        except ValueError:
            errors.add(r, "break_min", b, "bad_number", "break_min must be a whole number >= 0")
            brk = 0
        if len(times) == 2:
            out[code] = ShiftCode(code, times[0], times[1], str(duty[i]), brk)
    errors.raise_if_any()
    return out


def records_from_cells(
    persons: np.ndarray, dates: np.ndarray, codes: np.ndarray, rows: np.ndarray,
    cols: np.ndarray, table: Mapping[str, ShiftCode], tz: str, errors: ErrorList,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Turn (person, local date, code) cells into shift records (local wall-clock times).

    Returns (frame, source row and column of each record, (start texts, end texts) for messages);
    rules ``unknown_code``, ``ambiguous_local_time``, ``nonexistent_local_time`` go to ``errors``."""
    known = {k: v for k, v in table.items() if not v.is_off}
    off = {k for k, v in table.items() if v.is_off} | {"", "-"}
    s_min = np.full(len(codes), -1, np.int64)
    l_min = np.zeros(len(codes), np.int64)
    brk = np.zeros(len(codes), np.int64)
    duty = np.empty(len(codes), object)
    for k, sc in known.items():
        m = codes == k
        s, ln = sc.minutes()
        s_min[m], l_min[m], brk[m], duty[m] = s, ln, sc.break_min, sc.duty_type
    unknown = (s_min < 0) & ~np.isin(codes, list(off))
    for r, c, v in zip(rows[unknown], cols[unknown], codes[unknown]):
        errors.add(r, str(c), str(v), "unknown_code", "shift code not in the codes table")
    work = s_min >= 0
    d = dates[work].astype("datetime64[m]")
    start_local = pd.Series(d + s_min[work].astype("timedelta64[m]"))
    end_local = pd.Series(d + (s_min[work] + l_min[work]).astype("timedelta64[m]"))
    wrows, wcols = rows[work], cols[work]
    st, bad_s = localize(start_local, tz)
    en, bad_e = localize(end_local, tz)
    for bad, ser, name in ((bad_s, start_local, "start"), (bad_e, end_local, "end")):
        for r, c, t in zip(wrows[bad], wcols[bad], ser[bad]):
            kind = local_time_problem(t.to_pydatetime(), ZoneInfo(tz)) or "ambiguous"
            errors.add(r, str(c), str(t), f"{kind}_local_time",
                       f"{kind} local {name} time in {tz} (clocks changed)")
    frame = shift_frame(persons[work], st, en, brk[work], duty[work], codes[work])
    texts = (
        (start_local.dt.strftime("%Y-%m-%d %H:%M") + " " + codes[work].astype(str)).to_numpy(),
        end_local.dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
    )
    return frame, wrows, wcols, texts


def parse_inrc_text(text: str) -> tuple[list[str], list[list[str]], list[int], list[str]]:
    """The INRC pipe-separated text grid: (persons, their day codes, their line numbers (1-based),
    the header's weekday letters). Lines without ``|`` and lines of dashes are skipped."""
    persons: list[str] = []
    cells: list[list[str]] = []
    rows: list[int] = []
    header: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if "|" not in line or set(line.strip()) <= {"-"}:
            continue
        parts = line.split("|")
        name = parts[0].strip()
        vals = [p.strip() for p in parts[1:]]
        vals = [v for v in vals if v != ""]
        if name == "":
            if not header:
                header = vals
            continue
        persons.append(name)
        cells.append(vals)
        rows.append(lineno)
    return persons, cells, rows, header


def parse_grid(
    source: Source,
    codes: Source | Mapping[str, ShiftCode],
    start_date: dt.date | str,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    columns: Mapping[str, str] | None = None,
    max_hours: float = MAX_SHIFT_HOURS,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """Import a person × day grid of shift codes into shift records.

    Two layouts: a CSV (first column ``person_id``, then one column per day starting on
    ``start_date``; headers of day columns are free) or the pipe-separated text grid of the INRC
    files (``name |E|L|-| |N|...``; a header line with empty name gives weekday letters, week
    separators ``| |`` and lines of dashes are skipped). Row numbers are spreadsheet rows for CSV
    and file line numbers for the text grid; the column is the day column header (CSV) or
    ``day N`` (text grid, 1-based).

    Parameters
    ----------
    codes : path, file or mapping
        Codes table (:func:`parse_codes`) or a mapping such as :data:`INRC_CODES`.
    start_date : date or ISO string
        Local date of the first day column.
    columns : mapping, optional
        Header mapping for the CSV layout (e.g. ``{"Табельный номер": "person_id"}``).
    values : mapping, optional
        Value recoding of the codes table's columns (e.g. ``{"duty_type": {"сверхурочная": "overtime"}}``).

    Raises
    ------
    ImportRejected
        Problems of the codes table come with ``source="codes"`` (the file they are in);
        ``unknown_code``, ``iin``, ``required``, ``ragged_row`` (text grid rows of different
        lengths), ``weekday_mismatch`` (text grid header weekday letters vs ``start_date``),
        ``ambiguous_local_time``/``nonexistent_local_time`` and the rules of
        :func:`validate_shift_frame`.
    """
    try:
        table = parse_codes(codes, encoding=encoding, values=values)
    except ImportRejected as exc:
        raise ImportRejected(exc.errors, source="codes") from None
    start_date = pd.Timestamp(start_date).date()
    errors = ErrorList()
    text = read_text(source, encoding)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if "|" in first and delimiter is None:
        persons, cells, rows_l, header = parse_inrc_text(text)
        ndays = max((len(c) for c in cells), default=0)
        for p, c, r in zip(persons, cells, rows_l):
            if len(c) != ndays:
                errors.add(r, None, p, "ragged_row", f"{len(c)} days, other rows have {ndays}")
        if header:
            letters = "MTWTFSS"
            exp = "".join(letters[(start_date.weekday() + i) % 7] for i in range(len(header)))
            if "".join(h[:1].upper() for h in header) != exp:
                errors.add(1, None, "".join(header), "weekday_mismatch",
                           f"weekday letters do not match start date {start_date} ({exp})")
        errors.raise_if_any()
        pid = np.repeat(np.array(persons, dtype=object), ndays)
        vals = np.array([v for c in cells for v in c], dtype=object)
        rows = np.repeat(np.array(rows_l), ndays)
        cols = np.tile(np.array([f"day {i + 1}" for i in range(ndays)], dtype=object), len(persons))
        day_idx = np.tile(np.arange(ndays), len(persons))
    else:
        got = read_table(text, required=("person_id",), delimiter=delimiter, columns=columns)
        df, rows_d = got.frame, got.row_numbers
        daycols = [c for c in df.columns if c != "person_id"]
        ndays = len(daycols)
        pid = np.repeat(df["person_id"].to_numpy(dtype=object), ndays)
        vals = df[daycols].to_numpy(dtype=object).ravel()
        rows = np.repeat(rows_d, ndays)
        cols = np.tile(np.array(daycols, dtype=object), len(df))
        day_idx = np.tile(np.arange(ndays), len(df))
    _, first_of = np.unique(pid.astype(str), return_index=True)
    check_person_ids(pd.Series(pid[first_of].astype(str), dtype="str"), rows[first_of], errors)
    dates = np.datetime64(start_date, "D") + day_idx.astype("timedelta64[D]")
    frame, wrows, wcols, texts = records_from_cells(
        pid, dates, vals.astype(str).astype(object), rows, cols, table, timezone, errors)
    out = validate_shift_frame(frame, wrows, row_columns=wcols, max_hours=max_hours, errors=errors,
                               texts=texts)
    errors.raise_if_any()
    logger.info("grid imported: %d shift records", len(out))
    return out

