"""What overtime costs and what the paperwork takes (issue 22), pure: no Flask, no database.

Inputs are frames, so that the overtime counting of the features work can replace
:func:`legal_overtime` without touching the money:

* a **person frame** (index ``person_id``) with ``group``, ``position``, ``contract_hours_week``,
  ``norm_hours`` (the accounting period's norm over the window), ``worked_hours``,
  ``overtime_hours`` (by the legal accounting period), ``above_day_h``, ``above_month_h``,
  ``above_year_h``, ``night_hours``, ``weekend_hours`` and, for paperwork, ``shifts_per_week`` and
  ``unit_type`` (:func:`legal_overtime` gives the hour columns);
* a **pay-rates file** (:func:`parse_rates`, contract in ``docs/cli.md``): one row per position,
  ``position,hourly_rate,currency,overtime,night,holiday`` — no personal salaries;
* a **paperwork register** (:func:`parse_register`): ``unit_type,form,per,times,minutes``.

Legal limits on overtime: Labour Code of the Republic of Kazakhstan, art. 78 — at most 2 h a day,
12 h a month and 120 h a year (:data:`DAY_LIMIT_H`, :data:`MONTH_LIMIT_H`, :data:`YEAR_LIMIT_H`).
Premiums are multipliers of the hourly rate given in the rates file (art. 108–110 set them at not
less than 1.5 for overtime, night and holiday work; the file states what is actually paid).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .schedules.accounting import DEFAULT_ACCOUNTING_PERIOD, accounting_periods
from .schedules.definitions import MONTH_DAYS
from .shifts.records import WORKED_DUTY_TYPES
from .tables import ImportRejected, RowError, read_table
from .timeparse import DEFAULT_TIMEZONE

__all__ = [
    "DAY_LIMIT_H",
    "MONTH_LIMIT_H",
    "PER_VALUES",
    "PaperForm",
    "PayRate",
    "RATES_COLUMNS",
    "REGISTER_COLUMNS",
    "YEAR_LIMIT_H",
    "aggregate_costs",
    "apply_form_changes",
    "legal_overtime",
    "paperwork_hours",
    "parse_rates",
    "parse_register",
    "person_costs",
]

#: Overtime limits, Labour Code of the Republic of Kazakhstan art. 78 (h).
DAY_LIMIT_H = 2.0
MONTH_LIMIT_H = 12.0
YEAR_LIMIT_H = 120.0
DAYS_PER_YEAR = 365.25
RATES_COLUMNS = ("position", "hourly_rate", "currency", "overtime", "night", "holiday")
REGISTER_COLUMNS = ("unit_type", "form", "per", "times", "minutes")
#: ``per`` of a register row → occurrences per officer-week (``shift`` uses the officer's shifts/week).
PER_VALUES: dict[str, float | None] = {"shift": None, "day": 7.0, "week": 1.0,
                                       "month": 7 * 12 / DAYS_PER_YEAR, "year": 7 / DAYS_PER_YEAR}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
#: Default row of a rates file: applies to positions not listed.
ANY = "*"


@dataclass(frozen=True)
class PayRate:
    """Pay of one position: hourly rate (currency units/h) and premium multipliers of that rate."""

    position: str
    hourly_rate: float
    currency: str
    overtime: float
    night: float
    holiday: float


@dataclass(frozen=True)
class PaperForm:
    """One reporting form of a unit type: ``times`` per ``per``, ``minutes`` each."""

    unit_type: str
    form: str
    per: str
    times: float
    minutes: float

    def per_week(self, shifts_per_week: float) -> float:
        """Hours of this form per officer-week."""
        f = PER_VALUES[self.per]
        return self.times * self.minutes / 60 * (shifts_per_week if f is None else f)


def _number(value: str, row: int, col: str, errors: list[RowError], *, minimum: float,
            strict: bool = False) -> float:
    try:
        x = float(value.replace(",", ".")) if value else math.nan
    except ValueError:
        x = math.nan
    if not math.isfinite(x):
        errors.append(RowError(row, col, value, "number", "not a number"))
        return math.nan
    if x < minimum or (strict and x == minimum):
        op = ">" if strict else ">="
        errors.append(RowError(row, col, value, "range", f"must be {op} {minimum:g}"))
    return x


def parse_rates(data: bytes | str, *, delimiter: str | None = None, encoding: str = "utf-8") -> dict[str, PayRate]:
    """Parse a pay-rates file (all or nothing).

    Columns ``position,hourly_rate,currency,overtime,night,holiday``: ``hourly_rate`` > 0 in
    ``currency`` (ISO 4217 code, one currency for the whole file); ``overtime``, ``night`` and
    ``holiday`` are multipliers ≥ 1 of the hourly rate. ``position`` ``*`` is the rate of positions
    not listed. Decimal comma accepted.

    Raises
    ------
    ImportRejected
        With row and column of every problem (missing column, empty or duplicate position, not a
        number, out of range, bad or mixed currency, no rows).
    """
    table = read_table(data, required=RATES_COLUMNS, delimiter=delimiter, encoding=encoding)
    errors: list[RowError] = []
    out: dict[str, PayRate] = {}
    currencies: dict[str, int] = {}
    for row, rec in table.rows:
        pos = rec["position"]
        if not pos:
            errors.append(RowError(row, "position", "", "required", "position is empty"))
        elif pos in out:
            errors.append(RowError(row, "position", pos, "duplicate", "position listed twice"))
        rate = _number(rec["hourly_rate"], row, "hourly_rate", errors, minimum=0, strict=True)
        mult = {c: _number(rec[c], row, c, errors, minimum=1) for c in ("overtime", "night", "holiday")}
        cur = rec["currency"].upper()
        if not _CURRENCY.match(cur):
            errors.append(RowError(row, "currency", rec["currency"], "currency", "not a 3-letter ISO 4217 code"))
        elif currencies and cur not in currencies:
            first = next(iter(currencies))
            errors.append(RowError(row, "currency", cur, "mixed_currency",
                                   f"one currency per file (row {currencies[first]} has {first})"))
        else:
            currencies.setdefault(cur, row)
        if pos and pos not in out:
            out[pos] = PayRate(pos, rate, cur, mult["overtime"], mult["night"], mult["holiday"])
    if not table.rows:
        errors.append(RowError(None, None, None, "empty", "no rates in the file"))
    if errors:
        raise ImportRejected(errors)
    return out


def parse_register(data: bytes | str, *, delimiter: str | None = None,
                   encoding: str = "utf-8") -> tuple[PaperForm, ...]:
    """Parse a paperwork register (all or nothing).

    Columns ``unit_type,form,per,times,minutes``: ``per`` one of :data:`PER_VALUES`, ``times`` > 0,
    ``minutes`` > 0; a (unit_type, form) pair at most once. ``unit_type`` ``*`` applies to every unit.

    Raises
    ------
    ImportRejected
        With row and column of every problem.
    """
    table = read_table(data, required=REGISTER_COLUMNS, delimiter=delimiter, encoding=encoding)
    errors: list[RowError] = []
    out: list[PaperForm] = []
    seen: set[tuple[str, str]] = set()
    for row, rec in table.rows:
        for col in ("unit_type", "form"):
            if not rec[col]:
                errors.append(RowError(row, col, "", "required", f"{col} is empty"))
        per = rec["per"].lower()
        if per not in PER_VALUES:
            errors.append(RowError(row, "per", rec["per"], "per", f"one of {', '.join(PER_VALUES)}"))
        times = _number(rec["times"], row, "times", errors, minimum=0, strict=True)
        minutes = _number(rec["minutes"], row, "minutes", errors, minimum=0, strict=True)
        key = (rec["unit_type"].casefold(), rec["form"].casefold())
        if rec["unit_type"] and rec["form"]:
            if key in seen:
                errors.append(RowError(row, "form", rec["form"], "duplicate", "form listed twice for this unit type"))
            seen.add(key)
        out.append(PaperForm(rec["unit_type"], rec["form"], per, times, minutes))
    if not table.rows:
        errors.append(RowError(None, None, None, "empty", "no forms in the file"))
    if errors:
        raise ImportRejected(errors)
    return tuple(out)


# ------------------------------------------------------------------------------ hours by the law


def _wall(seconds: np.ndarray, tz: str) -> np.ndarray:
    idx = pd.DatetimeIndex(seconds.astype("datetime64[s]"), tz="UTC").tz_convert(tz).tz_localize(None)
    return idx.asi8 // {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[idx.unit]


def _months(kind: str, a: dt.date, b: dt.date) -> float:
    """Months in an accounting period: whole calendar months for month/quarter/year periods, else days / 30.4375."""
    if kind in ("month", "quarter", "year") and a.day == 1 and b.day == 1:
        return float((b.year - a.year) * 12 + b.month - a.month)
    return (b - a).days / MONTH_DAYS


def legal_overtime(
    shifts: pd.DataFrame,
    start: dt.date | str,
    end: dt.date | str,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    contract_hours: Mapping[str, float] | float = 40.0,
    accounting_period: Mapping[str, str | None] | str = DEFAULT_ACCOUNTING_PERIOD,
    persons: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Overtime by the legal accounting period and hours above each art. 78 limit, per person.

    Accounting as :func:`wellbeing.core.schedules.accounting.overtime_by_accounting_period` (the
    features' ``overtime_hours``): each person's accounting period (roster column ``accounting_period``:
    week, month — the default —, quarter, year) gives the periods of
    :func:`~wellbeing.core.schedules.accounting.accounting_periods` (the complete calendar periods inside
    the window, else the window itself);
    a period's norm is ``contract_hours_week / 7`` per day; ``overtime_p = max(0, worked_p − norm_p)``
    (net worked hours of shifts starting in *p*) and ``overtime_hours = Σ_p overtime_p``. Hours above
    the limits:

    * ``above_day_h`` = Σ over local days of max(0, net hours of ``overtime`` records starting that
      day − 2) (the daily limit concerns work ordered beyond the day's schedule, i.e. the records
      typed overtime);
    * ``above_month_h`` = Σ_p max(0, overtime_p − 12 × months of *p*) (whole calendar months; a week
      or a window period counts days / 30.4375);
    * ``above_year_h`` = max(0, overtime_hours − 120 × days counted / 365.25) (pro rata: the window
      is shorter than a year).

    Also ``worked_hours``, ``norm_hours``, ``night_hours`` (worked hours in 22:00–06:00 local, KZ
    Labour Code art. 110) and ``weekend_hours`` (worked hours on local Saturdays and Sundays, paid
    at the ``holiday`` premium here — public holidays are not in the data). All in hours; index
    ``person_id``.
    """
    zi = ZoneInfo(timezone)
    d0, d1 = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    if d1 <= d0:
        raise ValueError("window end must be after its start")
    pid = shifts["person_id"].astype("str")
    names = pd.Index(pd.unique(pd.Series(list(persons), dtype="str")) if persons is not None
                     else sorted(pid.unique()), name="person_id", dtype="str")
    code = names.get_indexer(pd.Index(pid))
    su = shifts["start"].astype("datetime64[us, UTC]").array.asi8 // 1_000_000  # type: ignore[attr-defined]  # pandas-stubs lacks asi8
    eu = shifts["end"].astype("datetime64[us, UTC]").array.asi8 // 1_000_000  # type: ignore[attr-defined]  # pandas-stubs lacks asi8
    ws, we = _wall(su, timezone), _wall(eu, timezone)
    epoch = dt.date(1970, 1, 1)
    w0, w1 = (d0 - epoch).days * 86400, (d1 - epoch).days * 86400
    sel = (code >= 0) & shifts["duty_type"].isin(WORKED_DUTY_TYPES).to_numpy() & (ws >= w0) & (ws < w1)
    c, s, e, wsl, wel = code[sel], su[sel], eu[sel], ws[sel], we[sel]
    brk = shifts["break_min"].to_numpy(dtype=float)[sel] * 60
    net = (e - s - brk) / 3600
    elapsed = (e - s).astype(float)
    scale = np.where(wel > wsl, elapsed / np.maximum(wel - wsl, 1), 1.0)   # wall -> elapsed (clock change)
    is_ot = shifts["duty_type"].to_numpy()[sel] == "overtime"
    n = len(names)
    out = pd.DataFrame(index=names)
    out["worked_hours"] = np.bincount(c, weights=net, minlength=n)
    # night and weekend hours: wall-clock overlaps with each local day touched (at most 3 days: records <= 36 h)
    night = np.zeros(len(s))
    weekend = np.zeros(len(s))
    day = wsl // 86400
    for off in (-1, 0, 1, 2):
        dd = day + off
        a = dd * 86400
        n22, n06 = a + 22 * 3600, a + 30 * 3600
        night += np.maximum(0, np.minimum(wel, n06) - np.maximum(wsl, n22))
        wd = (dd + 3) % 7  # Monday = 0
        ov = np.maximum(0, np.minimum(wel, a + 86400) - np.maximum(wsl, a))
        weekend += np.where(wd >= 5, ov, 0)
    out["night_hours"] = np.bincount(c, weights=night * scale / 3600, minlength=n)
    out["weekend_hours"] = np.bincount(c, weights=weekend * scale / 3600, minlength=n)
    # daily limit on overtime records
    if is_ot.any():
        key = c[is_ot].astype(np.int64) * 100_000 + day[is_ot]
        uk, inv = np.unique(key, return_inverse=True)
        per_day = np.bincount(inv, weights=net[is_ot])
        out["above_day_h"] = np.bincount((uk // 100_000).astype(np.int64),
                                         weights=np.maximum(0, per_day - DAY_LIMIT_H), minlength=n)
    else:
        out["above_day_h"] = 0.0
    # accounting periods (core.schedules.accounting.accounting_periods: complete calendar periods in the window,
    # else the window itself), per person's kind
    if isinstance(contract_hours, Mapping):
        ch = np.array([float(contract_hours.get(p, 40.0)) for p in names])
    else:
        ch = np.full(n, float(contract_hours))
    if isinstance(accounting_period, Mapping):
        kinds = np.array([str(accounting_period.get(p) or DEFAULT_ACCOUNTING_PERIOD) for p in names], dtype=object)
    else:
        kinds = np.full(n, str(accounting_period or DEFAULT_ACCOUNTING_PERIOD), dtype=object)
    ot_total = np.zeros(n)
    above_m = np.zeros(n)
    norm_total = np.zeros(n)
    days_counted = np.zeros(n)
    for kind in sorted(set(kinds)):
        who = kinds == kind
        for pa, pb in accounting_periods(kind, d0, d1):
            lo, hi = (pa - epoch).days * 86400, (pb - epoch).days * 86400
            inp = (wsl >= lo) & (wsl < hi)
            worked_p = np.bincount(c[inp], weights=net[inp], minlength=n)
            days_p = (pb - pa).days
            norm_p = ch / 7 * days_p
            ot_p = np.maximum(0, worked_p - norm_p)
            months = _months(kind, pa, pb)
            ot_total += np.where(who, ot_p, 0)
            norm_total += np.where(who, norm_p, 0)
            days_counted += np.where(who, days_p, 0)
            above_m += np.where(who, np.maximum(0, ot_p - MONTH_LIMIT_H * months), 0)
    out["norm_hours"] = norm_total
    out["overtime_hours"] = ot_total
    out["above_month_h"] = above_m
    out["above_year_h"] = np.maximum(0, ot_total - YEAR_LIMIT_H * days_counted / DAYS_PER_YEAR)
    out["days_counted"] = days_counted
    out["contract_hours_week"] = ch
    del zi
    return out


# ------------------------------------------------------------------------------------- money


def _rate_of(position: object, rates: Mapping[str, PayRate]) -> PayRate | None:
    if isinstance(position, str) and position in rates:
        return rates[position]
    return rates.get(ANY)


def person_costs(persons: pd.DataFrame, rates: Mapping[str, PayRate], window_days: int) -> pd.DataFrame:
    """Cost of each person's overtime, night and weekend hours, and the compliance scenario.

    For a person with hourly rate *r* and multipliers *m_ot*, *m_night*, *m_hol*:

    * ``overtime_cost`` = overtime_hours × r × m_ot (overtime is paid whole at the premium rate);
    * ``night_premium`` = night_hours × r × (m_night − 1) and ``weekend_premium`` = weekend_hours × r
      × (m_hol − 1) (the extra above the hours' ordinary pay);
    * ``premium_cost`` = the three together;
    * compliance scenario: ``hours_moved`` = max(above_day_h, above_month_h, above_year_h) — the
      overtime that must go to keep the strictest of the art. 78 limits (a lower bound: the limits
      may bind on different days); ``fte_moved`` = hours_moved / (contract_hours_week × weeks of the
      accounting periods counted, ``days_counted`` / 7, else of the window), the officers-equivalent needed to work
      those hours in normal time;
      ``cost_moved_now`` = hours_moved × r × m_ot, ``cost_moved_regular`` = hours_moved × r and
      ``savings`` = their difference, hours_moved × r × (m_ot − 1).

    Raises
    ------
    KeyError
        If a person's position has no rate and the file has no ``*`` row (message lists them).
    """
    missing = sorted({str(p) for p in persons["position"].fillna("(none)")
                      if _rate_of(p if p == p else None, rates) is None})
    if missing:
        raise KeyError("no pay rate for position(s): " + ", ".join(missing) + " (add them or a '*' row)")
    rs = [rate for p in persons["position"] if (rate := _rate_of(p if p == p else None, rates)) is not None]
    r = np.array([x.hourly_rate for x in rs])
    m_ot = np.array([x.overtime for x in rs])
    m_n = np.array([x.night for x in rs])
    m_h = np.array([x.holiday for x in rs])
    out = persons.copy()
    out["hourly_rate"] = r
    out["overtime_cost"] = out["overtime_hours"] * r * m_ot
    out["night_premium"] = out["night_hours"] * r * (m_n - 1)
    out["weekend_premium"] = out["weekend_hours"] * r * (m_h - 1)
    out["premium_cost"] = out["overtime_cost"] + out["night_premium"] + out["weekend_premium"]
    moved = np.maximum.reduce([out["above_day_h"], out["above_month_h"], out["above_year_h"]])
    out["hours_moved"] = moved
    days = out["days_counted"] if "days_counted" in out else window_days
    out["fte_moved"] = moved / (out["contract_hours_week"] * days / 7)
    out["cost_moved_now"] = moved * r * m_ot
    out["cost_moved_regular"] = moved * r
    out["savings"] = out["cost_moved_now"] - out["cost_moved_regular"]
    return out


#: Summed columns of :func:`aggregate_costs` (hours in h, costs in the file's currency, FTE in officers).
SUM_COLUMNS = ("worked_hours", "overtime_hours", "above_day_h", "above_month_h", "above_year_h", "night_hours",
               "weekend_hours", "overtime_cost", "night_premium", "weekend_premium", "premium_cost",
               "hours_moved", "fte_moved", "cost_moved_now", "cost_moved_regular", "savings",
               "paperwork_hours", "days_counted")


def aggregate_costs(persons: pd.DataFrame, levels: Mapping[str, Mapping[str, str]]) -> pd.DataFrame:
    """Sums per group and per higher level (unreleased: the caller's gate decides what is shown).

    Parameters
    ----------
    persons : :func:`person_costs` output with a ``group`` column (and optionally ``paperwork_hours``).
    levels : level name → mapping group → that level's key, e.g. ``{"region": {"g1": "krg"},
        "all": {"g1": "*"}}``; the group level itself is always included.

    Returns
    -------
    DataFrame
        ``level``, ``key``, ``officers``, ``groups`` (groups below the row), the :data:`SUM_COLUMNS`
        present, ``overtime_hours_per_officer_month`` (overtime_hours / officers / window months is
        left to the caller, who knows the window) — one row per group, then per level key.
    """
    cols = [c for c in SUM_COLUMNS if c in persons.columns]
    p = persons[persons["group"].notna()]
    g = p.groupby("group")[cols].sum()
    g.insert(0, "officers", p.groupby("group").size())
    g.insert(1, "groups", 1)
    g = g.reset_index().rename(columns={"group": "key"})
    g.insert(0, "level", "group")
    frames = [g]
    for name, mapping in levels.items():
        k = g["key"].map(mapping)
        h = g.assign(key=k).dropna(subset=["key"]).groupby("key")[["officers", "groups", *cols]].sum().reset_index()
        h.insert(0, "level", name)
        frames.append(h)
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------- paperwork


def apply_form_changes(register: Sequence[PaperForm], remove: Iterable[str] = (),
                       merge: Iterable[tuple[str, str]] = ()) -> tuple[PaperForm, ...]:
    """The register after removing forms and merging pairs (names compared case-insensitively).

    A merged pair ``(a, b)`` becomes one form ``a + b`` per unit type, filled ``max(times)`` per
    ``per`` and taking the longer form's ``minutes`` (assumption: the merged form asks what the
    longer one asked). Both forms of a unit type must have the same ``per``. Raises ValueError for
    a name not in the register or a pair with different ``per``.
    """
    names = {f.form.casefold() for f in register}
    gone = {r.casefold() for r in remove}
    pairs = [(a.casefold(), b.casefold()) for a, b in merge]
    unknown = sorted((gone | {x for pr in pairs for x in pr}) - names)
    if unknown:
        raise ValueError("not in the register: " + ", ".join(unknown))
    out = [f for f in register if f.form.casefold() not in gone]
    for a, b in pairs:
        by_type: dict[str, list[PaperForm]] = {}
        for f in out:
            if f.form.casefold() in (a, b):
                by_type.setdefault(f.unit_type, []).append(f)
        out = [f for f in out if f.form.casefold() not in (a, b)]
        for ut, fs in by_type.items():
            if len({f.per for f in fs}) > 1:
                raise ValueError(f"cannot merge {fs[0].form!r} (per {fs[0].per}) with {fs[1].form!r} "
                                 f"(per {fs[1].per}) for {ut!r}: merge forms filled per the same unit")
            out.append(PaperForm(ut, " + ".join(f.form for f in fs), fs[0].per, max(f.times for f in fs),
                                 max(f.minutes for f in fs)))
    return tuple(out)


def paperwork_hours(persons: pd.DataFrame, register: Sequence[PaperForm]) -> pd.Series:
    """Paperwork hours per officer-week: Σ over the forms of the officer's unit type (and ``*``) of
    times × minutes / 60 × occurrences per week (``per`` = shift: the officer's ``shifts_per_week``).

    ``persons`` needs ``unit_type`` and ``shifts_per_week``. Unit types compare case-insensitively.
    """
    by_type: dict[str, list[PaperForm]] = {}
    for f in register:
        by_type.setdefault(f.unit_type.casefold(), []).append(f)
    common = by_type.get(ANY, [])
    vals = []
    for ut, spw in zip(persons["unit_type"], persons["shifts_per_week"]):
        forms = by_type.get(str(ut).casefold(), []) + common
        vals.append(sum(f.per_week(float(spw)) for f in forms))
    return pd.Series(vals, index=persons.index, name="paperwork_h_week", dtype=float)
