"""Definitions shared by the schedule features, each with its source (DESIGN.md section 5).

Night window, night shift, quick return, weekly rest, early start (EU Directive 2003/88/EC, KZ Labour
Code, HSE HSG256), and the unit constants of the computations (seconds per hour and day, the mean
month). All hours are decimal hours.
"""

from __future__ import annotations

H = 3600  # seconds per hour
DAY = 86400  # seconds per day
#: Night time 22:00-06:00 local (EU Directive 2003/88/EC art. 2; KZ Labour Code art. 1 / 110).
NIGHT_START_H, NIGHT_END_H = 22, 6
#: A night shift has at least 3 h in the night window (EU 2003/88/EC art. 2 "night worker").
NIGHT_SHIFT_MIN_H = 3.0
#: A rest shorter than 11 h between worked shifts is a quick return (EU 2003/88/EC art. 3).
QUICK_RETURN_H = 11.0
#: Weekly rest: 24 h + 11 h daily rest = 35 h in each 7-day period (EU 2003/88/EC art. 5).
WEEKLY_REST_H = 35.0
#: Early start: start clock time in [04:00, 07:00) (HSE HSG256 "Managing shift work").
EARLY_START = (4, 7)
#: Mean month in days (365.25 / 12), for "per month" rates.
MONTH_DAYS = 30.4375
