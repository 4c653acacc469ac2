"""Three-process fatigue index: published calibration points and a closed-form reference run
(tests/reference/fatigue_reference.py, its output fatigue_reference.csv)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wellbeing.core import fatigue as fz
from wellbeing.core.shifts.records import parse_shifts

REF = Path(__file__).resolve().parents[1] / "reference" / "fatigue_reference.csv"
HEADER = "person_id,start,end,break_min,duty_type,shift_code\n"


def shifts(rows: str) -> pd.DataFrame:
    return parse_shifts(io.StringIO(HEADER + rows))


def test_published_calibration_points():
    # Åkerstedt & Folkard 1997: 8 h of sleep from S = 7.96 reach 14.0 (defines the recovery rate)
    assert fz.HA - (fz.HA - 7.96) * math.exp(-fz.G * 8) == pytest.approx(14.0, abs=1e-12)
    assert fz.G == pytest.approx(0.3814, abs=5e-5)
    # circadian component: +2.5 at the acrophase 16:48, -2.5 twelve hours later
    a = fz.alertness_components(np.array([16.8, 4.8]), 0.0, np.nan)
    assert a == pytest.approx([2.5, -2.5])
    # sleep inertia: -5.72 at waking, -5.72·e^-1.51 one hour later
    assert fz.alertness_components(16.8 - 6, 0.0, 0.0) - fz.alertness_components(16.8 - 6, 0.0, np.nan) \
        == pytest.approx(-5.72)
    # KSS = 10.6 - 0.6 A, clipped to the scale 1-9; KSS 7 is A = 6
    assert fz.kss_from_alertness([6.0, 20.0, -5.0]) == pytest.approx([7.0, 1.0, 9.0])


def test_simulation_reproduces_the_closed_form_reference():
    """The grid simulation equals the episode-by-episode closed form at every full hour of a first
    night duty (19:00-07:00 after a week of 23:00-07:00 sleep) to the 6 printed decimals: the 15-minute steps apply
    the exponentials exactly."""
    ref = pd.read_csv(REF)
    r = fz.simulate(shifts("a,2024-01-08 19:00,2024-01-09 07:00,0,regular,N\n"), "2024-01-08", "2024-01-10")
    # steps of 2024-01-08 from 07:00 local, every hour
    idx = 7 * 4 + 4 * ref["hour_from_0700_jan8"].to_numpy()
    assert r["kss"][0, idx] == pytest.approx(ref["kss"].to_numpy(), abs=1e-6)
    # the officer is asleep 23:00-07:00 the night before and awake all the duty night
    assert r["asleep"][0, :7 * 4].all() and not r["asleep"][0, 7 * 4:31 * 4].any()


def test_features_of_day_work_night_work_and_24h_duty():
    """Day work 09:00-18:00 stays alert (peak KSS 3.49 at 09:00, just after waking at 07:00); the first
    night duty peaks at 06:00 at KSS 7.48 (reference row 23) with 06:00-07:00 and 03:00-06:00 above 7:
    4 h of 12; a 24-h duty 09:00-09:00 has the same night peak and 6 h of 24 above 7."""
    rows = "d,2024-01-08 09:00,2024-01-08 18:00,0,regular,\n"
    rows += "n,2024-01-08 19:00,2024-01-09 07:00,0,regular,\n"
    rows += "s,2024-01-08 09:00,2024-01-09 09:00,0,regular,\n"
    rows += "x,2024-01-08 09:00,2024-01-08 18:00,0,leave,\n"
    f = fz.fatigue_features(shifts(rows), "2024-01-08", "2024-01-15", persons=["d", "n", "s", "x"])
    ref = pd.read_csv(REF)
    assert f.loc["n", "fatigue_kss_peak"] == pytest.approx(ref["kss"].max(), abs=1e-6)
    assert f.loc["n", "fatigue_hours_kss7"] == 4.0 and f.loc["n", "fatigue_share_kss7"] == pytest.approx(4 / 12)
    assert f.loc["s", "fatigue_hours_kss7"] == 6.0 and f.loc["s", "fatigue_share_kss7"] == pytest.approx(6 / 24)
    assert f.loc["d", "fatigue_kss_peak"] == pytest.approx(3.494783, abs=1e-6)
    assert f.loc["d", "fatigue_hours_kss7"] == 0.0
    assert math.isnan(f.loc["x", "fatigue_kss_peak"]) and f.loc["x", "fatigue_hours_kss7"] == 0.0


def test_day_sleep_after_nights_lowers_later_night_peaks():
    """Four nights: day sleep 08:00-14:00 after each, so nights 2-4 start 5 h after waking, not 12:
    their peaks are below the first night's (the rule's consequence, stated in the docstring)."""
    rows = "".join(f"n,2024-01-{d:02d} 19:00,2024-01-{d + 1:02d} 07:00,0,regular,\n" for d in (8, 9, 10, 11))
    per = fz.shift_fatigue(shifts(rows), "2024-01-08", "2024-01-15")
    peaks = per["kss_peak"].to_numpy()
    assert peaks[0] == pytest.approx(7.482851, abs=1e-6)
    assert (peaks[1:] < peaks[0]).all()
    r = fz.simulate(shifts(rows), "2024-01-08", "2024-01-15")
    day9 = 24 * 4
    assert r["asleep"][0, day9 + 8 * 4:day9 + 14 * 4].all()       # 08:00-14:00 day sleep
    assert not r["asleep"][0, day9 + 14 * 4:day9 + 18 * 4].any()  # awake until the commute


def test_chunks_give_the_same_features():
    rows = "".join(f"p{i},2024-01-{8 + i % 5:02d} 19:00,2024-01-{9 + i % 5:02d} 07:00,0,regular,\n" for i in range(7))
    sh = shifts(rows)
    a = fz.fatigue_features(sh, "2024-01-08", "2024-01-15")
    b = fz.fatigue_features(sh, "2024-01-08", "2024-01-15", chunk=3)
    pd.testing.assert_frame_equal(a, b)


def test_parameters_equal_the_published_tabulation():
    """Every parameter of the module equals the published default three-process model (Ingre et al. 2014
    Table 1, restated by the FIPS documentation, Wilson et al. 2020) within the tolerance of the printed
    digits (tests/reference/fatigue_published.csv; the comparison script fatigue_published.py prints it).
    No published hour-by-hour worked example was obtainable: the run-level reference is our closed form."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("fatigue_published", REF.with_name("fatigue_published.py"))
    script = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(script)
    pub = pd.read_csv(REF.with_name("fatigue_published.csv"))
    assert len(pub) == 13 and pub["source"].str.len().min() > 3
    for row in pub.itertuples():
        assert script.module_value(row.module_name) == pytest.approx(row.published, abs=row.tolerance + 1e-12), \
            row.quantity
    assert script.main() == 0
