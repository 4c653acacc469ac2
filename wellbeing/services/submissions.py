"""The officer's survey: code check, progress under a random nonce, atomic submit.

Anonymity rules (DESIGN.md section 4): the response row has a random UUID4 id and no code, person,
session, address or time; the code is marked used and the response inserted in ONE transaction
(``UPDATE ... WHERE code_hmac = ? AND NOT used`` must touch exactly one row; on SQLite the transaction
starts with ``BEGIN IMMEDIATE`` so racers wait on the busy timeout instead of failing); progress rows
hold answers so far, the code's HMAC and an expiry rounded to the hour, and are deleted at submit.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, delete, insert, select, update

from ..core.codes import BODY_LENGTH, CodeError, hmac_code, normalise
from ..core.instruments import AnswerError, Instrument, ScaleScore, score, validate_answers
from ..db_setup import write_transaction
from ..extensions import db
from ..models import AccessCode, Answer, Progress, Response, Score, Wave, WaveStatus
from .catalogue import instrument_from_snapshot


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
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _expiry() -> datetime:
    """Now + DRAFT_TTL_HOURS, rounded up to the next whole hour (the only time value stored)."""
    t = _utcnow() + timedelta(hours=int(current_app.config["DRAFT_TTL_HOURS"]))
    return t.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def wave_instruments(wave: Wave) -> list[Instrument]:
    return [instrument_from_snapshot(wi.snapshot) for wi in wave.instruments]


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
    db.session.commit()  # end the read; the lock is taken for the insert only
    with write_transaction() as conn:
        conn.execute(insert(Progress).values(nonce_hash=_nonce_hash(nonce), code_hmac=h, wave_id=wave_id,
                                             language=language, answers="{}", expires=_expiry()))
    return nonce


@dataclass
class State:
    """A survey in progress, as the pages need it."""

    progress: Progress
    wave: Wave
    instruments: list[Instrument]
    answers: dict[str, dict[str, float | None]]


def load(nonce: str | None) -> State | None:
    """The progress behind a nonce, or None if missing or expired."""
    if not nonce:
        return None
    prog = db.session.get(Progress, _nonce_hash(nonce))
    if prog is None or prog.expires <= _utcnow():
        return None
    wave = db.session.get(Wave, prog.wave_id)
    if wave is None:
        return None
    return State(prog, wave, wave_instruments(wave), json.loads(prog.answers))


def set_language(state: State, language: str) -> None:
    nonce_hash = state.progress.nonce_hash
    db.session.commit()  # end the read; the lock is taken for the update only
    with write_transaction() as conn:
        conn.execute(update(Progress).where(Progress.nonce_hash == nonce_hash).values(language=language))


def missing_required(inst: Instrument, values: Mapping[str, float | None]) -> list[str]:
    return [it.id for it in inst.items if it.required and values.get(it.id) is None]


def save_page(state: State, instrument_id: str, raw: Mapping[str, Any], *,
              store: bool = True) -> dict[str, float | None]:
    """Validate and keep one instrument's answers in ``state`` and (``store``) in the progress row —
    one short write; the last page passes ``store=False`` and :func:`submit` writes once for it.

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
        answers, nonce_hash = json.dumps(state.answers), state.progress.nonce_hash
        db.session.commit()  # end the read; the lock is taken for the update only
        with write_transaction() as conn:
            conn.execute(update(Progress).where(Progress.nonce_hash == nonce_hash).values(answers=answers))
    return values


@dataclass(frozen=True)
class Feedback:
    """The officer's own scores, computed from the answers just sent; shown once, stored nowhere else."""

    language: str
    scores: list[tuple[Instrument, dict[str, ScaleScore | None]]]


def submit(state: State) -> Feedback:
    """Mark the code used and store the response, its answers and scores in one transaction; delete the
    progress row. Raises CodeUsed if another submission used the code first, SurveyError if the wave
    closed or a required answer is missing."""
    for inst in state.instruments:
        values = state.answers.get(inst.id)
        if values is None or missing_required(inst, values):
            name = inst.name.get(state.progress.language) or inst.name.get("en", inst.id)
            raise SurveyError(_l("Please complete the page “%(name)s”.", name=name), inst.id)
    scored = [(inst, score(inst, state.answers[inst.id])) for inst in state.instruments]
    code_hmac, wave_id, language = state.progress.code_hmac, state.wave.id, state.progress.language
    nonce_hash = state.progress.nonce_hash
    db.session.rollback()  # end the request's read transaction; the submit runs on its own

    response_id = str(uuid.uuid4())
    with db.engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        status = conn.execute(select(Wave.status).where(Wave.id == wave_id)).scalar_one()
        if status != WaveStatus.open:
            raise SurveyError(_l("This survey closed before your answers arrived."))
        marked = conn.execute(
            update(AccessCode).where(AccessCode.code_hmac == code_hmac, AccessCode.used.is_(False))
            .values(used=True)
        )
        if marked.rowcount != 1:
            raise CodeUsed(_l("This code has already been used."), "code")
        group_id = conn.execute(select(AccessCode.group_id).where(AccessCode.code_hmac == code_hmac)).scalar_one()
        insert_response(conn, wave_id=wave_id, group_id=group_id, language=language,
                        answers={inst.id: state.answers[inst.id] for inst, _ in scored},
                        scores={inst.id: sc for inst, sc in scored}, response_id=response_id)
        conn.execute(delete(Progress).where(Progress.nonce_hash == nonce_hash))
    return Feedback(language, scored)


def insert_response(conn: Connection, *, wave_id: int, group_id: int, language: str,
                    answers: Mapping[str, Mapping[str, float | None]],
                    scores: Mapping[str, Mapping[str, ScaleScore | None]],
                    response_id: str | None = None) -> str:
    """Insert one response with its answers and scale scores on ``conn`` (inside the caller's
    transaction). ``answers``: instrument id -> item id -> raw value (None = unanswered, not stored);
    ``scores``: instrument id -> scale id -> score (None = not scorable, not stored). Returns the
    response's random UUID4 id. The one way responses are written: web submit, demo seed and file import.
    """
    rid = response_id or str(uuid.uuid4())
    conn.execute(insert(Response).values(id=rid, wave_id=wave_id, group_id=group_id, language=language))
    answer_rows = [{"response_id": rid, "instrument_id": iid, "item_id": item, "value": v}
                   for iid, values in answers.items() for item, v in values.items() if v is not None]
    if answer_rows:
        conn.execute(insert(Answer), answer_rows)
    score_rows = [{"response_id": rid, "scale_id": f"{iid}.{sid}", "value": sc.value}
                  for iid, by_scale in scores.items() for sid, sc in by_scale.items() if sc is not None]
    if score_rows:
        conn.execute(insert(Score), score_rows)
    return rid


def purge_expired() -> int:
    """Delete expired progress rows (``flask drafts purge``); returns how many."""
    result = db.session.execute(delete(Progress).where(Progress.expires <= _utcnow()))
    db.session.commit()
    return result.rowcount or 0


def open_wave_count(wave: Wave) -> int:
    """The whole wave's count of responses: the one number shown while a wave is open (rule 11)."""
    return db.session.execute(
        select(db.func.count()).select_from(Response).where(Response.wave_id == wave.id)
    ).scalar_one()
