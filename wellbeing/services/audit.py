"""The audit log of staff actions: who did what, to what, when (``flask audit list``, ``/admin/audit``).

Recorded automatically, so that no view or command can forget it:

- **web**: every successful (status < 400) POST to a staff blueprint, every export (CSV, PDF, slips)
  and every model run, by the logged-in staff member (:func:`record_request`, an ``after_request`` of
  the staff blueprints);
- **CLI**: every ``flask`` command of the platform that succeeds, except read-only listings
  (:func:`record_command`, called by ``wellbeing.cli.guard.guarded``).

What is never recorded: anything on survey routes (:func:`record` refuses there), officers, codes,
answers, passwords, or form contents — only the action's name, its target (a wave or user slug from
the URL) and, for the CLI, the command line without its file contents.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from flask import has_request_context, request
from sqlalchemy import select

from ..extensions import db
from ..models import AuditEntry

log = logging.getLogger(__name__)

#: GET endpoints that are staff actions worth recording: exports and model runs.
AUDITED_GETS = frozenset({"results.csv_export", "results.pdf_export", "admin.wave_slips",
                          "analysis.report", "analysis.report_pdf"})
#: Actions that first show a confirmation page (the same POST without ``confirmed=1``): only the
#: confirmed request is the action.
CONFIRMED_POSTS = frozenset({"admin.wave_issue", "admin.wave_open", "admin.wave_close", "admin.wave_delete"})
#: CLI commands not recorded (read-only listings and checks; the audit log itself).
UNAUDITED_COMMANDS = frozenset({"audit list", "instruments list", "instruments check", "users list",
                                "waves list", "pilots list"})


class AuditError(RuntimeError):
    """An audit entry was requested where none may be written (a survey route)."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def record(actor: str, action: str, target: str = "", detail: str = "") -> AuditEntry:
    """Add one entry and commit it. Raises AuditError on a survey route (DESIGN.md rule 5)."""
    if has_request_context() and (request.blueprint == "survey" or request.path.startswith("/survey")):
        raise AuditError("survey routes are never audited")
    entry = AuditEntry(at=_now(), actor=actor[:80], action=action[:80], target=target[:200],
                       detail=detail[:2000])
    if not (db.session.new or db.session.dirty or db.session.deleted):
        # End the session's read: on SQLite (WAL) a transaction that began reading before another
        # connection committed (the release ledger writes on its own) cannot write ("database is
        # locked", at once, whatever the busy timeout); nothing is pending, so nothing is lost.
        db.session.commit()
    db.session.add(entry)
    db.session.commit()
    return entry


def _target(view_args: Mapping[str, object] | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((view_args or {}).items()) if k != "token")


def record_request(actor: str | None, status: int) -> None:
    """After a staff request: record it if it is a successful POST, an export or a model run."""
    endpoint = request.endpoint or ""
    if actor is None or status >= 400 or request.blueprint in (None, "survey"):
        return
    if endpoint in CONFIRMED_POSTS and request.form.get("confirmed") != "1":
        return                                    # only the confirmation page was shown
    if request.method == "POST" or endpoint in AUDITED_GETS or (endpoint == "analysis.index" and request.args):
        detail = ""
        if request.method == "GET" and request.args:
            detail = "&".join(f"{k}={v}" for k, v in sorted(request.args.items(multi=True)))
        try:
            record(actor, endpoint, _target(request.view_args), detail)
        except Exception:  # noqa: BLE001 - the action itself succeeded; a lost entry is logged loudly
            db.session.rollback()
            log.exception("audit entry not written for %s by %s", endpoint, actor)


def record_command(actor: str, path: str, argv: list[str]) -> None:
    """After a successful ``flask`` command ``path`` (e.g. ``units import``)."""
    if path in UNAUDITED_COMMANDS:
        return
    record(actor, f"cli:{path}", "", " ".join(argv)[:2000])


def entries(limit: int = 200, offset: int = 0) -> list[AuditEntry]:
    """The latest entries first."""
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    return list(db.session.execute(q).scalars())
