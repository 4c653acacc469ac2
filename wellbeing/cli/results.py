"""``flask results SLUG``: released cohort results of a wave."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from .errors import refusals
from .output import emit, format_option

RESULT_COLUMNS = ["scale", "level", "n", "mean", "ci_low", "ci_high", "share_high", "share_ci_low",
                  "share_ci_high", "suppressed", "reason"]


@click.command("results")
@with_appcontext
@click.argument("slug")
@click.option("--by", default="group", show_default=True,
              help="group, department, region, shift_pattern, language or a context item id (comma-separated)")
@click.option("--scale", "scales", default="", help="comma-separated scale ids (default: all)")
@format_option()
@click.option("--out", default=None, type=click.Path(dir_okay=False))
@refusals()
def command(slug: str, by: str, scales: str, fmt: str, out: str | None) -> None:
    """Released cohort results of wave SLUG (every number through disclosure control)."""
    from ..core.csv_cells import plain_records
    from ..services.results import release_wave, view
    from ..services.waves import get_wave

    dims = [d.strip() for d in by.split(",") if d.strip()]
    wave = get_wave(slug)
    released = release_wave(wave, by=dims, scales=[s for s in scales.split(",") if s] or None)
    table = view(released, dims)
    dim_cols = [c for c in table.columns if c not in RESULT_COLUMNS and c != "share_reason"]
    columns = ["scale", *dim_cols, *RESULT_COLUMNS[2:]]
    emit(plain_records(table, columns), fmt, columns, out)
