"""Helpers shared by tests: set up a wave through the same services the CLI uses."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from flask import Flask

from wellbeing.services import waves as wave_service
from wellbeing.services.units import import_units

DATA = Path(__file__).resolve().parent / "data"


def open_wave(app: Flask, slug: str = "w1", instruments: tuple[str, ...] = ("cbi", "who5"),
              units_file: str = "units-small.csv") -> dict[str, list[str]]:
    """Import units, create a wave, issue codes and open it; returns plain codes per group slug."""
    with app.app_context():
        import_units((DATA / units_file).read_bytes(), imported_by="test")
        wave = wave_service.create_wave(slug, list(instruments), opens=date(2026, 1, 1),
                                        closes=date(2026, 12, 31))
        issued = wave_service.issue_codes(wave)
        wave_service.open_wave(wave)
        return {g.slug: list(g.codes) for g in issued}


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no CSRF token in page"
    return m.group(1)


def item_ids(html: str) -> list[str]:
    """Radio item names on a questionnaire page, in order."""
    seen: list[str] = []
    for name in re.findall(r'type="radio" name="([a-z0-9_]+)"|name="([a-z0-9_]+)" type="radio"', html):
        n = name[0] or name[1]
        if n not in seen:
            seen.append(n)
    return seen


def first_values(html: str) -> dict[str, str]:
    """For each radio item on a page, the value of its first option."""
    out: dict[str, str] = {}
    for m in re.finditer(r'<input[^>]*type="radio"[^>]*>', html):
        tag = m.group(0)
        name = re.search(r'name="([^"]+)"', tag).group(1)  # type: ignore[union-attr]
        value = re.search(r'value="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
        out.setdefault(name, value)
    return out
