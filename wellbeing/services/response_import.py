"""Saving external and paper responses into an import-only wave (``flask responses import``).

Parsing and validation are pure (:mod:`wellbeing.core.response_import`); this module loads the wave,
checks its lifecycle, and writes the responses through
:func:`wellbeing.services.submissions.insert_response` — the one way responses are written — in ONE
transaction: all rows or none. Rows are inserted in a shuffled order with random UUID4 ids, so neither
storage nor ids keep the file's order; the import record keeps only the file's SHA-256, its row count,
who and when (a staff action, never tied to a response).
"""

from __future__ import annotations

import hashlib
import logging
import random
from datetime import UTC, datetime

from sqlalchemy import insert, select

from ..core.response_import import ImportReport, ResponseMapping, parse_responses
from ..core.tables import ImportRejected, RowError
from ..extensions import db
from ..models import ImportRecord, Wave, WaveStatus
from .submissions import insert_response, wave_instruments
from .waves import WaveError

log = logging.getLogger(__name__)


def _record_kind(wave: Wave) -> str:
    return f"responses:{wave.id}"


def import_responses(wave: Wave, data: bytes, mapping: ResponseMapping, *, imported_by: str,
                     delimiter: str | None = None, encoding: str = "utf-8") -> ImportReport:
    """Validate ``data`` against ``mapping`` and the wave, then store every response or none.

    Raises
    ------
    WaveError
        the wave is not import-only, or is closed (results may have been released: a closed wave
        takes no more answers).
    ImportRejected
        any problem in the file (row-numbered) or in the mapping; also a file already imported into
        this wave (same SHA-256).
    """
    if not wave.import_only:
        raise WaveError(f"wave {wave.slug!r} takes web answers; responses import needs a wave created "
                        "with --import-only")
    if wave.status == WaveStatus.closed:
        raise WaveError(f"wave {wave.slug!r} is closed: no more responses (its results may be released)")
    file_hash = hashlib.sha256(data).hexdigest()
    kind = _record_kind(wave)
    if db.session.execute(select(ImportRecord.id).filter_by(kind=kind, file_hash=file_hash)).first():
        raise ImportRejected([RowError(None, None, None, "already_imported",
                                       f"this file (SHA-256 {file_hash[:12]}…) was imported into wave "
                                       f"{wave.slug!r} already")])
    instruments = {inst.id: inst for inst in wave_instruments(wave)}
    groups = {g.import_value: g.id for g in wave.groups if g.import_value is not None}
    parsed, report = parse_responses(data, mapping, instruments, groups, delimiter=delimiter,
                                     encoding=encoding)
    random.SystemRandom().shuffle(parsed)  # no order kept: insertion order says nothing about the file
    wave_id, slug = wave.id, wave.slug
    db.session.rollback()  # end the session's read transaction; the import writes on its own connection
    with db.engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        status = conn.execute(select(Wave.status).where(Wave.id == wave_id)).scalar_one()
        if status == WaveStatus.closed:
            raise WaveError(f"wave {slug!r} closed before the import ran")
        for resp in parsed:
            insert_response(conn, wave_id=wave_id, group_id=groups[resp.group_value],
                            language=mapping.language, answers=resp.answers, scores=resp.scores)
        conn.execute(insert(ImportRecord).values(
            kind=kind, file_hash=file_hash, rows=len(parsed), imported_by=imported_by,
            imported_at=datetime.now(UTC).replace(tzinfo=None)))
    log.info("imported %d responses into wave %s", len(parsed), slug)
    return report
