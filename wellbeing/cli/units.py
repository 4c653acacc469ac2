"""``flask units import``: the unit hierarchy (region → department → unit)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .errors import refusals
from .options import import_options, operator_name, read_columns_map, read_file, read_values_map

group = AppGroup("units", help="The unit hierarchy (region → department → unit).")


@group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@import_options
@refusals(source="file")
def units_import(file: str, delimiter: str | None, encoding: str, columns_map: str | None) -> None:
    """Import FILE: unit_id,name,parent_id,level,headcount (all or nothing).

    The --columns file may recode levels with a table [values.level], e.g. "облыс" = "region".
    """
    from ..services.units import import_units

    n = import_units(read_file(file), imported_by=operator_name(), columns=read_columns_map(columns_map),
                     delimiter=delimiter, encoding=encoding, values=read_values_map(columns_map))
    click.echo(f"imported {n} units", err=True)
