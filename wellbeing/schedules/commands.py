"""``flask schedules costs`` and ``flask schedules what-if`` (issues 22 and 23), added to the ``schedules`` group."""

from __future__ import annotations

import click

from ..cli import emit, fail, operator_name, read_file, schedules_cli
from ..core.tables import ImportRejected


def _merge_pairs(values: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for v in values:
        a, sep, b = v.partition("+")
        if not sep or not a.strip() or not b.strip():
            fail(f"--merge: {v!r}: give two form names joined by '+', e.g. \"incident report+shift log\"")
        pairs.append((a.strip(), b.strip()))
    return pairs


@schedules_cli.command("costs")
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
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--out", default=None, type=click.Path(dir_okay=False))
def schedules_costs(wave: str, rates_file: str | None, register_file: str | None, remove: tuple[str, ...],
                    merge: tuple[str, ...], level: str, fmt: str, out: str | None) -> None:
    """Overtime by art. 78 limits, its cost, the compliance scenario and paperwork per group of WAVE."""
    from ..services import costs as svc
    from ..services.results import plain_records
    from ..services.waves import WaveError, get_wave

    pairs = _merge_pairs(merge)
    for kind, path in (("rates", rates_file), ("register", register_file)):
        if path:
            try:
                n = svc.store_cost_file(kind, read_file(path), imported_by=operator_name(), filename=path)
            except ImportRejected as exc:
                fail(f"{path}: {e}" for e in exc.errors)
            except UnicodeDecodeError:
                fail(f"{path}: not UTF-8 text")
            click.echo(f"{path}: stored {n} {kind} rows", err=True)
    try:
        wc = svc.wave_costs(get_wave(wave), remove=remove, merge=pairs)
    except (WaveError, svc.CostsError) as exc:
        fail(str(exc))
    table = svc.release_costs(wc)
    if level != "every":
        table = table[table["level"] == level]
    start, end = wc.window
    click.echo(f"wave {wave}: reference window {start} to {end} (end exclusive); money in {wc.currency}; "
               f"groups under K={wc.wave.min_cell} officers suppressed", err=True)
    emit(plain_records(table, svc.RELEASED_COLUMNS), fmt, svc.RELEASED_COLUMNS, out)
