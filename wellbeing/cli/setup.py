"""``flask setup``: first-time set-up of an instance (secrets, then the database)."""

from __future__ import annotations

import os
import secrets

import click
from flask import current_app
from flask.cli import with_appcontext

from ..core.sealing import new_key as new_seal_key


@click.command("setup")
@with_appcontext
def command() -> None:
    """Create instance/config.py with fresh secrets if missing (add SEAL_KEY to an older one), then
    upgrade the database."""
    from flask_migrate import upgrade

    from ..instance_files import private_dir

    instance = private_dir(current_app.instance_path)   # 0700: secrets, database, uploads
    cfg = instance / "config.py"
    if not cfg.exists():
        secret, hmac_key = secrets.token_hex(32), secrets.token_hex(32)
        fd = os.open(cfg, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("# Written by `flask setup`. Keep secret; never commit.\n"
                     "# CODE_HMAC_KEY protects the code ledger: changing it invalidates issued codes.\n"
                     f"SECRET_KEY = {secret!r}\nCODE_HMAC_KEY = {hmac_key!r}\n")
        current_app.config.update(SECRET_KEY=secret, CODE_HMAC_KEY=hmac_key, SEAL_KEY=None)
        click.echo(f"wrote {cfg}", err=True)
    else:
        click.echo(f"{cfg} exists; secrets kept", err=True)
    if not current_app.config.get("SEAL_KEY"):
        # Instances set up before sealed submissions (issue 15) get the key appended, nothing else changes.
        seal_key = new_seal_key()
        with open(cfg, "a", encoding="utf-8") as fh:
            fh.write("# SEAL_KEY seals answers until they are released in batches; back it up APART from the\n"
                     "# database: losing it loses every answer not yet released.\n"
                     f"SEAL_KEY = {seal_key!r}\n")
        current_app.config["SEAL_KEY"] = seal_key
        click.echo(f"added SEAL_KEY to {cfg}", err=True)
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("database is up to date", err=True)
