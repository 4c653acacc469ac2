"""Planned shift records from a catalogue shift pattern (:mod:`wellbeing.core.patterns`): crews,
cycles and time zones (``flask shifts generate``, the demo and the what-if scenarios).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..patterns import CYCLE_ANCHOR, ShiftPattern, day_codes, get_pattern
from ..timeparse import DEFAULT_TIMEZONE, UTC_US, localize_earliest
from .records import shift_frame


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
        return shift_frame([], pd.Series([], dtype=UTC_US), pd.Series([], dtype=UTC_US), [], [], [])
    pid = np.concatenate([p[0] for p in parts])
    dates = np.concatenate([p[1] for p in parts]).astype("datetime64[m]")
    code_arr = np.concatenate([np.full(len(p[0]), codes_list.index(p[2])) for p in parts])
    t = [pat.templates[c] for c in codes_list]
    s_min = np.array([x.start.hour * 60 + x.start.minute for x in t], np.int64)[code_arr]
    l_min = np.array([round(x.hours * 60) for x in t], np.int64)[code_arr]
    brk = np.array([x.break_min for x in t], np.int64)[code_arr]
    duty = np.array([x.duty_type for x in t], dtype=object)[code_arr]
    cname = np.array(codes_list, dtype=object)[code_arr]
    st = localize_earliest(pd.Series(dates + s_min.astype("timedelta64[m]")), timezone)
    en = localize_earliest(pd.Series(dates + (s_min + l_min).astype("timedelta64[m]")), timezone)
    frame = shift_frame(pid, st, en, brk, duty, cname)
    order = np.lexsort((frame["start"].array.asi8,
                        pd.factorize(frame["person_id"], sort=True)[0]))
    return frame.iloc[order].reset_index(drop=True)
