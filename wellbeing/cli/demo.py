"""``flask demo seed``: the demonstration pilot."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .errors import fail
from .output import echo

group = AppGroup("demo", help="The demonstration pilot.")


@group.command("seed")
@click.option("--seed", "seed", default=1, show_default=True, type=int, help="random seed of the model")
@click.option("--if-empty", is_flag=True, help="do nothing (but show the logins and codes) if data exist")
def demo_seed(seed: int, if_empty: bool) -> None:
    """Seed the demonstration pilot: 20 regions, ~150 units, a closed and an open wave, staff logins."""
    import time

    from ..demo import seed as demo

    if not current_app.config.get("CODE_HMAC_KEY"):
        fail("CODE_HMAC_KEY is not set: run `flask setup` first")
    if demo.is_empty():
        t0 = time.perf_counter()
        report = demo.seed_demo(seed)
        click.echo(f"seeded the demonstration pilot (seed {seed}) in {time.perf_counter() - t0:.1f} s: "
                   f"{report.units} units file rows; " + "; ".join(f"wave {w.slug}: {w.responses} responses"
                                                         for w in report.waves), err=True)
    elif if_empty:
        click.echo("the database holds data already: not seeding", err=True)
    else:
        fail("the database is not empty: the demo seeds only an empty database (use --if-empty to skip)")
    logins = demo.working_demo_logins()
    if logins:
        echo("\nStaff logins (DEMO CREDENTIALS, documented in docs/demo.md: never use them on real data):")
        for name, role, password in logins:
            echo(f"  {role:<13} user {name:<13} password {password}")
    codes = demo.read_unused_codes(5)
    if codes:
        echo("\nUnused codes of the open wave (enter one at /survey/):")
        for group_slug, code in codes:
            echo(f"  {code}   ({group_slug})")
    echo("")
