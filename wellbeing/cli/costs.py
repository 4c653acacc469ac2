"""``flask schedules costs`` (issue 22): overtime, its cost and the paperwork register per group of a wave."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..core.tables import ImportRejected
from .errors import fail, refusals
from .options import operator_name, read_file
from .output import emit, format_option


def _merge_pairs(values: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for v in values:
        a, sep, b = v.partition("+")
        if not sep or not a.strip() or not b.strip():
            fail(f"--merge: {v!r}: give two form names joined by '+', e.g. \"incident report+shift log\"")
        pairs.append((a.strip(), b.strip()))
    return pairs


def _store(kind: str, path: str) -> int:
    """Store the ``--rates`` or ``--register`` file; its problems are refused naming that file."""
    from ..services import costs as svc

    try:
        return svc.store_cost_file(kind, read_file(path), imported_by=operator_name(), filename=path)
    except ImportRejected as exc:  # an undecodable file too (rule ``encoding``)
        fail(f"{path}: {e}" for e in exc.errors)


@click.command("costs")
@with_appcontext
@click.argument("wave")
@click.option("--rates", "rates_file", default=None, type=click.Path(dir_okay=False),
              help="pay-rates file (position,hourly_rate,currency,overtime,night,holiday); stored when valid. "
                   "Default: the newest stored one")
@click.option("--register", "register_file", default=None, type=click.Path(dir_okay=False),
              help="paperwork register (unit_type,form,per,times,minutes); stored when valid")
@click.option("--remove", multiple=True, metavar="FORM", help="scenario: remove this form (repeatable)")
@click.option("--merge", multiple=True, metavar="A+B", help="scenario: merge two forms (repeatable)")
@click.option("--level", type=click.Choice(["group", "region", "all", "every"]), default="every",
              show_default=True, help="rows to print")
@format_option()
@click.option("--out", default=None, type=click.Path(dir_okay=False))
@refusals()
def command(wave: str, rates_file: str | None, register_file: str | None, remove: tuple[str, ...],
            merge: tuple[str, ...], level: str, fmt: str, out: str | None) -> None:
    """Overtime by art. 78 limits, its cost, the compliance scenario and paperwork per group of WAVE.

    Rows per reporting group, region and the whole wave (level, key); numbers of a group under K
    officers, and of a total that would give them by subtraction, are empty (reason below_k /
    complement). Hours in h, money in the rates file's currency, FTE in officers.

    \b
    Pay-rates file (--rates), one row per position or grade, no personal salary:
      position,hourly_rate,currency,overtime,night,holiday
      Patrol police battalion,2100,KZT,1.5,1.5,1.5
      *,2000,KZT,1.5,1.5,1.5
    position: the roster's position (* = every position not listed); hourly_rate > 0;
    currency: ISO 4217 code, one per file; overtime, night, holiday: multipliers >= 1
    of the hourly rate (overtime hours are paid whole at rate x overtime; night and
    weekend hours get rate x (multiplier - 1) on top).

    \b
    Paperwork register (--register), one row per form and unit type:
      unit_type,form,per,times,minutes
      Patrol police battalion,incident report,shift,2,25
      *,monthly activity report,month,1,90
    unit_type: a unit's name in the hierarchy (* = every unit); per: shift, day, week,
    month or year; times > 0 per that unit; minutes > 0 each.

    A bad file is refused with row and column of every problem and nothing is stored;
    a valid one becomes the one in use (the page uses the same).
    """
    from ..core.csv_cells import plain_records
    from ..services import costs as svc
    from ..services.waves import get_wave

    pairs = _merge_pairs(merge)
    for kind, path in (("rates", rates_file), ("register", register_file)):
        if path:
            n = _store(kind, path)
            click.echo(f"{path}: stored {n} {kind} rows", err=True)
    wc = svc.wave_costs(get_wave(wave), remove=remove, merge=pairs)
    table = svc.release_costs(wc)
    if level != "every":
        table = table[table["level"] == level]
    start, end = wc.window
    click.echo(f"wave {wave}: reference window {start} to {end} (end exclusive); money in {wc.currency}; "
               f"groups under K={wc.wave.min_cell} officers suppressed", err=True)
    emit(plain_records(table, svc.RELEASED_COLUMNS), fmt, svc.RELEASED_COLUMNS, out)
