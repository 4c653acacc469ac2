"""``flask instruments list|check``: the instrument catalogue."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ..core.instruments import InstrumentError, load_instrument
from .errors import fail, refusals

group = AppGroup("instruments", help="The instrument catalogue.")


@group.command("list")
@refusals()
def instruments_list() -> None:
    """List the catalogue: id, version, kind, languages, licence."""
    from ..services.catalogue import get_catalogue

    for inst in get_catalogue().values():
        langs = ",".join(f"{k}:{v.status}" for k, v in inst.languages.items())
        flag = " (structure only)" if inst.structure_only else ""
        click.echo(f"{inst.id}\t{inst.version}\t{inst.kind}{flag}\t{langs}\t{inst.name.get('en', '')}")


@group.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def instruments_check(files: tuple[str, ...]) -> None:
    """Validate definition files (default: the whole catalogue)."""
    from ..services.catalogue import catalogue_folders

    paths = [Path(f) for f in files] or [p for d in catalogue_folders() if d.is_dir()
                                         for p in sorted(d.glob("*.toml"))]
    problems = []
    for p in paths:
        try:   # every file is checked: the problems of all of them are reported together
            inst = load_instrument(p)
        except InstrumentError as exc:
            problems.append(str(exc))
            continue
        click.echo(f"ok {p} ({inst.id} {inst.version}, {len(inst.items)} items, {len(inst.scales)} scales)",
                   err=True)
    if problems:
        fail(problems)
