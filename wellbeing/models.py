"""Typed SQLAlchemy 2.0 models.

Three stores never join (DESIGN.md section 4): the roster (people, units, shifts), the code ledger
(hashes of access codes) and the responses (answers and scores). No foreign key or relationship links
a response to the roster or the ledger.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


class UnitLevel(enum.StrEnum):
    region = "region"
    department = "department"
    unit = "unit"


class Unit(db.Model):
    """One node of the unit hierarchy: region → department → unit."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[UnitLevel] = mapped_column(db.Enum(UnitLevel, native_enum=False, length=16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    headcount: Mapped[int | None]

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")

    def __repr__(self) -> str:
        return f"<Unit {self.slug} ({self.level})>"


class InstrumentSnapshot(db.Model):
    """A frozen copy of an instrument definition, identified by the SHA-256 of its source text.

    Waves point at snapshots, so later edits of ``surveys/*.toml`` never change past scores.
    """

    __tablename__ = "instrument_snapshot"
    __table_args__ = (UniqueConstraint("content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)


class ImportRecord(db.Model):
    """An accepted file import: what, which file (SHA-256), how many rows, who and when.

    This describes staff actions on roster, unit and response files, never a survey answer.
    """

    __tablename__ = "import_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    file_hash: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int]
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime]
