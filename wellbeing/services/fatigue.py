"""The fatigue index per reporting group of a wave, released like the other schedule features, and usable as a
model exposure (issue 23).

:func:`wellbeing.core.fatigue.fatigue_features` per officer of the wave's groups over its reference window,
aggregated per group by :func:`wellbeing.core.schedules.thresholds.aggregate_features` and released by
:func:`wellbeing.services.schedules.release_features` (the one gate of group features: no numbers under K
officers, means rounded once). The simulation costs several times the other features (118 s for the demo's
6,968 officers on the loaded 2-core test machine, against 20 s for all other features), so it is computed
only on request and cached per process; the exposures are offered to the models when the configuration key
``SCHEDULE_FATIGUE_EXPOSURES`` is true.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..core.fatigue import fatigue_features
from ..core.schedules.thresholds import aggregate_features
from ..core.timeparse import DEFAULT_TIMEZONE
from ..models import Wave
from .roster import load_shifts
from .schedules import FeaturesError, release_features, released_wave_features

log = logging.getLogger(__name__)

#: Fatigue exposures: name -> (per-officer column of core.fatigue, factor to the exposure's unit, unit).
FATIGUE_EXPOSURES: dict[str, tuple[str, float, str]] = {
    "fatigue_duty_pct_kss7": ("fatigue_share_kss7", 100.0, "% of duty hours at predicted KSS >= 7"),
    "fatigue_kss_peak": ("fatigue_kss_peak", 1.0, "highest predicted KSS on duty (1-9)"),
}
_CACHE: dict[tuple, pd.DataFrame] = {}


def _utc(d, tz: str = DEFAULT_TIMEZONE) -> int:  # type: ignore[no-untyped-def]
    import datetime as dt
    from zoneinfo import ZoneInfo

    return int(dt.datetime.combine(d, dt.time(0), tzinfo=ZoneInfo(tz)).timestamp())


def officer_fatigue(wave: Wave) -> pd.DataFrame:
    """Unreleased per-officer fatigue of the wave's groups (index ``person_id``, FATIGUE columns + ``group``)."""
    wf, _rel = released_wave_features(wave)
    key = (id(wf), wave.id)
    if key not in _CACHE:
        start, end = wf.window
        persons = list(wf.persons.index)
        shifts = load_shifts(persons, _utc(start) - 8 * 86400, _utc(end))
        f = fatigue_features(shifts, start, end, persons=persons)
        for name, (col, factor, _unit) in FATIGUE_EXPOSURES.items():
            f[name] = f[col] * factor
        _CACHE.clear()
        _CACHE[key] = f.assign(group=wf.persons["group"].reindex(f.index))
        log.info("wave %s: fatigue of %d officers", wave.slug, len(f))
    return _CACHE[key]


def group_fatigue(wave: Wave) -> pd.DataFrame:
    """Released fatigue exposures per group: ``group`` and one column per :data:`FATIGUE_EXPOSURES` name
    (NaN for a group under K officers). Raises FeaturesError as the features do."""
    wf, _rel = released_wave_features(wave)
    if wf.shifts_in_window == 0:
        raise FeaturesError(f"wave {wave.slug!r}: no shift records start in its reference window")
    f = officer_fatigue(wave)
    table = aggregate_features(f[list(FATIGUE_EXPOSURES)], f["group"].dropna())
    table["officers"] = table["group"].map(wf.officers).astype(np.int64)
    released = release_features(table, wave.min_cell)
    wide = released.pivot_table(index="group", columns="feature", values="mean", aggfunc="first", dropna=False)
    out = pd.DataFrame({"group": sorted(wf.officers)})
    for name in FATIGUE_EXPOSURES:
        col = wide[name] if name in wide else pd.Series(dtype=float)
        out[name] = out["group"].map(col).astype(float)
    return out
