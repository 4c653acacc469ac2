"""Shift records: the frame every shift import produces, its validation, and the shift-records file
(DESIGN.md section 5, CLI.md "shifts import").

Shift records (:func:`parse_shifts`, :func:`wellbeing.core.shifts.grids.parse_grid`,
:func:`wellbeing.core.shifts.weekly.parse_weekly_template`,
:func:`wellbeing.core.shifts.generate.generate_shifts`), sorted by ``person_id`` then ``start``:

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

Files are read by :func:`wellbeing.core.tables.read_columns` (its rules: header = row 1, ...); dates
and times by :mod:`wellbeing.core.timeparse`. Every rule is checked on every row and all problems are
raised together as one :class:`~wellbeing.core.tables.ImportRejected`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..roster import check_person_ids
from ..tables import Coded, ErrorList, RowError, Source, read_columns
from ..timeparse import DEFAULT_TIMEZONE, UTC_US, instants_us, parse_datetimes

logger = logging.getLogger(__name__)

#: Duty types of a shift record; ``on_call`` is availability, ``leave`` is time off.
DUTY_TYPES: tuple[str, ...] = ("regular", "overtime", "on_call", "training", "leave")
#: Duty types counted as worked time (DESIGN.md section 5).
WORKED_DUTY_TYPES: tuple[str, ...] = ("regular", "overtime", "training")
#: Longest accepted shift record, hours.
MAX_SHIFT_HOURS = 36.0
#: Largest break_min accepted (minutes): a break cannot outlast the longest shift.
MAX_BREAK_MIN = int(MAX_SHIFT_HOURS * 60)
SHIFT_COLUMNS = ("person_id", "start", "end", "break_min", "duty_type", "shift_code")


def normalise_duty(values: Coded | pd.Series, rows: np.ndarray, errors: ErrorList, default: str | None = None,
                   per_unique: bool = False) -> np.ndarray:
    """Normalised duty types per row (``On-call`` -> ``on_call``); unknown ones are rule
    ``unknown_duty_type`` in ``errors``; an empty one is ``default`` if given.

    With ``per_unique``, return the normalised values of the column's distinct values instead.
    """
    col = values if isinstance(values, Coded) else Coded.from_values(values.to_numpy(dtype=object))
    u = pd.Series(col.uniques, dtype=object)
    duty = u.str.lower().str.replace("-", "_", regex=False).str.replace(" ", "_", regex=False)
    if default is not None:
        duty = duty.mask(duty == "", default)
    bad = ~duty.isin(DUTY_TYPES).to_numpy()
    for j in np.flatnonzero(col.where(bad)):
        errors.add(rows[j], "duty_type", col.value(j), "unknown_duty_type",
                   f"unknown duty type (expected one of {', '.join(DUTY_TYPES)})")
    if per_unique:
        return duty.to_numpy(dtype=object)
    return col.take(duty.to_numpy(dtype=object))


#: The start and end values as written in the source, per record (coded columns or arrays).
Texts = tuple[Coded | Sequence[str] | np.ndarray, Coded | Sequence[str] | np.ndarray]


def shift_frame(person_id: np.ndarray | Sequence[str], start: pd.Series, end: pd.Series,
                break_min: np.ndarray | Sequence[int], duty_type: np.ndarray | Sequence[str],
                shift_code: np.ndarray | Sequence[str | None]) -> pd.DataFrame:
    """The shift-records frame (columns :data:`SHIFT_COLUMNS`, module docstring) from parallel columns;
    ``start``/``end`` tz-aware."""
    frame = pd.DataFrame(
        {
            "person_id": pd.Series(np.asarray(person_id, dtype=object), dtype="str"),
            "start": pd.Series(start).reset_index(drop=True).astype(UTC_US),
            "end": pd.Series(end).reset_index(drop=True).astype(UTC_US),
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
    errors: list[RowError] | None = None,
    texts: Texts | None = None,
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
    errs: list[RowError] = ErrorList() if errors is None else errors
    tmp = errs if isinstance(errs, ErrorList) else ErrorList()
    n = len(frame)
    rows = np.arange(2, n + 2) if rows is None else np.asarray(rows)
    if texts is None:
        texts = (np.array([_fmt_ts(t) for t in frame["start"]], dtype=object),
                 np.array([_fmt_ts(t) for t in frame["end"]], dtype=object))
    if person_codes is None:
        person_codes, _ = pd.factorize(frame["person_id"], sort=False)
    gi = check_records(
        np.asarray(person_codes), instants_us(frame["start"]),
        instants_us(frame["end"]), frame["break_min"].to_numpy(dtype=np.int64),
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


def check_records(
    codes: np.ndarray, start: np.ndarray, end: np.ndarray, brk: np.ndarray, rows: np.ndarray,
    tmp: ErrorList, *, person: Callable[[int], object], texts: Texts, row_columns: np.ndarray | None = None,
    max_hours: float = MAX_SHIFT_HOURS,
) -> np.ndarray:
    """Rules of :func:`validate_shift_frame` on arrays (µs since epoch, NaT = int64 min).

    ``codes`` are integer person codes; ``person(i)`` names record ``i``'s person in messages.
    Returns the indices of the records with valid times, sorted by (person, start, end).
    """
    def col_of(i: int, default: str) -> str:
        return default if row_columns is None else str(row_columns[i])

    def txt(i: int, which: str) -> str:
        t = texts[0] if which == "start" else texts[1]
        return t.value(i) if isinstance(t, Coded) else str(t[i])

    nat = np.iinfo(np.int64).min
    valid = (start != nat) & (end != nat)
    dur = np.where(valid, end - start, 0)
    us_h = 3_600_000_000
    bad = valid & (dur <= 0)
    for i in np.flatnonzero(bad).tolist():
        tmp.add(rows[i], col_of(i, "end"), txt(i, "end"), "end_not_after_start",
                f"end is not after start ({txt(i, 'start')})")
    long = valid & (dur > max_hours * us_h)
    for i in np.flatnonzero(long).tolist():
        tmp.add(rows[i], col_of(i, "end"), txt(i, "end"), "too_long",
                f"shift lasts {dur[i] / us_h:.2f} h, more than {max_hours:g} h")
    bl = valid & (dur > 0) & (brk.astype(np.int64) * 60_000_000 >= dur)
    for i in np.flatnonzero(bl).tolist():
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
        for k in np.flatnonzero(dup).tolist():
            i, j = int(max(gi[k], gi[k - 1])), int(min(gi[k], gi[k - 1]))
            tmp.add(rows[i], col_of(i, "start"), txt(i, "start"), "duplicate",
                    f"duplicate of row {rows[j]} (person {person(i)}, same start "
                    f"and end)")
        for k in np.flatnonzero(over).tolist():
            i, j = int(gi[k]), int(gi[prev_arg[k]])
            tmp.add(rows[i], col_of(i, "start"), txt(i, "start"), "overlap",
                    f"overlaps the shift in row {rows[j]} of person {person(i)} "
                    f"({txt(j, 'start')} – {txt(j, 'end')})")
        return gi
    return np.array([], dtype=np.int64)


def _fmt_ts(t: pd.Timestamp | None) -> str:
    if t is None or pd.isna(t):
        return ""
    return pd.Timestamp(t).isoformat()


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
    (see :func:`wellbeing.core.tables.read_table`), e.g. ``{"duty_type": {"сверхурочная": "overtime"}}``. An end of
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
    got = read_columns(
        source, required=("person_id", "start", "end", "break_min", "duty_type"),
        optional=("shift_code",), delimiter=delimiter, encoding=encoding, columns=columns,
        values=values,
    )
    cols, rows = got.cols, got.rows
    errors = ErrorList()
    pid = cols["person_id"]
    check_person_ids(pid, rows, errors, known_persons)
    times = parse_datetimes(cols, ("start", "end"), rows, timezone, errors)
    bcol = cols["break_min"]
    bu = pd.Series(bcol.uniques, dtype=object)
    bnum = pd.to_numeric(bu.mask(bu == "", "0"), errors="coerce")
    # Upper bound: no break outlasts the longest shift accepted (36 h); beyond int64 it used to wrap.
    badu = (bnum.isna() | (bnum < 0) | (bnum > MAX_BREAK_MIN) | (bnum != bnum.round())).to_numpy()
    for j in np.flatnonzero(bcol.where(badu)):
        errors.add(rows[j], "break_min", bcol.value(j), "bad_number",
                   f"break_min must be a whole number of minutes from 0 to {MAX_BREAK_MIN}")
    brk = bcol.take(bnum.fillna(0).to_numpy().astype(np.int64))
    dcol = cols["duty_type"]
    duty_u = normalise_duty(dcol, rows, errors, per_unique=True)
    if "shift_code" in cols:
        ccol = cols["shift_code"]
        cu = ccol.uniques.copy()
        cu[cu == ""] = None
    else:
        ccol, cu = Coded(np.zeros(len(rows), np.int64), np.array([None], dtype=object)), None
    gi = check_records(
        pid.codes, times["start"], times["end"], brk, rows, errors,
        person=pid.value, texts=(cols["start"], cols["end"]),
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
