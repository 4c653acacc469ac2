"""Shared options and input readers of the commands: files, dates, ``--encoding``, ``--timezone``,
``--columns MAP.toml`` and who ran the command. Every problem is a refusal (:func:`.errors.fail`)."""

from __future__ import annotations

import getpass
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import click

from .errors import fail

#: ``--delimiter`` values and the character each names (a literal tab or ``\\t`` is tab too).
DELIMITER_CHOICES = {",": ",", ";": ";", "tab": "\t", "\t": "\t", "\\t": "\t"}


def check_encoding(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Option callback: ``--encoding`` must name a codec Python knows."""
    import codecs

    if value is not None:
        try:
            codecs.lookup(value)
        except LookupError:
            fail(f"--encoding: unknown encoding {value!r} (e.g. utf-8, cp1251)")
    return value


def check_timezone(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Option callback: ``--timezone`` must be an IANA zone name."""
    from zoneinfo import available_timezones

    if value is not None and value not in available_timezones():
        fail(f"--timezone: {value!r} is not an IANA time zone (e.g. Asia/Almaty)")
    return value


def to_delimiter(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Option callback: the character a checked ``--delimiter`` choice names (None = detect)."""
    return None if value is None else DELIMITER_CHOICES[value.lower()]


def delimiter_option(f: Any) -> Any:
    """``--delimiter``: ``,`` ``;`` or ``tab`` (default: detected), as the character."""
    return click.option("--delimiter", default=None, callback=to_delimiter, metavar="[,|;|tab]",
                        type=click.Choice(list(DELIMITER_CHOICES), case_sensitive=False),
                        help="',' ';' or tab (default: detected)")(f)


def timezone_option(**extra: Any) -> Any:
    """``--timezone`` (IANA name, default Asia/Almaty), checked."""
    return click.option("--timezone", default="Asia/Almaty", show_default=True, callback=check_timezone, **extra)


def encoding_options(f: Any) -> Any:
    """``--delimiter`` (default: detected) and ``--encoding`` (default UTF-8, checked)."""
    f = delimiter_option(f)
    return click.option("--encoding", default="utf-8", show_default=True, callback=check_encoding)(f)


def import_options(f: Any) -> Any:
    """The options of a file import (CLI.md): ``--delimiter``, ``--encoding``, ``--columns MAP.toml``."""
    f = encoding_options(f)
    return click.option("--columns", "columns_map", default=None, metavar="MAP.toml",
                        help="TOML table [columns] mapping the file's headers to the contract's names")(f)


def _load_columns_file(path: str) -> dict:
    """The parsed ``--columns`` TOML file, or one readable failure line (unreadable, invalid, or nested
    too deeply for the parser)."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        fail(f"{path}: {exc}")
    except RecursionError:
        fail(f"{path}: nested too deeply to read")


def read_columns_map(path: str | None) -> dict[str, str] | None:
    """``--columns MAP.toml``: a table ``[columns]`` from the file's header names to contract names."""
    if not path:
        return None
    data = _load_columns_file(path)
    cols = data.get("columns")
    if cols is None and isinstance(data.get("values"), dict):
        return None   # a file of value mappings only ([values.<column>])
    if not isinstance(cols, dict) or not all(isinstance(v, str) for v in cols.values()):
        fail(f"{path}: needs a table [columns] of header name = contract name")
    return cols


def read_values_map(path: str | None) -> dict[str, dict[str, str]] | None:
    """``--columns MAP.toml``: its optional tables ``[values.<column>]`` of file value = contract value,
    e.g. ``[values.shift_pattern]`` ``"сутки через трое" = "24-72"``, ``[values.level]`` ``"облыс" =
    "region"``. One rule for every import: each applies the maps of its own contract's columns and
    ignores the others (the reader, :func:`wellbeing.core.tables.read_table`, does), so one mapping
    file serves units, roster and shifts."""
    if not path:
        return None
    data = _load_columns_file(path)
    vals = data.get("values")
    if vals is None:
        return None
    problems = []
    if not isinstance(vals, dict):
        fail(f"{path}: [values] must hold tables [values.<column>] of file value = contract value")
    for col, table in vals.items():
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            problems.append(f"{path}: [values.{col}] must map file values to contract values (strings)")
    if problems:
        fail(problems)
    return vals


def read_file(path: str) -> bytes:
    """The bytes of ``path``; an unreadable file is one refusal line."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        fail(f"{path}: {exc.strerror}")


def read_text(path: str) -> str:
    """The UTF-8 text of ``path``; an unreadable or undecodable file is one refusal line."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: {exc}")


def parse_date(value: str | None, name: str) -> date | None:
    """``--NAME DATE`` (YYYY-MM-DD) as a date; None stays None."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--{name}: {value!r} is not a date (YYYY-MM-DD)")


def required_date(value: str, name: str) -> date:
    """A required ``--NAME DATE`` (YYYY-MM-DD)."""
    day = parse_date(value, name)
    assert day is not None
    return day


def split_list(value: str | None) -> list[str]:
    """A comma-separated option as its stripped, non-empty parts."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def operator_name() -> str:
    """Who ran a command, for import records (the OS account; staff imports from the web use the login)."""
    try:
        return "cli:" + getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database in some containers
        return "cli"
