"""The generative model of the demonstration pilot: every constant in one place.

Documented in ``docs/demo.md``; later analyses (group means, mixed models, difference-in-differences)
are checked against these known values. Pure numpy: a seeded :class:`numpy.random.Generator` in,
plain answer dictionaries out. No Flask, no database.

For response *i* of unit *u* (in region *r*, on shift pattern *p(u)*) in wave *w*:

    B_i = MU + a_r + a_u + SHIFT_EFFECT[p(u)] + NIGHT_HOURS_EFFECT·(N_uw − NIGHT_HOURS_REF)
          + QUICK_RETURN_EFFECT·(Q_uw − QUICK_RETURNS_REF) + WAVE_EFFECT[w]
          + PILOT_EFFECT·[r is the pilot, w after start] + e_i,
          a_r ~ N(0, SD_REGION²), a_u ~ N(0, SD_UNIT²), e_i ~ N(0, SD_RESPONSE²)

where N_uw and Q_uw are unit u's night hours and quick returns a month over wave w's reference window,
computed from the demo's own shift records (the unit's mean over its officers, as the released group
features; ``seed.unit_features``).

``B_i`` is a latent burnout on the CBI's 0–100 metric. The answers are drawn from it on each item's
response set (see :func:`simulate`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

# ------------------------------------------------------------------------------ latent burnout B
MU = 42.0                 # grand mean of latent burnout (0–100, CBI metric), reference pattern rotating-8h
SD_REGION = 3.0           # region random intercept a_r
SD_UNIT = 5.0             # unit (= unit-pool / reporting group) random intercept a_u
SD_RESPONSE = 14.0        # residual e_i

# Planted per-feature effects on B (issue 18): points per night hour a month and per quick return a month
# of the officer's unit over the wave's reference window (centred on the planned rotating-8h schedule).
NIGHT_HOURS_EFFECT = 0.2      # 2 points per 10 night hours a month
QUICK_RETURN_EFFECT = 2.0     # per quick return (rest < 11 h) a month
NIGHT_HOURS_REF = 61.0        # night hours a month of the planned rotating-8h, Pitman and 24-72 schedules
QUICK_RETURNS_REF = 0.0       # planned schedules have no quick return; call-backs add them
# Planted shift-pattern effects on B (points) beyond the pattern's night hours and quick returns. They
# differ only among the patterns with 61 night hours a month (rotating 8 h, Pitman, 24-72) and roughly
# cancel there, so they are nearly uncorrelated with night hours: a model of burnout on night hours
# alone then estimates NIGHT_HOURS_EFFECT (the demo's acceptance check), while the pattern totals
# relative to fixed 8 h (planned night hours: fixed 8 h 0 h a month, 24-48 81.3 h, the others 61 h)
# stay close to the earlier planted ones: rotating +9.2, Pitman +12.2, 24-48 +16.3, 24-72 +17.2.
SHIFT_EFFECT: dict[str, float] = {
    "fixed-8h": 0.0,
    "rotating-8h": -3.0,
    "pitman-12h": 0.0,
    "24-48": 0.0,
    "24-72": 5.0,
}
# Night hours a month of each pattern's planned schedule (core.shifts.generate.generate_shifts, whole cycles;
# tests/test_demo.py recomputes them), for the planted pattern totals below.
PLANNED_NIGHT_HOURS: dict[str, float] = {"fixed-8h": 0.0, "rotating-8h": 61.0, "pitman-12h": 61.0,
                                         "24-48": 81.3, "24-72": 61.0}


def planted_pattern_total(pattern: str) -> float:
    """The planted difference of a pattern on its planned schedule (points of B, relative to the
    reference): ``SHIFT_EFFECT[p] + NIGHT_HOURS_EFFECT · (PLANNED_NIGHT_HOURS[p] − NIGHT_HOURS_REF)``;
    call-back quick returns add ``QUICK_RETURN_EFFECT`` each a month on top, alike for every pattern."""
    return SHIFT_EFFECT[pattern] + NIGHT_HOURS_EFFECT * (PLANNED_NIGHT_HOURS[pattern] - NIGHT_HOURS_REF)


# Secular change between waves (all regions) and the pilot's effect (pilot region, waves after start).
WAVE_EFFECT: dict[str, float] = {"baseline": 0.0, "month-1": 0.5, "month-2": 1.0, "month-3": 1.0}
PILOT_REGION = "krg"      # Karaganda
PILOT_EFFECT = -6.0       # on B in the pilot region in waves after the pilot start (month-1, -2, -3)
PILOT_SLUG = "schedule-pilot"
PILOT_START_DAYS_AGO = 90  # the pilot starts 90 days before the seed's "today", after the baseline closes
RESPONSE_RATE_FOLLOW_UP = 0.70   # closed follow-up waves month-1 and month-2

# ------------------------------------------------------------------------------ CBI items
CBI_VALUES = np.array([0.0, 25.0, 50.0, 75.0, 100.0])
CBI_SCALE_OFFSET: dict[str, float] = {"personal": 3.0, "work": 0.0, "client": -10.0}
SD_CBI_SCALE = 6.0        # person-level deviation of each CBI scale from B
SD_CBI_ITEM = 18.0        # item noise before snapping to the nearest response value
CBI_ITEMS: dict[str, tuple[str, ...]] = {
    "personal": ("p1", "p2", "p3", "p4", "p5", "p6"),
    "work": ("w1", "w2", "w3", "w4", "w5", "w6"),      # w7 (family energy) is drawn apart, below
    "client": ("c1", "c2", "c3", "c4", "c5", "c6"),
}
# w7 "Do you have enough energy for family and friends during leisure time?" is reverse-scored: its raw
# answer is drawn as 100 − (L_work + noise), so its scored value (the cbi.family scale) tracks work burnout.

# ------------------------------------------------------------------------------ WHO-5
WHO_MEAN = 58.0           # expected WHO-5 (0–100) at B = MU
WHO_SLOPE = -0.5          # WHO-5 points per point of B above MU
SD_WHO = 10.0             # person-level residual of WHO-5
SD_WHO_ITEM = 0.7         # item noise on the 0–5 item metric (latent / 20 + noise, rounded)

# ------------------------------------------------------------------------------ work-family conflict (1–5)
WFC_MEAN = 2.6            # expected work_to_family mean at B = MU
WFC_SLOPE = 0.025         # per point of B above MU
SD_WFC = 0.45
SD_WFC_ITEM = 0.7
FTW_MEAN = 1.9            # family_to_work (item "concentrate"), unrelated to B
SD_FTW = 0.8
P_NO_FAMILY = 0.15        # skips the three partner/family items (optional in the instrument)

# ------------------------------------------------------------------------------ context items
P_SKIP_CONTEXT = 0.05     # each context item is left unanswered with this probability
P_REPORTS_OWN_PATTERN = 0.9
PATTERN_CODE: dict[str, int] = {"fixed-8h": 1, "rotating-8h": 2, "4-10": 3, "pitman-12h": 4,
                                "4on4off-12h": 5, "dupont-12h": 6, "continental-12h": 7, "24-72": 8,
                                "24-48": 9, "on-call": 10}
# Probabilities of the bands 1..4 of night shifts, quick returns and overtime per shift pattern.
NIGHTS_P: dict[str, tuple[float, ...]] = {
    "fixed-8h": (.80, .15, .04, .01), "rotating-8h": (.05, .25, .50, .20), "pitman-12h": (.10, .30, .45, .15),
    "24-48": (.02, .08, .30, .60), "24-72": (.02, .13, .70, .15)}
QUICK_RETURNS_P: dict[str, tuple[float, ...]] = {
    "fixed-8h": (.85, .12, .02, .01), "rotating-8h": (.20, .35, .30, .15), "pitman-12h": (.50, .35, .10, .05),
    "24-48": (.70, .20, .07, .03), "24-72": (.75, .18, .05, .02)}
OVERTIME_P: dict[str, tuple[float, ...]] = {
    "fixed-8h": (.40, .40, .15, .05), "rotating-8h": (.25, .45, .20, .10), "pitman-12h": (.25, .40, .25, .10),
    "24-48": (.15, .35, .30, .20), "24-72": (.15, .40, .30, .15)}
UNIFORM4 = (.25, .25, .25, .25)   # paperwork share, recalled days, service years

# ------------------------------------------------------------------------------ languages, response rates
LANGUAGE_P: dict[str, float] = {"ru": 0.60, "kk": 0.35, "en": 0.05}
RESPONSE_RATE_CLOSED = 0.80    # share of a group's officers who answer the closed wave
RESPONSE_RATE_OPEN = 0.30      # so far in the open wave (at least K + 1 per group)
MIN_CLOSED_RESPONSES = 5000


def latent_burnout(rng: np.random.Generator, n: int, *, region_intercept: float, unit_intercept: float,
                   pattern: str, wave: str, pilot: bool, night_hours: float = NIGHT_HOURS_REF,
                   quick_returns: float = QUICK_RETURNS_REF) -> np.ndarray:
    """Draw ``n`` latent burnout values B for one unit in one wave (formula in the module docstring).

    ``night_hours`` and ``quick_returns`` are the unit's per-month values over the wave's reference
    window (defaults: the reference levels, i.e. no feature effect)."""
    mean = expected_burnout(region_intercept=region_intercept, unit_intercept=unit_intercept, pattern=pattern,
                            wave=wave, pilot=pilot, night_hours=night_hours, quick_returns=quick_returns)
    return mean + rng.normal(0.0, SD_RESPONSE, n)


def expected_burnout(*, region_intercept: float, unit_intercept: float, pattern: str, wave: str,
                     pilot: bool, night_hours: float = NIGHT_HOURS_REF,
                     quick_returns: float = QUICK_RETURNS_REF) -> float:
    """E[B] for a unit in a wave (the known value later analyses are checked against)."""
    return (MU + region_intercept + unit_intercept + SHIFT_EFFECT[pattern]
            + NIGHT_HOURS_EFFECT * (night_hours - NIGHT_HOURS_REF)
            + QUICK_RETURN_EFFECT * (quick_returns - QUICK_RETURNS_REF) + WAVE_EFFECT[wave]
            + (PILOT_EFFECT if pilot else 0.0))


def _snap(x: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each element of ``x`` replaced by the nearest of ``values``."""
    return values[np.abs(x[..., None] - values).argmin(axis=-1)]


def _banded(rng: np.random.Generator, n: int, probs: tuple[float, ...]) -> np.ndarray:
    return rng.choice(np.arange(1, len(probs) + 1), size=n, p=np.asarray(probs) / sum(probs))


def simulate(rng: np.random.Generator, b: np.ndarray, pattern: str,
             instruments: tuple[str, ...] = ("cbi", "who5", "wfc", "context")) -> list[dict[str, Any]]:
    """Answers for each latent burnout in ``b``: a list of ``{"language": .., "answers": {instrument:
    {item: value or None}}}``, values on the items' response sets (raw, before reverse scoring)."""
    n = len(b)
    out: dict[str, dict[str, np.ndarray]] = {}
    if "cbi" in instruments:
        cbi: dict[str, np.ndarray] = {}
        l_work = None
        for scale, items in CBI_ITEMS.items():
            level = b + CBI_SCALE_OFFSET[scale] + rng.normal(0.0, SD_CBI_SCALE, n)
            if scale == "work":
                l_work = level
            for item in items:
                cbi[item] = _snap(level + rng.normal(0.0, SD_CBI_ITEM, n), CBI_VALUES)
        assert l_work is not None
        cbi["w7"] = _snap(100.0 - (l_work + rng.normal(0.0, SD_CBI_ITEM, n)), CBI_VALUES)
        out["cbi"] = cbi
    if "who5" in instruments:
        w = WHO_MEAN + WHO_SLOPE * (b - MU) + rng.normal(0.0, SD_WHO, n)
        out["who5"] = {f"i{k}": np.clip(np.rint(w / 20.0 + rng.normal(0.0, SD_WHO_ITEM, n)), 0, 5)
                       for k in range(1, 6)}
    if "wfc" in instruments:
        f = WFC_MEAN + WFC_SLOPE * (b - MU) + rng.normal(0.0, SD_WFC, n)
        wfc = {item: np.clip(np.rint(f + rng.normal(0.0, SD_WFC_ITEM, n)), 1, 5)
               for item in ("worry", "tired", "no_time", "fed_up")}
        wfc["concentrate"] = np.clip(np.rint(FTW_MEAN + rng.normal(0.0, SD_FTW, n)), 1, 5)
        no_family = rng.random(n) < P_NO_FAMILY
        for item in ("no_time", "fed_up", "concentrate"):
            wfc[item] = np.where(no_family, np.nan, wfc[item])
        out["wfc"] = wfc
    if "context" in instruments:
        own = rng.random(n) < P_REPORTS_OWN_PATTERN
        ctx = {
            "shift_pattern": np.where(own, PATTERN_CODE[pattern], rng.integers(1, 12, n)).astype(float),
            "night_shifts": _banded(rng, n, NIGHTS_P[pattern]),
            "quick_returns": _banded(rng, n, QUICK_RETURNS_P[pattern]),
            "overtime_band": _banded(rng, n, OVERTIME_P[pattern]),
            "paperwork_share": _banded(rng, n, UNIFORM4),
            "recalled_days": _banded(rng, n, UNIFORM4),
            "service_years": _banded(rng, n, UNIFORM4),
        }
        out["context"] = {k: np.where(rng.random(n) < P_SKIP_CONTEXT, np.nan, v.astype(float))
                          for k, v in ctx.items()}
    langs = rng.choice(list(LANGUAGE_P), size=n, p=list(LANGUAGE_P.values()))
    return [{"language": str(langs[i]),
             "answers": {iid: {item: (None if np.isnan(v[i]) else float(v[i])) for item, v in items.items()}
                         for iid, items in out.items()}}
            for i in range(n)]


def response_counts(sizes: Mapping[str, int], rate: float, *, minimum: int = 0) -> dict[str, int]:
    """Responses per group: ``round(rate × size)``, at least ``minimum``, never more than ``size``."""
    return {g: min(size, max(minimum, int(round(rate * size)))) for g, size in sizes.items()}

# ------------------------------------------------------------------------------ roster and shift records
# The demo roster lists every officer of every unit (headcount of demo.structure) on the unit's shift
# pattern; its shift records are planned shifts of that pattern (core.shifts.generate.generate_shifts, crews
# assigned in person order) plus overtime and call-backs drawn below. Documented in docs/demo.md.
PERSON_ID_FORMAT = "P{:06d}"      # pseudonymous ids P000001, P000002, ... in unit order
CONTRACT_HOURS_WEEK = 40.0        # contract_hours_week of every officer (KZ Labour Code art. 68)
ROSTER_AS_OF_DAYS = 130           # the roster snapshot is dated this many days before "today" (before baseline opens)
SHIFT_DAYS = 90                   # reference window of every demo wave (the waves' window_days)
# Shift records cover every wave's reference window: from SHIFT_DAYS before the first wave opens to the
# day before the last (open) wave opens (about 200 days).
# Overtime: a share of a unit's worked shifts is extended by an `overtime` record right after the shift
# ends; the share is drawn per unit, uniformly in this range (so reporting groups differ).
OVERTIME_EXTENSION_P = (0.0, 0.15)
OVERTIME_EXTENSION_H = 2.0        # hours of each extension
# Call-backs: CALLBACK_PER_MONTH call-backs a month per officer (rate drawn per unit, uniformly in this
# range), each after a rest of CALLBACK_AFTER_H hours (< 11 h: a quick return, EU 2003/88 art. 3) and
# lasting CALLBACK_H hours of `overtime`; only after a shift whose next planned shift starts at least
# 11 h after the call-back ends, so each call-back adds exactly one quick return and the quick returns
# a month do not depend on the pattern (a unit's rate per eligible shift = its monthly rate / eligible
# shifts a month).
CALLBACK_PER_MONTH = (0.0, 3.0)
CALLBACK_AFTER_H = 8.0
CALLBACK_H = 3.0
