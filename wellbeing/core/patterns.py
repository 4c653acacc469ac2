"""Shift-pattern catalogue (DESIGN.md section 5): explicit day sequences and shift templates.

Every pattern is a set of **crews**. A crew follows a cycle of days; each day of the cycle names
zero, one or more shift codes (``"-"`` = off, ``"D+C"`` = a ``D`` shift and a ``C`` record on the same
day). Crews of a 24/7 pattern are staggered so that, together, they cover the clock. A shift code is
a :class:`ShiftTemplate`: local start clock time, length in hours (wall clock; a template crossing
midnight ends the next day), duty type and unpaid break.

Cycles are anchored on Monday 2024-01-01 (:data:`CYCLE_ANCHOR`): day ``d`` of the calendar is
position ``((d - anchor).days + crew.offset) % len(cycle)`` of a crew's cycle, so a weekly cycle's
first day is always a Monday and generated rosters do not depend on the requested start date.

Average hours per week over one whole cycle (gross = net, no unpaid break, except ``fixed-8h``):

========================  =====  ======  ============  ==========================================
slug                      crews  cycle   h/week        sequence of one crew
========================  =====  ======  ============  ==========================================
``fixed-8h``              1      7 d     40 (net)      D D D D D - -   (09:00-18:00, 60 min break)
``rotating-8h``           4      28 d    42            M x7, off x2, E x7, off x2, N x7, off x3
``4-10``                  6      7 d     40            4 x 10 h, 3 off (day/evening/night teams)
``pitman-12h``            4      14 d    42            2 on, 2 off, 3 on, 2 off, 2 on, 3 off
``4on4off-12h``           4      8 d     42            4 on, 4 off (day and night crews)
``dupont-12h``            4      28 d    42            4 N, 3 off, 3 D, 1 off, 3 N, 3 off, 4 D, 7 off
``continental-12h``       4      8 d     42            2 D, 2 N, 4 off ("2-2-4")
``24-72``                 4      4 d     42            24 h duty, 3 days off ("сутки через трое")
``24-48``                 3      3 d     56            24 h duty, 2 days off
``on-call``               4      28 d    40 + on call  day work; one week in four on call
========================  =====  ======  ============  ==========================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "CYCLE_ANCHOR",
    "Crew",
    "PATTERNS",
    "SHIFT_PATTERN_SLUGS",
    "ShiftPattern",
    "ShiftTemplate",
    "get_pattern",
]

#: A Monday: position 0 of every cycle.
CYCLE_ANCHOR = dt.date(2024, 1, 1)


@dataclass(frozen=True)
class ShiftTemplate:
    """One shift code of a pattern.

    Attributes
    ----------
    start : datetime.time
        Local start clock time.
    hours : float
        Length in wall-clock hours (gross, before the unpaid break).
    duty_type : str
        ``regular``, ``overtime``, ``on_call``, ``training`` or ``leave``.
    break_min : int
        Unpaid break in minutes.
    """

    start: dt.time
    hours: float
    duty_type: str = "regular"
    break_min: int = 0


@dataclass(frozen=True)
class Crew:
    """A crew: a day sequence (one entry per day; codes joined by ``+``; ``-`` = off) and an offset."""

    cycle: tuple[str, ...]
    offset: int = 0


@dataclass(frozen=True)
class ShiftPattern:
    """A shift pattern of the catalogue."""

    slug: str
    name: str
    templates: Mapping[str, ShiftTemplate]
    crews: tuple[Crew, ...]
    note: str = ""

    @property
    def cycle_days(self) -> int:
        """Length of the longest crew cycle in days."""
        return max(len(c.cycle) for c in self.crews)

    def crew_hours_per_week(self, crew: int = 0, *, net: bool = True) -> float:
        """Average (net or gross) worked hours per week of one crew over a whole cycle; on-call excluded."""
        c = self.crews[crew]
        total = 0.0
        for day in c.cycle:
            for code in day_codes(day):
                t = self.templates[code]
                if t.duty_type in ("regular", "overtime", "training"):
                    total += t.hours - (t.break_min / 60 if net else 0)
        return total * 7 / len(c.cycle)


def day_codes(day: str) -> list[str]:
    return [c for c in day.split("+") if c and c != "-"]


def _seq(spec: str) -> tuple[str, ...]:
    """``"DD--"`` -> ``("D", "D", "-", "-")`` (one character per day)."""
    return tuple(spec)


_T = dt.time
_M8 = ShiftTemplate(_T(6, 0), 8)
_E8 = ShiftTemplate(_T(14, 0), 8)
_N8 = ShiftTemplate(_T(22, 0), 8)
_D12 = ShiftTemplate(_T(7, 0), 12)
_N12 = ShiftTemplate(_T(19, 0), 12)
_PITMAN = "DD--DDD--DD---"
_DUPONT = "NNNN---DDD-NNN---DDDD-------"
_SOUTHERN = "M" * 7 + "--" + "E" * 7 + "--" + "N" * 7 + "---"

PATTERNS: Mapping[str, ShiftPattern] = MappingProxyType(
    {
        p.slug: p
        for p in [
            ShiftPattern(
                "fixed-8h",
                "Fixed day work, 8 h (Mon-Fri)",
                {"D": ShiftTemplate(_T(9, 0), 9, break_min=60)},
                (Crew(_seq("DDDDD--")),),
                "Day work only; does not cover the clock.",
            ),
            ShiftPattern(
                "rotating-8h",
                "Rotating 8 h (4 crews, weekly forward rotation)",
                {"M": _M8, "E": _E8, "N": _N8},
                tuple(Crew(_seq(_SOUTHERN), 7 * i) for i in range(4)),
            ),
            ShiftPattern(
                "4-10",
                "4 x 10 h",
                {
                    "D": ShiftTemplate(_T(7, 0), 10),
                    "E": ShiftTemplate(_T(15, 0), 10),
                    "N": ShiftTemplate(_T(21, 0), 10),
                },
                tuple(
                    Crew(_seq(code * 4 + "---"), off) for code in "DEN" for off in (0, 3)
                ),
            ),
            ShiftPattern(
                "pitman-12h",
                "12 h 2-2-3 (Pitman)",
                {"D": _D12, "N": _N12},
                (
                    Crew(_seq(_PITMAN), 0),
                    Crew(_seq(_PITMAN), 7),
                    Crew(_seq(_PITMAN.replace("D", "N")), 0),
                    Crew(_seq(_PITMAN.replace("D", "N")), 7),
                ),
            ),
            ShiftPattern(
                "4on4off-12h",
                "12 h 4-on-4-off",
                {"D": _D12, "N": _N12},
                (
                    Crew(_seq("DDDD----"), 0),
                    Crew(_seq("DDDD----"), 4),
                    Crew(_seq("NNNN----"), 0),
                    Crew(_seq("NNNN----"), 4),
                ),
            ),
            ShiftPattern(
                "dupont-12h",
                "12 h DuPont",
                {"D": _D12, "N": _N12},
                tuple(Crew(_seq(_DUPONT), 7 * i) for i in range(4)),
            ),
            ShiftPattern(
                "continental-12h",
                "12 h continental 2-2-4",
                {"D": _D12, "N": _N12},
                tuple(Crew(_seq("DDNN----"), 2 * i) for i in range(4)),
            ),
            ShiftPattern(
                "24-72",
                "24 h duty, 72 h off (сутки через трое)",
                {"S": ShiftTemplate(_T(9, 0), 24)},
                tuple(Crew(_seq("S---"), i) for i in range(4)),
            ),
            ShiftPattern(
                "24-48",
                "24 h duty, 48 h off",
                {"S": ShiftTemplate(_T(9, 0), 24)},
                tuple(Crew(_seq("S--"), i) for i in range(3)),
            ),
            ShiftPattern(
                "on-call",
                "Day work with on-call weeks",
                {
                    "D": ShiftTemplate(_T(9, 0), 9, break_min=60),
                    "C": ShiftTemplate(_T(18, 0), 15, duty_type="on_call"),
                    "W": ShiftTemplate(_T(9, 0), 24, duty_type="on_call"),
                },
                tuple(
                    Crew(tuple(["D+C"] * 5 + ["W", "W"] + (["D"] * 5 + ["-", "-"]) * 3), 7 * i)
                    for i in range(4)
                ),
                "On-call records are availability (duty_type on_call), not worked time.",
            ),
        ]
    }
)

#: Shift-pattern slugs of DESIGN.md's glossary.
SHIFT_PATTERN_SLUGS: tuple[str, ...] = tuple(PATTERNS)


def get_pattern(pattern: str | ShiftPattern) -> ShiftPattern:
    """Return the catalogue pattern for a slug (or the pattern itself).

    Raises
    ------
    KeyError
        If the slug is not in the catalogue.
    """
    if isinstance(pattern, ShiftPattern):
        return pattern
    try:
        return PATTERNS[pattern]
    except KeyError:
        raise KeyError(
            f"unknown shift pattern {pattern!r}; known: {', '.join(SHIFT_PATTERN_SLUGS)}"
        ) from None
