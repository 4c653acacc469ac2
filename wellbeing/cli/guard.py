"""No traceback reaches a `flask` command's user: every unexpected error becomes one line, exit 1.

Commands refuse bad input themselves (:func:`.errors.fail` and the :func:`.errors.refusals` decorator:
one line per problem, capped); this is the net under them for the classes of error a file or option can
still provoke deep inside a library — an unknown codec, bytes that are not in the declared encoding, a
TOML file nested thousands of levels deep (``RecursionError``), a missing folder, a number too large for
its column. The database session is rolled back first (imports are all or nothing), then
``error: <what>`` is printed on stderr. The full traceback goes to the ``wellbeing.cli`` logger at DEBUG
level, for developers. A command that succeeds is recorded in the audit log (``services.audit``).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any

import click

from .options import operator_name

log = logging.getLogger("wellbeing.cli")
MAX_LINE = 300


def one_line(exc: BaseException) -> str:
    """A readable single line for ``exc`` (bounded to :data:`MAX_LINE` characters)."""
    if isinstance(exc, RecursionError):
        text = "the input is nested too deeply to read"
    elif isinstance(exc, UnicodeDecodeError):
        text = (f"cannot decode the input as {exc.encoding} (byte 0x{exc.object[exc.start]:02x} at position "
                f"{exc.start}); give its --encoding")
    elif isinstance(exc, LookupError) and "encoding" in str(exc):
        text = f"--encoding: {exc}"
    elif isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= MAX_LINE else text[:MAX_LINE - 1] + "…"


def _rollback() -> None:
    try:
        from ..extensions import db

        db.session.rollback()
    except Exception:  # noqa: BLE001 - outside an app context there is nothing to roll back
        log.debug("no session to roll back", exc_info=True)


def _audit(ctx: click.Context) -> None:
    """Record a successful command in the audit log (``services.audit.record_command``): its path and
    its options as parsed (never file contents; passwords are read from the prompt, not options)."""
    from flask.cli import ScriptInfo

    from ..services.audit import record_command

    path = " ".join(ctx.command_path.split()[1:])
    argv = [f"{k}={v}" for k, v in sorted(ctx.params.items()) if v not in (None, False, "", ())]
    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        record_command(operator_name(), path, argv)


def guarded(callback: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a click command callback: click's own exceptions and exits pass; any other exception is
    printed as one ``error:`` line and the process exits with status 1."""
    if getattr(callback, "_wb_guarded", False):
        return callback

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            result = callback(*args, **kwargs)
            _audit(click.get_current_context())
            return result
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit,
                KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the net: one line instead of a traceback
            _rollback()
            log.debug("command failed", exc_info=True)
            click.echo(f"error: {one_line(exc)}", err=True)
            sys.exit(1)

    run._wb_guarded = True  # type: ignore[attr-defined]
    return run


def guard(command: click.Command) -> None:
    """Guard ``command`` and, for a group, every command under it (idempotent)."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            guard(sub)
    elif command.callback is not None:
        command.callback = guarded(command.callback)
