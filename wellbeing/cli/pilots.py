"""``flask pilots create|list``: declared pilots (which regions work the pilot schedule, from when)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .errors import refusals
from .options import parse_date
from .output import emit, format_option

group = AppGroup("pilots", help="Declared pilots: which regions work the pilot schedule, from when.")


@group.command("create")
@click.argument("slug")
@click.option("--regions", required=True, help="comma-separated region unit slugs")
@click.option("--starts", required=True, metavar="DATE", help="first day of the pilot (YYYY-MM-DD)")
@click.option("--title", default="")
@refusals()
def pilots_create(slug: str, regions: str, starts: str, title: str) -> None:
    """Declare pilot SLUG in REGIONS from DATE."""
    from ..services.pilots import create_pilot

    p = create_pilot(slug, regions.split(","), parse_date(starts, "starts"), title=title)
    click.echo(f"created pilot {p.slug}: {p.regions} from {p.starts}", err=True)


@group.command("list")
@format_option()
def pilots_list(fmt: str) -> None:
    """List pilots: slug, regions, start date."""
    from ..services.pilots import list_pilots

    emit([{"slug": p.slug, "regions": p.regions, "starts": p.starts.isoformat(), "title": p.title}
          for p in list_pilots()], fmt, ["slug", "regions", "starts", "title"])
