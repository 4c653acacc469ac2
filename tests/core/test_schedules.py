"""Schedule features: hand-computed values across midnight, ISO weeks, month ends and the 2024-03-01
Kazakhstan time-zone change; INRC quick returns; group aggregation; self-reported weeks."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wellbeing.core.schedules.bands import NIGHT_HOURS_BANDS, QUICK_RETURNS_BANDS, WEEKLY_HOURS_BANDS, band
from wellbeing.core.schedules.features import FEATURE_COLUMNS, compute_features
from wellbeing.core.schedules.self_report import WEEKLY_FEATURE_COLUMNS, weekly_schedule_features
from wellbeing.core.schedules.thresholds import THRESHOLDS, aggregate_features
from wellbeing.core.shifts.generate import generate_shifts
from wellbeing.core.shifts.grids import INRC_CODES, parse_grid
from wellbeing.core.shifts.records import parse_shifts
from wellbeing.core.tables import ImportRejected

ROSTERS = Path(__file__).resolve().parents[1] / "data" / "rosters"
# The FRA railroad dispatchers' shift diaries, copied into tests/data with their attribution (README there).
DISPATCHERS = Path(__file__).resolve().parents[1] / "data" / "fra-dispatchers.csv"
HEADER = "person_id,start,end,break_min,duty_type,shift_code\n"


def feats(rows: str, start: str, end: str, **kw) -> pd.DataFrame:
    return compute_features(parse_shifts(io.StringIO(HEADER + rows)), start, end, **kw)


def test_feature_columns_are_documented():
    f = feats("p1,2024-01-10 08:00,2024-01-10 16:00,0,regular,\n", "2024-01-08", "2024-01-15")
    assert list(f.columns) == list(FEATURE_COLUMNS)
    assert f.index.name == "person_id"


def test_night_shift_crossing_midnight():
    # Wed 20:00 -> Thu 08:00, 60 min unpaid break: 12 h gross, 11 h net, 8 h in 22:00-06:00
    f = feats("p1,2024-01-10 20:00,2024-01-11 08:00,60,regular,N\n", "2024-01-08", "2024-01-15").loc["p1"]
    assert f["n_shifts"] == 1
    assert f["worked_hours"] == 11.0
    assert f["night_hours"] == 8.0
    assert f["night_shifts"] == 1
    assert (f["long_shifts_11h"], f["long_shifts_12h"], f["duties_24h"]) == (1, 1, 0)
    assert f["max_consecutive_nights"] == 1
    assert f["early_starts"] == 0 and f["weekends_worked"] == 0


def test_24_hour_duty():
    # Sat 2024-01-13 09:00 -> Sun 09:00: 24 h, 8 night hours, one weekend
    f = feats("p1,2024-01-13 09:00,2024-01-14 09:00,0,regular,S\n", "2024-01-08", "2024-01-15").loc["p1"]
    assert f["worked_hours"] == 24.0
    assert f["night_hours"] == 8.0 and f["night_shifts"] == 1
    assert (f["long_shifts_11h"], f["long_shifts_12h"], f["duties_24h"]) == (1, 1, 1)
    assert f["weekends_worked"] == 1
    assert f["weekly_hours_max"] == 24.0


def test_rest_of_exactly_11_hours_is_not_a_quick_return_but_10h59_is():
    rows = ("a,2024-01-15 08:00,2024-01-15 20:00,0,regular,\n"
            "a,2024-01-16 07:00,2024-01-16 15:00,0,regular,\n"  # rest 11 h 00 min
            "b,2024-01-15 08:00,2024-01-15 20:00,0,regular,\n"
            "b,2024-01-16 06:59,2024-01-16 15:00,0,regular,\n")  # rest 10 h 59 min
    f = feats(rows, "2024-01-15", "2024-01-22")
    assert f.loc["a", "quick_returns"] == 0
    assert f.loc["b", "quick_returns"] == 1
    # 06:59 is an early start (04:00-07:00), 07:00 is not
    assert f.loc["a", "early_starts"] == 0 and f.loc["b", "early_starts"] == 1


def test_quick_return_counts_the_shift_before_the_window():
    rows = ("a,2024-01-14 14:00,2024-01-14 22:00,0,regular,\n"
            "a,2024-01-15 06:00,2024-01-15 14:00,0,regular,\n")
    f = feats(rows, "2024-01-15", "2024-01-22")
    assert f.loc["a", "quick_returns"] == 1 and f.loc["a", "n_shifts"] == 1


def test_on_call_and_leave_are_not_worked_time():
    rows = ("a,2024-01-15 09:00,2024-01-15 18:00,60,regular,\n"
            "a,2024-01-15 18:00,2024-01-16 08:00,0,on_call,\n"
            "a,2024-01-16 09:00,2024-01-16 18:00,0,leave,\n"
            "a,2024-01-16 22:00,2024-01-17 06:00,0,on_call,\n")
    f = feats(rows, "2024-01-15", "2024-01-22").loc["a"]
    assert f["worked_hours"] == 8.0 and f["n_shifts"] == 1
    assert f["on_call_hours"] == 22.0
    assert f["night_hours"] == 0.0 and f["quick_returns"] == 0


def test_shift_across_the_2024_03_01_time_zone_change():
    # 2024-02-29 20:00 (UTC+6) -> 2024-03-01 08:00 (UTC+5): 13 h elapsed; the night
    # 22:00 (UTC+6, 16:00Z) -> 06:00 (UTC+5, 01:00Z) is 9 h long and wholly inside the shift
    rows = ("a,2024-02-29 20:00,2024-03-01 08:00,0,regular,\n"
            "a,2024-03-01 20:00,2024-03-02 08:00,0,regular,\n")
    f = feats(rows, "2024-02-26", "2024-03-04").loc["a"]
    assert f["worked_hours"] == 13.0 + 12.0
    assert f["night_hours"] == 9.0 + 8.0
    assert f["night_shifts"] == 2 and f["max_consecutive_nights"] == 2
    assert f["quick_returns"] == 0  # rest 08:00 -> 20:00 = 12 h
    assert f["weekly_hours_max"] == 25.0
    # start clock times (20:00 both, local) do not vary across the change
    assert f["start_time_sd_h"] == pytest.approx(0.0, abs=1e-6)
    # an early start at 05:00 local the day after the change (00:00Z) is seen as 05:00
    g = feats("b,2024-03-01 05:00,2024-03-01 13:00,0,regular,\n", "2024-02-26", "2024-03-04")
    assert g.loc["b", "early_starts"] == 1


def test_week_straddling_two_months():
    # ISO week Mon 2024-04-29 .. Sun 2024-05-05: Mon-Fri 09:00-18:00 with 1 h break (8 h net)
    # plus Saturday May 4 09:00-21:00 recorded as overtime (12 h)
    days = ["2024-04-29", "2024-04-30", "2024-05-01", "2024-05-02", "2024-05-03"]
    rows = "".join(f"a,{d} 09:00,{d} 18:00,60,regular,\n" for d in days)
    rows += "a,2024-05-04 09:00,2024-05-04 21:00,0,overtime,\n"
    f = feats(rows, "2024-04-29", "2024-05-06", contract_hours={"a": 40}).loc["a"]
    assert f["worked_hours"] == 52.0
    assert f["weekly_hours_mean"] == 52.0
    assert f["weekly_hours_max"] == 52.0 and f["weeks_over_48h"] == 1
    assert f["overtime_hours"] == 12.0  # 52 - 40, the overtime record is not added twice
    assert f["overtime_record_max_day_h"] == 12.0
    assert f["weekends_worked"] == 1
    assert f["max_consecutive_work_days"] == 6
    # three-week window around it: the mean spreads over 3 weeks, the max stays
    g = feats(rows, "2024-04-22", "2024-05-13", contract_hours=38.0, accounting_period="week").loc["a"]
    assert g["weekly_hours_mean"] == pytest.approx(52 / 3)
    assert g["weekly_hours_max"] == 52.0 and g["overtime_hours"] == 14.0


def test_weekly_rest_over_rolling_7_day_windows():
    # works 08:00-20:00 every day Jan 1-14 except Sat 6 and Sun 7: the rest Jan 5 20:00 ->
    # Jan 8 08:00 is 60 h. Windows start Jan 1..Jan 8 (8 windows in [Jan 1, Jan 15)); a rest that
    # overlaps a window counts whole. For a, windows Jan 1-7 overlap the 60 h rest and the window
    # from Jan 8 overlaps it (until 08:00) and the open-ended rest after the last record: none short.
    # b works every day: the windows from Jan 1 (open-ended rest before the first record) and Jan 8
    # (after the last one) are not short, the six windows from Jan 2 to Jan 7 see only 12 h rests.
    days = [d for d in pd.date_range("2024-01-01", "2024-01-14").strftime("%Y-%m-%d")
            if d not in ("2024-01-06", "2024-01-07")]
    rows = "".join(f"a,{d} 08:00,{d} 20:00,0,regular,\n" for d in days)
    rows += "".join(f"b,{d} 08:00,{d} 20:00,0,regular,\n" for d in
                    pd.date_range("2024-01-01", "2024-01-14").strftime("%Y-%m-%d"))
    f = feats(rows, "2024-01-01", "2024-01-15")
    assert f.loc["a", "weekly_rest_short_windows"] == 0
    assert f.loc["a", "weekly_rest_min_h"] == 60.0
    assert f.loc["b", "weekly_rest_short_windows"] == 6
    assert f.loc["b", "weekly_rest_min_h"] == 12.0
    assert f.loc["a", "max_consecutive_work_days"] == 7  # Jan 8-14


def test_monday_to_friday_day_worker_has_a_full_weekend_rest_every_week():
    """Regression: clipping rests at the rolling window's edges gave 33 h and flagged every window."""
    days = [d for d in pd.date_range("2024-01-01", "2024-01-31").strftime("%Y-%m-%d")
            if pd.Timestamp(d).weekday() < 5]
    rows = "".join(f"a,{d} 09:00,{d} 18:00,60,regular,\n" for d in days)
    f = feats(rows, "2024-01-01", "2024-01-29")
    assert f.loc["a", "weekly_rest_short_windows"] == 0
    assert f.loc["a", "weekly_rest_min_h"] == 63.0  # Friday 18:00 -> Monday 09:00


def test_persons_without_shifts_and_24_72_rest():
    g = generate_shifts(["a"], "24-72", "2023-12-01", "2024-02-29", crews=[0])
    f = compute_features(g, "2024-01-01", "2024-01-29", persons=["a", "idle"])
    assert f.loc["a", "weekly_rest_min_h"] == 72.0 and f.loc["a", "weekly_rest_short_windows"] == 0
    assert f.loc["a", "weekly_hours_mean"] == 42.0 and f.loc["a", "duties_24h"] == 7
    assert f.loc["idle", "n_shifts"] == 0 and f.loc["idle", "weekly_rest_min_h"] == 168.0
    assert math.isnan(f.loc["idle", "start_time_sd_h"])


def test_consecutive_nights_and_start_time_irregularity():
    rows = "".join(f"a,2024-01-0{d} 22:00,2024-01-0{d + 1} 06:00,0,regular,\n" for d in (1, 2, 3, 5, 6))
    rows += "b,2024-01-01 23:00,2024-01-02 07:00,0,regular,\nb,2024-01-03 01:00,2024-01-03 09:00,0,regular,\n"
    f = feats(rows, "2024-01-01", "2024-01-08")
    assert f.loc["a", "max_consecutive_nights"] == 3 and f.loc["a", "night_shifts"] == 5
    assert f.loc["a", "night_hours"] == 40.0
    # 23:00 and 01:00: angles +-15 deg around midnight, R = cos 15 deg,
    # sd = sqrt(-2 ln R) * 24 / 2pi = 1.00581 h (a linear SD would say 15.6 h)
    assert f.loc["b", "start_time_sd_h"] == pytest.approx(1.00581, abs=1e-4)
    assert f.loc["b", "max_consecutive_nights"] == 2  # nights of Jan 1 and Jan 2


def _forbidden_successions(path: Path) -> dict[str, int]:
    forbidden = {("L", "E"), ("L", "D"), ("N", "E"), ("N", "D"), ("N", "L")}
    out = {}
    for line in path.read_text().splitlines():
        name, _, rest = line.partition("|")
        if not name.strip() or "|" not in line:
            continue
        seq = [c.strip() for c in rest.split("|") if c.strip()]
        out[name.strip()] = sum((a, b) in forbidden for a, b in zip(seq, seq[1:]))
    return out


@pytest.mark.parametrize("name", ["inrc2-n005w4-solution.txt", "inrc2-n005w4-with-quick-returns.txt"])
def test_inrc_quick_returns_equal_forbidden_successions(name):
    expected = _forbidden_successions(ROSTERS / name)
    shifts = parse_grid(ROSTERS / name, INRC_CODES, "2024-01-01")
    f = compute_features(shifts, "2024-01-01", "2024-01-29")
    assert f["quick_returns"].to_dict() == expected
    if "solution" in name:
        assert sum(expected.values()) == 0
    else:
        assert sum(v > 0 for v in expected.values()) >= 3


def test_inrc_hand_values_for_one_person():
    # Patrick, week 3 of the solution: "-|N|N|N|N|N|N|" -> six consecutive nights
    shifts = parse_grid(ROSTERS / "inrc2-n005w4-solution.txt", INRC_CODES, "2024-01-01")
    f = compute_features(shifts, "2024-01-01", "2024-01-29").loc["Patrick"]
    assert f["max_consecutive_nights"] == 6
    assert f["n_shifts"] == 23 and f["worked_hours"] == 23 * 8


def test_aggregate_features_per_group():
    feats_ = pd.DataFrame(
        {"quick_returns": [0, 1, 3, 0], "weekly_hours_mean": [38.0, 42.0, 50.0, 40.0]},
        index=pd.Index(["a", "b", "c", "d"], name="person_id"))
    out = aggregate_features(feats_, {"a": "g1", "b": "g1", "c": "g1", "d": "g2", "x": "g2"})
    qr = out[(out.feature == "quick_returns") & (out.group == "g1")].iloc[0]
    assert (qr["n"], qr["mean"], qr["median"]) == (3, pytest.approx(4 / 3), 1.0)
    assert qr["share_above"] == pytest.approx(2 / 3) and "2003/88" in qr["source"]
    wh = out[(out.feature == "weekly_hours_mean") & (out.group == "g1")].set_index("threshold")
    assert wh.loc[40.0, "share_above"] == pytest.approx(2 / 3)
    assert wh.loc[48.0, "share_above"] == pytest.approx(1 / 3)
    assert "art. 68" in wh.loc[40.0, "source"] and "art. 6" in wh.loc[48.0, "source"]
    g2 = out[(out.feature == "weekly_hours_mean") & (out.group == "g2")]
    assert set(g2["n"]) == {1} and set(g2["share_above"]) == {0.0}


def test_every_threshold_names_a_feature_and_a_source():
    for t in THRESHOLDS:
        assert t.feature in FEATURE_COLUMNS and t.source


# ------------------------------------------------------------------ self-reported weeks
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
START = [f"{d}_s" for d in DAYS]
END = [f"{d}_e" for d in DAYS]


def week(**days: tuple[str, str]) -> pd.DataFrame:
    row = {c: "" for c in START + END}
    for d, (s, e) in days.items():
        row[f"{d}_s"], row[f"{d}_e"] = s, e
    return pd.DataFrame([row])


def test_weekly_schedule_saturday_runs_into_sunday_and_week_wraps():
    f = weekly_schedule_features(week(Sat=("22:00", "06:00"), Sun=("22:00", "06:00")), START, END).iloc[0]
    assert f["shifts_per_week"] == 2 and f["weekly_hours"] == 16.0
    assert f["night_hours_per_week"] == 16.0 and f["night_shifts_per_week"] == 2
    assert f["quick_returns_per_week"] == 0  # Sat 06:00 -> Sun 22:00 = 16 h; Mon 06:00 -> Sat = 5 d
    assert bool(f["weekend_work"]) is True


def test_weekly_schedule_quick_returns_including_the_wrap():
    # Mon 14:00-22:00 then Tue 06:00-14:00 (8 h rest); Sun 22:00-06:00 then Mon 14:00 (8 h rest)
    f = weekly_schedule_features(
        week(Mon=("14:00", "22:00"), Tue=("06:00", "14:00"), Sun=("22:00", "06:00")), START, END).iloc[0]
    assert f["quick_returns_per_week"] == 2
    assert f["mean_shift_hours"] == 8.0 and f["longest_shift_hours"] == 8.0
    assert f["early_starts_per_week"] == 1
    assert f["night_hours_per_week"] == 8.0


def test_weekly_schedule_rejects_bad_times_with_rows():
    df = pd.concat([week(Mon=("08:00", "16:00")), week(Tue=("8 am", "16:00")), week(Wed=("08:00", ""))])
    with pytest.raises(ImportRejected) as exc:
        weekly_schedule_features(df.reset_index(drop=True), START, END)
    assert [(e.row, e.column, e.rule) for e in exc.value.errors] == [
        (3, "Tue_s", "bad_time"), (4, "Wed_e", "required")]


def test_fra_dispatchers_weekly_schedules():
    d = pd.read_csv(DISPATCHERS, dtype=str)
    days = ["Sun", "Mon", "Tues", "Wed", "Thu", "Fri", "Sat"]
    f = weekly_schedule_features(d, [f"{x}Start_Time" for x in days],
                                 [f"{x}End_Time" for x in days], first_weekday=6)
    assert len(f) == 443 and list(f.columns) == list(WEEKLY_FEATURE_COLUMNS)
    by_id = f.set_index(d["ID"])
    # ID 2: Sun, Wed-Sat 14:30-22:30 -> 5 x 8 h, 30 min of night each
    r = by_id.loc["2"]
    assert (r["weekly_hours"], r["night_hours_per_week"], r["quick_returns_per_week"]) == (40.0, 2.5, 0)
    # ID 4: Tue 06:30-15:00, Wed-Sat 06:30-14:50 -> 8.5 + 4 x 8h20 = 41.83 h, 5 early starts
    r = by_id.loc["4"]
    assert r["weekly_hours"] == pytest.approx(8.5 + 4 * (8 + 20 / 60))
    assert r["early_starts_per_week"] == 5 and r["night_hours_per_week"] == 0
    # ID 10 (extraboard) reported no times
    assert by_id.loc["10", "shifts_per_week"] == 0 and math.isnan(by_id.loc["10", "mean_shift_hours"])
    assert set(band(f["night_hours_per_week"], NIGHT_HOURS_BANDS).dropna()) <= {"0", "1–8", "9–16", ">16"}


def test_bands():
    b = band([0, 0.5, 8, 8.5, 16, 17, np.nan], NIGHT_HOURS_BANDS)
    assert b.astype(object).where(b.notna(), None).tolist() == [
        "0", "1–8", "1–8", "9–16", "9–16", ">16", None]
    assert band([40, 40.5, 61], WEEKLY_HOURS_BANDS).tolist() == ["≤40", "41–48", ">60"]
    assert band([0, 1, 3], QUICK_RETURNS_BANDS).tolist() == ["0", "1", "2+"]


# ------------------------------------------------- vectorised code vs a plain-Python reference
def _reference(shifts: pd.DataFrame, d0: str, d1: str, tz: str = "Asia/Almaty") -> pd.DataFrame:
    """Slow, obvious per-shift loops with zoneinfo, for cross-checking compute_features.

    Every local instant is converted to UTC before any arithmetic: Python subtracts two datetimes
    sharing one tzinfo by wall clock, which is wrong across a clock change.
    """
    import datetime as dt
    from zoneinfo import ZoneInfo

    z = ZoneInfo(tz)
    U = dt.UTC
    day0, day1 = dt.date.fromisoformat(d0), dt.date.fromisoformat(d1)

    def mid(d):
        return dt.datetime.combine(d, dt.time(0), tzinfo=z).astimezone(U)

    w0, w1 = mid(day0), mid(day1)
    out = {}
    for pid, g in shifts.groupby("person_id"):
        work3 = sorted((r.start.to_pydatetime(), r.end.to_pydatetime(), r.duty_type) for r in g.itertuples()
                       if r.duty_type in ("regular", "overtime", "training"))
        work = [(a, b) for a, b, _d in work3]
        inwin = [(s, e) for s, e in work if w0 <= s < w1]
        night = 0.0
        for s, e in inwin:
            ls = s.astimezone(z)
            for k in range(-1, 3):
                d = ls.date() + dt.timedelta(days=k)
                a = dt.datetime.combine(d, dt.time(22), tzinfo=z).astimezone(U)
                b = dt.datetime.combine(d + dt.timedelta(days=1), dt.time(6), tzinfo=z).astimezone(U)
                night += max(0.0, (min(e, b) - max(s, a)).total_seconds())
        qr = sum(1 for (s0, e0, d0), (s1, e1, d1) in zip(work3, work3[1:])
                 if w0 <= s1 < w1 and (s1 - e0) < dt.timedelta(hours=11)
                 and not (s1 == e0 and d1 == "overtime"))
        far = dt.timedelta(days=400)
        gaps = [(w0 - far, work[0][0])] if work else [(w0 - far, w1 + far)]
        gaps += [(e0, s1) for (s0, e0), (s1, e1) in zip(work, work[1:])]
        if work:  # nothing is known after the last record: an open-ended rest
            gaps.append((work[-1][1], w1 + far))
        longest = []
        d = day0
        while d + dt.timedelta(days=7) <= day1:
            a, b = mid(d), mid(d + dt.timedelta(days=7))
            if work:  # the longest rest overlapping the window, counted whole
                longest.append(max([(ge - gs).total_seconds() for gs, ge in gaps if gs < b and ge > a]
                                   or [0.0]) / 3600)
            else:
                longest.append((b - a).total_seconds() / 3600)
            d += dt.timedelta(days=1)
        weekends = set()
        for s, e in inwin:
            d, last = s.astimezone(z).date(), (e - dt.timedelta(microseconds=1)).astimezone(z).date()
            while d <= last:
                if d.weekday() >= 5:
                    weekends.add(d - dt.timedelta(days=d.weekday()))
                d += dt.timedelta(days=1)
        days = sorted({s.astimezone(z).date() for s, e in inwin})
        run = best = 0
        for i, d in enumerate(days):
            run = run + 1 if i and (d - days[i - 1]).days == 1 else 1
            best = max(best, run)
        out[pid] = {
            "night_hours": night / 3600,
            "quick_returns": qr,
            "weekly_rest_min_h": min(longest),
            "weekly_rest_short_windows": sum(x < 35 for x in longest),
            "weekends_worked": len(weekends),
            "early_starts": sum(4 <= s.astimezone(z).hour < 7 for s, e in inwin),
            "max_consecutive_work_days": best,
            "worked_hours": sum((e - s).total_seconds() for s, e in inwin) / 3600,
        }
    return pd.DataFrame.from_dict(out, orient="index")


@pytest.mark.parametrize("seed", range(6))
def test_features_match_a_plain_python_reference_across_the_tz_change(seed):
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(12):
        t = pd.Timestamp("2024-02-01 00:00", tz="UTC") + pd.Timedelta(minutes=int(rng.integers(0, 3000)))
        while t < pd.Timestamp("2024-03-25", tz="UTC"):
            dur = pd.Timedelta(minutes=int(rng.choice([480, 600, 720, 1440, int(rng.integers(60, 2000))])))
            duty = rng.choice(["regular", "regular", "overtime", "training", "on_call", "leave"])
            rows.append((f"p{p}", t, t + dur, 0, duty, None))
            t = t + dur + pd.Timedelta(minutes=int(rng.choice([0, 600, 659, 660, 720, 1440, 3000,
                                                               int(rng.integers(0, 5000))])))
    shifts = pd.DataFrame(rows, columns=["person_id", "start", "end", "break_min", "duty_type", "shift_code"])
    got = compute_features(shifts, "2024-02-12", "2024-03-18")
    ref = _reference(shifts, "2024-02-12", "2024-03-18")
    for col in ref.columns:
        np.testing.assert_allclose(got.loc[ref.index, col].to_numpy(float),
                                   ref[col].to_numpy(float), err_msg=col)


def test_reference_window_is_the_90_days_before_opening():
    from wellbeing.core.schedules.features import reference_window

    start, end = reference_window("2024-06-01")
    assert (str(start), str(end)) == ("2024-03-03", "2024-06-01")


# ------------------------------------------------ weekly rest regressions (issue 18)
def _daily(person: str, first: str, last: str) -> str:
    return "".join(f"{person},{d} 08:00,{d} 20:00,0,regular,\n"
                   for d in pd.date_range(first, last).strftime("%Y-%m-%d"))


def test_officer_on_leave_12_days_has_no_short_weekly_rest_in_those_windows():
    """Regression: windows inside a leave had no rest *starting* in them and got 0 h (10 windows
    flagged for an officer on leave 15-26 April).

    Hand calculation: works 08:00-20:00 every day 25 March - 14 April and 27-30 April, leave records
    15-26 April. The rest 14 April 20:00 -> 27 April 08:00 is 12.5 days = 300 h. In [1 April, 1 May)
    the 7-day windows start 1..24 April; those starting 8..24 April overlap the 300 h rest (not
    short); those starting 1..7 April see only 12 h rests: 7 short windows, minimum 12 h.
    """
    rows = _daily("a", "2024-03-25", "2024-04-14") + _daily("a", "2024-04-27", "2024-04-30")
    rows += "".join(f"a,{d} 08:00,{d} 20:00,0,leave,\n"
                    for d in pd.date_range("2024-04-15", "2024-04-26").strftime("%Y-%m-%d"))
    f = feats(rows, "2024-04-01", "2024-05-01").loc["a"]
    assert f["weekly_rest_short_windows"] == 7
    assert f["weekly_rest_min_h"] == 12.0
    # the same officer judged on the leave fortnight alone: windows 13..24 April, none short
    g = feats(rows, "2024-04-13", "2024-05-01").loc["a"]
    assert g["weekly_rest_short_windows"] == 0
    assert g["weekly_rest_min_h"] == 300.0


def test_data_ending_early_is_not_flagged():
    """Regression: an officer whose records stop on 10 April was flagged in every later window.

    Works daily 25 March - 10 April only. Windows start 1..24 April; from 4 April on each overlaps the
    open-ended rest after the last record (10 April 20:00): only the windows of 1, 2 and 3 April are
    short."""
    f = feats(_daily("a", "2024-03-25", "2024-04-10"), "2024-04-01", "2024-05-01").loc["a"]
    assert f["weekly_rest_short_windows"] == 3


# ------------------------------------------- overtime by the accounting period (issue 18)
def test_24_72_officer_at_42_h_a_week_has_the_laws_overtime_not_per_iso_week():
    """Regression: per-ISO-week counting gave a 24/72 officer at 42 h/week some 26 h/month of
    overtime (weeks of 48 h counted, weeks of 24 h not offset).

    Hand calculation: 24-h duties 08:00-08:00 every 4th day from 1 January 2024 (42 h/week), contract
    40 h/week. Window [1 Jan, 1 Apr) = Jan (31 d), Feb (29 d), Mar (31 d).
    * month accounting: Jan duties start on 1,5,...,29 -> 8 x 24 = 192 h vs 40 x 31/7 = 177.14 h ->
      14.857 h; Feb: duties 2,6,...,26 -> 7 -> 168 h vs 40 x 29/7 = 165.71 h -> 2.286 h; Mar: 1,5,...,
      29 -> 8 -> 192 h vs 177.14 h -> 14.857 h. Sum 32.0 h over 91 days = 10.70 h/month.
    * quarter accounting (the window is the quarter): 23 duties = 552 h vs 40 x 91/7 = 520 h -> 32 h.
    * per ISO week (the old reading): complete weeks 1 Jan - 31 Mar (13); weeks with 2 duties (48 h)
      give 8 h each.
    """
    days = pd.date_range("2024-01-01", "2024-03-31", freq="4D")
    assert len(days) == 23
    rows = "".join(f"a,{d:%Y-%m-%d} 08:00,{d + pd.Timedelta(days=1):%Y-%m-%d} 08:00,0,regular,\n"
                   for d in days)
    f = feats(rows, "2024-01-01", "2024-04-01", contract_hours=40.0).loc["a"]
    # the window is 91 days and 1 hour long: Almaty moved from UTC+6 to UTC+5 on 2024-03-01
    assert f["weekly_hours_mean"] == pytest.approx(552 / ((91 + 1 / 24) / 7))
    assert f["overtime_hours"] == pytest.approx(192 - 40 * 31 / 7 + 168 - 40 * 29 / 7 + 192 - 40 * 31 / 7)
    assert f["overtime_hours"] == pytest.approx(32.0)
    assert f["overtime_hours_per_month"] == pytest.approx(32.0 / 91 * 30.4375)
    q = feats(rows, "2024-01-01", "2024-04-01", accounting_period="quarter").loc["a"]
    assert q["overtime_hours"] == pytest.approx(552 - 520)
    w = feats(rows, "2024-01-01", "2024-04-01", accounting_period={"a": "week"}).loc["a"]
    weeks = pd.Series(days.to_period("W-SUN")).value_counts()
    assert w["overtime_hours"] == pytest.approx(8.0 * int((weeks == 2).sum()))
    assert w["overtime_hours_per_month"] > 12 > f["overtime_hours_per_month"]


def test_accounting_periods_inside_the_window_and_unknown_kinds():
    import datetime as dt

    from wellbeing.core.schedules.accounting import accounting_periods

    d = dt.date
    assert accounting_periods("week", d(2024, 1, 3), d(2024, 1, 22)) == [
        (d(2024, 1, 8), d(2024, 1, 15)), (d(2024, 1, 15), d(2024, 1, 22))]
    assert accounting_periods("quarter", d(2024, 2, 1), d(2024, 5, 1)) == [(d(2024, 2, 1), d(2024, 5, 1))]
    assert accounting_periods("year", d(2024, 1, 1), d(2025, 1, 1)) == [(d(2024, 1, 1), d(2025, 1, 1))]
    with pytest.raises(ValueError, match="unknown accounting period 'fortnight'"):
        accounting_periods("fortnight", d(2024, 1, 1), d(2024, 2, 1))


def test_an_overtime_extension_touching_its_shift_is_no_quick_return():
    """Regression: a 2-h `overtime` record right after a shift (rest 0) counted as a quick return, so
    units with many extensions showed many quick returns. 09:00-18:00 + 18:00-20:00 overtime, next
    day 09:00 (13 h after 20:00): no quick return; a call-back 8 h after 20:00 is one."""
    rows = ("a,2024-01-10 09:00,2024-01-10 18:00,0,regular,\n"
            "a,2024-01-10 18:00,2024-01-10 20:00,0,overtime,\n"
            "a,2024-01-11 09:00,2024-01-11 18:00,0,regular,\n"
            "b,2024-01-10 09:00,2024-01-10 18:00,0,regular,\n"
            "b,2024-01-11 02:00,2024-01-11 05:00,0,overtime,\n")
    f = feats(rows, "2024-01-08", "2024-01-15")
    assert f.loc["a", "quick_returns"] == 0
    assert f.loc["b", "quick_returns"] == 1
