"""Schedule features as model exposures: each closed wave's reporting groups with their **released**
group features (DESIGN.md sections 5 and 6).

The values come from the released group-feature table of :func:`wellbeing.services.schedules.
released_wave_features` — the one place group features are disclosed (rule 7: a group with fewer than
K officers has no numbers; means rounded once to one decimal) — never from officers' own features.
They are then put on a per-month (or per-week) scale and joined to responses **by reporting group**
(:func:`wellbeing.services.analysis.platform_data`): every response of a group carries its group's
value, and a suppressed group carries none, so its responses drop out of any model using a feature
(it contributes nothing released).

Public names (kept stable for the what-if / economics work):

* :data:`EXPOSURES` — exposure name -> :class:`Exposure` (source feature, unit, per-month scaling,
  the unit a standardised effect is stated per);
* :func:`group_features` — ``DataFrame`` per reporting group of a wave: ``group``, ``officers``,
  ``released`` and one column per exposure;
* :func:`exposure_names`.

When the joint auditor of the release ledger lands, the release of these values still happens in
``released_wave_features``; this module only rescales what that function released.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.schedules.definitions import MONTH_DAYS
from ..models import Wave
from .schedules import FeaturesError, released_wave_features

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Exposure:
    """A group-level exposure derived from one released feature.

    ``feature`` is the :data:`wellbeing.core.schedules.features.FEATURE_COLUMNS` column whose released group
    mean is used; ``per`` is ``"month"`` (the mean over the reference window × 30.4375 / window
    days), ``"window"`` (as released: already a rate or a maximum) ; ``unit`` names the exposure's
    unit; ``step`` is the change a standardised effect is stated for (e.g. 10 night hours a month).
    """

    name: str
    feature: str
    per: str
    unit: str
    step: float
    step_label: str
    label: str


#: The exposures offered to the models (DESIGN.md section 5's features, issue 18's list).
EXPOSURES: dict[str, Exposure] = {e.name: e for e in (
    Exposure("weekly_hours", "weekly_hours_mean", "window", "h/week", 5.0, "per 5 h a week",
             "weekly hours"),
    Exposure("overtime_hours", "overtime_hours_per_month", "window", "h/month", 5.0,
             "per 5 h of overtime a month", "overtime (accounting period)"),
    Exposure("night_hours", "night_hours", "month", "h/month", 10.0, "per 10 night hours a month",
             "night hours"),
    Exposure("night_shifts", "night_shifts", "month", "shifts/month", 1.0, "per night shift a month",
             "night shifts"),
    Exposure("duties_24h", "duties_24h", "month", "duties/month", 1.0, "per 24-h duty a month",
             "24-h duties"),
    Exposure("quick_returns", "quick_returns", "month", "returns/month", 1.0, "per quick return a month",
             "quick returns"),
    Exposure("short_weekly_rests", "weekly_rest_short_windows", "month", "windows/month", 1.0,
             "per 7-day window without 35 h of rest a month", "short weekly rests"),
    Exposure("consecutive_nights", "max_consecutive_nights", "window", "nights", 1.0,
             "per night in the longest run of nights", "consecutive nights (longest run)"),
    Exposure("early_starts", "early_starts", "month", "starts/month", 1.0, "per early start a month",
             "early starts"),
    Exposure("weekends_worked", "weekends_worked", "month", "weekends/month", 1.0,
             "per weekend worked a month", "weekend work"),
    Exposure("start_time_sd", "start_time_sd_h", "window", "h", 1.0, "per hour of start-time SD",
             "start-time irregularity (circular SD)"),
)}


def exposure_names() -> list[str]:
    """Names of :data:`EXPOSURES`, in their documented order."""
    return list(EXPOSURES)


def group_features(wave: Wave) -> pd.DataFrame:
    """Released schedule features of ``wave``'s reporting groups over its reference window.

    Returns
    -------
    DataFrame
        One row per reporting group: ``group`` (slug), ``officers`` (None when suppressed),
        ``released`` (bool) and one float column per :data:`EXPOSURES` name, in the exposure's unit
        (per month: the released group mean over the window × 30.4375 / window days). A group under K
        officers has ``released`` False and NaN everywhere.

    Raises
    ------
    FeaturesError
        When the wave has no reference window or groups from a roster snapshot, or no shift record
        starts in its reference window (zeros would pass for a schedule without nights).
    """
    wf, released = released_wave_features(wave)
    if wf.shifts_in_window == 0:
        raise FeaturesError(f"wave {wave.slug!r}: no shift records start in its reference window "
                            f"{wf.window[0]} to {wf.window[1]}")
    days = (wf.window[1] - wf.window[0]).days
    # one row per group x feature x threshold, the same mean on each: keep one per group x feature
    means = released.drop_duplicates(["group", "feature"]).set_index(["group", "feature"])
    groups = sorted(released["group"].unique())
    out = pd.DataFrame({"group": groups})
    first = released.drop_duplicates("group").set_index("group")
    out["released"] = [not bool(first.loc[g, "suppressed"]) for g in groups]
    out["officers"] = [first.loc[g, "officers"] for g in groups]
    for name, e in EXPOSURES.items():
        vals = []
        for g in groups:
            v = means["mean"].get((g, e.feature)) if (g, e.feature) in means.index else None
            v = np.nan if v is None or pd.isna(v) else float(v)
            vals.append(v * MONTH_DAYS / days if e.per == "month" else v)
        out[name] = np.asarray(vals, dtype=float)
    log.info("wave %s: %d groups with released schedule features (%d suppressed)", wave.slug,
             int(out["released"].sum()), int((~out["released"]).sum()))
    from flask import current_app

    if current_app.config.get("SCHEDULE_FATIGUE_EXPOSURES"):  # issue 23: fatigue index as exposures (costly)
        from .fatigue import group_fatigue

        out = out.merge(group_fatigue(wave), on="group", how="left")
    return out
