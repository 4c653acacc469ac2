"""The release ledger: every released set of numbers is a row in the database (issue 14).

Public API (read by pages, exports, commands and, later, the staff report and economics issues):

``released(kind, wave, params, compute, *, created_by="system") -> DataFrame``
    The released rows for ``(kind, wave, params)`` at the current algorithm version and data state:
    read from the ledger, or computed once (a ``pending`` row claims the key; a second caller waits
    for it, or gets :class:`ReleasePending` after ``wait`` seconds) and stored in the same transaction
    that marks it released.
``entries(wave=None) -> list[ReleaseEntry]``
    Ledger rows (newest first), for staff: kind, parameters, algorithm version, who and when.
``superseded_tables(wave, scale_id) -> list[DataFrame]``
    Released standard and breakdown tables of an older algorithm version for the same data: they stay
    constraints of every later release (anyone may have kept them).

Content is JSON of the released rows with their column types (never pickle, never scores).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..core.disclosure.joint import ALGORITHM_VERSION
from ..extensions import db
from ..models import ReleaseEntry, ReleaseStatus, Response, Wave

log = logging.getLogger(__name__)


#: A pending claim older than this is taken over (its worker died before finishing).
STALE_PENDING = timedelta(minutes=15)


class ReleasePending(RuntimeError):
    """Another request is computing this release; the page says so and asks to reload."""


def data_state(wave: Wave, *extra: object) -> str:
    """Hash of everything a released table depends on besides its parameters: status, K, the response
    count and the instrument snapshots (``extra``: e.g. an instrument content hash)."""
    count = db.session.execute(select(func.count()).select_from(Response)
                               .where(Response.wave_id == wave.id)).scalar_one()
    snaps = sorted(wi.snapshot.content_hash for wi in wave.instruments)
    raw = json.dumps([wave.id, str(wave.status), wave.min_cell, count, snaps, [str(e) for e in extra]])
    return hashlib.sha256(raw.encode()).hexdigest()


def encode(frame: pd.DataFrame) -> str:
    """Rows and column types as JSON (``Int64``/``Float64`` nulls as null)."""
    cols = list(frame.columns)
    types = {c: str(frame[c].dtype) for c in cols}
    rows = []
    for rec in frame.astype(object).itertuples(index=False, name=None):
        rows.append([None if (not isinstance(v, (str, dict, list)) and pd.isna(v)) else
                     (v.item() if hasattr(v, "item") else v) for v in rec])
    return json.dumps({"columns": cols, "types": types, "rows": rows}, ensure_ascii=False, sort_keys=True)


def decode(text: str) -> pd.DataFrame:
    """The frame :func:`encode` stored."""
    doc = json.loads(text)
    df = pd.DataFrame(doc["rows"], columns=doc["columns"])
    for c, t in doc["types"].items():
        if t in ("Int64", "Float64", "boolean"):
            df[c] = pd.array(df[c].tolist(), dtype=t)
        elif t == "bool":
            df[c] = df[c].astype(bool)
        elif t.startswith(("int", "float")):
            df[c] = pd.to_numeric(df[c])
    return df


def _key(kind: str, wave: Wave | None, params: Mapping[str, Any], state: str) -> str:
    raw = json.dumps([kind, wave.id if wave else None, dict(params), ALGORITHM_VERSION, state], sort_keys=True,
                     default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def released(kind: str, wave: Wave, params: Mapping[str, Any], compute: Callable[[], pd.DataFrame], *,
             created_by: str = "system", wait: float = 600.0, state: str | None = None) -> pd.DataFrame:
    """The released rows of ``(kind, wave, params)``: from the ledger, or computed once and stored.

    Parameters
    ----------
    kind : ``"table"``, ``"reliability"``, ...
    params : JSON-serialisable parameters (scale, breakdown, ...)
    compute : returns the released frame (runs the audit)
    created_by : staff user name shown in the ledger
    wait : seconds to wait for another request computing the same key; then :class:`ReleasePending`

    Raises
    ------
    ReleasePending
        When another request is still computing after ``wait`` seconds.
    """
    state = state or data_state(wave)
    key = _key(kind, wave, params, state)
    deadline = time.monotonic() + wait
    while True:
        row = db.session.execute(select(ReleaseEntry.status, ReleaseEntry.content, ReleaseEntry.created_at)
                                 .where(ReleaseEntry.key == key)).first()
        db.session.rollback()  # end the read: the next look sees other workers' commits
        if row is not None and row.status == ReleaseStatus.released:
            return decode(row.content)
        now = datetime.now(UTC).replace(tzinfo=None)
        if row is not None and row.status == ReleaseStatus.pending and now - row.created_at > STALE_PENDING:
            # The worker that claimed it died (killed by a timeout): the key is free again.
            with db.engine.begin() as conn:
                conn.execute(ReleaseEntry.__table__.delete().where(
                    ReleaseEntry.key == key, ReleaseEntry.status == ReleaseStatus.pending))
            continue
        if row is None:
            try:
                with db.engine.begin() as conn:
                    conn.execute(insert(ReleaseEntry).values(
                        key=key, kind=kind, wave_id=wave.id, params=json.dumps(dict(params), sort_keys=True),
                        algorithm_version=ALGORITHM_VERSION, data_state=state, status=ReleaseStatus.pending,
                        created_by=created_by, created_at=datetime.now(UTC).replace(tzinfo=None)))
            except IntegrityError:
                continue  # someone else claimed it a moment ago: wait for theirs
            try:
                frame = compute()
            except BaseException:
                with db.engine.begin() as conn:
                    conn.execute(ReleaseEntry.__table__.delete().where(ReleaseEntry.key == key))
                raise
            content = encode(frame)
            with db.engine.begin() as conn:
                conn.execute(update(ReleaseEntry).where(ReleaseEntry.key == key).values(
                    status=ReleaseStatus.released, content=content,
                    content_hash=hashlib.sha256(content.encode()).hexdigest()))
                # The same release under an older algorithm stays, marked superseded (a constraint).
                conn.execute(update(ReleaseEntry).where(
                    ReleaseEntry.kind == kind, ReleaseEntry.wave_id == wave.id,
                    ReleaseEntry.params == json.dumps(dict(params), sort_keys=True),
                    ReleaseEntry.data_state == state, ReleaseEntry.key != key,
                    ReleaseEntry.status == ReleaseStatus.released).values(status=ReleaseStatus.superseded))
            return decode(content)
        if time.monotonic() > deadline:
            raise ReleasePending(f"{kind} {dict(params)} of wave {wave.slug} is being computed")
        time.sleep(0.2)


def entries(wave: Wave | None = None) -> list[ReleaseEntry]:
    """Ledger rows, newest first (for staff: kind, parameters, algorithm version, who and when)."""
    q = select(ReleaseEntry).order_by(ReleaseEntry.id.desc())
    if wave is not None:
        q = q.where(ReleaseEntry.wave_id == wave.id)
    return list(db.session.execute(q).scalars())


def superseded_tables(wave: Wave, scale_id: str, state: str) -> list[pd.DataFrame]:
    """Tables of ``scale_id`` released for the same data under an older algorithm (constraints)."""
    rows = db.session.execute(select(ReleaseEntry.params, ReleaseEntry.content).where(
        ReleaseEntry.wave_id == wave.id, ReleaseEntry.kind == "table", ReleaseEntry.data_state == state,
        ReleaseEntry.status == ReleaseStatus.superseded)).all()
    return [decode(c) for p, c in rows if json.loads(p).get("scale") == scale_id and c]


def tables(wave: Wave, scale_id: str) -> list[pd.DataFrame]:
    """Every table of ``scale_id`` ever released for ``wave`` (released and superseded): what an
    attacker may hold; the models' auditor adds their facts."""
    rows = db.session.execute(select(ReleaseEntry.params, ReleaseEntry.content).where(
        ReleaseEntry.wave_id == wave.id, ReleaseEntry.kind == "table",
        ReleaseEntry.status.in_([ReleaseStatus.released, ReleaseStatus.superseded]))).all()
    return [decode(c) for p, c in rows if json.loads(p).get("scale") == scale_id and c]
