"""Overtime by art. 78 limits, its cost from a rates file, the compliance scenario and paperwork hours,
each against a hand calculation; bad rates and register files refused with row and column."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from wellbeing.core import economics as ec
from wellbeing.core.shifts.records import parse_shifts
from wellbeing.core.tables import ImportRejected

HEADER = "person_id,start,end,break_min,duty_type,shift_code\n"
RATES = ("position,hourly_rate,currency,overtime,night,holiday\n"
         "patrol,1000,KZT,1.5,1.5,2\n"
         "duty,800,KZT,1.5,1.5,1.5\n")


def _a_rows() -> str:
    # A: Mon-Fri 09:00-19:00 for the 4 weeks of 1-28 January 2024, plus an overtime record Sat 6 Jan 10:00-15:00
    days = [d for d in pd.date_range("2024-01-01", "2024-01-28") if d.weekday() < 5]
    rows = "".join(f"A,{d:%Y-%m-%d} 09:00,{d:%Y-%m-%d} 19:00,0,regular,\n" for d in days)
    rows += "A,2024-01-06 10:00,2024-01-06 15:00,0,overtime,\n"
    # B: two night shifts 19:00-07:00 from Mon 1 and Tue 2 January
    rows += "B,2024-01-01 19:00,2024-01-02 07:00,0,regular,\nB,2024-01-02 19:00,2024-01-03 07:00,0,regular,\n"
    return rows


def overtime() -> pd.DataFrame:
    sh = parse_shifts(io.StringIO(HEADER + _a_rows()))
    return ec.legal_overtime(sh, "2024-01-01", "2024-01-29", contract_hours={"A": 40, "B": 40})


def test_overtime_above_each_legal_limit_by_hand():
    """The window 1-28 January holds no complete month: the window itself is the accounting period
    (core.schedules.accounting.accounting_periods). A: norm 40/7 × 28 = 160 h; worked 20 × 10 + 5 = 205 h → 45 h
    of overtime. Daily limit: the 5 h overtime record on 6 Jan is 3 h over 2 h. Monthly: 45 − 12 ×
    28/30.4375 = 33.96 h.
    Yearly (pro rata): 45 − 120 × 28/365.25 = 35.801 h. Weekend hours: 5 (Saturday). B: 16 night
    hours (8 of each 19:00-07:00 shift in 22:00-06:00), no overtime."""
    f = overtime()
    a, b = f.loc["A"], f.loc["B"]
    assert a["norm_hours"] == pytest.approx(160.0)
    assert a["worked_hours"] == pytest.approx(205.0)
    assert a["overtime_hours"] == pytest.approx(45.0)
    assert a["above_day_h"] == pytest.approx(3.0)
    assert a["above_month_h"] == pytest.approx(45 - 12 * 28 / 30.4375)
    assert a["above_year_h"] == pytest.approx(45 - 120 * 28 / 365.25)
    assert a["weekend_hours"] == pytest.approx(5.0) and a["night_hours"] == 0
    assert b["night_hours"] == pytest.approx(16.0) and b["overtime_hours"] == 0 and b["above_day_h"] == 0


def test_24_72_at_42_hours_a_week_stays_under_the_monthly_limit():
    """A 24/72 officer (one 24-h duty every 4 days, 42 h/week) in April 2024 (30 days): duties start
    1, 5, ..., 29 April = 8 duties = 192 h against a norm of 40/7 × 30 = 171.43 h: 20.57 h of
    overtime, 8.57 h above the 12 h monthly limit (not the ~26 h/month a weekly count gives)."""
    rows = "".join(f"S,2024-04-{d:02d} 09:00,2024-04-{d + 1:02d} 09:00,0,regular,\n" for d in range(1, 30, 4))
    f = ec.legal_overtime(parse_shifts(io.StringIO(HEADER + rows)), "2024-04-01", "2024-05-01").loc["S"]
    assert f["overtime_hours"] == pytest.approx(192 - 40 / 7 * 30)
    assert f["above_month_h"] == pytest.approx(192 - 40 / 7 * 30 - 12)
    # quarterly accounting over 1-29 April (no complete quarter: the window is the period, 28 days):
    # duties 1, 5, ..., 25 April = 7 × 24 = 168 h against 160 h: 8 h, under 12 × 28/30.4375 = 11.04 h
    q = ec.legal_overtime(parse_shifts(io.StringIO(HEADER + rows)), "2024-04-01", "2024-04-29",
                          accounting_period="quarter").loc["S"]
    assert q["overtime_hours"] == pytest.approx(8.0)
    assert q["above_month_h"] == 0 and q["days_counted"] == 28


def test_cost_and_compliance_scenario_by_hand():
    """A (patrol, 1000 KZT/h, overtime ×1.5, holiday ×2): overtime 45 h × 1000 × 1.5 = 67,500; weekend
    premium 5 h × 1000 × (2 − 1) = 5,000. B (duty, 800, night ×1.5): night premium 16 × 800 × 0.5 =
    6,400. Compliance: A must lose max(3, 34.16, 35.80) = 35.80 h; FTE = 35.80 / 160 = 0.2238;
    savings = 35.80 × 1000 × 0.5 = 17,900."""
    rates = ec.parse_rates(RATES)
    p = overtime().assign(position=["patrol", "duty"], group=["g1", "g2"])
    c = ec.person_costs(p, rates, window_days=28)
    moved = 45 - 120 * 28 / 365.25
    assert c.loc["A", "overtime_cost"] == pytest.approx(67_500)
    assert c.loc["A", "weekend_premium"] == pytest.approx(5_000)
    assert c.loc["A", "premium_cost"] == pytest.approx(72_500)
    assert c.loc["B", "night_premium"] == pytest.approx(6_400)
    assert c.loc["A", "hours_moved"] == pytest.approx(moved)
    assert c.loc["A", "fte_moved"] == pytest.approx(moved / 160)
    assert c.loc["A", "savings"] == pytest.approx(moved * 500)
    assert c.loc["B", "hours_moved"] == 0
    agg = ec.aggregate_costs(c, {"all": {"g1": "*", "g2": "*"}})
    top = agg[agg["level"] == "all"].iloc[0]
    assert (top["officers"], top["groups"]) == (2, 2)
    assert top["premium_cost"] == pytest.approx(72_500 + 6_400)


def test_unknown_position_without_default_row_is_refused():
    p = overtime().assign(position=["patrol", "sergeant"], group="g")
    with pytest.raises(KeyError, match="sergeant"):
        ec.person_costs(p, ec.parse_rates(RATES), 28)
    rates = ec.parse_rates(RATES + "*,500,KZT,1.5,1.5,1.5\n")
    assert ec.person_costs(p, rates, 28).loc["B", "hourly_rate"] == 500


def test_paperwork_hours_per_officer_week_by_hand():
    """patrol: incident report 1 per shift × 25 min, weekly summary 1 per week × 60 min; every unit (*):
    2 per month × 30 min. A patrol officer on 5 shifts/week: 5 × 25/60 + 1 + 2 × 0.5 × 84/365.25 =
    2.0833 + 1 + 0.2300 = 3.3133 h. A duty officer on 2 shifts: only the monthly form, 0.2300 h."""
    reg = ec.parse_register("unit_type,form,per,times,minutes\n"
                            "patrol,incident report,shift,1,25\n"
                            "patrol,weekly summary,week,1,60\n"
                            "*,monthly report,month,2,30\n")
    persons = pd.DataFrame({"unit_type": ["Patrol", "duty"], "shifts_per_week": [5.0, 2.0]}, index=["A", "B"])
    h = ec.paperwork_hours(persons, reg)
    monthly = 2 * 0.5 * 7 * 12 / 365.25
    assert h["A"] == pytest.approx(5 * 25 / 60 + 1 + monthly)
    assert h["B"] == pytest.approx(monthly)
    # scenario: remove the weekly summary, merge incident report with the monthly report
    fewer = ec.apply_form_changes(reg, remove=["Weekly summary"])
    assert ec.paperwork_hours(persons, fewer)["A"] == pytest.approx(5 * 25 / 60 + monthly)
    # merge the shift log (per shift, 10 min) into the incident report (per shift, 25 min): 25 min a shift
    reg2 = reg + ec.parse_register("unit_type,form,per,times,minutes\npatrol,shift log,shift,1,10\n")
    assert ec.paperwork_hours(persons, reg2)["A"] == pytest.approx(5 * 35 / 60 + 1 + monthly)
    merged = ec.apply_form_changes(reg2, merge=[("incident report", "shift log")])
    assert ec.paperwork_hours(persons, merged)["A"] == pytest.approx(5 * 25 / 60 + 1 + monthly)
    with pytest.raises(ValueError, match="same unit"):
        ec.apply_form_changes(reg, merge=[("incident report", "weekly summary")])
    with pytest.raises(ValueError, match="no such form"):
        ec.apply_form_changes(reg, remove=["no such form"])


def test_bad_rates_file_refused_with_row_and_column():
    bad = ("position,hourly_rate,currency,overtime,night,holiday\n"
           "patrol,1000,KZT,1.5,1.5,2\n"
           "duty,abc,KZT,1.5,1.5,1.5\n"
           "patrol,900,KZT,0.5,1.5,1.5\n"
           "road,900,USD,1.5,1.5,1.5\n"
           ",900,tenge,1.5,1.5,1.5\n")
    with pytest.raises(ImportRejected) as exc:
        ec.parse_rates(bad)
    got = {(e.row, e.column, e.rule) for e in exc.value.errors}
    assert got == {(3, "hourly_rate", "number"), (4, "position", "duplicate"), (4, "overtime", "range"),
                   (5, "currency", "mixed_currency"), (6, "position", "required"), (6, "currency", "currency")}
    with pytest.raises(ImportRejected) as exc:
        ec.parse_rates("position,hourly_rate,currency\npatrol,1,KZT\n")
    assert {(e.row, e.column) for e in exc.value.errors} == {(1, "overtime"), (1, "night"), (1, "holiday")}


def test_bad_register_refused_with_row_and_column():
    bad = ("unit_type,form,per,times,minutes\n"
           "patrol,incident report,shift,1,25\n"
           "patrol,incident report,week,1,25\n"
           "patrol,summary,fortnight,1,25\n"
           "patrol,log,shift,0,-5\n")
    with pytest.raises(ImportRejected) as exc:
        ec.parse_register(bad)
    got = {(e.row, e.column, e.rule) for e in exc.value.errors}
    assert got == {(3, "form", "duplicate"), (4, "per", "per"), (5, "times", "range"), (5, "minutes", "range")}
