"""The one place where commands write results: tables as aligned text, CSV or JSON, and JSON documents,
to stdout or to ``--out FILE`` (CLI.md: results on stdout, messages and progress on stderr)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click

from ..core.csv_cells import plain_text, write_csv
from .errors import fail

#: The ``--format`` choices of a table command.
FORMATS = ("table", "csv", "json")


def format_option(choices: tuple[str, ...] = FORMATS) -> Any:
    """The ``--format`` option (parameter ``fmt``, default ``table``)."""
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default="table")


def write_out(out: str, text: str) -> None:
    """``--out FILE``: write ``text``; a missing folder or unwritable path is one error line, exit 1."""
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"--out {out}: {exc.strerror}")


def write(text: str, out: str | None = None) -> None:
    """``text`` to ``out`` when given, else to stdout as it is (no newline added)."""
    if out:
        write_out(out, text)
    else:
        click.echo(text, nl=False)


def fmt_num(v: object, digits: int = 4) -> str:
    """A model number for a readable table: ``digits`` decimals (significant digits below 0.001), empty
    for null, NaN or infinity."""
    if v is None or isinstance(v, float) and not math.isfinite(v):
        return ""
    if isinstance(v, float):
        return f"{v:.{digits}g}" if abs(v) < 1e-3 and v != 0 else f"{v:.{digits}f}"
    return str(v)


def table_text(rows: list[dict], fmt: str, columns: list[str]) -> str:
    """Rows as an aligned table, CSV (text cells a spreadsheet would run as a formula get a leading
    apostrophe, :func:`wellbeing.core.csv_cells.neutralise`) or a JSON array of the rows."""
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        return write_csv(columns, rows)
    cells = [columns] + [[plain_text(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    return "".join("  ".join(v.ljust(widths[i]) for i, v in enumerate(row)).rstrip() + "\n" for row in cells)


def emit(rows: list[dict], fmt: str, columns: list[str], out: str | None = None) -> None:
    """Write rows as an aligned table, CSV or JSON to stdout (or ``out``)."""
    write(table_text(rows, fmt, columns), out)


def emit_document(doc: Any, out: str | None = None, *, allow_nan: bool = True) -> None:
    """Write one JSON document (indented, UTF-8 as is) to stdout (or ``out``)."""
    write(json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=allow_nan) + "\n", out)


def echo(text: str = "") -> None:
    """A line of readable (``--format table``) output on stdout."""
    click.echo(text)
