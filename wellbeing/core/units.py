"""The unit hierarchy file: ``unit_id,name,parent_id,level,headcount`` (CLI.md, ``flask units import``).

Levels run region → department → unit; a region has no parent; a department's parent is a region; a
unit's parent is a department. ``headcount`` (officers, whole number ≥ 0) serves for pooling reporting
groups until a roster exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .tables import ImportRejected, RowError, read_table

LEVELS = ("region", "department", "unit")
PARENT_LEVEL = {"region": None, "department": "region", "unit": "department"}
UNIT_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class UnitRow:
    unit_id: str
    name: str
    parent_id: str | None
    level: str
    headcount: int | None


def parse_units(data: bytes | str, *, existing: Mapping[str, str] | None = None,
                delimiter: str | None = None, encoding: str = "utf-8",
                columns: Mapping[str, str] | None = None,
                existing_parents: Mapping[str, str | None] | None = None,
                values: Mapping[str, Mapping[str, str]] | None = None) -> list[UnitRow]:
    """Parse and validate a units file.

    Parameters
    ----------
    existing : unit id -> level of units already stored (parents may refer to them).
    existing_parents : unit id -> parent id of units already stored: a unit that has stored children
        may not change to a level its children cannot sit under.
    values : per-column value recoding (file value -> contract value), e.g. ``{"level": {"облыс": "region"}}``.

    Returns
    -------
    list of :class:`UnitRow`, parents before children.

    Raises
    ------
    ImportRejected
        listing every problem with its row and column: bad slug, unknown level, duplicate id, unknown
        parent, parent of the wrong level, region with a parent, bad headcount.
    """
    table = read_table(data, required=("unit_id", "name", "parent_id", "level"), optional=("headcount",),
                       delimiter=delimiter, encoding=encoding, columns=columns, values=values)
    existing = dict(existing or {})
    errors: list[RowError] = []
    rows: list[tuple[int, UnitRow]] = []
    seen: dict[str, int] = {}
    for lineno, r in table.rows:
        uid, level, parent = r["unit_id"], r["level"].lower(), r["parent_id"] or None
        if not UNIT_SLUG_RE.match(uid):
            errors.append(RowError(lineno, "unit_id", uid, "slug", "not a slug (lower-case letters, digits, '-')"))
        if uid in seen:
            errors.append(RowError(lineno, "unit_id", uid, "duplicate", f"duplicate of row {seen[uid]}"))
        seen[uid] = lineno
        if not r["name"]:
            errors.append(RowError(lineno, "name", "", "name", "a unit needs a name"))
        if level not in LEVELS:
            errors.append(RowError(lineno, "level", r["level"], "level", "must be region, department or unit"))
        headcount = None
        if r.get("headcount"):
            try:
                headcount = int(r["headcount"])
                if headcount < 0:
                    raise ValueError
            except ValueError:
                errors.append(RowError(lineno, "headcount", r["headcount"], "headcount", "must be a whole number ≥ 0"))
        rows.append((lineno, UnitRow(uid, r["name"], parent, level, headcount)))
    levels = {**existing, **{u.unit_id: u.level for _, u in rows}}
    for lineno, u in rows:
        if u.level not in LEVELS:
            continue
        want = PARENT_LEVEL[u.level]
        if want is None:
            if u.parent_id:
                errors.append(RowError(lineno, "parent_id", u.parent_id, "parent", "a region has no parent"))
        elif not u.parent_id:
            errors.append(RowError(lineno, "parent_id", "", "parent", f"a {u.level} needs a parent {want}"))
        elif u.parent_id not in levels:
            errors.append(RowError(lineno, "parent_id", u.parent_id, "unknown_unit", "unknown unit"))
        elif levels[u.parent_id] != want:
            errors.append(RowError(lineno, "parent_id", u.parent_id, "parent",
                                   f"a {u.level}'s parent must be a {want}, not a {levels[u.parent_id]}"))
    in_file = {u.unit_id: lineno for lineno, u in rows}
    flagged: set[str] = set()
    for child, parent in (existing_parents or {}).items():
        if parent in in_file and child not in in_file and parent not in flagged and child in levels:
            want = PARENT_LEVEL.get(levels[child])
            if want is not None and levels.get(parent) != want:
                flagged.add(parent)
                errors.append(RowError(in_file[parent], "level", levels.get(parent), "relevel",
                                       f"{parent} has stored children (e.g. the {levels[child]} {child}), "
                                       f"whose parent must be a {want}"))
    if errors:
        raise ImportRejected(errors)
    order = {lvl: i for i, lvl in enumerate(LEVELS)}
    return [u for _, u in sorted(rows, key=lambda t: (order[t[1].level], t[0]))]
