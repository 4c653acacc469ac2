"""Schedule-risk features from shift records and from self-reported weeks (DESIGN.md section 5), pure Python.

Modules
-------
* :mod:`~wellbeing.core.schedules.definitions` — night window, night shift, quick return, weekly
  rest, early start (each with its source) and the unit constants (hours, days, the mean month);
* :mod:`~wellbeing.core.schedules.clock` — UTC instants, local wall clock and local days (zoneinfo),
  circular SD of clock times;
* :mod:`~wellbeing.core.schedules.features` — :func:`compute_features`, per person over a window
  ``[start, end)`` from shift records (the frame of :func:`wellbeing.core.shifts.records.parse_shifts`), and
  the reference window of a wave;
* :mod:`~wellbeing.core.schedules.accounting` — accounting periods of working time and overtime by
  them (KZ Labour Code art. 78);
* :mod:`~wellbeing.core.schedules.weekly_rest` — the longest rest in each rolling 7-day window;
* :mod:`~wellbeing.core.schedules.thresholds` — thresholds with their sources and
  :func:`aggregate_features`, per reporting group and feature: n, mean, median and the share of
  persons above each threshold;
* :mod:`~wellbeing.core.schedules.self_report` — :func:`weekly_schedule_features`, per respondent from
  a self-reported week (start/end clock time per weekday; the week repeats);
* :mod:`~wellbeing.core.schedules.bands` — banding helpers (:func:`band`, ``NIGHT_HOURS_BANDS`` ...)
  for storing features as banded context answers.
"""
