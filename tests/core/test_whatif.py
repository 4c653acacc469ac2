"""Predicted change from a feature model (hand calculation and statsmodels' own contrast test) and custom
patterns for the generator."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from wellbeing.core.shifts.generate import generate_shifts
from wellbeing.core.whatif import custom_pattern, parse_shift_spec, predict_change


def test_prediction_by_hand():
    """β = (2, −1), V = [[1, 0.5], [0.5, 4]], Δx = (3, 2): Δŷ = 6 − 2 = 4; Var = 9·1 + 2·3·2·0.5 + 4·4
    = 31; 95 % interval 4 ± 1.959964·√31."""
    cov = pd.DataFrame([[1.0, 0.5], [0.5, 4.0]], index=["a", "b"], columns=["a", "b"])
    p = predict_change({"a": 2.0, "b": -1.0, "Intercept": 9.0}, cov, {"a": 3.0, "b": 2.0})
    assert p.estimate == pytest.approx(4.0)
    assert p.std_err == pytest.approx(math.sqrt(31))
    half = 1.959964 * math.sqrt(31)
    assert (p.ci_low, p.ci_high) == pytest.approx((4 - half, 4 + half), abs=1e-5)
    assert list(p.terms["contribution"]) == [6.0, -2.0]
    with pytest.raises(KeyError, match="c"):
        predict_change({"a": 1.0}, cov, {"c": 1.0})


def test_prediction_equals_statsmodels_contrast():
    """The interval is the model's own Wald contrast: statsmodels' t_test of Δxᵀβ (normal reference)
    gives the same estimate and standard error."""
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"x1": rng.normal(size=300), "x2": rng.normal(size=300)})
    d["y"] = 1 + 0.5 * d["x1"] - 0.3 * d["x2"] + rng.normal(size=300)
    fit = smf.ols("y ~ x1 + x2", d).fit()
    p = predict_change(fit.params, fit.cov_params(), {"x1": 2.0, "x2": -1.5})
    t = fit.t_test("2 * x1 - 1.5 * x2 = 0")
    assert p.estimate == pytest.approx(float(np.squeeze(t.effect)))
    assert p.std_err == pytest.approx(float(np.squeeze(t.sd)))


def test_custom_sequence_covers_days_and_nights_once():
    """DDNNOOOO with D=07:00+12h, N=19:00+12h: 8 / 2 = 4 crews 2 days apart; four officers (one per crew)
    cover every day and every night of a fortnight exactly once; 42 h a week per crew."""
    p = custom_pattern("DDNNOOOO", ["D=07:00+12h", "N=19:00+12h"])
    assert len(p.crews) == 4 and [c.offset for c in p.crews] == [0, 2, 4, 6]
    assert p.crew_hours_per_week() == pytest.approx(42.0)
    s = generate_shifts(["a", "b", "c", "d"], p, "2024-04-01", "2024-04-14")
    local = s["start"].dt.tz_convert("Asia/Almaty")
    per_slot = pd.Series(1, index=pd.MultiIndex.from_arrays([local.dt.date, local.dt.hour])).groupby(level=[0, 1]).sum()
    assert len(per_slot) == 28 and (per_slot == 1).all()


def test_custom_sequence_errors():
    with pytest.raises(ValueError, match="N without"):
        custom_pattern("DDNNOOOO", ["D=07:00+12h"])
    with pytest.raises(ValueError, match="HH:MM"):
        parse_shift_spec("D=7h")
    with pytest.raises(ValueError, match="do not divide"):
        custom_pattern("DDNNOOOO", ["D=07:00+12h", "N=19:00+12h"], crews=3)
    assert parse_shift_spec("S=09:00+24h")[1].hours == 24
