"""Schedule-risk features from shift records (DESIGN.md section 5), pure Python.

Three entry points:

* :func:`compute_features` — per person over a window ``[start, end)`` from shift records (the
  frame of :func:`wellbeing.core.roster.parse_shifts`);
* :func:`aggregate_features` — per reporting group and feature: n, mean, median and the share of
  persons above each threshold of :data:`THRESHOLDS` (every threshold names its source);
* :func:`weekly_schedule_features` — per respondent from a self-reported week (start/end clock
  time per weekday; the week repeats), with banding helpers (:func:`band`, :data:`NIGHT_HOURS_BANDS`
  ...) for storing them as banded context answers.

Conventions (all hours are decimal hours):

* **Worked time** = net hours (gross minus unpaid ``break_min``) of ``regular``, ``overtime`` and
  ``training`` records. ``on_call`` is availability: its gross hours are the separate feature
  ``on_call_hours`` and it is neither work nor a break of rest. ``leave`` is time off.
* A shift **belongs to the window, ISO week and day in which it starts** (local time). Rest and
  quick returns also look at shifts before the window (pass them in) so that the first shift of
  the window is judged against the previous one.
* **Local clock** values (night window, early starts, weekdays, ISO weeks starting Monday 00:00)
  come from converting the UTC instants to ``timezone`` with zoneinfo, so they stay right across
  midnight, month ends and the 2024-03-01 change of Kazakhstan to UTC+5. Durations are elapsed
  time (UTC differences): the night of 2024-02-29 in Almaty, 22:00 (UTC+6) to 06:00 (UTC+5), is
  9 h long.
* Computations are vectorised with numpy/pandas; the only Python loops run over days of the
  window, never over shifts.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .roster import ACCOUNTING_PERIODS
from .shifts.records import WORKED_DUTY_TYPES
from .tables import ImportRejected, RowError
from .timeparse import DEFAULT_TIMEZONE

__all__ = [
    "Band",
    "FEATURE_COLUMNS",
    "NIGHT_HOURS_BANDS",
    "QUICK_RETURNS_BANDS",
    "SHIFT_LENGTH_BANDS",
    "THRESHOLDS",
    "Threshold",
    "WEEKLY_FEATURE_COLUMNS",
    "ACCOUNTING_PERIODS",
    "DEFAULT_ACCOUNTING_PERIOD",
    "accounting_periods",
    "overtime_by_accounting_period",
    "WEEKLY_HOURS_BANDS",
    "aggregate_features",
    "band",
    "circular_sd_hours",
    "compute_features",
    "reference_window",
    "weekly_schedule_features",
]

logger = logging.getLogger(__name__)

H = 3600  # seconds per hour
DAY = 86400
#: Night time 22:00-06:00 local (EU Directive 2003/88/EC art. 2; KZ Labour Code art. 1 / 110).
NIGHT_START_H, NIGHT_END_H = 22, 6
#: A night shift has at least 3 h in the night window (EU 2003/88/EC art. 2 "night worker").
NIGHT_SHIFT_MIN_H = 3.0
#: A rest shorter than 11 h between worked shifts is a quick return (EU 2003/88/EC art. 3).
QUICK_RETURN_H = 11.0
#: Weekly rest: 24 h + 11 h daily rest = 35 h in each 7-day period (EU 2003/88/EC art. 5).
WEEKLY_REST_H = 35.0
#: Early start: start clock time in [04:00, 07:00) (HSE HSG256 "Managing shift work").
EARLY_START = (4, 7)
#: Mean month in days (365.25 / 12), for "per month" rates.
MONTH_DAYS = 30.4375
# ACCOUNTING_PERIODS (from core.roster, the roster column ``accounting_period``): ``week`` = ISO weeks
# (Monday 00:00 local), the ordinary weekly accounting (KZ Labour Code art. 68, 40 h/week); ``month``,
# ``quarter``, ``year`` = calendar periods of summarised accounting of working time, whose accounting
# period may not exceed one year.
#: Accounting period of an officer whose roster row gives none: a calendar month (summarised monthly
#: accounting, the usual one for shift work and 24-hour duties). The norm of any period is the
#: contract's weekly norm x the period's days / 7.
DEFAULT_ACCOUNTING_PERIOD = "month"

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


# ------------------------------------------------------------------------------- utilities
def _i8_seconds(s: pd.Series) -> np.ndarray:
    """UTC seconds since the epoch of a tz-aware series."""
    return s.astype("datetime64[us, UTC]").array.asi8 // 1_000_000


def _local_seconds(utc_seconds: np.ndarray, tz: str) -> np.ndarray:
    """Local wall-clock seconds since 1970-01-01 00:00 (as if the wall clock were UTC)."""
    idx = pd.DatetimeIndex(utc_seconds.astype("datetime64[s]"), tz="UTC").tz_convert(tz)
    return idx.tz_localize(None).asi8 // _unit_div(idx)


def _unit_div(idx: pd.DatetimeIndex) -> int:
    return {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[idx.unit]


def _to_local_date(value: dt.date | str | pd.Timestamp, tz: str) -> tuple[dt.date, int | None]:
    """A window bound: a local date (midnight) or a tz-aware instant -> (local date, utc seconds)."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        loc = ts.tz_convert(tz)
        return loc.date(), int(ts.timestamp())
    if ts != ts.normalize():
        raise ValueError(f"window bound {value!r}: give a date or a tz-aware timestamp")
    return ts.date(), None


def _utc_of_local(d: dt.date, hour: int, tz: ZoneInfo) -> int:
    return int(dt.datetime.combine(d, dt.time(hour), tzinfo=tz).timestamp())


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


def circular_sd_hours(seconds_of_day: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Circular standard deviation of clock times per group, in hours.

    ``sd = sqrt(-2 ln R) * 24 / (2 pi)`` where ``R`` is the mean resultant length of the angles
    ``2 pi t / 24 h`` (Mardia & Jupp 2000, eq. 2.3.11). Start-time irregularity as the circular SD
    of shift start times follows Peterson et al. (2019), BMJ Open 9:e030302 (police officers).
    NaN for groups with fewer than two values.
    """
    theta = 2 * np.pi * seconds_of_day / DAY
    n = np.bincount(groups, minlength=n_groups).astype(float)
    c = np.bincount(groups, weights=np.cos(theta), minlength=n_groups)
    s = np.bincount(groups, weights=np.sin(theta), minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.clip(np.hypot(c, s) / n, 1e-12, 1.0)
        sd = np.sqrt(np.maximum(0.0, -2 * np.log(r))) * 24 / (2 * np.pi) + 0.0
    sd[n < 2] = np.nan
    return sd


# ------------------------------------------------------------------------------- features
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
        ``duty_type`` (as returned by :func:`wellbeing.core.roster.parse_shifts`); assumed
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
    d_start, w0 = _to_local_date(start, timezone)
    d_end, w1 = _to_local_date(end, timezone)
    if w0 is None:
        w0 = _utc_of_local(d_start, 0, zi)
    if w1 is None:
        w1 = _utc_of_local(d_end, 0, zi)
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
        codes = names.get_indexer(pid)
    P = len(names)
    keep = codes >= 0
    s_all = _i8_seconds(shifts["start"])
    e_all = _i8_seconds(shifts["end"])
    duty = shifts["duty_type"].astype("str").to_numpy()
    brk_all = shifts["break_min"].to_numpy(dtype=np.int64) * 60
    worked_all = shifts["duty_type"].isin(WORKED_DUTY_TYPES).to_numpy() & keep
    # restrict to shifts near the window (36 h is the longest record)
    near = keep & (e_all > w0 - 8 * DAY) & (s_all < w1 + 8 * DAY)

    # local day table: midnights and night windows, from 10 days before to 10 after
    day0 = d_start - dt.timedelta(days=10)
    ndays = (d_end - d_start).days + 21
    dates = [day0 + dt.timedelta(days=i) for i in range(ndays + 1)]
    midnight = np.array([_utc_of_local(d, 0, zi) for d in dates], np.int64)
    n22 = np.array([_utc_of_local(d, NIGHT_START_H, zi) for d in dates], np.int64)
    n06 = np.append(np.array([_utc_of_local(d, NIGHT_END_H, zi) for d in dates[1:]], np.int64), 0)
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
    loc_s = _local_seconds(s, timezone)
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
    if w0 != _utc_of_local(d_start, 0, zi) or w1 != _utc_of_local(d_end, 0, zi):
        # instant bounds: keep weeks whose local midnights lie inside
        mondays = [m for m in range(first_monday, first_monday + 7 * n_full, 7)
                   if midnight[m - day0_n] >= w0 and midnight[m + 7 - day0_n] <= w1]
    else:
        mondays = list(range(first_monday, first_monday + 7 * n_full, 7))
    full = in_win & np.isin(monday, mondays)
    week_idx = (monday - first_monday) // 7
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
    periods = _person_periods(accounting_period, names)
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
    out["weekly_rest_min_h"], out["weekly_rest_short_windows"] = _weekly_rest(
        c, s, e, P, midnight, d_start_n - day0_n, d_end_n - day0_n, w0)

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
    loc_e_last = _local_seconds(e - 1, timezone) // DAY
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


def accounting_periods(kind: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The accounting periods ``[a, b)`` of ``kind`` that count for the window ``[start, end)``.

    The complete calendar periods (ISO weeks from Monday, calendar months, quarters, years) lying
    inside the window; when none does (a quarter or year longer than the window), the window itself,
    whose norm is then the contract's weekly norm pro rata (days / 7).

    >>> accounting_periods("month", dt.date(2024, 1, 15), dt.date(2024, 4, 15))
    [(datetime.date(2024, 2, 1), datetime.date(2024, 3, 1)), (datetime.date(2024, 3, 1), datetime.date(2024, 4, 1))]

    Raises ValueError for a kind not in :data:`ACCOUNTING_PERIODS`.
    """
    if kind not in ACCOUNTING_PERIODS:
        raise ValueError(f"unknown accounting period {kind!r} (expected one of {', '.join(ACCOUNTING_PERIODS)})")
    out = []
    if kind == "week":
        a = start + dt.timedelta(days=(-start.weekday()) % 7)
        while a + dt.timedelta(days=7) <= end:
            out.append((a, a + dt.timedelta(days=7)))
            a += dt.timedelta(days=7)
    else:
        months = {"month": 1, "quarter": 3, "year": 12}[kind]
        m0 = (start.month - 1) // months * months + 1
        a = dt.date(start.year, m0, 1)
        if a < start:
            a = _add_months(a, months)
        while _add_months(a, months) <= end:
            b = _add_months(a, months)
            out.append((a, b))
            a = b
    return out or [(start, end)]


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


def _person_periods(value: str | Mapping[str, str] | pd.Series, names: pd.Index) -> np.ndarray:
    if isinstance(value, str):
        arr = np.full(len(names), value, dtype=object)
    else:
        arr = pd.Series(value, dtype=object).reindex(names).to_numpy(dtype=object)
    arr = np.array([DEFAULT_ACCOUNTING_PERIOD if v is None or (isinstance(v, float) and math.isnan(v))
                    or str(v).strip() == "" else str(v).strip().lower() for v in arr], dtype=object)
    bad = sorted(set(arr) - set(ACCOUNTING_PERIODS))
    if bad:
        raise ValueError(f"unknown accounting period(s) {', '.join(map(repr, bad))} "
                         f"(expected one of {', '.join(ACCOUNTING_PERIODS)})")
    return arr


def overtime_by_accounting_period(
    person: np.ndarray, local_day: np.ndarray, net_hours: np.ndarray, n_persons: int,
    contract_hours_week: np.ndarray, periods: np.ndarray, start: dt.date, end: dt.date,
) -> tuple[np.ndarray, np.ndarray]:
    """Overtime per person by the accounting of working time (KZ Labour Code art. 78, DESIGN.md 5).

    For each accounting period ``[a, b)`` of the person's kind (:func:`accounting_periods`), the
    worked hours of the records starting in it are compared with the period's norm
    ``contract_hours_week x (b - a).days / 7``; overtime is the sum of the excesses. Records marked
    ``overtime`` are worked time already, never added twice. Under summarised accounting a week of
    48 h balanced by a week of 24 h is no overtime: a 24/72 officer averaging 42 h/week on a 40 h
    contract has 2 h x weeks of the period (e.g. 8.6 h in a 30-day month), not the 26 h/month of
    per-ISO-week counting. The limits of art. 78 (2 h/day, 12 h/month, 120 h/year) are the thresholds
    of :data:`THRESHOLDS`.

    Parameters
    ----------
    person : int array (codes 0..n_persons-1) of each worked record starting in the window
    local_day : int array, the record's local start date as days since 1970-01-01
    net_hours : float array, the record's net worked hours
    contract_hours_week : float array (n_persons,), weekly norm of each person (h)
    periods : object array (n_persons,), each person's kind from :data:`ACCOUNTING_PERIODS`
    start, end : the window ``[start, end)`` as local dates

    Returns
    -------
    (overtime_hours, days_counted) : two float arrays of shape (n_persons,)
    """
    epoch = dt.date(1970, 1, 1)
    ot = np.zeros(n_persons)
    covered = np.zeros(n_persons)
    for kind in np.unique(periods) if len(periods) else []:
        who = np.flatnonzero(periods == kind)
        bounds = accounting_periods(str(kind), start, end)
        edges = np.array([(a - epoch).days for a, _ in bounds] + [(bounds[-1][1] - epoch).days])
        days = np.diff(edges).astype(float)
        sel = np.isin(person, who)
        j = np.searchsorted(edges, local_day[sel], side="right") - 1   # periods are contiguous
        inside = (j >= 0) & (j < len(bounds))
        hours = np.zeros((n_persons, len(bounds)))
        np.add.at(hours, (person[sel][inside], j[inside]), net_hours[sel][inside])
        norm = contract_hours_week[who, None] * days[None, :] / 7.0
        ot[who] = np.maximum(0.0, hours[who] - norm).sum(axis=1)
        covered[who] = days.sum()
    return ot, covered


def _weekly_rest(c, s, e, P, midnight, k_first, k_end, w0) -> tuple[np.ndarray, np.ndarray]:
    """Longest uninterrupted rest overlapping each rolling 7-day window, counted whole (EU Directive
    2003/88/EC art. 5: 24 h + 11 h = 35 h of uninterrupted rest per 7-day period). A rest is the time
    between two worked records of a person; before the first and after the last known record the
    rest is open-ended (nothing is known, nothing is flagged). Returns (min over windows (h),
    windows with < 35 h)."""
    n_windows = k_end - k_first - 6
    if n_windows <= 0:
        return np.full(P, np.nan), np.zeros(P, np.int64)
    lo = int(midnight[k_first]) - 40 * DAY
    R = int(midnight[k_end]) + 40 * DAY - lo
    sr = np.clip(s - lo, 0, R)
    er = np.clip(e - lo, 0, R)
    first = np.ones(len(c), bool)
    first[1:] = c[1:] != c[:-1]
    last = np.ones(len(c), bool)
    last[:-1] = c[1:] != c[:-1]
    # gaps, in (person, time) order without sorting: before each shift (from the previous end, or
    # from the far past), then after each person's last shift (to the far future)
    prev_end = np.zeros(len(c), np.int64)
    prev_end[1:] = er[:-1]
    prev_end[first] = 0
    n_before = np.cumsum(last) - last  # trailing gaps inserted before shift i
    pos_gap = np.arange(len(c)) + n_before
    pos_tail = pos_gap[last] + 1
    size = len(c) + int(last.sum())
    g_c = np.empty(size, np.int64)
    g_s = np.empty(size, np.int64)
    g_e = np.empty(size, np.int64)
    g_c[pos_gap], g_s[pos_gap], g_e[pos_gap] = c, prev_end, sr
    # after a person's last record nothing is known: that rest runs on (to the far future), so data
    # that end early flag no short weekly rest
    g_c[pos_tail], g_s[pos_tail], g_e[pos_tail] = c[last], er[last], np.maximum(er[last], R)
    # overlapping shifts (not validated) could make g_e < g_s: treat as no rest
    g_e = np.maximum(g_e, g_s)
    length = np.append(g_e - g_s, 0)
    ws = np.array([int(midnight[k_first + j]) - lo for j in range(n_windows)], np.int64)
    we = np.array([int(midnight[k_first + j + 7]) - lo for j in range(n_windows)], np.int64)
    # persons without worked shifts rest through every window
    whole = (we - ws) / H
    best_min = np.full(P, whole.min())
    short = np.full(P, int((whole < WEEKLY_REST_H).sum()), np.int64)
    persons = np.unique(c) if len(c) else np.array([], np.int64)
    # index of each person's first gap; per window, how many of a person's gaps end at or before
    # the window's start (-> first overlapping gap i0) and start before its end (-> last, i1),
    # by bucketing gap ends/starts between window bounds (small searches, no search in 5M rows)
    ng = np.bincount(g_c, minlength=P)
    off = np.cumsum(ng) - ng
    q_e = np.searchsorted(ws, g_e, side="left")   # gap ends at/before ws[j]  <=>  j >= q_e
    q_s = np.searchsorted(we, g_s, side="right")  # gap starts before we[j]  <=>  j >= q_s
    W1 = n_windows + 1
    chunk = max(1, 1_500_000 // n_windows)
    for q0 in range(0, len(persons), chunk):
        sel = persons[q0:q0 + chunk]
        m = len(sel)
        g0, g1 = off[sel[0]], off[sel[-1]] + ng[sel[-1]]
        rank = np.searchsorted(sel, g_c[g0:g1])
        cnt_e = np.bincount(rank * W1 + q_e[g0:g1], minlength=m * W1).reshape(m, W1)
        cnt_s = np.bincount(rank * W1 + q_s[g0:g1], minlength=m * W1).reshape(m, W1)
        base = off[sel][:, None]
        i0 = (base + np.cumsum(cnt_e, axis=1)[:, :n_windows]).ravel()
        i1 = (base + np.cumsum(cnt_s, axis=1)[:, :n_windows] - 1).ravel()
        a = np.tile(ws, m)
        b = np.tile(we, m)
        # Every rest that overlaps the window counts whole (gaps i0..i1 all overlap it): a leave or a
        # weekend rest running across the window's edges is one uninterrupted rest. (Counting only
        # rests that *start* in the window gave 0 h to windows inside a long leave; clipping rests to
        # the window flagged every Monday-Friday worker.)
        ov0 = (g_e[i0] > a) & (g_s[i0] < b)
        ov1 = (g_e[i1] > a) & (g_s[i1] < b)
        first_len = np.where(ov0, g_e[i0] - g_s[i0], 0)
        last_len = np.where(ov1, g_e[i1] - g_s[i1], 0)
        lo_i, hi_i = i0 + 1, i1
        has_inner = hi_i > lo_i
        longest = np.maximum(first_len, last_len)
        if has_inner.any():
            idx = np.empty(2 * len(i0), np.int64)
            idx[0::2] = lo_i
            idx[1::2] = np.maximum(hi_i, lo_i)
            red = np.maximum.reduceat(length, idx)[0::2]
            longest = np.maximum(longest, np.where(has_inner, red, 0))
        longest_h = (longest / H).reshape(m, n_windows)
        best_min[sel] = longest_h.min(axis=1)
        short[sel] = (longest_h < WEEKLY_REST_H).sum(axis=1)
    return best_min, short


# ---------------------------------------------------------------------------- thresholds
@dataclass(frozen=True)
class Threshold:
    """A threshold on a feature: persons with ``feature > value`` (or ``>=``) count as above."""

    feature: str
    value: float
    label: str
    source: str
    inclusive: bool = False

    def above(self, x: pd.Series) -> pd.Series:
        return x >= self.value if self.inclusive else x > self.value


#: Thresholds with their sources (DESIGN.md section 5).
THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("weekly_hours_mean", 40, "more than 40 h/week",
              "Labour Code of the Republic of Kazakhstan, art. 68 (normal working time 40 h/week)"),
    Threshold("weekly_hours_mean", 48, "more than 48 h/week incl. overtime",
              "EU Directive 2003/88/EC, art. 6 (maximum average weekly working time)"),
    Threshold("weeks_over_48h", 0, "any week over 48 h", "EU Directive 2003/88/EC, art. 6"),
    Threshold("overtime_record_max_day_h", 2, "overtime over 2 h on a day",
              "Labour Code of the Republic of Kazakhstan, art. 78 (2 h/day)"),
    Threshold("overtime_hours_per_month", 12, "overtime over 12 h/month",
              "Labour Code of the Republic of Kazakhstan, art. 78 (12 h/month)"),
    Threshold("overtime_hours_per_month", 10, "overtime over 120 h/year (pro rata 10 h/month)",
              "Labour Code of the Republic of Kazakhstan, art. 78 (120 h/year)"),
    Threshold("night_shifts", 0, "works nights (>= 3 h in 22:00-06:00)",
              "EU Directive 2003/88/EC, art. 2 (night time, night worker)"),
    Threshold("long_shifts_12h", 0, "any shift of 12 h or more",
              "HSE HSG256 Managing shift work (avoid shifts over 12 h)"),
    Threshold("duties_24h", 0, "any 24-h duty",
              "Labour Code of the Republic of Kazakhstan, art. 73 (daily work duration); HSE HSG256"),
    Threshold("quick_returns", 0, "any rest under 11 h between shifts",
              "EU Directive 2003/88/EC, art. 3 (11 h daily rest)"),
    Threshold("weekly_rest_short_windows", 0, "any 7 days without 35 h of rest",
              "EU Directive 2003/88/EC, art. 5 (24 h + 11 h weekly rest)"),
    Threshold("max_consecutive_nights", 3, "more than 3 consecutive nights",
              "HSE HSG256 Managing shift work (limit consecutive nights to 3-4)"),
    Threshold("max_consecutive_nights", 4, "more than 4 consecutive nights",
              "HSE HSG256 Managing shift work (limit consecutive nights to 3-4)"),
    Threshold("early_starts", 0, "any start 04:00-07:00", "HSE HSG256 Managing shift work"),
    Threshold("weekends_worked", 0, "any weekend work", "HSE HSG256 Managing shift work"),
)


def aggregate_features(
    features: pd.DataFrame,
    groups: Mapping[str, str] | pd.Series,
    *,
    thresholds: Sequence[Threshold] = THRESHOLDS,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Aggregate per-person features per reporting group (no disclosure control: the caller's job).

    Parameters
    ----------
    features : DataFrame
        Output of :func:`compute_features` (index ``person_id``).
    groups : mapping or Series
        person_id -> reporting-group slug; persons without a group are left out (logged).
    thresholds : sequence of Threshold
        Default :data:`THRESHOLDS` (each with its source).
    columns : sequence of str, optional
        Features to report (default: all numeric columns).

    Returns
    -------
    DataFrame
        One row per group × feature × threshold (a feature without threshold has one row with
        ``threshold`` NaN): ``group``, ``feature``, ``n`` (persons with a value), ``mean``,
        ``median``, ``threshold``, ``threshold_label``, ``n_above``, ``share_above`` (0-1),
        ``source``.
    """
    g = pd.Series(groups, dtype="str") if not isinstance(groups, pd.Series) else groups.astype("str")
    grp = g.reindex(features.index)
    missing = int(grp.isna().sum())
    if missing:
        logger.info("%d persons without a reporting group left out", missing)
    f = features.loc[grp.notna()]
    grp = grp[grp.notna()]
    cols = list(columns) if columns is not None else [
        c for c in f.columns if pd.api.types.is_numeric_dtype(f[c])]
    key = grp.rename("group")
    by = f[cols].groupby(key)
    stats = pd.concat({"n": by.count(), "mean": by.mean(), "median": by.median()}, axis=1)
    long = stats.stack(level=1, future_stack=True).rename_axis(["group", "feature"]).reset_index()
    parts = []
    with_threshold = set()
    for t in thresholds:
        if t.feature not in cols:
            continue
        with_threshold.add(t.feature)
        x = f[t.feature]
        above = t.above(x).where(x.notna()).astype(float).groupby(key).sum()
        parts.append(pd.DataFrame({
            "group": above.index, "feature": t.feature, "threshold": float(t.value),
            "threshold_label": t.label, "n_above": above.to_numpy().astype(np.int64),
            "source": t.source}))
    th = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["group", "feature", "threshold", "threshold_label", "n_above", "source"])
    out = long.merge(th, on=["group", "feature"], how="left")
    out["n"] = out["n"].astype(np.int64)
    out["n_above"] = out["n_above"].astype("Int64")
    out["share_above"] = (out["n_above"] / out["n"].where(out["n"] > 0)).astype(float)
    order = {c: i for i, c in enumerate(cols)}
    out = out.sort_values(["group", "feature", "threshold"],
                          key=lambda c: c.map(order) if c.name == "feature" else c,
                          kind="stable").reset_index(drop=True)
    return out[["group", "feature", "n", "mean", "median", "threshold", "threshold_label",
                "n_above", "share_above", "source"]]


# ------------------------------------------------------------------- self-reported weeks
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


# ------------------------------------------------------------------------------- banding
@dataclass(frozen=True)
class Band:
    """A labelled range: values above the previous band's ``upper`` and up to this ``upper``."""

    label: str
    upper: float


#: Night hours per week: 0 / 1-8 / 9-16 / > 16 (DESIGN.md section 7).
NIGHT_HOURS_BANDS = (Band("0", 0), Band("1–8", 8), Band("9–16", 16), Band(">16", math.inf))
#: Weekly hours: up to 40 (KZ art. 68) / 41-48 (EU 2003/88 art. 6) / 49-60 / > 60.
WEEKLY_HOURS_BANDS = (Band("≤40", 40), Band("41–48", 48), Band("49–60", 60), Band(">60", math.inf))
#: Quick returns per week: 0 / 1 / 2 or more.
QUICK_RETURNS_BANDS = (Band("0", 0), Band("1", 1), Band("2+", math.inf))
#: Mean shift length: up to 8 h / 8-10 / 10-12 / over 12 h (HSE HSG256: > 12 h is long).
SHIFT_LENGTH_BANDS = (Band("≤8", 8), Band("8–10", 10), Band("10–12", 12), Band(">12", math.inf))


def band(values: Sequence[float] | pd.Series, bands: Sequence[Band]) -> pd.Series:
    """Map values to band labels: the first band whose ``upper`` the value does not exceed.

    Returns an ordered categorical Series (NaN stays missing). Example: with
    :data:`NIGHT_HOURS_BANDS`, 0 -> "0", 0.5 -> "1–8", 8 -> "1–8", 8.5 -> "9–16", 17 -> ">16".
    """
    v = pd.Series(values, dtype=float)
    uppers = np.array([b.upper for b in bands])
    labels = [b.label for b in bands]
    idx = np.searchsorted(uppers, v.to_numpy(), side="left")
    codes = np.where(v.isna().to_numpy(), -1, np.minimum(idx, len(bands) - 1))
    return pd.Series(pd.Categorical.from_codes(codes, categories=labels, ordered=True),
                     index=v.index)
