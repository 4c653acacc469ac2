"""Typed SQLAlchemy 2.0 models.

Three stores never join (DESIGN.md section 4): the roster (people, units, shifts), the code ledger
(hashes of access codes) and the responses (answers and scores). No foreign key or relationship links
a response to the roster or the ledger.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
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


class AuditEntry(db.Model):
    """One staff action (``wellbeing.services.audit``): who (``web:<user>`` or ``cli:<os user>``), what
    (an action name such as ``admin.wave_issue`` or ``cli:units import``), on what, when (UTC, to the
    second). Never written by survey routes and never about an officer."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


# ------------------------------------------------------------------------------- waves and groups


class WaveStatus(enum.StrEnum):
    draft = "draft"        # created; instruments, dates and K may change
    issued = "issued"      # codes printed: reporting groups and K frozen
    open = "open"          # accepting answers
    closed = "closed"      # no more answers; results may be released


class Wave(db.Model):
    """One survey round: its instruments (snapshots), dates, K and reporting groups."""

    __tablename__ = "wave"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    opens: Mapped[date | None]
    closes: Mapped[date | None]
    status: Mapped[WaveStatus] = mapped_column(
        db.Enum(WaveStatus, native_enum=False, length=16), default=WaveStatus.draft)
    min_cell: Mapped[int] = mapped_column(default=5)
    window_days: Mapped[int] = mapped_column(default=90)
    import_only: Mapped[bool] = mapped_column(default=False)
    unit_scope: Mapped[str] = mapped_column(Text, default="")  # comma-separated unit slugs, empty = all

    instruments: Mapped[list[WaveInstrument]] = relationship(
        back_populates="wave", order_by="WaveInstrument.position", cascade="all, delete-orphan")
    groups: Mapped[list[ReportingGroup]] = relationship(
        back_populates="wave", order_by="ReportingGroup.slug", cascade="all, delete-orphan")

    @property
    def frozen(self) -> bool:
        """Reporting groups and K are frozen once codes are issued (DESIGN.md rules 6 and 7)."""
        return self.status != WaveStatus.draft or self.import_only and bool(self.groups)


class WaveInstrument(db.Model):
    """The snapshot of an instrument that a wave uses, in questionnaire order."""

    __tablename__ = "wave_instrument"
    __table_args__ = (UniqueConstraint("wave_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("instrument_snapshot.id"))
    position: Mapped[int]

    wave: Mapped[Wave] = relationship(back_populates="instruments")
    snapshot: Mapped[InstrumentSnapshot] = relationship()


class ReportingGroup(db.Model):
    """A fixed set of officers (pooled units × shift pattern) reported together; frozen with the wave."""

    __tablename__ = "reporting_group"
    __table_args__ = (UniqueConstraint("wave_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    slug: Mapped[str] = mapped_column(String(128))
    label: Mapped[str] = mapped_column(String(200), default="")
    unit_slugs: Mapped[str] = mapped_column(Text, default="")   # comma-separated pooled units
    region_slug: Mapped[str | None] = mapped_column(String(64))
    department_slug: Mapped[str | None] = mapped_column(String(64))
    shift_pattern: Mapped[str] = mapped_column(String(32), default="all")
    size: Mapped[int] = mapped_column(default=0)        # officers on the roster (or headcount)
    import_value: Mapped[str | None] = mapped_column(String(64))  # import-only waves: value in the data

    wave: Mapped[Wave] = relationship(back_populates="groups")


# ------------------------------------------------------------------------------------ code ledger


class AccessCode(db.Model):
    """The code ledger: only the HMAC of a printed code, its wave and group, and whether it was used.

    No timestamp, no sequence (DESIGN.md rule 2). Never joined to responses.
    """

    __tablename__ = "code_ledger"
    __table_args__ = {"sqlite_with_rowid": False}

    code_hmac: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("reporting_group.id"))
    used: Mapped[bool] = mapped_column(default=False)


# -------------------------------------------------------------------------------------- responses


class Response(db.Model):
    """One submitted questionnaire set. Random id; no person, code, session, address or time column."""

    __tablename__ = "response"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("reporting_group.id"))
    language: Mapped[str] = mapped_column(String(8))


class Answer(db.Model):
    """One item value of a response (raw response-set value, before reverse scoring)."""

    __tablename__ = "answer"
    __table_args__ = {"sqlite_with_rowid": False}

    response_id: Mapped[str] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[float]


class Score(db.Model):
    """One scale score of a response, e.g. ``cbi.work`` = 62.5 (scale units, e.g. 0–100 points)."""

    __tablename__ = "score"
    __table_args__ = {"sqlite_with_rowid": False}

    response_id: Mapped[str] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), primary_key=True)
    scale_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[float]


class PendingResponse(db.Model):
    """A submitted response that is stored but not yet readable (DESIGN.md section 4, rule 4).

    ``sealed`` is AES-256-GCM ciphertext (:mod:`wellbeing.core.sealing`) of the language and answers,
    under the instance's ``SEAL_KEY`` (never in the database); ``key_id`` names that key. Rows are
    written in the submit's transaction beside the ledger's ``used`` flip and leave this table only in a
    shuffled batch of at least K of their group (:mod:`wellbeing.services.batches`), where they get a
    new random id, so the id here never reappears on a readable response. No time column.
    """

    __tablename__ = "pending_response"
    __table_args__ = (Index("ix_pending_response_wave_group", "wave_id", "group_id"),
                      {"sqlite_with_rowid": False})

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("reporting_group.id"))
    key_id: Mapped[str] = mapped_column(String(16))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class Progress(db.Model):
    """Answers so far of a survey in progress, keyed by the SHA-256 of a random nonce held in a cookie.

    Holds the code's HMAC (needed to mark it used at submit) and an expiry rounded to the hour — the one
    time value the platform stores, on this table only (DESIGN.md rule 5). The answers are sealed
    (:func:`wellbeing.core.sealing.seal_text`, bound to ``nonce_hash``), so neither the file nor its
    write-ahead log keeps them readable. Every row of a code is deleted at its submit, every row of a
    wave at its close, and expired rows on every code entry.
    """

    __tablename__ = "progress"
    __table_args__ = {"sqlite_with_rowid": False}

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    code_hmac: Mapped[str] = mapped_column(String(64))
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    language: Mapped[str] = mapped_column(String(8))
    answers: Mapped[str] = mapped_column(Text, default="")   # sealed JSON {instrument: {item: value}}
    expires: Mapped[datetime]


# ---------------------------------------------------------------------------------- staff accounts


class Role(enum.StrEnum):
    """Staff roles (DESIGN.md section 1). Officers have no accounts."""

    admin = "admin"
    psychologist = "psychologist"
    analyst = "analyst"


class User(db.Model):
    """A staff account: login name (a slug), Werkzeug password hash, role, and whether it may log in."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(db.Enum(Role, native_enum=False, length=16))
    active: Mapped[bool] = mapped_column(default=True)
    #: Part of the session's user id (``get_id``): incrementing it (logout, disable) makes every session
    #: cookie issued before unusable, even a copied one.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    # Flask-Login's user protocol (written out rather than inheriting UserMixin, to keep it visible).
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """``"<id>:<session_version>"``, stored in the session by Flask-Login and checked on load."""
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.name} ({self.role})>"


# ------------------------------------------------------------------------ roster and shift records
# Personal data (DESIGN.md section 4): never joined to responses or to the code ledger. No foreign
# key, relationship or query links these tables to ``response``, ``answer``, ``score`` or
# ``code_ledger``.


class RosterSnapshot(db.Model):
    """Who was in which unit, on which shift pattern, as of a date (one ``flask roster import``).

    A wave's reporting groups are formed from the newest snapshot whose ``as_of`` is on or before the
    wave's opening (:class:`WaveRoster` records which); a newer snapshot serves later waves only.
    """

    __tablename__ = "roster_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date]
    import_id: Mapped[int] = mapped_column(ForeignKey("import_record.id"))
    persons: Mapped[int] = mapped_column(default=0)

    import_record: Mapped[ImportRecord] = relationship()


class RosterEntry(db.Model):
    """One officer of a roster snapshot: pseudonymous ``person_id`` (never an IIN), unit, pattern."""

    __tablename__ = "roster_entry"
    __table_args__ = (UniqueConstraint("snapshot_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("roster_snapshot.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    shift_pattern: Mapped[str | None] = mapped_column(String(32))   # catalogue slug; None = unknown
    position: Mapped[str | None] = mapped_column(String(120))
    contract_hours_week: Mapped[float]                                # hours per week
    # accounting period of working time (core.roster.ACCOUNTING_PERIODS); None = the default (month)
    accounting_period: Mapped[str | None] = mapped_column(String(16))


class ShiftRecord(db.Model):
    """One worked or planned shift of a person. Instants are whole seconds since 1970-01-01 UTC
    (``start_utc``, ``end_utc``), so bulk inserts and feature computations need no date conversion.

    Stored with bulk inserts (:func:`wellbeing.services.roster.store_shifts`), never one ORM object per row.
    """

    __tablename__ = "shift_record"
    __table_args__ = (db.Index("ix_shift_record_person_start", "person_id", "start_utc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64))
    start_utc: Mapped[int] = mapped_column(db.BigInteger)   # seconds since the Unix epoch, UTC
    end_utc: Mapped[int] = mapped_column(db.BigInteger)     # seconds since the Unix epoch, UTC (> start)
    break_min: Mapped[int] = mapped_column(default=0)       # unpaid break, minutes
    duty_type: Mapped[str] = mapped_column(String(16))      # regular, overtime, on_call, training, leave
    shift_code: Mapped[str | None] = mapped_column(String(32))
    import_id: Mapped[int] = mapped_column(ForeignKey("import_record.id"), index=True)


class WaveRoster(db.Model):
    """The roster snapshot a wave's reporting groups were formed from, frozen at code issuance."""

    __tablename__ = "wave_roster"

    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("roster_snapshot.id"))

    snapshot: Mapped[RosterSnapshot] = relationship()
# ------------------------------------------------------------------------------------------ pilots


class Pilot(db.Model):
    """A declared pilot: which regions (unit slugs of level ``region``) work the pilot schedule from when.

    A wave counts as *after* the pilot when it opens on or after ``starts`` (difference-in-differences
    of DESIGN.md section 6).
    """

    __tablename__ = "pilot"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    regions: Mapped[str] = mapped_column(Text)      # comma-separated region unit slugs
    starts: Mapped[date]

    @property
    def region_slugs(self) -> list[str]:
        return [r for r in self.regions.split(",") if r]

    def __repr__(self) -> str:
        return f"<Pilot {self.slug} {self.regions} from {self.starts}>"


class ReleaseStatus(enum.StrEnum):
    pending = "pending"        # being computed (one computation per key, whoever asks)
    released = "released"      # the numbers every page, export and command shows
    superseded = "superseded"  # replaced by a newer algorithm version; still a constraint on later releases


class ReleaseEntry(db.Model):
    """The release ledger (issue 14): every set of numbers released for a wave, with its audit inputs.

    ``key`` is a hash of ``kind``, ``params``, ``algorithm_version`` and ``data_state`` (the wave's status,
    K, response count and instrument hashes): one computation per key. ``content`` is the released rows
    as JSON (never scores or microdata); ``content_hash`` its SHA-256. ``created_by`` is the staff user
    whose request computed it (or ``system``/``cli``). No response id, timestamp of an answer or open-wave
    count is stored here.
    """

    __tablename__ = "release_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("wave.id"), index=True)
    params: Mapped[str] = mapped_column(Text)
    algorithm_version: Mapped[str] = mapped_column(String(32))
    data_state: Mapped[str] = mapped_column(String(64))
    status: Mapped[ReleaseStatus] = mapped_column(
        db.Enum(ReleaseStatus, native_enum=False, length=16), default=ReleaseStatus.pending)
    content: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime]


# ------------------------------------------------------------------------------------ cost files


class CostFile(db.Model):
    """An accepted pay-rates file or paperwork register (issue 22), kept as text: the newest of a kind is used.

    Pay rates are per position or grade (no personal salary); the register lists reporting forms per
    unit type. Neither is personal data nor tied to responses.
    """

    __tablename__ = "cost_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))          # "rates" or "register"
    import_id: Mapped[int] = mapped_column(ForeignKey("import_record.id"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text)
