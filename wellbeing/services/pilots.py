"""Declared pilots (``flask pilots create|list`` and the analysis page): which regions, from when."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..extensions import db
from ..models import Pilot, Unit, UnitLevel
from .waves import SLUG_RE


class PilotError(ValueError):
    """A pilot request was refused; each problem is one ``field: reason`` part joined by ``; ``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def get_pilot(slug: str) -> Pilot:
    pilot = db.session.execute(db.select(Pilot).filter_by(slug=slug)).scalar_one_or_none()
    if pilot is None:
        raise PilotError([f"pilot {slug!r}: no such pilot"])
    return pilot


def list_pilots() -> list[Pilot]:
    return list(db.session.execute(db.select(Pilot).order_by(Pilot.starts, Pilot.slug)).scalars())


def create_pilot(slug: str, regions: Sequence[str], starts: date | None, title: str = "") -> Pilot:
    """Declare a pilot: ``regions`` are unit slugs of level region; ``starts`` the first pilot day.

    Raises :class:`PilotError` for a bad or duplicate slug, no region, a unit that is not a region,
    or a missing start date.
    """
    problems = []
    if not SLUG_RE.match(slug or ""):
        problems.append(f"slug: {slug!r} is not a slug (lower-case letters, digits, '-')")
    elif db.session.execute(db.select(Pilot.id).filter_by(slug=slug)).first():
        problems.append(f"slug: a pilot {slug!r} exists already")
    regions = [r.strip() for r in regions if r.strip()]
    if not regions:
        problems.append("regions: name at least one region")
    levels = dict(db.session.execute(db.select(Unit.slug, Unit.level).where(Unit.slug.in_(regions))).all())
    for r in regions:
        if r not in levels:
            problems.append(f"regions: unknown unit {r!r}")
        elif levels[r] != UnitLevel.region:
            problems.append(f"regions: {r!r} is a {levels[r]}, not a region")
    if len(set(regions)) != len(regions):
        problems.append("regions: listed twice")
    if starts is None:
        problems.append("starts: a pilot needs a start date")
    if problems:
        raise PilotError(problems)
    pilot = Pilot(slug=slug, regions=",".join(regions), starts=starts, title=title)
    db.session.add(pilot)
    db.session.commit()
    return pilot
