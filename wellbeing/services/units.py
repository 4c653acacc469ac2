"""Saving the unit hierarchy (``flask units import`` and the admin upload page)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime

from ..core.units import UnitRow, parse_units
from ..extensions import db
from ..models import ImportRecord, Unit, UnitLevel


def level_counts() -> dict[str, int]:
    """Unit level (region, department, unit) -> number of units (the admin dashboard)."""
    rows = db.session.execute(db.select(Unit.level, db.func.count()).group_by(Unit.level)).all()
    return {str(level): int(n) for level, n in rows}


def all_units() -> list[Unit]:
    """Every unit, by slug."""
    return list(db.session.execute(db.select(Unit).order_by(Unit.slug)).scalars())


def unit_names() -> dict[str, str]:
    """Unit, department and region names by slug (the units file)."""
    return {slug: name for slug, name in db.session.execute(db.select(Unit.slug, Unit.name))}


def regions() -> list[tuple[str, str]]:
    """(slug, name) of every region, by slug."""
    return [(s, n) for s, n in db.session.execute(
        db.select(Unit.slug, Unit.name).filter_by(level=UnitLevel.region).order_by(Unit.slug))]


def existing_levels() -> dict[str, str]:
    return {slug: str(level) for slug, level in db.session.execute(db.select(Unit.slug, Unit.level))}


def existing_parents() -> dict[str, str | None]:
    """Stored unit id -> its parent's id (None for regions)."""
    slugs = dict(db.session.execute(db.select(Unit.id, Unit.slug)).all())
    return {slug: slugs.get(parent) for slug, parent in db.session.execute(db.select(Unit.slug, Unit.parent_id))}


def preview_units(data: bytes, **read_opts: object) -> list[UnitRow]:
    """Validate a units file against the stored hierarchy without saving (raises ImportRejected)."""
    return parse_units(data, existing=existing_levels(), existing_parents=existing_parents(),
                       **read_opts)  # type: ignore[arg-type]


def import_units(data: bytes, *, imported_by: str, columns: Mapping[str, str] | None = None,
                 delimiter: str | None = None, encoding: str = "utf-8",
                 values: Mapping[str, Mapping[str, str]] | None = None) -> int:
    """Validate and save a units file, all or nothing. Existing units (same id) are updated.

    ``values``: per-column value recoding (``[values.level]`` of a columns file). Returns the number of
    rows. Raises :class:`wellbeing.core.tables.ImportRejected`.
    """
    rows = parse_units(data, existing=existing_levels(), existing_parents=existing_parents(), columns=columns,
                       delimiter=delimiter, encoding=encoding, values=values)
    try:
        by_slug = {u.slug: u for u in db.session.execute(db.select(Unit)).scalars()}
        for r in rows:
            unit = by_slug.get(r.unit_id)
            if unit is None:
                unit = Unit(slug=r.unit_id)
                db.session.add(unit)
                by_slug[r.unit_id] = unit
            unit.name = r.name
            unit.level = UnitLevel(r.level)
            unit.headcount = r.headcount
            unit.parent = by_slug[r.parent_id] if r.parent_id else None
        db.session.add(ImportRecord(kind="units", file_hash=hashlib.sha256(data).hexdigest(),
                                    rows=len(rows), imported_by=imported_by,
                                    imported_at=datetime.now(UTC).replace(tzinfo=None)))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(rows)
