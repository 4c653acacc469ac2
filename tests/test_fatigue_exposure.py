"""The fatigue index per reporting group, through the features' gate, as a model exposure when enabled."""

from __future__ import annotations

import math
from datetime import date

from flask import Flask

from wellbeing.services import waves as wave_service
from wellbeing.services.features import group_features

from .test_costs import wave  # noqa: F401 - the fixture: 12 officers on 24/72, 3 on 24-48, 5 without shifts


def test_group_fatigue_released_like_the_features(app: Flask, wave: str) -> None:  # noqa: F811
    """With SCHEDULE_FATIGUE_EXPOSURES on, group_features carries fatigue_duty_pct_kss7 and
    fatigue_kss_peak: the 24/72 group's share of duty hours at KSS >= 7 is 6 h of each 24-h duty
    (03:00-09:00, core tests) = 25 %, rounded once; the 3-officer 24-48 group (< K = 5) has no number.
    Off (the default), the columns are absent."""
    with app.app_context():
        w = wave_service.get_wave(wave)
        assert "fatigue_kss_peak" not in group_features(w).columns
        app.config["SCHEDULE_FATIGUE_EXPOSURES"] = True
        g = group_features(w).set_index("group")
        big = g.loc["akm-d1-u1--24-72"]
        # each whole 24-h duty has 6 h at KSS >= 7 (25 %); a duty starting 28 April counts its 15 h in
        # the window (09:00-24:00, none at KSS >= 7) and P000001's day-time overtime record none: the
        # group mean of the officers' shares is a little under 25 %, released rounded once
        from wellbeing.services.fatigue import officer_fatigue

        per = officer_fatigue(w)
        mean = 100 * per.loc[per["group"] == "akm-d1-u1--24-72", "fatigue_share_kss7"].mean()
        assert 23 < mean < 25
        assert big["fatigue_duty_pct_kss7"] == round(mean + 1e-9, 1)
        assert big["fatigue_kss_peak"] == 7.5
        assert math.isnan(g.loc["akm-d1--24-48", "fatigue_duty_pct_kss7"])
        assert w.opens == date(2024, 4, 29)
