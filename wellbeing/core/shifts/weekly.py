"""Weekly templates (CLI.md "shifts import-weekly"): per person a start and end clock time for each
weekday, expanded into shift records (:mod:`wellbeing.core.shifts.records`) over a period.

The file is read by :func:`wellbeing.core.tables.read_table` (header = row 1, first data row = 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..roster import check_person_ids
from ..tables import ErrorList, Source, read_table
from ..timeparse import DEFAULT_TIMEZONE, parse_clock
from .grids import ShiftCode, records_from_cells
from .records import MAX_SHIFT_HOURS, validate_shift_frame

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Weekly template: ``person_id`` then ``<day>_start``, ``<day>_end`` from Monday to Sunday.
WEEKLY_TEMPLATE_COLUMNS = ("person_id",) + tuple(f"{d}_{k}" for d in WEEKDAYS for k in ("start", "end"))


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
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """Expand a weekly template per person into shift records for ``start_date``..``end_date``.

    Columns :data:`WEEKLY_TEMPLATE_COLUMNS` (``person_id``, ``mon_start``, ``mon_end``, ...,
    ``sun_end``), or any 15 columns in that order. Times are local ``HH:MM``; both blank = day off;
    ``end`` earlier than ``start`` runs into the next day (Sunday's into the following Monday,
    Saturday's into Sunday); ``end == start`` is a 24-hour duty. Both dates are inclusive local
    dates; a shift belongs to the day it starts. All records are ``regular`` with no break.
    ``values`` recodes the template's columns (the ``[values.<column>]`` tables of a columns file).

    Raises
    ------
    ImportRejected
        ``missing_column``, ``required`` (start without end or vice versa), ``bad_time``,
        ``iin``, ``duplicate`` (person twice), local-time and overlap rules.
    """
    got = read_table(source, required=("person_id",), optional=WEEKLY_TEMPLATE_COLUMNS[1:], delimiter=delimiter,
                     encoding=encoding, columns=columns, values=values)
    df, rows = got.frame, got.row_numbers
    errors = ErrorList()
    if not set(WEEKLY_TEMPLATE_COLUMNS) <= set(df.columns):
        if len(df.columns) == 15:
            df.columns = list(WEEKLY_TEMPLATE_COLUMNS)
        else:
            for c in WEEKLY_TEMPLATE_COLUMNS:
                if c not in df.columns:
                    errors.add(1, c, None, "missing_column", f"required column {c!r} is missing")
            errors.raise_if_any()
    check_person_ids(df["person_id"], rows, errors)
    dup = df["person_id"].duplicated().to_numpy()
    errors.add_many(rows[dup], "person_id", df["person_id"][dup], "duplicate",
                    lambda v: "person listed twice")
    table: dict[str, ShiftCode] = {}
    codes = np.empty((len(df), 7), dtype=object)
    for w, d in enumerate(WEEKDAYS):
        starts: list[str] = df[f"{d}_start"].tolist()
        ends: list[str] = df[f"{d}_end"].tolist()
        for i in range(len(df)):
            s, e = starts[i], ends[i]
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
                parsed: list[dt.time] = []
                for col, v in ((f"{d}_start", s), (f"{d}_end", e)):
                    try:
                        parsed.append(parse_clock(v))
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
    cols = np.array([f"{WEEKDAYS[w]}_start" for w in wd], dtype=object)
    cols = np.tile(cols, n)
    dates = np.tile(days, n)
    table["-"] = ShiftCode("-", None, None)
    frame, wrows, wcols, texts = records_from_cells(
        pid, dates, vals, rr, cols, table, timezone, errors)
    frame["shift_code"] = pd.Series(pd.NA, index=frame.index, dtype="str")
    out = validate_shift_frame(frame, wrows, row_columns=wcols, max_hours=max_hours, errors=errors,
                               texts=texts)
    errors.raise_if_any()
    return out

