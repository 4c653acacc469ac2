"""Names a reader knows, in place of the slugs and codes a release is keyed by.

A released row is keyed by slugs (``abai-d1-u1--24-72``, ``abai``); pages, plots and PDFs show the
units' names from the roster ("Patrol battalion, Abai city department — 24/72") and the reasons for a
hidden cell in plain words. CSV and JSON exports keep the slugs: they are read by programs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l

from ..models import Wave
from ..pages import label, loc
from ..services.units import unit_names

#: Why a cell is hidden, in plain words (DESIGN.md rules 7–9 and 12; the codes of CLI.md).
REASON_WORDS: dict[str, Any] = {
    "below_k": _l("hidden: fewer than K answered"),
    "complementary": _l("hidden so that a hidden group cannot be worked out from the totals"),
    "overlap": _l("hidden: it differs from another shown group by fewer than K people"),
    "auditor": _l("hidden: with the other published numbers it would narrow a hidden group's score"),
    "share_below_k": _l("share hidden: fewer than K people are in the band, or fewer than K are not"),
    "wave_open": _l("the wave is still open: nothing is shown before it closes"),
    "model_refused": _l("model not shown: too few people in a level, or it would reveal a hidden cell"),
}

#: Column headings of the results CSV for people (``?headers=labels``); programs read CLI.md's names.
CSV_HEADINGS: dict[str, Any] = {
    "scale": _l("scale"), "group": _l("reporting group"), "region": _l("region"),
    "department": _l("department"), "shift_pattern": _l("shift pattern"), "language": _l("language"),
    "n": _l("respondents"), "mean": _l("mean"), "ci_low": _l("95% CI, lower"), "ci_high": _l("95% CI, upper"),
    "share_high": _l("share in concern band, %"), "share_ci_low": _l("share: 95% CI, lower"),
    "share_ci_high": _l("share: 95% CI, upper"), "suppressed": _l("hidden"), "reason": _l("reason"),
}

#: Breakdowns every wave has (the roster's); a context item of the same id is not offered.
STANDARD_DIMS = ("group", "department", "region", "shift_pattern", "language")

#: How many unit names a pooled group's name lists before "+ n more".
MAX_UNITS_NAMED = 3


def reason_words(code: str | None) -> str:
    """The plain-words reason for a reason code (the code itself if unknown, "" for none)."""
    if not code:
        return ""
    words = REASON_WORDS.get(str(code))
    return str(words) if words is not None else str(code)


def place_names() -> dict[str, str]:
    """Unit, department and region names by slug (the roster's units file)."""
    return unit_names()


def context_menu(wave: Wave, standard: Sequence[str]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The wave's context items usable as breakdowns: ``({item id: its question}, {item id: {value: option label}})``.

    An item whose id is a standard dimension (the officer's own "shift pattern") is left out: the
    breakdown by that name is the roster's, which is what the reporting groups are built on.
    """
    from ..services.results import context_instruments

    menu: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    for inst in context_instruments(wave):
        for item in inst.items:
            if item.id in standard:
                continue
            menu[item.id] = loc(item.text)
            opts = inst.response_sets[item.response_set].options
            values[item.id] = {_value_key(o.value): loc(o.label) for o in opts}
    return menu, values


def _value_key(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def level_names(wave: Wave) -> dict[str, dict[str, str]]:
    """Display names by dimension: ``{"group": {slug: name}, "region": {slug: name},
    "department": {slug: name}}``.

    A group is named by its units (at most :data:`MAX_UNITS_NAMED`, then "+ n"), its department when
    that is not already in the name, and its shift pattern ("… — 24/72") unless it pools all patterns.
    Import-only waves name groups by their stored label.
    """
    units = place_names()
    region_of = {g.department_slug: g.region_slug for g in wave.groups if g.department_slug}
    region_of.update({g.region_slug: None for g in wave.groups if g.region_slug})
    places = _unique({slug: units.get(slug, slug) for slug in region_of},
                     lambda slug: units.get(region_of.get(slug) or "", ""))
    for g in wave.groups:        # a pool across a region's departments (DESIGN.md section 6)
        if g.region_slug and not g.department_slug:
            places[f"{g.region_slug}-pooled"] = str(_l("%(region)s, units pooled across departments",
                                                     region=units.get(g.region_slug, g.region_slug)))
    groups: dict[str, str] = {}
    for g in wave.groups:
        slugs = [s for s in (g.unit_slugs or "").split(",") if s]
        if not slugs:
            groups[g.slug] = g.label or g.slug
            continue
        names = [units.get(s, s) for s in slugs[:MAX_UNITS_NAMED]]
        text = ", ".join(names)
        if len(slugs) > MAX_UNITS_NAMED:
            text += f" (+{len(slugs) - MAX_UNITS_NAMED})"
        dept = places.get(g.department_slug or "")
        if dept and dept not in text:
            text += f", {dept}"
        if g.shift_pattern and g.shift_pattern != "all":
            text += f" — {label(g.shift_pattern)}"
        groups[g.slug] = text
    regions = {g.slug: g.region_slug for g in wave.groups}
    groups = _unique(groups, lambda slug: units.get(regions.get(slug) or "", ""))
    out: dict[str, dict[str, str]] = {"group": groups, "region": places, "department": places}
    out.update(context_menu(wave, STANDARD_DIMS)[1])       # context answers by their option labels
    return out


def _unique(names: dict[str, str], context: Any) -> dict[str, str]:
    """Names made unique: a repeated name gets ``context(slug)`` (its region) appended, then a number.

    Two districts may both be "District police department 1"; on one page (and in one plot, whose rows
    are keyed by name) they must stay two rows.
    """
    seen: dict[str, int] = {}
    for text in names.values():
        seen[text] = seen.get(text, 0) + 1
    out = {}
    for slug, text in names.items():
        if seen[text] > 1 and context(slug) and context(slug) not in text:
            text = f"{text}, {context(slug)}"
        out[slug] = text
    count: dict[str, int] = {}
    for slug, text in out.items():
        count[text] = count.get(text, 0) + 1
        if count[text] > 1:
            out[slug] = f"{text} ({count[text]})"
    return out


def row_name(row: Mapping[str, Any], by: Sequence[str], names: Mapping[str, Mapping[str, str]]) -> str:
    """The display name of a released row for breakdown ``by`` ("whole wave" for no breakdown).

    Groups, regions and departments by :func:`level_names`; any other value (shift pattern,
    language, a context answer) by the interface's label for it.
    """
    if not by:
        return label("whole_wave")
    parts = []
    for d in by:
        value = str(row[d])
        known = names.get(d, {})
        parts.append(known[value] if value in known else label(value))
    return " · ".join(parts)
