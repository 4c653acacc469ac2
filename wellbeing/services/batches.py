"""Sealed pending responses and their release in shuffled batches (DESIGN.md section 4, rule 4).

Why: SQLite fills b-tree pages from their end, so a cell's byte offset records when it was inserted,
and the write-ahead log keeps one frame set per commit; random keys and ``WITHOUT ROWID`` do not hide
arrival order. So a submit stores its answers **sealed** (:mod:`wellbeing.core.sealing`) in
``pending_response``, in the same transaction as the code ledger's ``used`` flip, and answers become
readable only here:

- when a reporting group holds ``2K`` pending rows, ``K`` of them chosen at random (:mod:`secrets`)
  are unsealed, shuffled, inserted with **new** random ids and deleted from the pending table, in one
  transaction of their own (:func:`release_due`). ``K`` stay back, so that the final release at close
  holds at least ``K`` for every group that received at least ``K``;
- when the wave closes, every remaining pending row of every group is released in the closing
  transaction (:func:`close`), then the wave's readable rows are rewritten in random order and
  the log is truncated (:func:`rebuild_wave`).

A backup diff taken while the wave is open therefore shows 0 or at least K new readable answers per
group, and within one batch the physical order is a random permutation. Scores and releases read only
the ``response``/``answer``/``score`` tables, which never hold pending rows; the open-wave count adds
the pending rows (:func:`pending_count`).
"""

from __future__ import annotations

import logging
import os
import random
import uuid
from collections.abc import Mapping, Sequence

import click
from flask import Flask, current_app
from sqlalchemy import Connection, delete, insert, inspect, select, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from ..core.instruments import Instrument, ScaleScore, score
from ..core.sealing import SealError, key_id, seal, unseal
from ..extensions import db
from ..models import Answer, PendingResponse, Progress, Response, Score, Wave, WaveStatus
from .catalogue import instrument_from_snapshot

log = logging.getLogger(__name__)

_RNG = random.SystemRandom()  # secrets' generator (os.urandom) behind the random.Random interface


class SealKeyMismatch(click.ClickException):
    """Pending rows were sealed under a key this server does not hold: starting would lose them.

    A :class:`click.ClickException`, so that any ``flask`` command refuses with one line (``Error:
    ...``, exit 1) instead of a traceback; a WSGI server fails to load the app."""


def seal_key() -> str:
    """The configured sealing key. Raises SealError if ``SEAL_KEY`` is missing or malformed."""
    key = current_app.config.get("SEAL_KEY")
    if not key:
        raise SealError("SEAL_KEY is not set: run `flask setup`")
    key_id(key)  # validates the format
    return key


def _context(pending_id: str, wave_id: int, group_id: int) -> str:
    return f"pending:{pending_id}:{wave_id}:{group_id}"


def store_pending(conn: Connection, *, wave_id: int, group_id: int, language: str,
                  answers: dict[str, dict[str, float | None]]) -> None:
    """Insert one sealed submission on ``conn`` (inside the submit's transaction)."""
    key = seal_key()
    pid = str(uuid.uuid4())
    conn.execute(insert(PendingResponse).values(
        id=pid, wave_id=wave_id, group_id=group_id, key_id=key_id(key),
        sealed=seal(key, {"language": language, "answers": answers}, _context(pid, wave_id, group_id))))


def _instruments(wave: Wave) -> list[Instrument]:
    return [instrument_from_snapshot(wi.snapshot) for wi in wave.instruments]


def insert_response(conn: Connection, *, wave_id: int, group_id: int, language: str,
                    answers: Mapping[str, Mapping[str, float | None]],
                    scores: Mapping[str, Mapping[str, ScaleScore | None]],
                    response_id: str | None = None) -> str:
    """Insert one readable response with its answers and scale scores on ``conn`` (inside the caller's
    transaction). ``answers``: instrument id -> item id -> raw value (None = unanswered, not stored);
    ``scores``: instrument id -> scale id -> score (None = not scorable, not stored). Returns the
    response's random UUID4 id. The one way responses are written: batch release of web submissions,
    demo seed and file import.
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


def _release(conn: Connection, rows: Sequence, instruments: Sequence[Instrument]) -> int:
    """Unseal ``rows`` (id, wave_id, group_id, sealed), insert them as readable responses in a random
    order with new ids, delete them from the pending table. Returns how many."""
    key = seal_key()
    opened = [(r.wave_id, r.group_id, unseal(key, r.sealed, _context(r.id, r.wave_id, r.group_id)))
              for r in rows]
    _RNG.shuffle(opened)
    by_id = {inst.id: inst for inst in instruments}
    for wave_id, group_id, payload in opened:
        answers = payload["answers"]
        scores = {iid: score(by_id[iid], values) for iid, values in answers.items()}
        insert_response(conn, wave_id=wave_id, group_id=group_id, language=payload["language"],
                        answers=answers, scores=scores)
    conn.execute(delete(PendingResponse).where(PendingResponse.id.in_([r.id for r in rows])))
    return len(opened)


def _pending_rows(conn: Connection, wave_id: int, group_id: int | None = None) -> list:
    """The pending rows, locked (``FOR UPDATE`` on PostgreSQL, so that two releases racing for one
    group cannot both take the same rows; SQLite's ``BEGIN IMMEDIATE`` already serialises writers)."""
    q = select(PendingResponse.id, PendingResponse.wave_id, PendingResponse.group_id,
               PendingResponse.sealed).where(PendingResponse.wave_id == wave_id).with_for_update()
    if group_id is not None:
        q = q.where(PendingResponse.group_id == group_id)
    return list(conn.execute(q))


def _pending_in_group(wave_id: int, group_id: int) -> int:
    return db.session.execute(select(db.func.count()).select_from(PendingResponse).where(
        PendingResponse.wave_id == wave_id, PendingResponse.group_id == group_id)).scalar_one()


def release_due(wave_id: int, group_id: int) -> int:
    """Release one batch of K if the group holds at least 2K pending rows (one transaction, after the
    submit's own). Returns how many answers became readable (0 or K). A failure here loses nothing: the
    rows stay sealed and the next submit of the group, or the close, releases them."""
    wave = db.session.get(Wave, wave_id)
    k = wave.min_cell
    if _pending_in_group(wave_id, group_id) < 2 * k:  # the common case: no unsealing, no instrument parsing
        db.session.rollback()
        return 0
    instruments = _instruments(wave)
    db.session.rollback()
    try:
        with db.engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
            rows = _pending_rows(conn, wave_id, group_id)
            if len(rows) < 2 * k:
                return 0
            released = _release(conn, _RNG.sample(rows, k), instruments)
    except (SQLAlchemyError, SealError):
        log.warning("a batch release was deferred; the answers stay sealed until the next one")
        return 0
    return released  # SQLite's automatic checkpoints and journal_size_limit keep the log short


def close(wave: Wave) -> int:
    """Close ``wave`` and release every pending answer in one transaction, then rewrite the wave's
    readable rows in random order and truncate the log. Also finishes a close that was interrupted
    (the wave is closed but rows are still pending). Returns how many answers were released."""
    instruments = _instruments(wave)
    wave_id = wave.id
    db.session.rollback()
    with db.engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        conn.execute(update(Wave).where(Wave.id == wave_id).values(status=WaveStatus.closed))
        released = _release_wave(conn, wave_id, instruments)
        conn.execute(delete(Progress).where(Progress.wave_id == wave_id))
    rebuild_wave(wave_id)
    return released


def _release_wave(conn: Connection, wave_id: int, instruments: Sequence[Instrument]) -> int:
    by_group: dict[int, list] = {}
    for r in _pending_rows(conn, wave_id):
        by_group.setdefault(r.group_id, []).append(r)
    return sum(_release(conn, rows, instruments) for rows in by_group.values())


def rebuild_wave(wave_id: int) -> None:
    """Rewrite the wave's readable rows in one random order (delete and re-insert, one transaction), so
    that not even the order between batches survives the close; then checkpoint and truncate the
    SQLite log. Cost: the wave's own rows, not the whole database (which ``VACUUM`` would rewrite)."""
    with db.engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        ids = [r for (r,) in conn.execute(select(Response.id).where(Response.wave_id == wave_id))]
        if not ids:
            return
        resp = {r.id: r for r in conn.execute(select(Response).where(Response.wave_id == wave_id))}
        answers: dict[str, list[dict]] = {i: [] for i in ids}
        scores: dict[str, list[dict]] = {i: [] for i in ids}
        sub = select(Response.id).where(Response.wave_id == wave_id)
        for a in conn.execute(select(Answer).where(Answer.response_id.in_(sub))):
            answers[a.response_id].append({"response_id": a.response_id, "instrument_id": a.instrument_id,
                                           "item_id": a.item_id, "value": a.value})
        for s in conn.execute(select(Score).where(Score.response_id.in_(sub))):
            scores[s.response_id].append({"response_id": s.response_id, "scale_id": s.scale_id,
                                          "value": s.value})
        conn.execute(delete(Answer).where(Answer.response_id.in_(sub)))
        conn.execute(delete(Score).where(Score.response_id.in_(sub)))
        conn.execute(delete(Response).where(Response.wave_id == wave_id))
        _RNG.shuffle(ids)
        # Three bulk inserts, each table in the same random order of responses.
        conn.execute(insert(Response), [{"id": rid, "wave_id": resp[rid].wave_id, "group_id": resp[rid].group_id,
                                         "language": resp[rid].language} for rid in ids])
        answer_rows = [row for rid in ids for row in answers[rid]]
        if answer_rows:
            conn.execute(insert(Answer), answer_rows)
        score_rows = [row for rid in ids for row in scores[rid]]
        if score_rows:
            conn.execute(insert(Score), score_rows)
    _truncate_log()


def _truncate_log() -> None:
    """SQLite: copy the log into the database file and empty the log file (``TRUNCATE`` waits for
    readers on the busy timeout). No-op on other databases."""
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def pending_count(wave_id: int) -> int:
    """How many acknowledged answers of the wave are still sealed (part of the open-wave count)."""
    return db.session.execute(select(db.func.count()).select_from(PendingResponse)
                              .where(PendingResponse.wave_id == wave_id)).scalar_one()


def check_keys(app: Flask) -> None:
    """Refuse to start (SealKeyMismatch) when pending rows were sealed under a key other than the
    configured ``SEAL_KEY``, or when any are pending and no key is configured. Reads one column of one
    table; does nothing when the database or the table does not exist yet (before ``flask setup``) or
    the server cannot be reached (the app then fails on its first query anyway)."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        path = url.database
        if not path or path == ":memory:" or not os.path.exists(path):
            return
    try:
        with db.engine.connect() as conn:
            if not inspect(conn).has_table(PendingResponse.__tablename__):
                return
            ids = {k for (k,) in conn.execute(select(PendingResponse.key_id).distinct())}
    except OperationalError:  # server unreachable or database not created yet: nothing to protect here
        log.warning("could not check the sealing key against the database (unreachable)")
        return
    if not ids:
        return
    key = app.config.get("SEAL_KEY")
    try:
        current = key_id(key) if key else None
    except SealError as exc:
        raise SealKeyMismatch(str(exc)) from None
    if ids != {current}:
        raise SealKeyMismatch(
            f"{len(ids - {current})} key id(s) of pending answers do not match SEAL_KEY "
            f"({current or 'not set'}): restore the instance's SEAL_KEY from its backup before starting")
