"""``flask responses import``: external and paper responses into an import-only wave."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from flask.cli import AppGroup

from ..core.tables import ImportRejected, RowError
from .errors import refusals
from .options import encoding_options, operator_name, read_file, read_text

group = AppGroup("responses", help="External and paper responses (import-only waves).")


def _source(params: Mapping[str, Any], exc: ImportRejected, e: RowError) -> str:
    """A problem of the mapping itself names the mapping file; every other names the data file."""
    return params["mapping_file"] if e.row is None and e.rule == "mapping" else params["file"]


@group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--wave", "wave_slug", required=True, help="an import-only wave (waves create --import-only)")
@click.option("--mapping", "mapping_file", required=True, type=click.Path(dir_okay=False),
              help="MAPPING.toml: columns -> items, values, context, reporting group, drop")
@encoding_options
@refusals(source=_source)
def responses_import(file: str, wave_slug: str, mapping_file: str, delimiter: str | None,
                     encoding: str) -> None:
    """Import FILE into an import-only wave: all rows or none, shuffled, with random ids.

    Columns not named in the mapping are ignored and listed; a likely identifier must be named in
    `drop`. Mapping format, checks and lifecycle: docs/response-import.md.
    """
    from ..core.response_import import parse_mapping
    from ..services.response_import import import_responses
    from ..services.waves import get_wave

    text = read_text(mapping_file)
    data = read_file(file)
    mapping = parse_mapping(text, mapping_file)
    wave = get_wave(wave_slug)
    report = import_responses(wave, data, mapping, imported_by=operator_name(), delimiter=delimiter,
                              encoding=encoding)

    def echo(line: str) -> None:
        click.echo(line, err=True)

    echo(f"imported {report.responses} responses into wave {wave_slug} "
         f"({report.rows_read} rows read, {report.rows_skipped} skipped; stored in random order)")
    echo("per group value: " + ", ".join(f"{k}: {v}" for k, v in report.per_group.items()))
    if report.dropped_columns:
        echo("dropped (identifiers, not stored): " + ", ".join(report.dropped_columns))
    if report.ignored_columns:
        echo("ignored (not named in the mapping, not stored): " + ", ".join(report.ignored_columns))
    if report.schedule:
        s = report.schedule
        qr = ", ".join(f"{n} with {k}" for k, n in s["quick_returns"].items())
        echo(f"weekly schedule: {s['reported']} reported, {s['not_reported']} without any shift (left "
             f"unanswered); banded night hours, shift length and weekly hours stored, clock times not. "
             f"Quick returns per week (not stored): {qr}")
    for w in report.warnings:
        echo(f"warning: {w}")
