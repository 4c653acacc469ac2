"""Features of a self-reported week (start/end clock time per weekday; the week repeats).

:func:`weekly_schedule_features` gives one row per respondent (:data:`WEEKLY_FEATURE_COLUMNS`), with the
night, quick-return and early-start definitions of :mod:`wellbeing.core.schedules.definitions`; the
banding helpers for storing them as context answers are in :mod:`wellbeing.core.schedules.bands`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..tables import ImportRejected, RowError
from .definitions import EARLY_START, NIGHT_END_H, NIGHT_SHIFT_MIN_H, NIGHT_START_H, QUICK_RETURN_H

logger = logging.getLogger(__name__)


#: Columns of :func:`weekly_schedule_features`.
WEEKLY_FEATURE_COLUMNS: dict[str, str] = {
    "shifts_per_week": "shifts in the reported week (count)",
    "weekly_hours": "hours worked per week (h, no break deducted)",
    "mean_shift_hours": "mean shift length (h; NaN without shifts)",
    "longest_shift_hours": "longest shift (h; NaN without shifts)",
    "night_hours_per_week": "hours inside 22:00-06:00 per week (h)",
    "night_shifts_per_week": "shifts with >= 3 h inside 22:00-06:00 (count)",
    "quick_returns_per_week": "rests under 11 h between consecutive shifts, week repeating (count)",
    "early_starts_per_week": "shifts starting 04:00-07:00 (count)",
    "weekend_work": "any work on Saturday or Sunday (bool)",
}


_TIME_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def _clock_minutes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(minutes of day as float, NaN if blank; mask of unparseable non-blank values)."""
    s = values.astype("str").where(values.notna(), "").str.strip()
    blank = (s == "") | (s.str.lower() == "nan")
    m = s.str.extract(_TIME_RE)
    h = pd.to_numeric(m[0], errors="coerce")
    mi = pd.to_numeric(m[1], errors="coerce")
    mins = (h * 60 + mi).to_numpy(dtype=float)
    bad = (~blank & (np.isnan(mins) | (h > 24).to_numpy() | (mi > 59).to_numpy())).to_numpy()
    mins = np.where(blank.to_numpy(), np.nan, mins)
    return np.where(mins == 1440, 0, mins), bad


def weekly_schedule_features(
    frame: pd.DataFrame,
    start_columns: Sequence[str],
    end_columns: Sequence[str],
    *,
    first_weekday: int = 0,
) -> pd.DataFrame:
    """Features of a self-reported week (one row per respondent), the week repeating.

    Parameters
    ----------
    frame : DataFrame
        One row per respondent; clock-time columns ``HH:MM`` or ``HH:MM:SS`` (blank = no shift).
    start_columns, end_columns : sequence of 7 str
        Start and end columns, one per weekday, beginning with ``first_weekday``.
    first_weekday : int
        Weekday of the first column: 0 = Monday ... 6 = Sunday (the FRA dispatchers file starts
        on Sunday: ``SunStart_Time, MonStart_Time, ..., SatStart_Time``, so 6).

    Returns
    -------
    DataFrame
        Same index as ``frame``; columns of :data:`WEEKLY_FEATURE_COLUMNS`. An end earlier than
        the start runs into the next day (Saturday's into Sunday, the last day's into the first
        day of the next, repeated, week); ``end == start`` is a 24-h shift. Clock times have no
        time zone (no clock change inside a reported week).

    Raises
    ------
    ImportRejected
        ``bad_time`` for a value that is not a clock time, ``required`` for a start without an
        end or vice versa. Rows are numbered as in a spreadsheet (header 1, first row 2).
    ValueError
        If not 7 start and 7 end columns are given.
    """
    if len(start_columns) != 7 or len(end_columns) != 7:
        raise ValueError("give 7 start and 7 end columns")
    n = len(frame)
    rows = np.arange(2, n + 2)
    errors: list[RowError] = []
    starts = np.empty((n, 7))
    ends = np.empty((n, 7))
    for j, (sc, ec) in enumerate(zip(start_columns, end_columns)):
        sm, sbad = _clock_minutes(frame[sc])
        em, ebad = _clock_minutes(frame[ec])
        for col, bad, vals in ((sc, sbad, frame[sc]), (ec, ebad, frame[ec])):
            for r, v in zip(rows[bad], vals[bad]):
                errors.append(RowError(int(r), col, str(v), "bad_time", "not a clock time HH:MM"))
        half = (np.isnan(sm) != np.isnan(em)) & ~sbad & ~ebad
        for r, a in zip(rows[half], np.isnan(sm)[half]):
            col = sc if a else ec
            errors.append(RowError(int(r), col, "", "required",
                                   "start and end must both be given or both blank"))
        sm[half | sbad | ebad] = np.nan
        em[half | sbad | ebad] = np.nan
        starts[:, j] = sm
        ends[:, j] = em
    if errors:
        raise ImportRejected(errors)
    resp, day = np.nonzero(~np.isnan(starts))
    st = starts[resp, day]
    length = (ends[resp, day] - st) % 1440
    length = np.where(length == 0, 1440, length)
    wd = (day + first_weekday) % 7
    s = wd * 1440 + st
    e = s + length
    W = 7 * 1440
    night = np.zeros(len(s))
    for off in (-1, 0, 1):
        a = (wd + off) * 1440 + NIGHT_START_H * 60
        b = a + (24 - NIGHT_START_H + NIGHT_END_H) * 60
        night += np.maximum(0, np.minimum(e, b) - np.maximum(s, a))
    # absolute minutes from Monday 00:00: a shift running past the week's end is still
    # measured against the windows anchored on its own day and the next
    order = np.lexsort((s, resp))
    resp_o, s_o, e_o = resp[order], s[order], e[order]
    nxt = np.empty(len(s_o))
    if len(s_o):
        first_idx = np.r_[0, np.flatnonzero(np.diff(resp_o)) + 1]
        last_idx = np.r_[first_idx[1:] - 1, len(s_o) - 1]
        nxt[:-1] = s_o[1:]
        nxt[last_idx] = s_o[first_idx] + W
    rest = nxt - e_o
    if (rest < 0).any():
        logger.warning("%d self-reported shifts overlap the next one", int((rest < 0).sum()))
    qr = np.bincount(resp_o, weights=(rest < QUICK_RETURN_H * 60), minlength=n)
    cnt = np.bincount(resp, minlength=n)
    hours = np.bincount(resp, weights=length / 60, minlength=n)
    longest = np.full(n, np.nan)
    if len(resp):
        np.fmax.at(longest, resp, length / 60)
    weekend = e > 5 * 1440  # every shift starts within [0, W) and lasts at most 24 h
    out = pd.DataFrame(
        {
            "shifts_per_week": cnt,
            "weekly_hours": hours,
            "mean_shift_hours": np.where(cnt > 0, hours / np.maximum(cnt, 1), np.nan),
            "longest_shift_hours": longest,
            "night_hours_per_week": np.bincount(resp, weights=night / 60, minlength=n),
            "night_shifts_per_week": np.bincount(resp, weights=night >= NIGHT_SHIFT_MIN_H * 60,
                                                 minlength=n).astype(np.int64),
            "quick_returns_per_week": qr.astype(np.int64),
            "early_starts_per_week": np.bincount(
                resp, weights=(st >= EARLY_START[0] * 60) & (st < EARLY_START[1] * 60),
                minlength=n).astype(np.int64),
            "weekend_work": np.bincount(resp, weights=weekend, minlength=n) > 0,
        },
        index=frame.index,
    )
    return out
