"""``flask schedules features|costs|what-if``: schedule-risk features, costs and what-ifs per reporting group."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from . import costs, whatif
from .errors import refusals
from .output import emit, format_option

group = AppGroup("schedules", help="Schedule-risk features per reporting group.")


@group.command("features")
@click.argument("slug")
@format_option()
@click.option("--out", default=None, type=click.Path(dir_okay=False))
@refusals()
def schedules_features(slug: str, fmt: str, out: str | None) -> None:
    """Released schedule features per reporting group of wave SLUG over its reference window."""
    from ..core.csv_cells import plain_records
    from ..services.schedules import RELEASED_COLUMNS, released_wave_features
    from ..services.waves import get_wave

    wf, table = released_wave_features(get_wave(slug))
    start, end = wf.window
    click.echo(f"wave {slug}: reference window {start} to {end} (end exclusive), roster snapshot as of "
               f"{wf.snapshot.as_of}, {len(wf.officers)} groups, {wf.shifts_in_window} shift records; "
               f"groups under K={wf.wave.min_cell} officers suppressed", err=True)
    if wf.shifts_in_window == 0:
        click.echo("warning: no shift records start in the reference window: every feature is zero", err=True)
    emit(plain_records(table, RELEASED_COLUMNS), fmt, RELEASED_COLUMNS, out)


group.add_command(costs.command)
group.add_command(whatif.command)
