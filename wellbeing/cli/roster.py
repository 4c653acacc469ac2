"""``flask roster import`` and ``flask shifts import|import-grid|import-weekly|generate``: who is in which
unit on which shift pattern, and the shifts they work."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from flask.cli import AppGroup

from ..core.tables import ImportRejected, RowError
from .errors import refusals
from .options import (
    import_options,
    operator_name,
    parse_date,
    read_columns_map,
    read_file,
    read_values_map,
    required_date,
    timezone_option,
)

roster_group = AppGroup("roster", help="Roster snapshots (who is in which unit, on which shift pattern).")
shifts_group = AppGroup("shifts", help="Shift records: files, grids, weekly templates, generated plans.")


def _import_done(file: str, result: Any) -> None:
    """Report an import on stderr: rows stored, or that the same file was imported before."""
    if result.unchanged:
        click.echo(f"{file}: imported before (import #{result.import_id}, same file): nothing changed", err=True)
    else:
        extra = f" ({result.detail})" if result.detail else ""
        click.echo(f"{file}: imported {result.rows} rows as {result.kind}{extra} (import #{result.import_id})",
                   err=True)


@roster_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--as-of", "as_of", default=None, metavar="DATE", help="date of the snapshot (default today)")
@import_options
@refusals(source="file")
def roster_import(file: str, as_of: str | None, delimiter: str | None, encoding: str,
                  columns_map: str | None) -> None:
    """Import FILE: person_id,unit_id,shift_pattern,position,contract_hours_week[,accounting_period]
    (all or nothing).

    accounting_period (optional) is the officer's accounting period of working time: week, month,
    quarter or year; empty or absent = month. Overtime is counted per period: the hours worked above
    the period's norm, contract_hours_week x the period's days / 7 (the thresholds are KZ Labour Code
    art. 78: 2 h/day, 12 h/month, 120 h/year). The --columns file may also recode values with tables
    [values.shift_pattern] and [values.accounting_period], e.g. "сутки через трое" = "24-72".
    """
    from ..services.roster import import_roster

    res = import_roster(read_file(file), imported_by=operator_name(), as_of=parse_date(as_of, "as-of"),
                        columns=read_columns_map(columns_map), delimiter=delimiter, encoding=encoding,
                        values=read_values_map(columns_map))
    _import_done(file, res)


@shifts_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@timezone_option(help="IANA zone of local times")
@import_options
@refusals(source="file")
def shifts_import(file: str, timezone: str, delimiter: str | None, encoding: str, columns_map: str | None) -> None:
    """Import FILE: person_id,start,end,break_min,duty_type,shift_code (all or nothing).

    start/end: 2024-03-01 06:00 (or T, with seconds) local time in --timezone, 2024-03-01T06:00+05:00
    with an offset, 01.03.2024 06:00, or an Excel date-time number (45352.25 = 2024-03-01 06:00);
    24:00 is midnight ending the day. The --columns file may recode duty types with a table
    [values.duty_type], e.g. "сверхурочная" = "overtime".
    """
    from ..services.roster import import_shifts

    res = import_shifts(read_file(file), imported_by=operator_name(), timezone=timezone,
                        columns=read_columns_map(columns_map), delimiter=delimiter, encoding=encoding,
                        values=read_values_map(columns_map))
    _import_done(file, res)


def _grid_source(params: Mapping[str, Any], exc: ImportRejected, e: RowError) -> str:
    """The file a grid import problem is in: the codes file (problems raised with ``source="codes"``)
    or the grid file."""
    return params["codes_file"] if exc.source == "codes" else params["file"]


@shifts_group.command("import-grid")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--codes", "codes_file", required=True, type=click.Path(dir_okay=False),
              help="CODES.csv: code,start,end,duty_type (end before start = next day; '-' = off)")
@click.option("--start", "start", required=True, metavar="DATE", help="local date of the first day column")
@timezone_option()
@import_options
@refusals(source=_grid_source)
def shifts_import_grid(file: str, codes_file: str, start: str, timezone: str, delimiter: str | None,
                       encoding: str, columns_map: str | None) -> None:
    """Import a person × day grid of shift codes (CSV, or the pipe-separated INRC text grid)."""
    from ..services.roster import import_grid

    day = required_date(start, "start")
    res = import_grid(read_file(file), read_file(codes_file), day, imported_by=operator_name(),
                      timezone=timezone, columns=read_columns_map(columns_map), delimiter=delimiter,
                      encoding=encoding, values=read_values_map(columns_map))
    _import_done(file, res)


@shifts_group.command("import-weekly")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--from", "from_", required=True, metavar="DATE")
@click.option("--to", "to", required=True, metavar="DATE")
@timezone_option()
@import_options
@refusals(source="file")
def shifts_import_weekly(file: str, from_: str, to: str, timezone: str, delimiter: str | None, encoding: str,
                         columns_map: str | None) -> None:
    """Expand a weekly template per person (person_id, mon_start, mon_end, ... sun_end) over a period."""
    from ..services.roster import import_weekly

    a, b = required_date(from_, "from"), required_date(to, "to")
    res = import_weekly(read_file(file), a, b, imported_by=operator_name(), timezone=timezone,
                        columns=read_columns_map(columns_map), delimiter=delimiter, encoding=encoding,
                        values=read_values_map(columns_map))
    _import_done(file, res)


@shifts_group.command("generate")
@click.option("--unit", required=True, help="unit id; its officers come from the latest roster snapshot")
@click.option("--pattern", required=True, help="shift-pattern slug of the catalogue")
@click.option("--from", "from_", required=True, metavar="DATE")
@click.option("--to", "to", required=True, metavar="DATE")
@timezone_option()
@refusals(source=lambda params, exc, e: "generate")
def shifts_generate(unit: str, pattern: str, from_: str, to: str, timezone: str) -> None:
    """Planned shifts from the pattern catalogue for the officers of a unit."""
    from ..services.roster import generate_for_unit

    a, b = required_date(from_, "from"), required_date(to, "to")
    res = generate_for_unit(unit, pattern, a, b, imported_by=operator_name(), timezone=timezone)
    _import_done(f"generate {unit} {pattern}", res)
