"""Schedule-risk features per person over a window from shift records (DESIGN.md section 5).

:func:`compute_features` works on the frame of :func:`wellbeing.core.shifts.records.parse_shifts`; the columns
and their definitions are :data:`FEATURE_COLUMNS`. Conventions (all hours are decimal hours):

* **Worked time** = net hours (gross minus unpaid ``break_min``) of ``regular``, ``overtime`` and
  ``training`` records. ``on_call`` is availability: its gross hours are the separate feature
  ``on_call_hours`` and it is neither work nor a break of rest. ``leave`` is time off.
* A shift **belongs to the window, ISO week and day in which it starts** (local time). Rest and
  quick returns also look at shifts before the window (pass them in) so that the first shift of
  the window is judged against the previous one.
* **Local clock** values come from :mod:`wellbeing.core.schedules.clock`: the night of 2024-02-29 in
  Almaty, 22:00 (UTC+6) to 06:00 (UTC+5), is 9 h long.
* Computations are vectorised with numpy/pandas; the only Python loops run over days of the
  window, never over shifts.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ..shifts.records import WORKED_DUTY_TYPES
from ..timeparse import DEFAULT_TIMEZONE
from .accounting import DEFAULT_ACCOUNTING_PERIOD, overtime_by_accounting_period, person_periods
from .clock import circular_sd_hours, local_seconds, utc_of_local, utc_seconds, window_bound
from .definitions import (
    DAY,
    EARLY_START,
    MONTH_DAYS,
    NIGHT_END_H,
    NIGHT_SHIFT_MIN_H,
    NIGHT_START_H,
    QUICK_RETURN_H,
    H,
)
from .weekly_rest import weekly_rest

logger = logging.getLogger(__name__)


#: Columns of :func:`compute_features` (index ``person_id``), all per person over the window.
FEATURE_COLUMNS: dict[str, str] = {
    "n_shifts": "worked shifts starting in the window (count)",
    "worked_hours": "net worked hours in the window (h)",
    "weekly_hours_mean": "worked hours per week: worked_hours / (window days / 7) (h)",
    "weekly_hours_max": "largest net worked hours of one complete ISO week in the window (h)",
    "weeks_over_48h": "complete ISO weeks with more than 48 h worked (count)",
    "overtime_hours": "sum over the person's accounting periods in the window of the hours above the "
                      "period's norm (contract_hours_week x days / 7) (h)",
    "overtime_hours_per_month": "overtime_hours / days of the periods counted x 30.4375 (h)",
    "overtime_record_max_day_h": "largest net hours of `overtime` records on one local day (h)",
    "night_hours": "worked hours inside 22:00-06:00 local (h)",
    "night_hours_per_week": "night_hours / (window days / 7) (h)",
    "night_shifts": "worked shifts with >= 3 h in 22:00-06:00 local (count)",
    "long_shifts_11h": "worked shifts lasting >= 11 h gross (count)",
    "long_shifts_12h": "worked shifts lasting >= 12 h gross (count)",
    "duties_24h": "worked shifts lasting >= 24 h gross (count)",
    "quick_returns": "worked shifts starting < 11 h after the previous one ended (count; an `overtime` "
                     "record touching the previous shift extends it and is no return)",
    "weekly_rest_min_h": "smallest, over rolling 7-day windows, of the longest rest inside (h)",
    "weekly_rest_short_windows": "rolling 7-day windows whose longest rest is < 35 h (count)",
    "max_consecutive_nights": "longest run of night shifts on consecutive nights (count)",
    "max_consecutive_work_days": "longest run of consecutive local days with a shift start (count)",
    "early_starts": "worked shifts starting 04:00-07:00 local (count)",
    "weekends_worked": "weekends (Sat/Sun of one ISO week) with any worked time (count)",
    "start_time_sd_h": "circular SD of local start clock times (h; NaN if < 2 shifts)",
    "on_call_hours": "gross hours of `on_call` records (h)",
}


def _runs_longest(codes: np.ndarray, days: np.ndarray, n_persons: int) -> np.ndarray:
    """Longest run of consecutive ``days`` per person; input unique (code, day) pairs."""
    out = np.zeros(n_persons, np.int64)
    if not len(codes):
        return out
    if len(codes) > 1 and not ((codes[1:] > codes[:-1]) |
                               ((codes[1:] == codes[:-1]) & (days[1:] >= days[:-1]))).all():
        order = np.lexsort((days, codes))
        codes, days = codes[order], days[order]
    c, d = codes, days
    brk = np.ones(len(c), bool)
    brk[1:] = (c[1:] != c[:-1]) | (d[1:] != d[:-1] + 1)
    run_id = np.cumsum(brk) - 1
    lengths = np.bincount(run_id)
    run_person = c[brk]
    # runs are ordered by person: maximum per person over contiguous segments
    starts = np.r_[0, np.flatnonzero(np.diff(run_person)) + 1]
    out[run_person[starts]] = np.maximum.reduceat(lengths, starts)
    return out


def _unique_sorted(x: np.ndarray) -> np.ndarray:
    """Distinct values of a non-decreasing array (no hashing); falls back to np.unique."""
    if len(x) < 2:
        return x
    if not (x[1:] >= x[:-1]).all():
        return np.unique(x)
    keep = np.ones(len(x), bool)
    keep[1:] = x[1:] != x[:-1]
    return x[keep]


def reference_window(opens: dt.date | str, days: int = 90) -> tuple[dt.date, dt.date]:
    """The reference window of a wave: the ``days`` local days before it opens, ``[start, end)``.

    >>> reference_window("2024-06-01")
    (datetime.date(2024, 3, 3), datetime.date(2024, 6, 1))
    """
    end = pd.Timestamp(opens).date()
    return end - dt.timedelta(days=days), end


def compute_features(
    shifts: pd.DataFrame,
    start: dt.date | str | pd.Timestamp,
    end: dt.date | str | pd.Timestamp,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    contract_hours: float | Mapping[str, float] | pd.Series = 40.0,
    persons: Iterable[str] | None = None,
    accounting_period: str | Mapping[str, str] | pd.Series = DEFAULT_ACCOUNTING_PERIOD,
) -> pd.DataFrame:
    """Schedule features per person over the window ``[start, end)``.

    Parameters
    ----------
    shifts : DataFrame
        Shift records with columns ``person_id``, ``start``, ``end`` (tz-aware), ``break_min``,
        ``duty_type`` (as returned by :func:`wellbeing.core.shifts.records.parse_shifts`); assumed
        validated (no overlaps, end > start). Records outside the window may be included (they
        serve for rest and quick returns across the window's start).
    start, end : date, ISO date string or tz-aware Timestamp
        Window bounds; a date means local midnight in ``timezone``. ``end`` is exclusive.
    timezone : str
        IANA zone of the local clock (default ``Asia/Almaty``).
    contract_hours : float or mapping person -> hours
        ``contract_hours_week`` of each person (roster); persons missing from a mapping get
        40 h (KZ Labour Code art. 68, normal working time).
    persons : iterable of str, optional
        Persons to report (e.g. the roster); those without shifts get zero counts. Default: the
        persons found in ``shifts``.
    accounting_period : str or mapping person -> str
        Each person's accounting period of working time (roster column ``accounting_period``, one
        of :data:`ACCOUNTING_PERIODS`; missing or empty -> :data:`DEFAULT_ACCOUNTING_PERIOD`).
        ``overtime_hours`` compares the hours of each period with its norm, see
        :func:`overtime_by_accounting_period`.

    Returns
    -------
    DataFrame
        Index ``person_id``; the columns of :data:`FEATURE_COLUMNS` (hours as float, counts as
        int). Definitions and units are in :data:`FEATURE_COLUMNS` and DESIGN.md section 5.
        ``weekly_hours_max`` and ``weeks_over_48h`` use the complete ISO weeks (Monday 00:00 local)
        inside the window only; ``overtime_hours`` the person's accounting periods (complete
        periods inside the window, else the window itself, pro rata); ``weekly_rest_*`` uses the 7-day windows
        starting at each local midnight with the whole 7 days inside the window (NaN / 0 if the
        window is shorter than 7 days).

    Raises
    ------
    ValueError
        If ``end`` is not after ``start`` or a bound is a naive timestamp with a clock time.
    KeyError
        If a required column is missing.

    Notes
    -----
    Thresholds and their sources: :data:`THRESHOLDS`.
    """
    zi = ZoneInfo(timezone)
    d_start, w0 = window_bound(start, timezone)
    d_end, w1 = window_bound(end, timezone)
    if w0 is None:
        w0 = utc_of_local(d_start, 0, zi)
    if w1 is None:
        w1 = utc_of_local(d_end, 0, zi)
    if w1 <= w0:
        raise ValueError("window end must be after its start")
    window_days = (w1 - w0) / DAY
    weeks = window_days / 7

    # person codes
    pid = shifts["person_id"].astype("str")
    if persons is None:
        codes, uniques = pd.factorize(pid, sort=True)
        names = pd.Index(uniques, name="person_id", dtype="str")
    else:
        names = pd.Index(pd.unique(pd.Series(list(persons), dtype="str")), name="person_id")
        codes = names.get_indexer(pd.Index(pid))
    P = len(names)
    keep = codes >= 0
    s_all = utc_seconds(shifts["start"])
    e_all = utc_seconds(shifts["end"])
    duty = shifts["duty_type"].astype("str").to_numpy()
    brk_all = shifts["break_min"].to_numpy(dtype=np.int64) * 60
    worked_all = shifts["duty_type"].isin(WORKED_DUTY_TYPES).to_numpy() & keep
    # restrict to shifts near the window (36 h is the longest record)
    near = keep & (e_all > w0 - 8 * DAY) & (s_all < w1 + 8 * DAY)

    # local day table: midnights and night windows, from 10 days before to 10 after
    day0 = d_start - dt.timedelta(days=10)
    ndays = (d_end - d_start).days + 21
    dates = [day0 + dt.timedelta(days=i) for i in range(ndays + 1)]
    midnight = np.array([utc_of_local(d, 0, zi) for d in dates], np.int64)
    n22 = np.array([utc_of_local(d, NIGHT_START_H, zi) for d in dates], np.int64)
    n06 = np.append(np.array([utc_of_local(d, NIGHT_END_H, zi) for d in dates[1:]], np.int64), 0)
    day0_n = (day0 - dt.date(1970, 1, 1)).days

    # ---- worked shifts near the window
    w = np.flatnonzero(worked_all & near)
    c = codes[w].astype(np.int64)
    s = s_all[w]
    e = e_all[w]
    # sort by (person, start)
    key = c * (1 << 40) + (s - w0 + (1 << 38))
    if len(key) > 1 and not np.all(key[1:] >= key[:-1]):
        order = np.argsort(key, kind="stable")
        w, c, s, e = w[order], c[order], s[order], e[order]
    net = (e - s - brk_all[w]) / H
    gross = (e - s) / H
    in_win = (s >= w0) & (s < w1)
    loc_s = local_seconds(s, timezone)
    ldate = loc_s // DAY  # local date (days since epoch)
    sod = loc_s - ldate * DAY  # seconds of day, wall clock
    wday = (ldate + 3) % 7  # Monday = 0
    k = ldate - day0_n  # index into the day table

    # night hours: windows anchored on the day before, of and after the local start date
    night = np.zeros(len(s), np.int64)
    best_anchor = np.zeros(len(s), np.int64)
    best_ov = np.full(len(s), -1, np.int64)
    for off in (-1, 0, 1):
        a = k + off
        ov = np.maximum(0, np.minimum(e, n06[a]) - np.maximum(s, n22[a]))
        night += ov
        better = ov > best_ov
        best_anchor = np.where(better, a, best_anchor)
        best_ov = np.maximum(ov, best_ov)
    night_h = night / H
    is_night = night_h >= NIGHT_SHIFT_MIN_H

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(c[mask], minlength=P)

    def total(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        return np.bincount(c[mask], weights=values[mask], minlength=P)

    out: dict[str, np.ndarray] = {}
    out["n_shifts"] = count(in_win)
    out["worked_hours"] = total(in_win, net)
    out["weekly_hours_mean"] = out["worked_hours"] / weeks

    # ISO weeks (Monday of the start's local week); complete weeks inside the window
    monday = ldate - wday
    d_start_n = (d_start - dt.date(1970, 1, 1)).days
    d_end_n = (d_end - dt.date(1970, 1, 1)).days
    first_monday = d_start_n + (-(d_start_n + 3)) % 7
    n_full = max(0, (d_end_n - first_monday) // 7)
    if w0 != utc_of_local(d_start, 0, zi) or w1 != utc_of_local(d_end, 0, zi):
        # instant bounds: keep weeks whose local midnights lie inside
        mondays = [m for m in range(first_monday, first_monday + 7 * n_full, 7)
                   if midnight[m - day0_n] >= w0 and midnight[m + 7 - day0_n] <= w1]
    else:
        mondays = list(range(first_monday, first_monday + 7 * n_full, 7))
    full = in_win & np.isin(monday, mondays)
    week_idx = (monday - first_monday) // 7
    wk: np.ndarray  # hours per person (rows) and complete week (columns)
    if mondays and full.any():
        nw = (mondays[-1] - first_monday) // 7 + 1
        wk = np.bincount(c[full] * nw + week_idx[full], weights=net[full],
                         minlength=P * nw).reshape(P, nw)
        wk = wk[:, [(m - first_monday) // 7 for m in mondays]]
    else:
        wk = np.zeros((P, len(mondays)))
    if isinstance(contract_hours, (int, float)):
        contract = np.full(P, float(contract_hours))
    else:
        contract = pd.Series(contract_hours, dtype=float).reindex(names).fillna(40.0).to_numpy()
    if wk.shape[1]:
        out["weekly_hours_max"] = wk.max(axis=1)
        out["weeks_over_48h"] = (wk > 48).sum(axis=1)
    else:
        out["weekly_hours_max"] = np.full(P, np.nan)
        out["weeks_over_48h"] = np.zeros(P, np.int64)
    periods = person_periods(accounting_period, names)
    ot_h, covered = overtime_by_accounting_period(
        c[in_win], ldate[in_win], net[in_win], P, contract, periods, d_start, d_end)
    out["overtime_hours"] = ot_h
    with np.errstate(invalid="ignore", divide="ignore"):
        out["overtime_hours_per_month"] = np.where(covered > 0, ot_h / covered * MONTH_DAYS, np.nan)
    ot = in_win & (duty[w] == "overtime")
    if ot.any():
        per_day = pd.Series(net[ot]).groupby([c[ot], ldate[ot]]).sum()
        mx = per_day.groupby(level=0).max()
        arr = np.zeros(P)
        arr[mx.index.to_numpy()] = mx.to_numpy()
        out["overtime_record_max_day_h"] = arr
    else:
        out["overtime_record_max_day_h"] = np.zeros(P)

    out["night_hours"] = total(in_win, night_h)
    out["night_hours_per_week"] = out["night_hours"] / weeks
    out["night_shifts"] = count(in_win & is_night)
    out["long_shifts_11h"] = count(in_win & (gross >= 11))
    out["long_shifts_12h"] = count(in_win & (gross >= 12))
    out["duties_24h"] = count(in_win & (gross >= 24))

    # quick returns: rest from the previous worked shift of the same person
    same = np.zeros(len(s), bool)
    same[1:] = c[1:] == c[:-1]
    rest = np.full(len(s), np.iinfo(np.int64).max)
    rest[1:] = s[1:] - e[:-1]
    # an `overtime` record touching the previous one (rest 0) extends that shift: no return. Touching
    # regular shifts (INRC's night then early) are a return with no rest at all.
    extension = (rest == 0) & (duty[w] == "overtime")
    qr = in_win & same & ~extension & (rest < QUICK_RETURN_H * H)
    out["quick_returns"] = count(qr)

    # weekly rest over rolling 7-day windows
    out["weekly_rest_min_h"], out["weekly_rest_short_windows"] = weekly_rest(
        c, s, e, P, midnight, d_start_n - day0_n, d_end_n - day0_n)

    # consecutive nights and work days
    nm = in_win & is_night
    pairs = _unique_sorted(c[nm] * (1 << 20) + best_anchor[nm])
    out["max_consecutive_nights"] = _runs_longest(pairs >> 20, pairs & ((1 << 20) - 1), P)
    pairs = _unique_sorted(c[in_win] * (1 << 20) + k[in_win])
    out["max_consecutive_work_days"] = _runs_longest(pairs >> 20, pairs & ((1 << 20) - 1), P)

    out["early_starts"] = count(in_win & (sod >= EARLY_START[0] * H) & (sod < EARLY_START[1] * H))

    # weekends: local days touched by the shift (start day, +1, +2 while before the end)
    # weekends: a record of at most 36 h touches at most one Sat-Sun; find the first weekend day
    # among the local days it touches (start day, +1, +2 while before its end)
    loc_e_last = local_seconds(e - 1, timezone) // DAY
    wkey = np.full(len(s), -1, np.int64)
    for off in (2, 1, 0):
        d = ldate + off
        touch = in_win & (d <= loc_e_last) & (((d + 3) % 7) >= 5)
        wkey = np.where(touch, d - (d + 3) % 7 - day0_n, wkey)
    t = wkey >= 0
    allk = _unique_sorted(c[t] * (1 << 20) + wkey[t])
    out["weekends_worked"] = np.bincount(allk >> 20, minlength=P)

    out["start_time_sd_h"] = circular_sd_hours(sod[in_win], c[in_win], P)

    # on-call hours
    oc = np.flatnonzero((duty == "on_call") & keep & (s_all >= w0) & (s_all < w1))
    out["on_call_hours"] = np.bincount(codes[oc], weights=(e_all[oc] - s_all[oc]) / H,
                                       minlength=P)
    frame = pd.DataFrame({name: out[name] for name in FEATURE_COLUMNS}, index=names)
    logger.debug("features computed for %d persons over %.1f days", P, window_days)
    return frame
