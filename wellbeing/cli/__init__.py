"""`flask <noun> <verb>` commands (CLI.md). Each calls the same service function as the web pages.

One module per noun (:mod:`.setup`, :mod:`.instruments`, :mod:`.units`, :mod:`.waves`, :mod:`.drafts`,
:mod:`.results`, :mod:`.cache`, :mod:`.users`, :mod:`.demo`, :mod:`.responses`, :mod:`.roster` (roster
and shifts), :mod:`.schedules` (features, with :mod:`.costs` and :mod:`.whatif`), :mod:`.pilots`,
:mod:`.models`, :mod:`.audit`); shared options and input readers in :mod:`.options`; every table or
document written to stdout goes through :mod:`.output`; refusals through :mod:`.errors`; the net for
anything else (and the audit record of a successful command) in :mod:`.guard`.

Exit codes: 0 success; 1 input refused (one line per problem on stderr); 2 usage error (click).
"""

from __future__ import annotations

import click
from flask import Flask

#: Commands that are not ours (Flask's and Flask-Migrate's): they are not guarded.
FOREIGN_COMMANDS = ("db", "run", "shell", "routes")


def commands() -> list[click.Command]:
    """Every command and command group of the platform, in registration order."""
    from . import (
        audit,
        cache,
        demo,
        drafts,
        instruments,
        models,
        pilots,
        responses,
        results,
        roster,
        schedules,
        setup,
        units,
        users,
        waves,
    )

    return [setup.command, instruments.group, units.group, waves.group, drafts.group, results.command,
            cache.group, users.group, demo.group, roster.roster_group, roster.shifts_group, schedules.group,
            pilots.group, models.group, responses.group, audit.group]


def register(app: Flask) -> None:
    """Add every command to ``app.cli`` and put the net of :mod:`.guard` under each (idempotent)."""
    from .guard import guard

    for command in commands():
        app.cli.add_command(command)
    for name, command in app.cli.commands.items():
        if name not in FOREIGN_COMMANDS:
            guard(command)
