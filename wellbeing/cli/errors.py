"""Refusals: how a command says no (CLI.md: exit 1, one readable line per problem on stderr).

:func:`fail` refuses with the given lines; :func:`refusals` is the one decorator that turns the
domain's errors raised inside a command — :class:`~wellbeing.core.tables.ImportRejected` (one line per
row error) and the ``ValueError`` subclasses defined in ``wellbeing`` (``WaveError``, ``UserError``,
``PilotError``, ``AnalysisError``, ``InstrumentError``, ...) — into such a refusal, so commands carry no
try/except of their own. Anything else is left to the net of :mod:`.guard`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any, NoReturn, TypeVar

import click

from ..core.tables import ImportRejected, RowError

#: At most this many problems are printed; the rest are counted (a million-row file with one bad
#: column must not print a million lines).
MAX_PROBLEM_LINES = 50

F = TypeVar("F", bound=Callable[..., Any])

#: Where a row error of an import happened, as printed before it: ``(command parameters, the
#: exception, the row error) -> file name``.
SourceOf = Callable[[Mapping[str, Any], ImportRejected, RowError], "str | None"]


class Refused(click.ClickException):
    """The input or request was refused: each problem becomes one ``error: ...`` line on stderr (the first
    :data:`MAX_PROBLEM_LINES`, then how many more), exit status 1."""

    exit_code = 1

    def __init__(self, lines: Iterable[str] | str) -> None:
        self.lines: list[str] = []
        self.count = 0
        for line in [lines] if isinstance(lines, str) else lines:
            self.count += 1
            if self.count <= MAX_PROBLEM_LINES:
                self.lines.append(line)
        super().__init__(self.lines[0] if self.lines else "refused")

    def show(self, file: IO[Any] | None = None) -> None:
        for line in self.lines:
            click.echo(f"error: {line}", err=True)
        if self.count > MAX_PROBLEM_LINES:
            click.echo(f"error: ... and {self.count - MAX_PROBLEM_LINES:,} more problems ({self.count:,} in all); "
                       "nothing was stored", err=True)


def fail(lines: Iterable[str] | str) -> NoReturn:
    """Refuse: print each problem on its own stderr line and exit with status 1 (:class:`Refused`)."""
    raise Refused(lines)


def is_domain_error(exc: BaseException) -> bool:
    """True for the refusals of the domain: ``ValueError`` subclasses defined in the ``wellbeing`` package
    (a bare ``ValueError`` from a library is not one: the net reports it with its type)."""
    return isinstance(exc, ValueError) and type(exc).__module__.startswith("wellbeing.")


def problem_lines(exc: ValueError, *, split: bool = False) -> list[str]:
    """The lines of a domain error: its ``problems`` if it lists them, else its message (cut at ``"; "``
    into one line per part when ``split``)."""
    problems = getattr(exc, "problems", None)
    if isinstance(problems, list):
        return [str(p) for p in problems]
    return str(exc).split("; ") if split else [str(exc)]


def refusals(*, source: str | SourceOf | None = None, split: bool = False) -> Callable[[F], F]:
    """Decorate a command callback (below its click decorators): domain errors become a :func:`fail`.

    ``source`` prefixes each row error of an :class:`ImportRejected`: the name of the command parameter
    holding the file (``"file"`` prints ``FILE: row 3, column ...``), or a :data:`SourceOf` function;
    without it the row errors are printed bare. ``split`` prints a message joined by ``"; "`` as one
    line per part (services that list several problems in one message).
    """

    def decorate(callback: F) -> F:
        @functools.wraps(callback)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return callback(*args, **kwargs)
            except ImportRejected as exc:
                fail(_row_lines(exc, kwargs, source))
            except ValueError as exc:
                if not is_domain_error(exc):
                    raise
                fail(problem_lines(exc, split=split))

        return run  # type: ignore[return-value]

    return decorate


def _row_lines(exc: ImportRejected, params: Mapping[str, Any], source: str | SourceOf | None) -> Iterable[str]:
    for e in exc.errors:
        where = source(params, exc, e) if callable(source) else params.get(source) if source else None
        yield f"{where}: {e}" if where else str(e)
