"""Dates and times of shift files: date-time formats, Excel serials, ``24:00``, clock times, time zones.

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

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .tables import Coded, ErrorList

DEFAULT_TIMEZONE = "Asia/Almaty"
#: dtype of the instants of shift records.
UTC_US: Final = "datetime64[us, UTC]"

_DT_FORMATS = [
    f"%Y-%m-%d{sep}{t}{z}"
    for z in ("%z", "")
    for sep in ("T", " ")
    for t in ("%H:%M:%S", "%H:%M", "%H:%M:%S.%f")
] + ["%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M"]

_H24 = re.compile(r"^(\d{4}-\d{2}-\d{2}|\d{2}\.\d{2}\.\d{4})([T ])24:00(?::00(?:\.0+)?)?(.*)$")
_SERIAL = re.compile(r"^\d{5}(?:[.,]\d+)?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
#: Day 0 of Excel's (Windows, 1900) date system as the serials are used in practice: serial 1 is
#: 1900-01-01 but Excel counts a 29 February 1900 that never was (the Lotus 1-2-3 leap-year bug), so
#: every serial from 61 (1900-03-01) on is days since 1899-12-30. Only 5-digit serials (10000 =
#: 1927-05-18 to 99999 = 2173-10-14) are read as dates, all well past the bug.
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def normalise_datetime_text(value: str) -> str:
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


def instants_us(s: pd.Series) -> np.ndarray:
    """tz-aware instants -> int64 microseconds since 1970-01-01 UTC (NaT = the int64 minimum)."""
    return s.astype(UTC_US).dt.tz_localize(None).to_numpy("datetime64[us]").view(np.int64)


def parse_clock(v: str) -> dt.time:
    """A local clock time ``H:MM`` or ``HH:MM[:SS]`` (``24:00`` = ``00:00``). Raises ValueError."""
    m = _CLOCK.match(v.strip())
    if not m:
        raise ValueError(v)
    h, mi = int(m.group(1)), int(m.group(2))
    if h == 24 and mi == 0:
        h = 0
    return dt.time(h, mi)


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


def local_time_problem(naive: dt.datetime, tz: ZoneInfo) -> str | None:
    """Return ``'ambiguous'``, ``'nonexistent'`` or None for a naive local time."""
    a = naive.replace(tzinfo=tz, fold=0)
    b = naive.replace(tzinfo=tz, fold=1)
    if a.utcoffset() != b.utcoffset():
        back = a.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
        return "nonexistent" if back != naive else "ambiguous"
    return None


def localize(naive: pd.Series, tz: str) -> tuple[pd.Series, np.ndarray]:
    """Localize naive local times to UTC; return (utc series, mask of ambiguous/nonexistent)."""
    loc = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    bad = (loc.isna() & naive.notna()).to_numpy()
    return loc.dt.tz_convert("UTC").astype(UTC_US), bad


def localize_earliest(naive: pd.Series, tz: str) -> pd.Series:
    """Localize, taking the first occurrence of ambiguous times and shifting forward gaps."""
    utc, bad = localize(naive, tz)
    if bad.any():
        zi = ZoneInfo(tz)
        fixed = [pd.Timestamp(t.to_pydatetime().replace(tzinfo=zi, fold=0)).tz_convert("UTC") for t in naive[bad]]
        utc = utc.copy()
        utc[bad] = pd.Series(fixed, index=utc.index[bad]).astype(UTC_US)
    return utc


def parse_datetimes(cols: Mapping[str, Coded], names: Sequence[str], rows: np.ndarray, tz: str,
                    errors: ErrorList) -> dict[str, np.ndarray]:
    """Parse datetime columns with one file-wide format family; localize local times to UTC.

    Returns per column an int64 array of microseconds since the epoch (UTC), NaT = int64 min. Rules
    ``required``, ``mixed_date_formats``, ``bad_datetime``, ``ambiguous_local_time``,
    ``nonexistent_local_time`` go to ``errors`` with the row of ``rows``.

    Works on the distinct values of each column (a shift file has few distinct instants), then
    spreads results and errors to the rows.
    """
    fmt = None
    first_row = None
    texts = {c: np.array([normalise_datetime_text(u) for u in cols[c].uniques], dtype=object) for c in names}
    for c in names:
        nonempty = ~cols[c].empty()
        if nonempty.any():
            first = int(np.argmax(nonempty))
            fmt = _which_format(texts[c][cols[c].codes[first]])
            first_row = rows[first]
            break
    out: dict[str, np.ndarray] = {}
    zi = ZoneInfo(tz)
    messages = {
        "required": "a date and time is required",
        "mixed_date_formats": f"date format differs from the file's ({fmt!r}, used in row {first_row})",
        "bad_datetime": "not a date and time (accepted: 2024-03-01 06:00 or 2024-03-01T06:00[:00] local "
                        "time, 2024-03-01T06:00:00+05:00 with an offset, 01.03.2024 06:00[:00], an Excel "
                        "date-time number such as 45352.25; 24:00 = midnight ending the day)",
        "ambiguous_local_time": f"ambiguous local time in {tz} (clocks changed); give a UTC offset",
        "nonexistent_local_time": f"nonexistent local time in {tz} (clocks changed); give a UTC offset",
    }
    for c in names:
        col = cols[c]
        u = pd.Series(texts[c], dtype=object)
        kind = np.full(len(u), None, dtype=object)
        empty = col.uniques == ""
        kind[empty] = "required"
        parsed: pd.Series
        if fmt is None:
            parsed = pd.Series(pd.NaT, index=u.index, dtype=UTC_US)
        elif "%z" in fmt:
            parsed = pd.to_datetime(u, format=fmt, errors="coerce", utc=True).astype(UTC_US)
        else:
            parsed = pd.to_datetime(u, format=fmt, errors="coerce").astype("datetime64[us]")
        failed = parsed.isna().to_numpy() & ~empty
        for i in np.flatnonzero(failed):
            v = texts[c][i]
            other = _which_format(v)
            if other is not None and _family(other) == _family(fmt):
                t = dt.datetime.strptime(v, other)
                parsed.iat[int(i)] = pd.Timestamp(t).tz_convert("UTC") if t.tzinfo else pd.Timestamp(t)
            else:
                kind[i] = "mixed_date_formats" if other is not None else "bad_datetime"
        if fmt is not None and "%z" not in fmt:
            utc, bad = localize(parsed, tz)
            for i, t in zip(np.flatnonzero(bad), pd.DatetimeIndex(parsed[bad])):
                k = local_time_problem(t.to_pydatetime(), zi) or "ambiguous"
                kind[i] = f"{k}_local_time"
            parsed = utc
        has = np.array([k is not None for k in kind], dtype=bool)
        if has.any():
            row_kind = col.take(kind)
            for j in np.flatnonzero(col.where(has)):
                k = str(row_kind[j])
                errors.add(rows[j], c, col.value(j), k, messages[k])
        out[c] = instants_us(parsed)[col.codes]
    return out
