"""``flask cache warm``: released tables computed ahead of page views."""

from __future__ import annotations

import click
from flask.cli import AppGroup

group = AppGroup("cache", help="Released tables computed ahead of page views.")


@group.command("warm")
@click.option("--standard-only", is_flag=True, help="Only the standard tables and reliability, not the breakdowns.")
def cache_warm(standard_only: bool) -> None:
    """Compute the publication of every closed wave into the release ledger: standard tables, reliability
    and every breakdown of the wave's menu (disclosure control runs once per table, outside any request)."""
    from ..services.results import warm
    from ..services.waves import list_waves

    for wave in list_waves():
        if str(wave.status) == "closed":
            warm(wave, breakdowns=not standard_only)
            click.echo(f"warmed {wave.slug}", err=True)
