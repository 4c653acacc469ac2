"""Roster and shift-record parsing and validation (DESIGN.md section 5, CLI.md "roster"/"shifts").

Pure Python: plain values in, pandas DataFrames out; no Flask, no database.

Inputs
------
Every reader takes ``source``: a path (``str`` or :class:`os.PathLike`), ``bytes``, or an open file
(text or binary). Text is UTF-8 with or without BOM (``encoding`` overrides). The delimiter is
detected among ``,`` ``;`` and tab from the header line unless given. ``columns`` maps the file's
header names (e.g. Russian or Kazakh) to the contract's names; header names are compared after
stripping spaces, case-insensitively.

Row numbers
-----------
Errors carry the row number a spreadsheet user sees: **the header is row 1, the first data row is
row 2**. Blank lines count as rows (they are skipped, not renumbered). For the pipe-separated INRC
text grid the row is the line number of the file (1-based). Errors that concern the whole file
(a missing column) have ``row=None``.

All-or-nothing
--------------
Every rule is checked on every row; all problems are collected and raised together as one
:class:`ImportRejected`, whose ``errors`` is a list of :class:`RowError` sorted by row. Nothing is
returned half-validated.

Output frames
-------------
Roster (:func:`parse_roster`), one row per officer, sorted by ``person_id``:

=======================  ===========  ==================================================
column                   dtype        meaning
=======================  ===========  ==================================================
``person_id``            str          pseudonymous id (never a 12-digit IIN)
``unit_id``              str          unit
``shift_pattern``        str or NA    catalogue slug (:data:`SHIFT_PATTERN_SLUGS`); NA = unknown
``position``             str or NA    optional
``contract_hours_week``  float64      contractual hours per week (0 < h <= 100)
``accounting_period``    str or NA    ``week``/``month``/``quarter``/``year``; NA = month
=======================  ===========  ==================================================

Shift records (:func:`parse_shifts`, :func:`parse_grid`, :func:`parse_weekly_template`,
:func:`generate_shifts`), sorted by ``person_id`` then ``start``:

=============  ======================  =========================================================
column         dtype                   meaning
=============  ======================  =========================================================
``person_id``  str                     pseudonymous id
``start``      datetime64[us, UTC]     start instant
``end``        datetime64[us, UTC]     end instant (> start, at most 36 h later)
``break_min``  int64                   unpaid break, minutes (0 <= break < shift length)
``duty_type``  str                     one of :data:`DUTY_TYPES`
``shift_code`` str or NA               code from the source (grid code, pattern code), optional
=============  ======================  =========================================================

Time zones
----------
``start``/``end`` are ISO 8601 with an offset (``2024-03-01T06:00:00+05:00``, ``...Z``) or local
times (``2024-03-01 06:00``, ``01.03.2024 06:00``) in ``timezone`` (an IANA name, default
``Asia/Almaty``). Since 2024-03-01 00:00 all of Kazakhstan is UTC+5; Almaty was UTC+6 before, so the
local times 2024-02-29 23:00-23:59 happened twice and are rejected as ambiguous (give an offset).
Nonexistent local times (a spring-forward gap) are rejected too. One file uses one date format:
the family of the first ``start`` value (ISO 8601 with offset; ISO 8601 local time, with ``T`` or a
space, with or without seconds; or ``DD.MM.YYYY HH:MM[:SS]``); a value of another family is a
``mixed_date_formats`` error.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .patterns import CYCLE_ANCHOR, SHIFT_PATTERN_SLUGS, ShiftPattern, day_codes, get_pattern
from .tables import ImportRejected, RowError, detect_delimiter

__all__ = [
    "ACCOUNTING_PERIODS",
    "DEFAULT_TIMEZONE",
    "DUTY_TYPES",
    "INRC_CODES",
    "MAX_SHIFT_HOURS",
    "ROSTER_COLUMNS",
    "SHIFT_COLUMNS",
    "WEEKLY_TEMPLATE_COLUMNS",
    "WORKED_DUTY_TYPES",
    "ImportRejected",
    "RowError",
    "ShiftCode",
    "detect_delimiter",
    "generate_shifts",
    "parse_codes",
    "parse_grid",
    "parse_roster",
    "parse_shifts",
    "parse_weekly_template",
    "read_table",
    "validate_shift_frame",
]


logger = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Asia/Almaty"
#: Duty types of a shift record; ``on_call`` is availability, ``leave`` is time off.
DUTY_TYPES: tuple[str, ...] = ("regular", "overtime", "on_call", "training", "leave")
#: Duty types counted as worked time (DESIGN.md section 5).
WORKED_DUTY_TYPES: tuple[str, ...] = ("regular", "overtime", "training")
#: Longest accepted shift record, hours.
MAX_SHIFT_HOURS = 36.0
#: Largest break_min accepted (minutes): a break cannot outlast the longest shift.
MAX_BREAK_MIN = int(MAX_SHIFT_HOURS * 60)
ROSTER_COLUMNS = ("person_id", "unit_id", "shift_pattern", "position", "contract_hours_week",
                  "accounting_period")
#: Accounting periods of working time (roster column ``accounting_period``; the features read an
#: empty one as ``month``, see :mod:`wellbeing.core.schedules`).
ACCOUNTING_PERIODS: tuple[str, ...] = ("week", "month", "quarter", "year")
SHIFT_COLUMNS = ("person_id", "start", "end", "break_min", "duty_type", "shift_code")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Weekly template: ``person_id`` then ``<day>_start``, ``<day>_end`` from Monday to Sunday.
WEEKLY_TEMPLATE_COLUMNS = ("person_id",) + tuple(
    f"{d}_{k}" for d in _WEEKDAYS for k in ("start", "end")
)
_IIN = re.compile(r"\d{12}")
_US = "datetime64[us, UTC]"


# --------------------------------------------------------------------------------------- errors
class _Errors(list):
    def add(self, row, column, value, rule, message):
        self.append(RowError(None if row is None else int(row), column, value, rule, message))

    def add_many(self, rows, column, values, rule, message_fn):
        for r, v in zip(rows, values):
            self.add(r, column, None if v is None else str(v), rule, message_fn(v))

    def raise_if_any(self, source=None):
        if self:
            logger.info("import rejected: %d problem(s)", len(self))
            raise ImportRejected(self, source)


# ---------------------------------------------------------------------------------- reading
Source = str | os.PathLike | bytes | IO


def _read_text(source: Source, encoding: str = "utf-8") -> str:
    if isinstance(source, bytes):
        data: bytes | str = source
    elif hasattr(source, "read"):
        data = source.read()
    else:
        with open(source, "rb") as fh:
            data = fh.read()
    if isinstance(data, bytes):
        enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        try:
            data = data.decode(enc)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ImportRejected([RowError(None, None, None, "encoding",
                                           f"cannot decode the file as {encoding} ({exc}); give its --encoding")]
                                 ) from None
    return data.lstrip("\ufeff")


def _norm(name: str) -> str:
    return str(name).strip().lstrip("\ufeff").strip().casefold()


class _Coded:
    """A column as integer codes into distinct, stripped string values (work on the uniques)."""

    __slots__ = ("codes", "uniques")

    def __init__(self, codes: np.ndarray, uniques: np.ndarray):
        self.codes = codes
        self.uniques = uniques

    @classmethod
    def from_values(cls, values) -> _Coded:
        arr = np.asarray(values, dtype=object)
        codes, uniq = pd.factorize(arr)
        uniq = np.asarray(uniq, dtype=object)
        if (codes < 0).any():  # NaN: short rows
            uniq = np.append(uniq, "")
            codes = np.where(codes < 0, len(uniq) - 1, codes)
        stripped = np.array([str(u).strip() for u in uniq], dtype=object)
        m, uu = pd.factorize(stripped)
        if len(uu) != len(uniq):
            codes = m[codes]
            stripped = np.asarray(uu, dtype=object)
        return cls(codes.astype(np.int64, copy=False), stripped)

    def __len__(self) -> int:
        return len(self.codes)

    def values(self) -> np.ndarray:
        return self.uniques[self.codes]

    def where(self, umask: np.ndarray) -> np.ndarray:
        """Row mask from a mask over the uniques."""
        return np.asarray(umask, dtype=bool)[self.codes]

    def take(self, per_unique):
        """Per-row values from per-unique values (array or Series)."""
        if isinstance(per_unique, pd.Series):
            return per_unique.take(self.codes).reset_index(drop=True)
        return np.asarray(per_unique)[self.codes]

    def empty(self) -> np.ndarray:
        return self.where(self.uniques == "")

    def subset(self, keep: np.ndarray) -> _Coded:
        return _Coded(self.codes[keep], self.uniques)


def _read_coded(
    source: Source,
    *,
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
    delimiter: str | None = None,
    encoding: str = "utf-8",
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[dict[str, _Coded], list[str], np.ndarray]:
    """Read a delimited file into coded columns (see :func:`read_table`)."""
    errors = _Errors()
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        if isinstance(source, (str, os.PathLike)):
            with open(source, encoding=enc, newline="") as fh:
                head = fh.read(65536)
            buf: object = source
        else:
            head = _read_text(source, encoding)
            buf = io.StringIO(head)
            enc = None
        sep = delimiter or detect_delimiter(head)
        df = pd.read_csv(
            buf, sep=sep, dtype=object, keep_default_na=False, na_filter=False,
            skip_blank_lines=False, quoting=csv.QUOTE_MINIMAL, encoding=enc,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, LookupError) as exc:
        errors.add(None, None, None, "unreadable", f"cannot read the file: {exc}")
        errors.raise_if_any()
        raise  # pragma: no cover
    mapping = {_norm(k): v for k, v in (columns or {}).items()}
    contract = {_norm(c): c for c in (*required, *optional)}
    names = [mapping.get(_norm(h)) or contract.get(_norm(h)) or str(h).strip().lstrip("\ufeff")
             for h in df.columns]
    seen: dict[str, str] = {}
    for old, new in zip(df.columns, names):
        if new in seen:
            errors.add(1, new, str(old), "duplicate_column",
                       f"header {str(old)!r} maps to {new!r}, already given by {seen[new]!r}")
        seen[new] = str(old)
    for c in required:
        if c not in names:
            errors.add(None, c, None, "missing_column",
                       f"required column {c!r} is missing (found: {', '.join(map(str, names))})")
    errors.raise_if_any()
    cols = {n: _Coded.from_values(df.iloc[:, i].to_numpy()) for i, n in enumerate(names)}
    del df
    for name, table in (values or {}).items():
        if name in cols:
            cols[name] = _map_values(cols[name], table)
    n = len(next(iter(cols.values()))) if cols else 0
    rows = np.arange(2, n + 2)
    blank = np.ones(n, bool)
    for c in cols.values():
        blank &= c.empty()
    if blank.any():
        keep = ~blank
        cols = {k: v.subset(keep) for k, v in cols.items()}
        rows = rows[keep]
    return cols, names, rows


def _map_values(col: _Coded, table: Mapping[str, str]) -> _Coded:
    """Replace a column's values through ``table`` (file value -> contract value; compared after
    stripping, case-insensitively, so ``Сутки через трое`` matches ``сутки через трое``); values not
    in the table stay as they are (and meet the column's own rules)."""
    look = {_norm(k): str(v).strip() for k, v in table.items()}
    mapped = np.array([look.get(_norm(u), u) for u in col.uniques], dtype=object)
    m, uu = pd.factorize(mapped)
    return _Coded(m[col.codes].astype(np.int64, copy=False), np.asarray(uu, dtype=object))


def read_table(
    source: Source,
    *,
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
    delimiter: str | None = None,
    encoding: str = "utf-8",
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a delimited file as strings, rename columns to the contract's names.

    ``values`` maps, per contract column, the file's values to the contract's (the ``[values.<column>]``
    tables of a columns file, e.g. ``{"shift_pattern": {"сутки через трое": "24-72"}}``); matching
    ignores case and surrounding spaces, unlisted values pass unchanged.

    Returns
    -------
    (frame, rows)
        ``frame`` holds every cell as a stripped ``str`` (empty string when blank), with the
        contract's column names for known columns (others keep their header); ``rows`` are the
        spreadsheet row numbers of its rows (header = 1). Blank lines are dropped, keeping the
        numbers of the other rows.

    Raises
    ------
    ImportRejected
        Rule ``missing_column`` for each absent required column, ``duplicate_column`` when two
        headers map to one name, ``unreadable`` when the file cannot be tokenised or decoded.
    """
    cols, names, rows = _read_coded(source, required=required, optional=optional,
                                    delimiter=delimiter, encoding=encoding, columns=columns, values=values)
    df = pd.DataFrame({k: pd.Series(v.values(), dtype="str") for k, v in cols.items()},
                      columns=list(cols))
    return df, rows


# ------------------------------------------------------------------------------ date parsing
_DT_FORMATS = [
    f"%Y-%m-%d{sep}{t}{z}"
    for z in ("%z", "")
    for sep in ("T", " ")
    for t in ("%H:%M:%S", "%H:%M", "%H:%M:%S.%f")
] + ["%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M"]


_H24 = re.compile(r"^(\d{4}-\d{2}-\d{2}|\d{2}\.\d{2}\.\d{4})([T ])24:00(?::00(?:\.0+)?)?(.*)$")
_SERIAL = re.compile(r"^\d{5}(?:[.,]\d+)?$")
#: Day 0 of Excel's (Windows, 1900) date system as the serials are used in practice: serial 1 is
#: 1900-01-01 but Excel counts a 29 February 1900 that never was (the Lotus 1-2-3 leap-year bug), so
#: every serial from 61 (1900-03-01) on is days since 1899-12-30. Only 5-digit serials (10000 =
#: 1927-05-18 to 99999 = 2173-10-14) are read as dates, all well past the bug.
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _normalise_datetime_text(value: str) -> str:
    """The text that the date formats parse: ``24:00`` -> ``00:00`` of the next day, an Excel serial
    date-time -> ISO 8601 local time (rounded to the second); anything else unchanged."""
    m = _H24.match(value)
    if m:
        d, sep, rest = m.groups()
        dotted = "." in d
        day = dt.datetime.strptime(d, "%d.%m.%Y" if dotted else "%Y-%m-%d") + dt.timedelta(days=1)
        return f"{day:%d.%m.%Y}{sep}00:00{rest}" if dotted else f"{day:%Y-%m-%d}{sep}00:00{rest}"
    if _SERIAL.match(value):
        days = float(value.replace(",", "."))
        t = EXCEL_EPOCH + dt.timedelta(seconds=round(days * 86400))
        return f"{t:%Y-%m-%d %H:%M:%S}"
    return value


def _which_format(value: str) -> str | None:
    for fmt in _DT_FORMATS:
        try:
            dt.datetime.strptime(value, fmt)
            return fmt
        except ValueError:
            continue
    return None


def _family(fmt: str | None) -> str | None:
    """Formats of one family may be mixed (ISO 8601 with or without seconds, ``T`` or space)."""
    if fmt is None:
        return None
    return "offset" if "%z" in fmt else ("dotted" if fmt.startswith("%d.") else "iso")


def _local_ok(naive: dt.datetime, tz: ZoneInfo) -> str | None:
    """Return ``'ambiguous'``, ``'nonexistent'`` or None for a naive local time."""
    a = naive.replace(tzinfo=tz, fold=0)
    b = naive.replace(tzinfo=tz, fold=1)
    if a.utcoffset() != b.utcoffset():
        back = a.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
        return "nonexistent" if back != naive else "ambiguous"
    return None


def _localize(naive: pd.Series, tz: str) -> tuple[pd.Series, np.ndarray]:
    """Localize naive local times to UTC; return (utc series, mask of ambiguous/nonexistent)."""
    loc = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    bad = (loc.isna() & naive.notna()).to_numpy()
    return loc.dt.tz_convert("UTC").astype(_US), bad


def _localize_earliest(naive: pd.Series, tz: str) -> pd.Series:
    """Localize, taking the first occurrence of ambiguous times and shifting forward gaps."""
    utc, bad = _localize(naive, tz)
    if bad.any():
        zi = ZoneInfo(tz)
        fixed = [
            pd.Timestamp(t.to_pydatetime().replace(tzinfo=zi, fold=0)).tz_convert("UTC")
            for t in naive[bad]
        ]
        utc = utc.copy()
        utc[bad] = pd.Series(fixed, index=utc.index[bad]).astype(_US)
    return utc


def _parse_datetimes(
    cols: Mapping[str, _Coded], names: Sequence[str], rows: np.ndarray, tz: str, errors: _Errors
) -> dict[str, np.ndarray]:
    """Parse datetime columns with one file-wide format family; localize local times to UTC.

    Returns per column an int64 array of microseconds since the epoch (UTC), NaT = int64 min.

    Works on the distinct values of each column (a shift file has few distinct instants), then
    spreads results and errors to the rows.
    """
    fmt = None
    first_row = None
    texts = {c: np.array([_normalise_datetime_text(u) for u in cols[c].uniques], dtype=object)
             for c in names}
    for c in names:
        nonempty = ~cols[c].empty()
        if nonempty.any():
            i = int(np.argmax(nonempty))
            fmt = _which_format(texts[c][cols[c].codes[i]])
            first_row = rows[i]
            break
    out: dict[str, pd.Series] = {}
    zi = ZoneInfo(tz)
    messages = {
        "required": "a date and time is required",
        "mixed_date_formats": f"date format differs from the file's ({fmt!r}, used in row "
                              f"{first_row})",
        "bad_datetime": "not a date and time (accepted: 2024-03-01 06:00 or 2024-03-01T06:00[:00] local "
                        "time, 2024-03-01T06:00:00+05:00 with an offset, 01.03.2024 06:00[:00], an Excel "
                        "date-time number such as 45352.25; 24:00 = midnight ending the day)",
        "ambiguous_local_time": f"ambiguous local time in {tz} (clocks changed); give a UTC offset",
        "nonexistent_local_time": f"nonexistent local time in {tz} (clocks changed); give a UTC "
                                  f"offset",
    }
    for c in names:
        col = cols[c]
        u = pd.Series(texts[c], dtype=object)
        kind = np.full(len(u), None, dtype=object)
        empty = (col.uniques == "")
        kind[empty] = "required"
        if fmt is None:
            parsed = pd.Series(pd.NaT, index=u.index, dtype=_US)
        elif "%z" in fmt:
            parsed = pd.to_datetime(u, format=fmt, errors="coerce", utc=True).astype(_US)
        else:
            parsed = pd.to_datetime(u, format=fmt, errors="coerce").astype("datetime64[us]")
        failed = parsed.isna().to_numpy() & ~empty
        for i in np.flatnonzero(failed):
            v = texts[c][i]
            other = _which_format(v)
            if other is not None and _family(other) == _family(fmt):
                t = dt.datetime.strptime(v, other)
                parsed.iat[i] = pd.Timestamp(t).tz_convert("UTC") if t.tzinfo else pd.Timestamp(t)
            else:
                kind[i] = "mixed_date_formats" if other is not None else "bad_datetime"
        if fmt is not None and "%z" not in fmt:
            utc, bad = _localize(parsed, tz)
            for i in np.flatnonzero(bad):
                k = _local_ok(parsed.iat[i].to_pydatetime(), zi) or "ambiguous"
                kind[i] = f"{k}_local_time"
            parsed = utc
        has = kind != None  # noqa: E711
        if has.any():
            row_kind = col.take(kind)
            bad_rows = np.flatnonzero(col.where(has))
            for j in bad_rows:
                k = row_kind[j]
                errors.add(rows[j], c, col.uniques[col.codes[j]], k, messages[k])
        out[c] = parsed.astype(_US).array.asi8[col.codes]
    return out


# ---------------------------------------------------------------------------------- helpers
def _coded(values) -> _Coded:
    return values if isinstance(values, _Coded) else _Coded.from_values(np.asarray(values, object))


def _check_person_ids(ids, rows: np.ndarray, errors: _Errors,
                      known: Iterable[str] | None = None) -> None:
    col = _coded(ids)
    u = pd.Series(col.uniques, dtype=object)
    rules = [
        ("required", (u == "").to_numpy(), "person_id is required"),
        ("iin", u.str.fullmatch(r"\d{12}").fillna(False).to_numpy(dtype=bool),
         "looks like a 12-digit IIN (national ID); use a pseudonymous id"),
    ]
    if known is not None:
        rules.append(("unknown_person", ~u.isin(set(known)).to_numpy() & (u != "").to_numpy(),
                      "person not in the roster"))
    for rule, umask, msg in rules:
        if umask.any():
            for j in np.flatnonzero(col.where(umask)):
                errors.add(rows[j], "person_id", col.uniques[col.codes[j]], rule, msg)


def _norm_duty(values, rows: np.ndarray, errors: _Errors, default: str | None = None,
               per_unique: bool = False) -> np.ndarray:
    """Normalised duty types per row (``On-call`` -> ``on_call``); unknown ones are errors.

    With ``per_unique``, return the normalised values of the column's distinct values instead.
    """
    col = _coded(values)
    u = pd.Series(col.uniques, dtype=object)
    duty = u.str.lower().str.replace("-", "_", regex=False).str.replace(" ", "_", regex=False)
    if default is not None:
        duty = duty.mask(duty == "", default)
    bad = ~duty.isin(DUTY_TYPES).to_numpy()
    for j in np.flatnonzero(col.where(bad)):
        errors.add(rows[j], "duty_type", col.uniques[col.codes[j]], "unknown_duty_type",
                   f"unknown duty type (expected one of {', '.join(DUTY_TYPES)})")
    if per_unique:
        return duty.to_numpy(dtype=object)
    return col.take(duty.to_numpy(dtype=object))


def _to_number(s) -> pd.Series:
    """Numbers (decimal comma accepted) per value; NaN where not a number."""
    col = _coded(s)
    u = pd.Series(col.uniques, dtype=object).str.replace(",", ".", regex=False)
    return pd.Series(col.take(pd.to_numeric(u, errors="coerce").to_numpy(dtype=float)))


def _na_if_empty(s: pd.Series) -> pd.Series:
    out = s.astype("str").copy()
    return out.mask(out == "", pd.NA)


def _shift_frame(person_id, start, end, break_min, duty_type, shift_code) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "person_id": pd.Series(np.asarray(person_id, dtype=object), dtype="str"),
            "start": pd.Series(start).reset_index(drop=True).astype(_US),
            "end": pd.Series(end).reset_index(drop=True).astype(_US),
            "break_min": np.asarray(break_min, dtype=np.int64),
            "duty_type": pd.Series(np.asarray(duty_type, dtype=object), dtype="str"),
            "shift_code": pd.Series(np.asarray(shift_code, dtype=object), dtype="str"),
        }
    )
    return frame


def validate_shift_frame(
    frame: pd.DataFrame,
    rows: np.ndarray | None = None,
    *,
    row_columns: np.ndarray | None = None,
    max_hours: float = MAX_SHIFT_HOURS,
    errors: list | None = None,
    texts: tuple[Sequence[str], Sequence[str]] | None = None,
    person_codes: np.ndarray | None = None,
) -> pd.DataFrame:
    """Check parsed shift records; return them sorted by ``person_id``, ``start``.

    Rules (each reported with the row number(s) involved): ``end_not_after_start``,
    ``too_long`` (> ``max_hours``, default 36 h), ``break_too_long`` (break not shorter than the
    shift), ``duplicate`` (same person, start and end as an earlier row), ``overlap`` (a shift of a
    person starting before an earlier-starting shift of the same person ends; touching shifts,
    end == next start, are fine).

    Parameters
    ----------
    frame : DataFrame
        Columns of :data:`SHIFT_COLUMNS` (``start``/``end`` tz-aware; NaT rows are skipped).
    rows : array of int, optional
        Source row number per record (default ``2 .. n+1``).
    row_columns : array of str, optional
        Source column per record (grids: the day column), used in messages.
    errors : list, optional
        Collect into this list instead of raising.
    texts : (start strings, end strings), optional
        The values as written in the source, quoted in messages (default: ISO 8601 in UTC).
    person_codes : array of int, optional
        Integer codes of ``person_id`` if already known (saves a factorisation).

    Raises
    ------
    ImportRejected
        If any rule fails and ``errors`` is not given.
    """
    own = errors is None
    errs = _Errors() if own else errors
    tmp = errs if isinstance(errs, _Errors) else _Errors()
    n = len(frame)
    rows = np.arange(2, n + 2) if rows is None else np.asarray(rows)
    if texts is None:
        texts = (np.array([_fmt_ts(t) for t in frame["start"]], dtype=object),
                 np.array([_fmt_ts(t) for t in frame["end"]], dtype=object))
    if person_codes is None:
        person_codes, _ = pd.factorize(frame["person_id"], sort=False)
    gi = _check_records(
        np.asarray(person_codes), frame["start"].astype(_US).array.asi8,
        frame["end"].astype(_US).array.asi8, frame["break_min"].to_numpy(dtype=np.int64),
        rows, tmp, person=lambda i: frame["person_id"].iat[i], texts=texts,
        row_columns=row_columns, max_hours=max_hours,
    )
    if len(gi) == n and (gi[1:] > gi[:-1]).all():
        sorted_frame = frame.reset_index(drop=True)
    else:
        sorted_frame = frame.iloc[gi].reset_index(drop=True)
    if tmp is not errs:
        errs.extend(tmp)
    if own:
        tmp.raise_if_any()
    return sorted_frame


def _check_records(
    codes: np.ndarray, start: np.ndarray, end: np.ndarray, brk: np.ndarray, rows: np.ndarray,
    tmp: _Errors, *, person, texts, row_columns=None, max_hours: float = MAX_SHIFT_HOURS,
) -> np.ndarray:
    """Rules of :func:`validate_shift_frame` on arrays (µs since epoch, NaT = int64 min).

    Returns the indices of the records with valid times, sorted by (person, start, end).
    """
    col_of = (lambda i, default: default) if row_columns is None else (
        lambda i, default: str(row_columns[i]))

    def txt(i: int, which: str) -> str:
        t = texts[0] if which == "start" else texts[1]
        return str(t.uniques[t.codes[i]] if isinstance(t, _Coded) else t[i])

    nat = np.iinfo(np.int64).min
    valid = (start != nat) & (end != nat)
    dur = np.where(valid, end - start, 0)
    us_h = 3_600_000_000
    bad = valid & (dur <= 0)
    for i in np.flatnonzero(bad):
        tmp.add(rows[i], col_of(i, "end"), txt(i, "end"), "end_not_after_start",
                f"end is not after start ({txt(i, 'start')})")
    long = valid & (dur > max_hours * us_h)
    for i in np.flatnonzero(long):
        tmp.add(rows[i], col_of(i, "end"), txt(i, "end"), "too_long",
                f"shift lasts {dur[i] / us_h:.2f} h, more than {max_hours:g} h")
    bl = valid & (dur > 0) & (brk.astype(np.int64) * 60_000_000 >= dur)
    for i in np.flatnonzero(bl):
        tmp.add(rows[i], col_of(i, "break_min"), str(brk[i]), "break_too_long",
                f"break of {brk[i]} min is not shorter than the shift ({dur[i] / us_h:.2f} h)")
    # overlaps and duplicates, vectorised on (person, start)
    ok = valid & (dur > 0)
    all_ok = bool(ok.all())
    idx = np.arange(len(ok)) if all_ok else np.flatnonzero(ok)
    if idx.size:
        s_rel = start if all_ok else start[idx]
        e_rel = end if all_ok else end[idx]
        base = s_rel.min()
        s_rel = s_rel - base
        e_rel = e_rel - base
        if not (s_rel % 1_000_000).any() and not (e_rel % 1_000_000).any():
            s_rel //= 1_000_000  # whole seconds: smaller keys
            e_rel //= 1_000_000
        c_idx = (codes if all_ok else codes[idx]).astype(np.int64, copy=False)
        span = int(e_rel.max()) + 1
        ncode = int(c_idx.max()) + 1
        d_rel = e_rel - s_rel
        dspan = int(d_rel.max()) + 1
        if ncode * span < 2**62:
            # one int64 key per record: (person, start[, duration]); radix-free argsort
            if ncode * span * dspan < 2**62:
                key = (c_idx * span + s_rel) * dspan + d_rel
            else:
                key = c_idx * span + s_rel
            if len(key) > 1 and not (key[1:] >= key[:-1]).all():
                order = np.argsort(key)  # SIMD quicksort; ties are exact duplicates
            else:
                order = np.arange(len(key))
            gi = idx[order]
            c = c_idx[order]
            s = s_rel[order]
            e = e_rel[order]
            ke = c * span + e
            ks = c * span + s
            run = np.maximum.accumulate(ke)
        else:  # pragma: no cover - keys would overflow int64
            order = np.lexsort((e_rel, s_rel, c_idx))
            gi = idx[order]
            c, s, e = c_idx[order], s_rel[order], e_rel[order]
            ks = s
            ke = e
            run = pd.Series(e).groupby(c).cummax().to_numpy()
        pos = np.arange(len(gi))
        arg = np.maximum.accumulate(np.where(ke == run, pos, 0))
        same = np.zeros(len(gi), bool)
        same[1:] = c[1:] == c[:-1]
        prev_run = np.empty_like(run)
        prev_run[0] = -1
        prev_run[1:] = run[:-1]
        prev_arg = np.zeros_like(arg)
        prev_arg[1:] = arg[:-1]
        dup = np.zeros(len(gi), bool)
        dup[1:] = same[1:] & (s[1:] == s[:-1]) & (e[1:] == e[:-1])
        over = same & (ks < prev_run) & ~dup
        for k in np.flatnonzero(dup):
            i, j = max(gi[k], gi[k - 1]), min(gi[k], gi[k - 1])
            tmp.add(rows[i], col_of(i, "start"), txt(i, "start"), "duplicate",
                    f"duplicate of row {rows[j]} (person {person(i)}, same start "
                    f"and end)")
        for k in np.flatnonzero(over):
            i, j = gi[k], gi[prev_arg[k]]
            tmp.add(rows[i], col_of(i, "start"), txt(i, "start"), "overlap",
                    f"overlaps the shift in row {rows[j]} of person {person(i)} "
                    f"({txt(j, 'start')} – {txt(j, 'end')})")
        return gi
    return np.array([], dtype=np.int64)


def _fmt_ts(t) -> str:
    if t is None or pd.isna(t):
        return ""
    return pd.Timestamp(t).isoformat()


# ----------------------------------------------------------------------------------- roster
def parse_roster(
    source: Source,
    *,
    known_units: Iterable[str] | None = None,
    known_patterns: Iterable[str] = SHIFT_PATTERN_SLUGS,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """Parse and validate an officers roster ``person_id,unit_id,shift_pattern,position,contract_hours_week``
    (``[,accounting_period]``).

    ``position`` is optional; an empty ``shift_pattern`` means "not known yet" (NA). The optional
    ``accounting_period`` is the officer's accounting period of working time, one of ``week``,
    ``month``, ``quarter``, ``year`` (:data:`wellbeing.core.schedules.ACCOUNTING_PERIODS`); empty or
    absent = NA, which the features read as the default ``month``. ``values`` recodes values per
    column (see :func:`read_table`), e.g. Russian pattern names to slugs.

    Returns
    -------
    DataFrame
        Columns of :data:`ROSTER_COLUMNS` (see the module docstring), sorted by ``person_id``.

    Raises
    ------
    ImportRejected
        Rules: ``missing_column``, ``required`` (empty person_id or unit_id),
        ``iin`` (person_id of 12 digits), ``duplicate`` (person listed twice),
        ``unknown_unit`` (when ``known_units`` is given), ``unknown_shift_pattern``,
        ``bad_number`` (contract hours empty or not a number in (0, 100]; a decimal comma is
        accepted), ``unknown_accounting_period``.
    """
    df, rows = read_table(
        source, required=("person_id", "unit_id", "shift_pattern", "contract_hours_week"),
        optional=("position", "accounting_period"), delimiter=delimiter, encoding=encoding,
        columns=columns, values=values,
    )
    errors = _Errors()
    pid = df["person_id"]
    _check_person_ids(pid, rows, errors)
    dup = (pid.duplicated(keep="first") & (pid != "")).to_numpy()
    first_row = dict(zip(pid[~dup][::-1], rows[~dup][::-1]))
    for r, v in zip(rows[dup], pid[dup]):
        errors.add(r, "person_id", v, "duplicate", f"person listed twice (first in row {first_row[v]})")
    unit = df["unit_id"]
    empty = (unit == "").to_numpy()
    errors.add_many(rows[empty], "unit_id", unit[empty], "required", lambda v: "unit_id is required")
    if known_units is not None:
        bad = ~unit.isin(set(known_units)).to_numpy() & ~empty
        errors.add_many(rows[bad], "unit_id", unit[bad], "unknown_unit", lambda v: "unknown unit")
    pat = df["shift_pattern"].str.lower()
    known = set(known_patterns)
    bad = ~pat.isin(known).to_numpy() & (pat != "").to_numpy()
    errors.add_many(rows[bad], "shift_pattern", df["shift_pattern"][bad], "unknown_shift_pattern",
                    lambda v: f"unknown shift pattern (expected one of {', '.join(sorted(known))})")
    hrs_s = df["contract_hours_week"]
    hrs = _to_number(hrs_s)
    badnum = (hrs.isna() | (hrs <= 0) | (hrs > 100)).to_numpy()
    errors.add_many(rows[badnum], "contract_hours_week", hrs_s[badnum], "bad_number",
                    lambda v: "contract hours per week must be a number above 0 and at most 100")
    if "accounting_period" in df:
        ap = df["accounting_period"].str.lower()
        badp = ~ap.isin(ACCOUNTING_PERIODS).to_numpy() & (ap != "").to_numpy()
        errors.add_many(rows[badp], "accounting_period", df["accounting_period"][badp],
                        "unknown_accounting_period",
                        lambda v: f"unknown accounting period (expected one of {', '.join(ACCOUNTING_PERIODS)}, "
                                  f"or empty for month)")
    else:
        ap = pd.Series("", index=df.index, dtype="str")
    errors.raise_if_any()
    out = pd.DataFrame(
        {
            "person_id": pid.astype("str"),
            "unit_id": unit.astype("str"),
            "shift_pattern": _na_if_empty(pat),
            "position": _na_if_empty(df["position"]) if "position" in df else
            pd.Series(pd.NA, index=df.index, dtype="str"),
            "contract_hours_week": hrs.astype("float64"),
            "accounting_period": _na_if_empty(ap),
        }
    )
    logger.info("roster parsed: %d officers", len(out))
    return out.sort_values("person_id", kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------------- shifts
def parse_shifts(
    source: Source,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    known_persons: Iterable[str] | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    columns: Mapping[str, str] | None = None,
    max_hours: float = MAX_SHIFT_HOURS,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """Parse and validate shift records ``person_id,start,end,break_min,duty_type,shift_code``.

    ``shift_code`` is optional; an empty ``break_min`` means 0. ``values`` recodes values per column
    (see :func:`read_table`), e.g. ``{"duty_type": {"сверхурочная": "overtime"}}``. An end of
    ``24:00`` is midnight at the end of that day; an Excel serial date-time (days since 1899-12-30,
    e.g. ``45383.25`` = 2024-04-01 06:00) is local time in ``timezone``.

    Returns
    -------
    DataFrame
        Columns of :data:`SHIFT_COLUMNS` (module docstring), sorted by ``person_id``, ``start``;
        ``attrs["rows"]`` holds each record's spreadsheet row number (for later checks that
        report rows, e.g. overlaps with stored shifts).

    Raises
    ------
    ImportRejected
        Rules: ``missing_column``, ``required``, ``iin``, ``unknown_person`` (with
        ``known_persons``), ``bad_datetime``, ``mixed_date_formats``, ``ambiguous_local_time``,
        ``nonexistent_local_time``, ``bad_number`` (break_min not a whole number >= 0),
        ``unknown_duty_type``, and those of :func:`validate_shift_frame`.
    """
    cols, names, rows = _read_coded(
        source, required=("person_id", "start", "end", "break_min", "duty_type"),
        optional=("shift_code",), delimiter=delimiter, encoding=encoding, columns=columns,
        values=values,
    )
    errors = _Errors()
    pid = cols["person_id"]
    _check_person_ids(pid, rows, errors, known_persons)
    times = _parse_datetimes(cols, ("start", "end"), rows, timezone, errors)
    bcol = cols["break_min"]
    bu = pd.Series(bcol.uniques, dtype=object)
    bnum = pd.to_numeric(bu.mask(bu == "", "0"), errors="coerce")
    # Upper bound: no break outlasts the longest shift accepted (36 h); beyond int64 it used to wrap.
    badu = (bnum.isna() | (bnum < 0) | (bnum > MAX_BREAK_MIN) | (bnum != bnum.round())).to_numpy()
    for j in np.flatnonzero(bcol.where(badu)):
        errors.add(rows[j], "break_min", bcol.uniques[bcol.codes[j]], "bad_number",
                   f"break_min must be a whole number of minutes from 0 to {MAX_BREAK_MIN}")
    brk = bcol.take(bnum.fillna(0).to_numpy().astype(np.int64))
    dcol = cols["duty_type"]
    duty_u = _norm_duty(dcol, rows, errors, per_unique=True)
    if "shift_code" in cols:
        ccol = cols["shift_code"]
        cu = ccol.uniques.copy()
        cu[cu == ""] = None
    else:
        ccol, cu = _Coded(np.zeros(len(rows), np.int64), np.array([None], dtype=object)), None
    gi = _check_records(
        pid.codes, times["start"], times["end"], brk, rows, errors,
        person=lambda i: pid.uniques[pid.codes[i]], texts=(cols["start"], cols["end"]),
        max_hours=max_hours,
    )
    errors.raise_if_any()

    def utc(a: np.ndarray) -> pd.Series:
        return pd.Series(a.view("datetime64[us]")).dt.tz_localize("UTC")

    out = pd.DataFrame({
        "person_id": pd.Series(pid.uniques[pid.codes[gi]], dtype="str"),
        "start": utc(times["start"][gi]),
        "end": utc(times["end"][gi]),
        "break_min": brk[gi],
        "duty_type": pd.Series(duty_u[dcol.codes[gi]], dtype="str"),
        "shift_code": pd.Series((cu if cu is not None else ccol.uniques)[ccol.codes[gi]],
                                dtype="str"),
    })
    out.attrs["rows"] = np.asarray(rows)[gi]   # spreadsheet row of each output record
    logger.info("shift records parsed: %d rows, %d persons", len(out), out["person_id"].nunique())
    return out


# ------------------------------------------------------------------------------------ grids
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
        return self.start is None

    def minutes(self) -> tuple[int, int]:
        """(start minute of day, length in minutes)."""
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

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _parse_clock(v: str) -> dt.time | None:
    m = _CLOCK.match(v.strip())
    if not m:
        raise ValueError(v)
    h, mi = int(m.group(1)), int(m.group(2))
    if h == 24 and mi == 0:
        h = 0
    return dt.time(h, mi)


def parse_codes(
    source: Source | Mapping[str, ShiftCode],
    *,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    columns: Mapping[str, str] | None = None,
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
    df, rows = read_table(source, required=("code", "start", "end", "duty_type"),
                          optional=("break_min",), delimiter=delimiter, encoding=encoding,
                          columns=columns)
    errors = _Errors()
    duty = _norm_duty(df["duty_type"], rows, errors, default="regular")
    out: dict[str, ShiftCode] = {"-": ShiftCode("-", None, None), "": ShiftCode("", None, None)}
    for i, r in enumerate(rows):
        code = df["code"].iat[i]
        if code == "":
            errors.add(r, "code", "", "required", "code is required")
            continue
        if code in out and code not in ("-", ""):
            errors.add(r, "code", code, "duplicate", "code defined twice")
        s, e = df["start"].iat[i], df["end"].iat[i]
        if code == "-" or (s == "" and e == ""):
            out[code] = ShiftCode(code, None, None)
            continue
        times = []
        for col, v in (("start", s), ("end", e)):
            try:
                times.append(_parse_clock(v))
            except ValueError:
                errors.add(r, col, v, "bad_time", "not a clock time HH:MM")
        b = df["break_min"].iat[i] if "break_min" in df else ""
        try:
            brk = int(b) if b else 0
            if brk < 0:
                raise ValueError
        except ValueError:
            errors.add(r, "break_min", b, "bad_number", "break_min must be a whole number >= 0")
            brk = 0
        if len(times) == 2:
            out[code] = ShiftCode(code, times[0], times[1], duty[i], brk)
    errors.raise_if_any()
    return out


def _records_from_cells(
    persons: np.ndarray, dates: np.ndarray, codes: np.ndarray, rows: np.ndarray,
    cols: np.ndarray, table: Mapping[str, ShiftCode], tz: str, errors: _Errors,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Turn (person, local date, code) cells into shift records (local wall-clock times)."""
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
    st, bad_s = _localize(start_local, tz)
    en, bad_e = _localize(end_local, tz)
    for bad, ser, name in ((bad_s, start_local, "start"), (bad_e, end_local, "end")):
        for r, c, t in zip(wrows[bad], wcols[bad], ser[bad]):
            kind = _local_ok(t.to_pydatetime(), ZoneInfo(tz)) or "ambiguous"
            errors.add(r, str(c), str(t), f"{kind}_local_time",
                       f"{kind} local {name} time in {tz} (clocks changed)")
    frame = _shift_frame(persons[work], st, en, brk[work], duty[work], codes[work])
    texts = (
        (start_local.dt.strftime("%Y-%m-%d %H:%M") + " " + codes[work].astype(str)).to_numpy(),
        end_local.dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
    )
    return frame, wrows, wcols, texts


def _parse_inrc_text(text: str) -> tuple[list[str], list[list[str]], list[int], list[str]]:
    persons, cells, rows = [], [], []
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

    Raises
    ------
    ImportRejected
        ``unknown_code``, ``iin``, ``required``, ``ragged_row`` (text grid rows of different
        lengths), ``weekday_mismatch`` (text grid header weekday letters vs ``start_date``),
        ``ambiguous_local_time``/``nonexistent_local_time`` and the rules of
        :func:`validate_shift_frame`.
    """
    table = parse_codes(codes, encoding=encoding)
    start_date = pd.Timestamp(start_date).date()
    errors = _Errors()
    text = _read_text(source, encoding)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if "|" in first and delimiter is None:
        persons, cells, rows_l, header = _parse_inrc_text(text)
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
        df, rows_d = read_table(io.StringIO(text), required=("person_id",), delimiter=delimiter,
                                columns=columns)
        daycols = [c for c in df.columns if c != "person_id"]
        ndays = len(daycols)
        pid = np.repeat(df["person_id"].to_numpy(dtype=object), ndays)
        vals = df[daycols].to_numpy(dtype=object).ravel()
        rows = np.repeat(rows_d, ndays)
        cols = np.tile(np.array(daycols, dtype=object), len(df))
        day_idx = np.tile(np.arange(ndays), len(df))
    _, first = np.unique(pid.astype(str), return_index=True)
    _check_person_ids(pd.Series(pid[first].astype(str), dtype="str"), rows[first], errors)
    dates = np.datetime64(start_date, "D") + day_idx.astype("timedelta64[D]")
    frame, wrows, wcols, texts = _records_from_cells(
        pid, dates, vals.astype(str).astype(object), rows, cols, table, timezone, errors)
    out = validate_shift_frame(frame, wrows, row_columns=wcols, max_hours=max_hours, errors=errors,
                               texts=texts)
    errors.raise_if_any()
    logger.info("grid imported: %d shift records", len(out))
    return out


def parse_weekly_template(
    source: Source,
    start_date: dt.date | str,
    end_date: dt.date | str,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    columns: Mapping[str, str] | None = None,
    max_hours: float = MAX_SHIFT_HOURS,
) -> pd.DataFrame:
    """Expand a weekly template per person into shift records for ``start_date``..``end_date``.

    Columns :data:`WEEKLY_TEMPLATE_COLUMNS` (``person_id``, ``mon_start``, ``mon_end``, ...,
    ``sun_end``), or any 15 columns in that order. Times are local ``HH:MM``; both blank = day off;
    ``end`` earlier than ``start`` runs into the next day (Sunday's into the following Monday,
    Saturday's into Sunday); ``end == start`` is a 24-hour duty. Both dates are inclusive local
    dates; a shift belongs to the day it starts. All records are ``regular`` with no break.

    Raises
    ------
    ImportRejected
        ``missing_column``, ``required`` (start without end or vice versa), ``bad_time``,
        ``iin``, ``duplicate`` (person twice), local-time and overlap rules.
    """
    text = _read_text(source, encoding)
    df, rows = read_table(io.StringIO(text), required=("person_id",),
                          optional=WEEKLY_TEMPLATE_COLUMNS[1:], delimiter=delimiter, columns=columns)
    errors = _Errors()
    if not set(WEEKLY_TEMPLATE_COLUMNS) <= set(df.columns):
        if len(df.columns) == 15:
            df.columns = list(WEEKLY_TEMPLATE_COLUMNS)
        else:
            for c in WEEKLY_TEMPLATE_COLUMNS:
                if c not in df.columns:
                    errors.add(None, c, None, "missing_column", f"required column {c!r} is missing")
            errors.raise_if_any()
    _check_person_ids(df["person_id"], rows, errors)
    dup = df["person_id"].duplicated().to_numpy()
    errors.add_many(rows[dup], "person_id", df["person_id"][dup], "duplicate",
                    lambda v: "person listed twice")
    table: dict[str, ShiftCode] = {}
    codes = np.empty((len(df), 7), dtype=object)
    for w, d in enumerate(_WEEKDAYS):
        for i in range(len(df)):
            s, e = df[f"{d}_start"].iat[i], df[f"{d}_end"].iat[i]
            if s == "" and e == "":
                codes[i, w] = "-"
                continue
            if (s == "") != (e == ""):
                col = f"{d}_start" if s == "" else f"{d}_end"
                errors.add(rows[i], col, "", "required", "start and end must both be given or both blank")
                codes[i, w] = "-"
                continue
            key = f"{s}-{e}"
            if key not in table:
                parsed = []
                for col, v in ((f"{d}_start", s), (f"{d}_end", e)):
                    try:
                        parsed.append(_parse_clock(v))
                    except ValueError:
                        errors.add(rows[i], col, v, "bad_time", "not a clock time HH:MM")
                if len(parsed) < 2:
                    codes[i, w] = "-"
                    continue
                table[key] = ShiftCode(key, parsed[0], parsed[1])
            codes[i, w] = key
    errors.raise_if_any()
    d0 = np.datetime64(pd.Timestamp(start_date).date(), "D")
    d1 = np.datetime64(pd.Timestamp(end_date).date(), "D")
    days = np.arange(d0, d1 + 1)
    wd = (days.astype(np.int64) - 4) % 7  # 1970-01-01 was a Thursday -> Monday = 0
    n = len(df)
    pid = np.repeat(df["person_id"].to_numpy(dtype=object), len(days))
    vals = codes[:, wd].ravel()
    rr = np.repeat(rows, len(days))
    cols = np.array([f"{_WEEKDAYS[w]}_start" for w in wd], dtype=object)
    cols = np.tile(cols, n)
    dates = np.tile(days, n)
    table["-"] = ShiftCode("-", None, None)
    frame, wrows, wcols, texts = _records_from_cells(
        pid, dates, vals, rr, cols, table, timezone, errors)
    frame["shift_code"] = pd.Series(pd.NA, index=frame.index, dtype="str")
    out = validate_shift_frame(frame, wrows, row_columns=wcols, max_hours=max_hours, errors=errors,
                               texts=texts)
    errors.raise_if_any()
    return out


# -------------------------------------------------------------------------------- generator
def generate_shifts(
    person_ids: Sequence[str],
    pattern: str | ShiftPattern,
    start_date: dt.date | str,
    end_date: dt.date | str,
    timezone: str = DEFAULT_TIMEZONE,
    crews: Sequence[int] | Mapping[str, int] | None = None,
    *,
    offsets: Sequence[int] | Mapping[str, int] | None = None,
    anchor: dt.date = CYCLE_ANCHOR,
) -> pd.DataFrame:
    """Planned shift records for ``person_ids`` on a catalogue pattern, ``start_date``..``end_date``.

    Person ``i`` joins crew ``i % n_crews`` unless ``crews`` gives each person's crew (a sequence
    parallel to ``person_ids`` or a mapping person → crew); ``offsets`` (same forms) moves a
    person's cycle by that many extra days (e.g. to stagger people within a crew, or to start a
    cycle on a given date); crews are staggered so that a unit
    with at least one person per crew covers the clock (see :mod:`wellbeing.core.patterns`).
    Dates are inclusive local dates; a shift belongs to the day it starts. Local times are
    converted with zoneinfo; an ambiguous local time takes its first occurrence.

    Returns
    -------
    DataFrame
        Columns of :data:`SHIFT_COLUMNS`, ``shift_code`` = the pattern's code.

    Raises
    ------
    KeyError
        Unknown pattern slug.
    ValueError
        Crew index out of range, or ``crews``/``offsets`` not one per person.
    """
    pat = get_pattern(pattern)
    ids = np.asarray(list(person_ids), dtype=object)
    ncrew = len(pat.crews)
    if crews is None:
        crew_of = np.arange(len(ids)) % ncrew
    elif isinstance(crews, Mapping):
        crew_of = np.array([crews[p] for p in ids], dtype=np.int64)
    else:
        crew_of = np.asarray(list(crews), dtype=np.int64)
    if len(crew_of) != len(ids) or (len(ids) and (crew_of.min() < 0 or crew_of.max() >= ncrew)):
        raise ValueError(f"crews must give one crew in 0..{ncrew - 1} per person")
    d0 = np.datetime64(pd.Timestamp(start_date).date(), "D")
    d1 = np.datetime64(pd.Timestamp(end_date).date(), "D")
    days = np.arange(d0, d1 + 1)
    dayn = (days - np.datetime64(anchor, "D")).astype(np.int64)
    codes_list = sorted(pat.templates)
    parts = []
    if offsets is None:
        extra = np.zeros(len(ids), np.int64)
    elif isinstance(offsets, Mapping):
        extra = np.array([int(offsets.get(p, 0)) for p in ids], dtype=np.int64)
    else:
        extra = np.asarray(list(offsets), dtype=np.int64)
        if len(extra) != len(ids):
            raise ValueError("offsets must give one day offset per person")
    combos = sorted(set(zip(crew_of.tolist(), extra.tolist())))
    for ci, off in combos:
        crew = pat.crews[ci]
        members = ids[(crew_of == ci) & (extra == off)]
        pos = (dayn + crew.offset + off) % len(crew.cycle)
        for p, entry in enumerate(crew.cycle):
            for code in day_codes(entry):
                dsel = days[pos == p]
                if not len(dsel):
                    continue
                parts.append((np.repeat(members, len(dsel)), np.tile(dsel, len(members)), code))
    if not parts:
        return _shift_frame([], pd.Series([], dtype=_US), pd.Series([], dtype=_US), [], [], [])
    pid = np.concatenate([p[0] for p in parts])
    dates = np.concatenate([p[1] for p in parts]).astype("datetime64[m]")
    code_arr = np.concatenate([np.full(len(p[0]), codes_list.index(p[2])) for p in parts])
    t = [pat.templates[c] for c in codes_list]
    s_min = np.array([x.start.hour * 60 + x.start.minute for x in t], np.int64)[code_arr]
    l_min = np.array([round(x.hours * 60) for x in t], np.int64)[code_arr]
    brk = np.array([x.break_min for x in t], np.int64)[code_arr]
    duty = np.array([x.duty_type for x in t], dtype=object)[code_arr]
    cname = np.array(codes_list, dtype=object)[code_arr]
    st = _localize_earliest(pd.Series(dates + s_min.astype("timedelta64[m]")), timezone)
    en = _localize_earliest(pd.Series(dates + (s_min + l_min).astype("timedelta64[m]")), timezone)
    frame = _shift_frame(pid, st, en, brk, duty, cname)
    order = np.lexsort((frame["start"].array.asi8,
                        pd.factorize(frame["person_id"], sort=True)[0]))
    return frame.iloc[order].reset_index(drop=True)
