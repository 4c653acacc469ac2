"""UTC instants, the local wall clock and local days; circular spread of clock times.

**Local clock** values (night window, early starts, weekdays, ISO weeks starting Monday 00:00) come
from converting the UTC instants to the time zone with zoneinfo, so they stay right across midnight,
month ends and the 2024-03-01 change of Kazakhstan to UTC+5. Durations are elapsed time (UTC
differences).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .definitions import DAY


def utc_seconds(s: pd.Series) -> np.ndarray:
    """UTC seconds since the epoch of a tz-aware series."""
    return pd.DatetimeIndex(s.astype("datetime64[us, UTC]")).asi8 // 1_000_000


def local_seconds(utc_seconds: np.ndarray, tz: str) -> np.ndarray:
    """Local wall-clock seconds since 1970-01-01 00:00 (as if the wall clock were UTC)."""
    idx = pd.DatetimeIndex(utc_seconds.astype("datetime64[s]"), tz="UTC").tz_convert(tz)
    return idx.tz_localize(None).asi8 // _unit_div(idx)


def _unit_div(idx: pd.DatetimeIndex) -> int:
    return {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[idx.unit]


def window_bound(value: dt.date | str | pd.Timestamp, tz: str) -> tuple[dt.date, int | None]:
    """A window bound: a local date (midnight) or a tz-aware instant -> (local date, utc seconds)."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        loc = ts.tz_convert(tz)
        return loc.date(), int(ts.timestamp())
    if ts != ts.normalize():
        raise ValueError(f"window bound {value!r}: give a date or a tz-aware timestamp")
    return ts.date(), None


def utc_of_local(d: dt.date, hour: int, tz: ZoneInfo) -> int:
    """UTC seconds since the epoch of ``hour``:00 local time on day ``d`` in ``tz``."""
    return int(dt.datetime.combine(d, dt.time(hour), tzinfo=tz).timestamp())


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
