"""Fatigue index from shift records alone: the three-process model of alertness with roster-estimated sleep.

Model (Åkerstedt & Folkard 1997, *Chronobiol Int* 14:115–123; Åkerstedt, Folkard & Portin 2004,
*Aviat Space Environ Med* 75(3 Suppl):A75–A83; equations and default parameters as tabulated by
Ingre et al. 2014, *PLoS ONE* 9:e108679, Table 1). Alertness at clock time *t* is

    A(t) = S(t) + C(t) + W(t)

* **Process S** (homeostatic), during wake an exponential fall towards the lower asymptote
  ``LA = 2.4``: ``S(t) = LA + (S0 - LA) · exp(-D · t)``, ``D = 0.0353 /h``; during sleep an
  exponential recovery towards the upper asymptote ``HA = 14.3``: ``S(t) = HA - (HA - S0) ·
  exp(-G · t)`` with ``G = -ln((14.3 - 14.0) / (14.3 - 7.96)) / 8 = 0.3814 /h`` — the published
  calibration: eight hours of sleep starting from S = 7.96 recover S to 14.0. ``t`` is the time
  since the state began.
* **Process C** (circadian): ``C(t) = CA · cos(2π (t - P) / 24)``, amplitude ``CA = 2.5``,
  acrophase ``P = 16.8`` h local time (16:48), mesor 0.
* **Process W** (sleep inertia), after waking: ``W(t) = WC · exp(-WD · t)``, ``WC = -5.72``,
  ``WD = 1.51 /h``, ``t`` = hours since waking.
* The ultradian component U (± 0.5) and the S breakpoint that predicts spontaneous waking are
  **not used**: U is small and Ingre et al. 2014 found the S + C core to carry the prediction;
  waking times here come from the roster rule below, not from the model.
* **KSS** (Karolinska Sleepiness Scale, 1–9) from alertness: ``KSS = 10.6 - 0.6 · A``
  (Åkerstedt et al. 2004; Ingre et al. 2014 Table 1), clipped to 1–9.
* **Threshold**: KSS ≥ 7 "sleepy, but no difficulty remaining awake" (Åkerstedt & Gillberg 1990,
  *Int J Neurosci* 52:29–37), the level from which the scale's authors report impaired driving and
  lapses; on this scale A ≤ 6.0.

**Roster-estimated sleep** (our rule, stated because the model needs sleep times and shift records
do not have them; every choice is an assumption to be read with the results):

1. Everyone sleeps 23:00–07:00 local (8 h; the model's standard day in Åkerstedt & Folkard 1997)
   whenever that time is free.
2. Duty time (``regular``, ``overtime``, ``training`` records) and ``COMMUTE_H`` = 1 h before and
   after each duty are awake: an early start (before 08:00) cuts the night's sleep short, a late end
   delays it.
3. After a duty with ≥ 3 h in 22:00–06:00 (the night-shift rule of :mod:`wellbeing.core.schedules`,
   EU 2003/88/EC art. 2) the officer sleeps ``DAY_SLEEP_H`` = 6 h starting ``COMMUTE_H`` after the
   end (day sleep after night work is shorter than night sleep, about 4–7 h: Åkerstedt 2003,
   *Occup Med* 53:89–94; 6 h is our choice inside that range), unless duty or commute intervenes.
4. ``on_call`` and ``leave`` records are free time (on-call sleep is not modelled).

**Validation** (tests/core/test_fatigue.py, tests/reference/). Every parameter above equals the published
default model — Ingre et al. 2014 Table 1, restated as the defaults of the FIPS package's documentation
(Wilson, Strickland & Ballard 2020, *JOSS* 5:2340) — to the printed digits (``fatigue_published.csv``
and its comparison script ``fatigue_published.py``; G against FIPS's printed 0.3813 within 1e-4). No
published hour-by-hour worked example (a table of S, C, W or KSS over a roster) could be obtained, nor
a figure to read one from; the run-level check is therefore our own closed form of the same equations,
episode by episode (``fatigue_reference.py`` → ``fatigue_reference.csv``), which the grid reproduces to
1e-6.

The simulation runs on a 15-minute grid (exact for the exponentials: each step applies the closed
form over 0.25 h) from ``WARMUP_DAYS`` before the window, starting from the model's steady state
(S = 14.0 at 07:00 after a standard night). It loops over time steps and is vectorised over persons.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .shifts.records import WORKED_DUTY_TYPES
from .timeparse import DEFAULT_TIMEZONE

__all__ = [
    "FATIGUE_COLUMNS",
    "KSS_THRESHOLD",
    "alertness_components",
    "fatigue_features",
    "kss_from_alertness",
    "shift_fatigue",
    "simulate",
]

log = logging.getLogger(__name__)

# ---- parameters (sources in the module docstring)
LA = 2.4          # lower asymptote of S (Åkerstedt & Folkard 1997; Ingre et al. 2014 Table 1)
HA = 14.3         # upper asymptote of S (idem)
D = 0.0353        # rate of S decline during wake, 1/h (idem)
S_CAL_FROM, S_CAL_TO, S_CAL_HOURS = 7.96, 14.0, 8.0   # calibration of the recovery (idem)
G = -math.log((HA - S_CAL_TO) / (HA - S_CAL_FROM)) / S_CAL_HOURS   # 0.3814 1/h
CA = 2.5          # circadian amplitude (idem)
P = 16.8          # circadian acrophase, h local (idem)
WC = -5.72        # sleep inertia at waking (idem)
WD = 1.51         # sleep-inertia decay, 1/h (idem)
KSS_INTERCEPT, KSS_SLOPE = 10.6, -0.6   # KSS = 10.6 - 0.6 A (Åkerstedt et al. 2004; Ingre et al. 2014)
#: KSS 7 = "sleepy, but no difficulty remaining awake" (Åkerstedt & Gillberg 1990).
KSS_THRESHOLD = 7.0
# ---- roster sleep rule (our assumptions, module docstring)
NIGHT_SLEEP = (23, 7)     # standard sleep, local clock hours
COMMUTE_H = 1.0
DAY_SLEEP_H = 6.0
NIGHT_DUTY_MIN_H = 3.0    # >= 3 h in 22:00-06:00 (EU 2003/88/EC art. 2), as core.schedules
STEP_H = 0.25
WARMUP_DAYS = 7
S_START = S_CAL_TO        # steady state at 07:00 after a standard night

#: Per-person columns of :func:`fatigue_features` (over the window's duty time).
FATIGUE_COLUMNS: dict[str, str] = {
    "fatigue_kss_peak": "highest predicted KSS (1-9) during any duty in the window",
    "fatigue_kss_mean": "duty-hour weighted mean predicted KSS (1-9)",
    "fatigue_hours_kss7": "duty hours with predicted KSS >= 7 (h)",
    "fatigue_share_kss7": "share of duty hours with predicted KSS >= 7 (0-1; NaN without duty)",
}


def kss_from_alertness(a: np.ndarray | float) -> np.ndarray:
    """KSS (1–9) from three-process alertness: ``clip(10.6 - 0.6 A, 1, 9)`` (Ingre et al. 2014)."""
    return np.clip(KSS_INTERCEPT + KSS_SLOPE * np.asarray(a, dtype=float), 1.0, 9.0)


def alertness_components(clock_h: np.ndarray | float, s: np.ndarray | float,
                         hours_awake: np.ndarray | float) -> np.ndarray:
    """A = S + C + W for local clock hours ``clock_h``, homeostatic level ``s`` and hours since waking.

    ``hours_awake`` NaN (asleep) gives W = 0. Shapes broadcast.
    """
    c = CA * np.cos(2 * np.pi * (np.asarray(clock_h, dtype=float) - P) / 24)
    ha = np.asarray(hours_awake, dtype=float)
    w = np.where(np.isnan(ha), 0.0, WC * np.exp(-WD * np.nan_to_num(ha, nan=0.0)))
    return np.asarray(s, dtype=float) + c + w


def _local_midnight_utc(d: dt.date, tz: ZoneInfo) -> int:
    return int(dt.datetime.combine(d, dt.time(0), tzinfo=tz).timestamp())


def _intervals_to_mask(codes: np.ndarray, i0: np.ndarray, i1: np.ndarray, n_persons: int,
                       n_steps: int) -> np.ndarray:
    """Boolean (persons × steps) mask of the half-open step intervals [i0, i1) per person code."""
    i0 = np.clip(i0, 0, n_steps)
    i1 = np.clip(i1, 0, n_steps)
    ok = i1 > i0
    diff = np.zeros((n_persons, n_steps + 1), np.int32)
    np.add.at(diff, (codes[ok], i0[ok]), 1)
    np.add.at(diff, (codes[ok], i1[ok]), -1)
    return np.cumsum(diff[:, :-1], axis=1) > 0


def _alertness(asleep: np.ndarray, clock_h: np.ndarray) -> np.ndarray:
    """Alertness (persons × steps, NaN while asleep) from the sleep mask, in closed form per run.

    A run is a stretch of steps in one state (awake or asleep). Within a run S follows its closed form,
    ``S_t = asym + (S_run_start - asym) · r^t`` (``asym``, ``r`` = LA, exp(-D·step) awake; HA, exp(-G·step)
    asleep); only the runs' starting values are carried from run to run (a loop over run index,
    vectorised over persons: about two runs a day instead of 96 steps). W uses the steps since the run
    of wakefulness began. Identical to stepping the recursion, faster by the steps per run.
    """
    n, t_n = asleep.shape
    if n == 0 or t_n == 0:
        return np.empty((n, t_n))
    change = np.zeros((n, t_n), dtype=np.int64)
    change[:, 1:] = asleep[:, 1:] != asleep[:, :-1]
    rid = np.cumsum(change, axis=1)                     # run index of each step, per person
    n_runs = rid[:, -1] + 1
    r_max = int(n_runs.max())
    flat = (np.arange(n)[:, None] * r_max + rid).ravel()
    length = np.bincount(flat, minlength=n * r_max).reshape(n, r_max)
    starts = np.zeros((n, r_max), dtype=np.int64)
    starts[:, 1:] = np.cumsum(length, axis=1)[:, :-1]
    state = np.zeros((n, r_max), dtype=bool)            # asleep during run k
    rows = np.repeat(np.arange(n), r_max)
    valid = (np.arange(r_max)[None, :] < n_runs[:, None])
    state[valid] = asleep[rows[valid.ravel()], starts[valid]]
    ed, eg = math.exp(-D * STEP_H), math.exp(-G * STEP_H)
    asym = np.where(state, HA, LA)
    ratio = np.where(state, eg, ed)
    s_start = np.empty((n, r_max))
    s_start[:, 0] = S_START
    for k in range(r_max - 1):
        s_start[:, k + 1] = asym[:, k] + (s_start[:, k] - asym[:, k]) * ratio[:, k] ** length[:, k]
    def at(x: np.ndarray) -> np.ndarray:
        return np.take_along_axis(x, rid, axis=1)

    offset = (np.arange(t_n)[None, :] - at(starts)).astype(float)
    st = at(state)
    a = np.where(st, HA, LA)
    s = a + (at(s_start) - a) * np.exp(np.where(st, -G, -D) * STEP_H * offset)
    c = CA * np.cos(2 * np.pi * (clock_h - P) / 24)
    w = WC * np.exp(-WD * STEP_H * offset)
    return np.where(asleep, np.nan, s + c[None, :] + w)


def simulate(
    shifts: pd.DataFrame,
    start: dt.date | str,
    end: dt.date | str,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    persons: Iterable[str] | None = None,
) -> dict[str, np.ndarray]:
    """Run the model on the 15-minute grid over the local dates ``[start, end)``.

    Parameters
    ----------
    shifts : DataFrame
        ``person_id``, ``start``, ``end`` (tz-aware), ``duty_type`` (``parse_shifts`` frame); records
        up to :data:`WARMUP_DAYS` before ``start`` serve as warm-up.
    start, end : local dates (end exclusive).

    Returns
    -------
    dict
        ``persons`` (n,), ``t_utc`` (T,) step starts in UTC seconds, ``clock_h`` (T,) local clock hour,
        ``duty``, ``asleep`` (n × T bool), ``kss`` (n × T float, predicted KSS at each step's start;
        asleep steps NaN); only the steps inside the window.
    """
    tz = ZoneInfo(timezone)
    d0 = pd.Timestamp(start).date()
    d1 = pd.Timestamp(end).date()
    if d1 <= d0:
        raise ValueError("window end must be after its start")
    w_start = d0 - dt.timedelta(days=WARMUP_DAYS)
    t0 = _local_midnight_utc(w_start, tz)
    t1 = _local_midnight_utc(d1, tz)
    step = int(STEP_H * 3600)
    n_steps = (t1 - t0) // step
    t_utc = t0 + step * np.arange(n_steps, dtype=np.int64)
    local = pd.DatetimeIndex(t_utc.astype("datetime64[s]"), tz="UTC").tz_convert(timezone)
    clock_h = (local.hour + local.minute / 60).to_numpy(dtype=float)

    pid = shifts["person_id"].astype("str")
    if persons is None:
        names = pd.Index(sorted(pid.unique()), dtype="str")
    else:
        names = pd.Index(pd.unique(pd.Series(list(persons), dtype="str")))
    n = len(names)
    codes = names.get_indexer(pid)
    worked = shifts["duty_type"].isin(WORKED_DUTY_TYPES).to_numpy() & (codes >= 0)
    s_utc = shifts["start"].astype("datetime64[us, UTC]").array.asi8 // 1_000_000  # type: ignore[attr-defined]  # pandas-stubs lacks asi8
    e_utc = shifts["end"].astype("datetime64[us, UTC]").array.asi8 // 1_000_000  # type: ignore[attr-defined]  # pandas-stubs lacks asi8
    keep = worked & (e_utc > t0 - 2 * 86400) & (s_utc < t1)
    c, s, e = codes[keep].astype(np.int64), s_utc[keep], e_utc[keep]

    def idx(x: np.ndarray) -> np.ndarray:
        return np.floor((x - t0) / step).astype(np.int64)

    def idx_up(x: np.ndarray) -> np.ndarray:
        return np.ceil((x - t0) / step).astype(np.int64)

    commute = int(COMMUTE_H * 3600)
    duty = _intervals_to_mask(c, idx(s), idx_up(e), n, n_steps)
    busy = _intervals_to_mask(c, idx(s - commute), idx_up(e + commute), n, n_steps)
    # night duty: >= 3 h inside 22:00-06:00 local (windows anchored on the day before, of and after the
    # local start day, as core.schedules)
    night_h = np.zeros(len(s))
    if len(s):
        loc_start = pd.DatetimeIndex(s.astype("datetime64[s]"), tz="UTC").tz_convert(timezone)
        day_n = (loc_start.normalize().tz_localize(None).asi8 // {"s": 1, "ms": 10**3, "us": 10**6,
                                                                  "ns": 10**9}[loc_start.unit]) // 86400
        uniq, inv = np.unique(day_n, return_inverse=True)
        epoch = dt.date(1970, 1, 1)
        for off in (-1, 0, 1):
            n22 = np.array([int(dt.datetime.combine(epoch + dt.timedelta(days=int(d) + off), dt.time(22),
                                                    tzinfo=tz).timestamp()) for d in uniq], np.int64)[inv]
            n06 = np.array([int(dt.datetime.combine(epoch + dt.timedelta(days=int(d) + off + 1), dt.time(6),
                                                    tzinfo=tz).timestamp()) for d in uniq], np.int64)[inv]
            night_h += np.maximum(0, np.minimum(e, n06) - np.maximum(s, n22)) / 3600
    nd = night_h >= NIGHT_DUTY_MIN_H
    rec0 = e[nd] + commute
    recovery = _intervals_to_mask(c[nd], idx_up(rec0), idx_up(rec0 + int(DAY_SLEEP_H * 3600)), n, n_steps)
    lo, hi = NIGHT_SLEEP
    night_base = (clock_h >= lo) | (clock_h < hi)
    asleep = (night_base[None, :] | recovery) & ~busy

    a_out = _alertness(asleep, clock_h)
    # index of the window start (a clock change in the warm-up shifts it by whole steps)
    first = int(np.searchsorted(t_utc, _local_midnight_utc(d0, tz)))
    return {"persons": names.to_numpy(), "t_utc": t_utc[first:], "clock_h": clock_h[first:],
            "duty": duty[:, first:], "asleep": asleep[:, first:], "kss": kss_from_alertness(a_out[:, first:])
            if n else np.empty((0, n_steps - first))}


def fatigue_features(
    shifts: pd.DataFrame,
    start: dt.date | str,
    end: dt.date | str,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    persons: Iterable[str] | None = None,
    chunk: int = 1000,
) -> pd.DataFrame:
    """Per-person fatigue features over the window's duty time (columns :data:`FATIGUE_COLUMNS`).

    Duty time is counted on the 15-minute grid; a person without duty in the window gets peak and
    mean NaN, 0 h above the threshold and share NaN. Index ``person_id``. Persons are simulated in
    chunks of ``chunk`` (memory: about 30 bytes × chunk × steps).
    """
    pid = shifts["person_id"].astype("str")
    names = list(pd.unique(pd.Series(list(persons), dtype="str"))) if persons is not None else sorted(pid.unique())
    frames = []
    for i in range(0, max(len(names), 1), chunk):
        part = names[i:i + chunk]
        sub = shifts[pid.isin(part)]
        r = simulate(sub, start, end, timezone=timezone, persons=part)
        duty = r["duty"]
        kss = np.where(duty, r["kss"], np.nan)
        dh = duty.sum(axis=1) * STEP_H
        above = (np.nan_to_num(kss, nan=0.0) >= KSS_THRESHOLD) & duty
        with np.errstate(invalid="ignore", divide="ignore"):
            peak = np.where(dh > 0, np.nanmax(np.where(duty, kss, -np.inf), axis=1), np.nan)
            mean = np.where(dh > 0, np.nansum(kss, axis=1) * STEP_H / np.where(dh > 0, dh, 1), np.nan)
            share = np.where(dh > 0, above.sum(axis=1) * STEP_H / np.where(dh > 0, dh, 1), np.nan)
        frames.append(pd.DataFrame({
            "fatigue_kss_peak": peak, "fatigue_kss_mean": mean,
            "fatigue_hours_kss7": above.sum(axis=1) * STEP_H, "fatigue_share_kss7": share,
        }, index=pd.Index(r["persons"], name="person_id", dtype="str")))
        if not part:
            break
    return pd.concat(frames) if frames else pd.DataFrame(columns=list(FATIGUE_COLUMNS))


def shift_fatigue(
    shifts: pd.DataFrame,
    start: dt.date | str,
    end: dt.date | str,
    *,
    timezone: str = DEFAULT_TIMEZONE,
) -> pd.DataFrame:
    """Per-shift fatigue score of the worked shifts starting in the window.

    Returns
    -------
    DataFrame
        The worked records starting in ``[start, end)`` with ``kss_peak`` (highest predicted KSS during
        the shift), ``kss_mean`` and ``hours_kss7`` (h with KSS ≥ 7), in the input's order.
    """
    tz = ZoneInfo(timezone)
    r = simulate(shifts, start, end, timezone=timezone)
    w0 = _local_midnight_utc(pd.Timestamp(start).date(), tz)
    w1 = _local_midnight_utc(pd.Timestamp(end).date(), tz)
    su = shifts["start"].astype("datetime64[us, UTC]").array.asi8 // 1_000_000  # type: ignore[attr-defined]  # pandas-stubs lacks asi8
    eu = shifts["end"].astype("datetime64[us, UTC]").array.asi8 // 1_000_000  # type: ignore[attr-defined]  # pandas-stubs lacks asi8
    sel = shifts["duty_type"].isin(WORKED_DUTY_TYPES).to_numpy() & (su >= w0) & (su < w1)
    out = shifts.loc[sel].copy()
    row_of = {p: i for i, p in enumerate(r["persons"])}
    step = int(STEP_H * 3600)
    t = r["t_utc"]
    peaks, means, hours = [], [], []
    for p, a, b in zip(out["person_id"].astype(str), su[sel], eu[sel]):
        k0 = int(np.searchsorted(t, a - (a - t[0]) % step if len(t) else a))
        k1 = int(np.searchsorted(t, b))
        v = r["kss"][row_of[p], k0:k1]
        v = v[~np.isnan(v)]
        peaks.append(float(v.max()) if len(v) else math.nan)
        means.append(float(v.mean()) if len(v) else math.nan)
        hours.append(float((v >= KSS_THRESHOLD).sum() * STEP_H))
    return out.assign(kss_peak=peaks, kss_mean=means, hours_kss7=hours)
