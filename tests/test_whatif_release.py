"""The what-if's disclosure gate (:func:`wellbeing.services.whatif.release_what_if`) played by an attacker
on a concrete group: the officers outside the unit keep their values under the proposed pattern, so the
released group means before and after, with the unit's proposed roster (public: the generator's), give
their mean by subtraction."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from wellbeing.core.fatigue import FATIGUE_COLUMNS
from wellbeing.services.whatif import WhatIf, release_what_if

K = 5
WINDOW = (dt.date(2024, 4, 1), dt.date(2024, 4, 29))


def _what_if(unit_n: int, others: list[float], unit_now: list[float], unit_new: list[float]) -> WhatIf:
    """A group of ``unit_n`` unit officers plus ``len(others)`` officers of other units (night hours a
    month each); the unit moves from ``unit_now`` to ``unit_new``."""
    g = unit_n + len(others)
    now = (sum(unit_now) + sum(others)) / g
    new = (sum(unit_new) + sum(others)) / g
    wave = SimpleNamespace(slug="w1", min_cell=K)
    fatigue = dict.fromkeys(FATIGUE_COLUMNS, 0.0)
    return WhatIf(wave, "u1", "g1", "pitman-12h", WINDOW, unit_n, g, "cbi.work", [], ["night_hours"],
                  {"night_hours": now, **fatigue}, {"night_hours": new, **fatigue}, {"now": 5.0, "proposed": 4.0})


def _attack(out: dict, unit_n: int, unit_new_sum: float) -> float:
    """The others' mean from the released numbers and the public proposed roster."""
    g, row = out["group_officers"], next(f for f in out["features"] if f["feature"] == "night_hours")
    return (g * row["proposed"] - unit_new_sum) / (g - unit_n)


def test_two_officers_outside_the_unit_are_not_revealed_by_subtraction():
    """Unit of 6 (K = 5) in a group of 8: the other two work 100 and 120 night hours a month. Without the
    complement rule the release has both group means and the attacker reads the two officers' mean,
    110.0, off it; with the rule nothing but the refusal is released."""
    unit_new = [60.0] * 6
    out = release_what_if(_what_if(6, [100.0, 120.0], [62.0] * 6, unit_new))
    revealed = _attack(out, 6, sum(unit_new)) if out["released"] else None
    assert revealed is None, f"the two officers' mean ({revealed:.1f} h) follows by subtraction"
    assert out["reason"] == "complement"
    assert "features" not in out and "group_officers" not in out and "prediction" not in out
    # the attack itself works: with five others (= K, released) it returns their mean, 108 h
    out5 = release_what_if(_what_if(6, [100.0, 120.0, 100.0, 120.0, 100.0], [62.0] * 6, unit_new))
    assert out5["released"] and _attack(out5, 6, sum(unit_new)) == pytest.approx(108.0, abs=0.2)


@pytest.mark.parametrize(("others", "released"), [(0, True), (1, False), (4, False), (5, True)])
def test_complement_rule_boundaries(others: int, released: bool):
    """0 officers outside the unit (unit = group) or at least K: released; 1 to K - 1: withheld."""
    out = release_what_if(_what_if(6, [80.0] * others, [62.0] * 6, [60.0] * 6))
    assert out["released"] is released
    assert out["reason"] == ("" if released else "complement")
