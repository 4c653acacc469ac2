"""``flask audit list``: the audit log of staff actions."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .output import emit, format_option

group = AppGroup("audit", help="The audit log of staff actions (never officers, never survey pages).")


@group.command("list")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@format_option()
def audit_list(limit: int, fmt: str) -> None:
    """The latest LIMIT staff actions, newest first: at (UTC), actor, action, target, detail."""
    from ..services.audit import entries

    emit([{"at": e.at.isoformat(sep=" "), "actor": e.actor, "action": e.action, "target": e.target,
           "detail": e.detail} for e in entries(limit=limit)], fmt, ["at", "actor", "action", "target", "detail"])
