"""The officer's survey: code check, progress under a random nonce, atomic submit.

Anonymity rules (DESIGN.md section 4): the response row has a random UUID4 id and no code, person,
session, address or time; the code is marked used and the response inserted in ONE transaction
(``UPDATE ... WHERE code_hmac = ? AND NOT used`` must touch exactly one row; on SQLite the transaction
starts with ``BEGIN IMMEDIATE`` so racers wait on the busy timeout instead of failing). The response is
stored sealed in that transaction and becomes readable later, in a shuffled batch of at least K of its
group (:mod:`wellbeing.services.batches`). Progress rows hold the sealed answers so far, the code's HMAC
and an expiry rounded to the hour; every row of a code is deleted at its submit, and expired rows are
purged on every code entry.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, insert, select, update

from ..core.codes import BODY_LENGTH, CodeError, hmac_code, normalise
from ..core.instruments import AnswerError, Instrument, ScaleScore, score, validate_answers
from ..core.sealing import SealError, seal_text, unseal_text
from ..db_setup import write_transaction
from ..extensions import db
from ..models import AccessCode, InstrumentSnapshot, Progress, Response, Wave, WaveInstrument, WaveStatus
from . import batches
from .batches import insert_response  # noqa: F401 - the one insert path, used by seed and import
from .catalogue import instruments_by_hash, wave_instrument_list


class SurveyError(ValueError):
    """A refused survey step; ``field`` names the form field (``code``, an item id, or ``""``).

    ``message`` is a lazy translatable string (``_l``, extracted by ``make translations``): ``str(exc)``
    gives it in the language of the page that shows it, English outside a request.
    """

    def __init__(self, message: object, field: str = "") -> None:
        self.field = field
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class CodeUsed(SurveyError):
    pass


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _expiry() -> datetime:
    """Now + DRAFT_TTL_HOURS, rounded up to the next whole hour (the only time value stored)."""
    t = _utcnow() + timedelta(hours=int(current_app.config["DRAFT_TTL_HOURS"]))
    return t.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def wave_instruments(wave: Wave) -> list[Instrument]:
    return wave_instrument_list(wave.id)


def start(typed_code: str, language: str) -> str:
    """Check a typed code and open a progress row; returns the nonce for the browser's cookie.

    Raises SurveyError (field ``code``) for a mistyped, unknown or used code or a wave that is not open.
    """
    try:
        code = normalise(typed_code or "")
    except CodeError:
        raise SurveyError(_l("This code is mistyped. Check it against your slip: a code has %(n)d characters.",
                             n=BODY_LENGTH + 1), "code") from None
    h = hmac_code(current_app.config["CODE_HMAC_KEY"], code)
    row = db.session.execute(
        select(AccessCode.used, Wave.id, Wave.status).join(Wave, Wave.id == AccessCode.wave_id)
        .where(AccessCode.code_hmac == h)
    ).first()
    if row is None:
        raise SurveyError(_l("This code is not known. Check it against your slip."), "code")
    used, wave_id, status = row
    if used:
        raise CodeUsed(_l("This code has already been used."), "code")
    if status != WaveStatus.open:
        raise SurveyError(_l("This survey is not open at the moment."), "code")
    nonce = secrets.token_urlsafe(32)
    nonce_hash = _nonce_hash(nonce)
    sealed = _seal_answers(nonce_hash, {})
    db.session.commit()  # end the read; the lock is taken for the writes only
    with write_transaction() as conn:
        conn.execute(delete(Progress).where(Progress.expires <= _utcnow()))  # no operator needed
        conn.execute(insert(Progress).values(nonce_hash=nonce_hash, code_hmac=h, wave_id=wave_id,
                                             language=language, answers=sealed, expires=_expiry()))
    return nonce


def _seal_answers(nonce_hash: str, answers: Mapping[str, Any]) -> str:
    return seal_text(batches.seal_key(), answers, "progress:" + nonce_hash)


def _open_answers(prog: Progress) -> dict[str, dict[str, float | None]] | None:
    try:
        return unseal_text(batches.seal_key(), prog.answers, "progress:" + prog.nonce_hash)
    except SealError:
        return None


@dataclass
class State:
    """A survey in progress, as the pages need it."""

    progress: Progress
    wave: Wave
    instruments: list[Instrument]
    answers: dict[str, dict[str, float | None]]


@cache
def _load_statement():  # type: ignore[no-untyped-def]
    """The query of :func:`load`, built once (building it was a tenth of a page request's CPU)."""
    return (select(Progress, Wave, InstrumentSnapshot.id, InstrumentSnapshot.content_hash)
            .join(Wave, Wave.id == Progress.wave_id)
            .outerjoin(WaveInstrument, WaveInstrument.wave_id == Wave.id)
            .outerjoin(InstrumentSnapshot, InstrumentSnapshot.id == WaveInstrument.snapshot_id)
            .where(Progress.nonce_hash == bindparam("nonce_hash"))
            .order_by(WaveInstrument.position))


@cache
def _update_answers_statement():  # type: ignore[no-untyped-def]
    return (update(Progress).where(Progress.nonce_hash == bindparam("nh"))
            .values(answers=bindparam("sealed")))


def load(nonce: str | None) -> State | None:
    """The progress behind a nonce, or None if missing or expired.

    One query: the progress row, its wave and the wave's snapshot hashes in questionnaire order (the
    parsed instruments come from the cache by content hash); a survey request made three before."""
    if not nonce:
        return None
    rows = db.session.execute(_load_statement(), {"nonce_hash": _nonce_hash(nonce)}).all()
    if not rows:
        return None
    prog, wave = rows[0][0], rows[0][1]
    if prog.expires <= _utcnow():
        return None
    answers = _open_answers(prog)
    if answers is None:  # a draft sealed under another key is as good as expired
        return None
    instruments = instruments_by_hash((r[2], r[3]) for r in rows if r[2] is not None)
    return State(prog, wave, instruments, answers)


def set_language(state: State, language: str) -> None:
    nonce_hash = state.progress.nonce_hash
    db.session.commit()  # end the read; the lock is taken for the update only
    with write_transaction() as conn:
        conn.execute(update(Progress).where(Progress.nonce_hash == nonce_hash).values(language=language))


def keep_answers(state: State, page: int, raw: Mapping[str, Any]) -> None:
    """Keep the valid answers ticked on page ``page`` (1-based) without requiring the page to be complete:
    used when the officer changes language mid-page, so that nothing ticked is lost. Values outside the
    response set and unknown items are dropped silently (the page is validated when it is sent)."""
    if not 1 <= page <= len(state.instruments):
        return
    inst = state.instruments[page - 1]
    kept = dict(state.answers.get(inst.id) or {})
    for it in inst.items:
        value = raw.get(it.id)
        if value in (None, ""):
            continue
        try:
            kept.update({k: v for k, v in validate_answers(inst, {it.id: value}).items() if k == it.id})
        except AnswerError:
            continue
    state.answers[inst.id] = kept
    nonce_hash = state.progress.nonce_hash
    answers = _seal_answers(nonce_hash, state.answers)  # drafts are sealed (issue 15)
    db.session.commit()  # end the read; the lock is taken for the update only
    with write_transaction() as conn:
        conn.execute(update(Progress).where(Progress.nonce_hash == nonce_hash).values(answers=answers))


SECONDS_PER_ITEM = 10


def estimated_minutes(instruments: list[Instrument]) -> int:
    """Minutes an officer needs for ``instruments``: items × :data:`SECONDS_PER_ITEM`, rounded up, ≥ 1.

    10 s per closed item is a planning assumption on the slow side (reading a short question and
    choosing among 4–9 labelled options), not a measurement on this platform; the page says "about".
    """
    items = sum(len(i.items) for i in instruments)
    return max(1, -(-items * SECONDS_PER_ITEM // 60))


def open_wave_minutes() -> list[int]:
    """Sorted distinct :func:`estimated_minutes` of the waves open now (for the survey's start page,
    before a code says which wave is the officer's). One query for every open wave's snapshot hashes."""
    rows = db.session.execute(_open_wave_snapshots_statement()).all()
    by_wave: dict[int, list[tuple[int, str]]] = {}
    for wave_id, snapshot_id, content_hash in rows:
        by_wave.setdefault(wave_id, []).append((snapshot_id, content_hash))
    return sorted({estimated_minutes(instruments_by_hash(pairs)) for pairs in by_wave.values()})


@cache
def _open_wave_snapshots_statement():  # type: ignore[no-untyped-def]
    return (select(WaveInstrument.wave_id, InstrumentSnapshot.id, InstrumentSnapshot.content_hash)
            .join(Wave, Wave.id == WaveInstrument.wave_id)
            .join(InstrumentSnapshot, InstrumentSnapshot.id == WaveInstrument.snapshot_id)
            .where(Wave.status == WaveStatus.open)
            .order_by(WaveInstrument.wave_id, WaveInstrument.position))


def missing_required(inst: Instrument, values: Mapping[str, float | None]) -> list[str]:
    return [it.id for it in inst.items if it.required and values.get(it.id) is None]


def save_page(state: State, instrument_id: str, raw: Mapping[str, Any], *,
              store: bool = True) -> dict[str, float | None]:
    """Validate and keep one instrument's answers in ``state`` and (``store``) in the progress row,
    sealed — one short write; the last page passes ``store=False`` and :func:`submit` writes once for it.

    Raises SurveyError (field = the item id) for a value outside the response set or a missing
    required item; nothing is saved then.
    """
    inst = next((i for i in state.instruments if i.id == instrument_id), None)
    if inst is None:
        raise SurveyError(_l("Unknown questionnaire page."))
    try:
        values = validate_answers(inst, raw)
    except AnswerError as exc:
        raise SurveyError(_l("Choose one of the offered answers."), exc.item) from None
    missing = missing_required(inst, values)
    if missing:
        raise SurveyError(_l("Please answer this question."), missing[0])
    state.answers[instrument_id] = values
    if store:
        nonce_hash = state.progress.nonce_hash
        answers = _seal_answers(nonce_hash, state.answers)
        db.session.commit()  # end the read; the lock is taken for the update only
        with write_transaction() as conn:
            conn.execute(_update_answers_statement(), {"nh": nonce_hash, "sealed": answers})
    return values


@dataclass(frozen=True)
class Feedback:
    """The officer's own scores, computed from the answers just sent; shown once, stored nowhere else."""

    language: str
    scores: list[tuple[Instrument, dict[str, ScaleScore | None]]]


def submit(state: State) -> Feedback:
    """Mark the code used and store the response sealed, in one transaction that also deletes every
    progress row of the code (another tab's included); then release a batch if the group has 2K sealed
    (:func:`wellbeing.services.batches.release_due`, its own transaction). Raises CodeUsed if another
    submission used the code first, SurveyError if the wave closed or a required answer is missing."""
    for inst in state.instruments:
        values = state.answers.get(inst.id)
        if values is None or missing_required(inst, values):
            name = inst.name.get(state.progress.language) or inst.name.get("en", inst.id)
            raise SurveyError(_l("Please complete the page “%(name)s”.", name=name), inst.id)
    scored = [(inst, score(inst, state.answers[inst.id])) for inst in state.instruments]
    code_hmac, wave_id, language = state.progress.code_hmac, state.wave.id, state.progress.language
    batches.seal_key()  # a server without its sealing key fails here, before anything is marked
    db.session.rollback()  # end the request's read transaction; the submit runs on its own

    with write_transaction() as conn:
        # FOR SHARE on PostgreSQL: a close (which updates this row, then releases every pending
        # answer) waits for submits in flight, and a submit after it sees "closed".
        status = conn.execute(select(Wave.status).where(Wave.id == wave_id)
                              .with_for_update(read=True)).scalar_one()
        if status != WaveStatus.open:
            raise SurveyError(_l("This survey closed before your answers arrived."))
        marked = conn.execute(
            update(AccessCode).where(AccessCode.code_hmac == code_hmac, AccessCode.used.is_(False))
            .values(used=True)
        )
        # Every draft of this code goes, whatever the outcome (two tabs, one code: neither survives).
        conn.execute(delete(Progress).where(Progress.code_hmac == code_hmac))
        used_before = marked.rowcount != 1
        if not used_before:
            group_id = conn.execute(select(AccessCode.group_id)
                                    .where(AccessCode.code_hmac == code_hmac)).scalar_one()
            batches.store_pending(conn, wave_id=wave_id, group_id=group_id, language=language,
                                  answers={inst.id: state.answers[inst.id] for inst, _ in scored})
    if used_before:
        raise CodeUsed(_l("This code has already been used."), "code")
    batches.release_due(wave_id, group_id)
    return Feedback(language, scored)


def purge_expired() -> int:
    """Delete expired progress rows (``flask drafts purge``); returns how many."""
    result = db.session.execute(delete(Progress).where(Progress.expires <= _utcnow()))
    db.session.commit()
    return result.rowcount or 0


def open_wave_count(wave: Wave) -> int:
    """The whole wave's count of responses, readable and still sealed: the one number shown while a
    wave is open (rule 11)."""
    return db.session.execute(
        select(db.func.count()).select_from(Response).where(Response.wave_id == wave.id)
    ).scalar_one() + batches.pending_count(wave.id)
