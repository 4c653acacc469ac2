"""Accounting periods of working time and overtime by them (KZ Labour Code art. 78, DESIGN.md 5).

Each officer's roster row names an accounting period (:data:`~wellbeing.core.roster.ACCOUNTING_PERIODS`:
ISO week, calendar month, quarter, year; default :data:`DEFAULT_ACCOUNTING_PERIOD`); overtime is the
hours above each period's norm (:func:`overtime_by_accounting_period`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..roster import ACCOUNTING_PERIODS

# ACCOUNTING_PERIODS (core.roster: the roster column ``accounting_period``): ``week`` = ISO weeks
# (Monday 00:00 local), the ordinary weekly accounting (KZ Labour Code art. 68, 40 h/week); ``month``,
# ``quarter``, ``year`` = calendar periods of summarised accounting of working time, whose accounting
# period may not exceed one year.
#: Accounting period of an officer whose roster row gives none: a calendar month (summarised monthly
#: accounting, the usual one for shift work and 24-hour duties). The norm of any period is the
#: contract's weekly norm x the period's days / 7.
DEFAULT_ACCOUNTING_PERIOD = "month"


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


def person_periods(value: str | Mapping[str, str] | pd.Series, names: pd.Index) -> np.ndarray:
    """Each person's accounting period kind, in the order of ``names`` (object array).

    ``value``: one kind for everybody or a mapping person -> kind; missing or blank ->
    :data:`DEFAULT_ACCOUNTING_PERIOD`, case and spaces ignored. Raises ``ValueError`` naming the kinds
    not in :data:`~wellbeing.core.roster.ACCOUNTING_PERIODS`.
    """
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
