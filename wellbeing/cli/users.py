"""``flask users create|list|disable``: staff accounts (officers have none)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .errors import refusals
from .output import emit, format_option

group = AppGroup("users", help="Staff accounts (admin, psychologist, analyst). Officers have none.")


def _read_password() -> str:
    """The new password: prompted twice on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@group.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["admin", "psychologist", "analyst"]))
@refusals(split=True)
def users_create(name: str, role: str) -> None:
    """Create staff account NAME (password from the prompt, or stdin when piped)."""
    from ..services.users import create_user

    create_user(name, role, _read_password())
    click.echo(f"created {role} {name}", err=True)


@group.command("list")
@format_option()
def users_list(fmt: str) -> None:
    """List staff accounts: name, role, active."""
    from ..services.users import list_users

    emit([{"name": u.name, "role": str(u.role), "active": u.active} for u in list_users()], fmt,
         ["name", "role", "active"])


@group.command("disable")
@click.argument("name")
@refusals()
def users_disable(name: str) -> None:
    """Stop NAME from logging in (open sessions end at their next request)."""
    from ..services.users import disable_user

    disable_user(name)
    click.echo(f"disabled {name}", err=True)
