"""``flask drafts purge``: survey progress rows."""

from __future__ import annotations

import click
from flask.cli import AppGroup

group = AppGroup("drafts", help="Survey progress rows.")


@group.command("purge")
def drafts_purge() -> None:
    """Delete expired survey progress rows."""
    from ..services.submissions import purge_expired

    click.echo(f"deleted {purge_expired()} expired progress rows", err=True)
