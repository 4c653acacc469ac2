"""``flask waves create|issue-codes|open|close|delete|list``: survey rounds and their lifecycle."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .errors import fail, refusals
from .options import parse_date, read_file, split_list
from .output import emit, format_option

group = AppGroup("waves", help="Survey rounds: create, issue codes, open, close, list.")


@group.command("create")
@click.argument("slug")
@click.option("--instruments", required=True, help="comma-separated instrument ids, in page order")
@click.option("--opens", default=None, metavar="DATE")
@click.option("--closes", default=None, metavar="DATE")
@click.option("--units", default="", help="comma-separated unit ids (default: all)")
@click.option("--min-cell", "min_cell", default=None, type=int,
              help="K, never below 5 (default: the deployment's MIN_CELL_K, 5 unless raised)")
@click.option("--window-days", default=90, show_default=True, type=int)
@click.option("--title", default="")
@click.option("--import-only", is_flag=True, help="filled only by `flask responses import`")
@click.option("--groups", "groups_file", default=None, type=click.Path(dir_okay=False),
              help="import-only waves: GROUPS.csv (value,slug,label)")
@refusals(source="groups_file", split=True)
def waves_create(slug: str, instruments: str, opens: str | None, closes: str | None, units: str,
                 min_cell: int | None, window_days: int, title: str, import_only: bool,
                 groups_file: str | None) -> None:
    """Create a wave SLUG (a draft until codes are issued).

    With --import-only and --groups GROUPS.csv (value,slug,label) the wave is filled only by
    `flask responses import`; its groups and K are frozen now and it never opens for web answers.
    """
    from ..core.response_import import parse_groups_csv
    from ..services.waves import create_wave

    groups = []
    if groups_file and not import_only:
        fail("--groups: only with --import-only (web waves form their groups when codes are issued)")
    if import_only:
        if not groups_file:
            fail("--import-only: give --groups GROUPS.csv (value,slug,label)")
        if opens or closes:
            fail("--import-only: an import-only wave has no --opens/--closes (it never opens for web answers)")
        groups = parse_groups_csv(read_file(groups_file))
    wave = create_wave(slug, split_list(instruments), opens=parse_date(opens, "opens"),
                       closes=parse_date(closes, "closes"), min_cell=min_cell, window_days=window_days,
                       units=split_list(units), title=title, import_only=import_only, groups=groups)
    if import_only:
        click.echo(f"created import-only wave {wave.slug} ({len(wave.instruments)} instruments, "
                   f"{len(wave.groups)} reporting groups, K={wave.min_cell}; groups and K are frozen). "
                   f"Next: flask responses import FILE --wave {wave.slug} --mapping MAPPING.toml, "
                   f"then flask waves close {wave.slug}", err=True)
    else:
        click.echo(f"created wave {wave.slug} ({len(wave.instruments)} instruments, K={wave.min_cell})",
                   err=True)


@group.command("issue-codes")
@click.argument("slug")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--extra", default=0.2, show_default=True, type=float, help="extra share of slips per group")
@click.option("--address", default="http://127.0.0.1:5000/survey/", show_default=True,
              help="survey address printed on the slips")
@refusals()
def waves_issue_codes(slug: str, out_dir: str, extra: float, address: str) -> None:
    """Freeze reporting groups and K; write slips-<group>.pdf and codes.csv into OUT."""
    from ..services.waves import get_wave, issue_codes, write_slips

    wave = get_wave(slug)
    issued = issue_codes(wave, extra=extra)
    paths = write_slips(wave, issued, out_dir, address)
    total = sum(len(g.codes) for g in issued)
    click.echo(f"issued {total} codes in {len(issued)} reporting groups; wrote {len(paths)} files to {out_dir}",
               err=True)
    click.echo("codes.csv is for printing slips only: never merge it with names or addresses.", err=True)


@group.command("open")
@click.argument("slug")
@refusals()
def waves_open(slug: str) -> None:
    """Open an issued wave for answers."""
    from ..services.waves import get_wave, open_wave

    open_wave(get_wave(slug))
    click.echo(f"wave {slug} is open", err=True)


@group.command("close")
@click.argument("slug")
@refusals()
def waves_close(slug: str) -> None:
    """Close an open wave, or an import-only wave after its imports (results are released only then)."""
    from ..services.waves import close_wave, get_wave

    close_wave(get_wave(slug))
    click.echo(f"wave {slug} is closed", err=True)


@group.command("delete")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="really delete: without it, only say what would be destroyed")
@refusals()
def waves_delete(slug: str, yes: bool) -> None:
    """Delete a draft, or an issued wave never opened, destroying its codes (its slips become useless)."""
    from ..extensions import db
    from ..models import AccessCode
    from ..services.waves import deletable, delete_wave, get_wave

    wave = get_wave(slug)
    if not deletable(wave):
        delete_wave(wave)  # raises the reason
    if not yes:
        n = db.session.execute(db.select(db.func.count()).select_from(AccessCode)
                               .where(AccessCode.wave_id == wave.id)).scalar_one()
        fail(f"wave {slug}: would delete it and destroy its {n} codes; add --yes to do so")
    n = delete_wave(wave)
    click.echo(f"wave {slug} deleted; {n} codes destroyed", err=True)


@group.command("list")
@format_option()
def waves_list(fmt: str) -> None:
    """List waves: slug, status, dates, K, instruments, groups."""
    from ..services.waves import list_waves

    rows = [{"slug": w.slug, "status": str(w.status), "opens": w.opens.isoformat() if w.opens else "",
             "closes": w.closes.isoformat() if w.closes else "", "min_cell": w.min_cell,
             "instruments": ",".join(wi.snapshot.instrument_id for wi in w.instruments),
             "groups": len(w.groups)} for w in list_waves()]
    emit(rows, fmt, ["slug", "status", "opens", "closes", "min_cell", "instruments", "groups"])
