"""`flask <noun> <verb>` commands (CLI.md). Each calls the same service function as the web pages.

Exit codes: 0 success; 1 input refused (one line per problem on stderr); 2 usage error (click).
"""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
import secrets
import sys
import tomllib
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .core.csv_cells import neutralise
from .core.instruments import InstrumentError, load_instrument
from .core.sealing import new_key as new_seal_key
from .core.tables import ImportRejected

#: At most this many problems are printed; the rest are counted (a million-row file with one bad
#: column must not print a million lines).
MAX_PROBLEM_LINES = 50


def fail(lines: Iterable[str] | str) -> None:
    """Print each problem on its own stderr line (the first :data:`MAX_PROBLEM_LINES`, then how many
    more) and exit with status 1."""
    n = 0
    for line in [lines] if isinstance(lines, str) else lines:
        n += 1
        if n <= MAX_PROBLEM_LINES:
            click.echo(f"error: {line}", err=True)
    if n > MAX_PROBLEM_LINES:
        click.echo(f"error: ... and {n - MAX_PROBLEM_LINES:,} more problems ({n:,} in all); nothing was stored",
                   err=True)
    sys.exit(1)


def write_out(out: str, text: str) -> None:
    """``--out FILE``: write ``text``; a missing folder or unwritable path is one error line, exit 1."""
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"--out {out}: {exc.strerror}")


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


#: Columns whose values a columns file may recode (``[values.<column>]``).
VALUE_MAPPED_COLUMNS = ("shift_pattern", "duty_type", "accounting_period")


def read_values_map(path: str | None) -> dict[str, dict[str, str]] | None:
    """``--columns MAP.toml``: its optional tables ``[values.shift_pattern]``, ``[values.duty_type]``
    (and ``[values.accounting_period]``) of file value = contract value, e.g.
    ``"сутки через трое" = "24-72"``, ``"сверхурочная" = "overtime"``."""
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
        if col not in VALUE_MAPPED_COLUMNS:
            problems.append(f"{path}: [values.{col}]: only {', '.join(VALUE_MAPPED_COLUMNS)} can be recoded")
        elif not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            problems.append(f"{path}: [values.{col}] must map file values to contract values (strings)")
    if problems:
        fail(problems)
    return vals


def read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        fail(f"{path}: {exc.strerror}")
        raise  # pragma: no cover


def import_options(f):  # type: ignore[no-untyped-def]
    f = click.option("--delimiter", default=None, help="',' ';' or tab (default: detected)")(f)
    f = click.option("--encoding", default="utf-8", show_default=True, callback=check_encoding)(f)
    f = click.option("--columns", "columns_map", default=None, metavar="MAP.toml",
                     help="TOML table [columns] mapping the file's headers to the contract's names")(f)
    return f


def operator_name() -> str:
    """Who ran a command, for import records (the OS account; staff imports from the web use the login)."""
    try:
        return "cli:" + getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database in some containers
        return "cli"


# ----------------------------------------------------------------------------------------- setup


@click.command("setup")
@with_appcontext
def setup_command() -> None:
    """Create instance/config.py with fresh secrets if missing (add SEAL_KEY to an older one), then
    upgrade the database."""
    from flask_migrate import upgrade

    from .instance_files import private_dir

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


# ------------------------------------------------------------------------------------ instruments

instruments_cli = AppGroup("instruments", help="The instrument catalogue.")


@instruments_cli.command("list")
def instruments_list() -> None:
    """List the catalogue: id, version, kind, languages, licence."""
    from .services.catalogue import get_catalogue

    try:
        cat = get_catalogue()
    except InstrumentError as exc:
        fail(str(exc))
    for inst in cat.values():
        langs = ",".join(f"{k}:{v.status}" for k, v in inst.languages.items())
        flag = " (structure only)" if inst.structure_only else ""
        click.echo(f"{inst.id}\t{inst.version}\t{inst.kind}{flag}\t{langs}\t{inst.name.get('en', '')}")


@instruments_cli.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def instruments_check(files: tuple[str, ...]) -> None:
    """Validate definition files (default: the whole catalogue)."""
    from .services.catalogue import catalogue_folders

    paths = [Path(f) for f in files] or [p for d in catalogue_folders() if d.is_dir()
                                         for p in sorted(d.glob("*.toml"))]
    problems = []
    for p in paths:
        try:
            inst = load_instrument(p)
        except InstrumentError as exc:
            problems.append(str(exc))
            continue
        click.echo(f"ok {p} ({inst.id} {inst.version}, {len(inst.items)} items, {len(inst.scales)} scales)",
                   err=True)
    if problems:
        fail(problems)


# ------------------------------------------------------------------------------------------ units

units_cli = AppGroup("units", help="The unit hierarchy (region → department → unit).")


@units_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@import_options
def units_import(file: str, delimiter: str | None, encoding: str, columns_map: str | None) -> None:
    """Import FILE: unit_id,name,parent_id,level,headcount (all or nothing)."""
    from .services.units import import_units

    try:
        n = import_units(read_file(file), imported_by=operator_name(), columns=read_columns_map(columns_map),
                         delimiter=delimiter, encoding=encoding)
    except ImportRejected as exc:
        fail(f"{file}: {e}" for e in exc.errors)
    click.echo(f"imported {n} units", err=True)


# ------------------------------------------------------------------------------------------ waves

waves_cli = AppGroup("waves", help="Survey rounds: create, issue codes, open, close, list.")


def _parse_date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--{name}: {value!r} is not a date (YYYY-MM-DD)")
        raise  # pragma: no cover


@waves_cli.command("create")
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
def waves_create(slug: str, instruments: str, opens: str | None, closes: str | None, units: str,
                 min_cell: int | None, window_days: int, title: str, import_only: bool,
                 groups_file: str | None) -> None:
    """Create a wave SLUG (a draft until codes are issued).

    With --import-only and --groups GROUPS.csv (value,slug,label) the wave is filled only by
    `flask responses import`; its groups and K are frozen now and it never opens for web answers.
    """
    from .core.response_import import parse_groups_csv
    from .services.waves import WaveError, create_wave

    groups = []
    if groups_file and not import_only:
        fail("--groups: only with --import-only (web waves form their groups when codes are issued)")
    if import_only:
        if not groups_file:
            fail("--import-only: give --groups GROUPS.csv (value,slug,label)")
        if opens or closes:
            fail("--import-only: an import-only wave has no --opens/--closes (it never opens for web answers)")
        try:
            groups = parse_groups_csv(read_file(groups_file))
        except ImportRejected as exc:
            fail(f"{groups_file}: {e}" for e in exc.errors)
    try:
        wave = create_wave(slug, [i.strip() for i in instruments.split(",") if i.strip()],
                           opens=_parse_date(opens, "opens"), closes=_parse_date(closes, "closes"),
                           min_cell=min_cell, window_days=window_days,
                           units=[u.strip() for u in units.split(",") if u.strip()], title=title,
                           import_only=import_only, groups=groups)
    except (WaveError, InstrumentError) as exc:
        fail(str(exc).split("; "))
    if import_only:
        click.echo(f"created import-only wave {wave.slug} ({len(wave.instruments)} instruments, "
                   f"{len(wave.groups)} reporting groups, K={wave.min_cell}; groups and K are frozen). "
                   f"Next: flask responses import FILE --wave {wave.slug} --mapping MAPPING.toml, "
                   f"then flask waves close {wave.slug}", err=True)
    else:
        click.echo(f"created wave {wave.slug} ({len(wave.instruments)} instruments, K={wave.min_cell})",
                   err=True)


@waves_cli.command("issue-codes")
@click.argument("slug")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--extra", default=0.2, show_default=True, type=float, help="extra share of slips per group")
@click.option("--address", default="http://127.0.0.1:5000/survey/", show_default=True,
              help="survey address printed on the slips")
def waves_issue_codes(slug: str, out_dir: str, extra: float, address: str) -> None:
    """Freeze reporting groups and K; write slips-<group>.pdf and codes.csv into OUT."""
    from .services.waves import WaveError, get_wave, issue_codes, write_slips

    try:
        wave = get_wave(slug)
        issued = issue_codes(wave, extra=extra)
    except WaveError as exc:
        fail(str(exc))
    paths = write_slips(wave, issued, out_dir, address)
    total = sum(len(g.codes) for g in issued)
    click.echo(f"issued {total} codes in {len(issued)} reporting groups; wrote {len(paths)} files to {out_dir}",
               err=True)
    click.echo("codes.csv is for printing slips only: never merge it with names or addresses.", err=True)


@waves_cli.command("open")
@click.argument("slug")
def waves_open(slug: str) -> None:
    """Open an issued wave for answers."""
    from .services.waves import WaveError, get_wave, open_wave

    try:
        open_wave(get_wave(slug))
    except WaveError as exc:
        fail(str(exc))
    click.echo(f"wave {slug} is open", err=True)


@waves_cli.command("close")
@click.argument("slug")
def waves_close(slug: str) -> None:
    """Close an open wave, or an import-only wave after its imports (results are released only then)."""
    from .services.waves import WaveError, close_wave, get_wave

    try:
        close_wave(get_wave(slug))
    except WaveError as exc:
        fail(str(exc))
    click.echo(f"wave {slug} is closed", err=True)


@waves_cli.command("delete")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="really delete: without it, only say what would be destroyed")
def waves_delete(slug: str, yes: bool) -> None:
    """Delete a draft, or an issued wave never opened, destroying its codes (its slips become useless)."""
    from .extensions import db
    from .models import AccessCode
    from .services.waves import WaveError, deletable, delete_wave, get_wave

    try:
        wave = get_wave(slug)
        if not deletable(wave):
            delete_wave(wave)  # raises the reason
        if not yes:
            n = db.session.execute(db.select(db.func.count()).select_from(AccessCode)
                                   .where(AccessCode.wave_id == wave.id)).scalar_one()
            fail(f"wave {slug}: would delete it and destroy its {n} codes; add --yes to do so")
        n = delete_wave(wave)
    except WaveError as exc:
        fail(str(exc))
    click.echo(f"wave {slug} deleted; {n} codes destroyed", err=True)


@waves_cli.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def waves_list(fmt: str) -> None:
    """List waves: slug, status, dates, K, instruments, groups."""
    from .services.waves import list_waves

    rows = [{"slug": w.slug, "status": str(w.status), "opens": w.opens.isoformat() if w.opens else "",
             "closes": w.closes.isoformat() if w.closes else "", "min_cell": w.min_cell,
             "instruments": ",".join(wi.snapshot.instrument_id for wi in w.instruments),
             "groups": len(w.groups)} for w in list_waves()]
    emit(rows, fmt, ["slug", "status", "opens", "closes", "min_cell", "instruments", "groups"])


def _cell_text(v: object) -> str:
    """A value as CSV/table text (CLI.md): empty for null, ``true``/``false``, whole numbers without
    a decimal point. Formatting only: the values are the released ones."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def emit(rows: list[dict], fmt: str, columns: list[str], out: str | None = None) -> None:
    """Write rows as an aligned table, CSV or JSON to stdout (or ``out``)."""
    if fmt == "json":
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        # Text cells that a spreadsheet would run as a formula get a leading apostrophe (core.csv_cells).
        w.writerows({c: neutralise(r.get(c)) if isinstance(r.get(c), str) else _cell_text(r.get(c))
                     for c in columns} for r in rows)
        text = buf.getvalue()
    else:
        cells = [columns] + [[_cell_text(r.get(c)) for c in columns] for r in rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
        text = "".join("  ".join(v.ljust(widths[i]) for i, v in enumerate(row)).rstrip() + "\n" for row in cells)
    if out:
        write_out(out, text)
    else:
        click.echo(text, nl=False)


# ----------------------------------------------------------------------------------------- drafts

drafts_cli = AppGroup("drafts", help="Survey progress rows.")


@drafts_cli.command("purge")
def drafts_purge() -> None:
    """Delete expired survey progress rows."""
    from .services.submissions import purge_expired

    click.echo(f"deleted {purge_expired()} expired progress rows", err=True)


# ---------------------------------------------------------------------------------------- results

RESULT_COLUMNS = ["scale", "level", "n", "mean", "ci_low", "ci_high", "share_high", "share_ci_low",
                  "share_ci_high", "suppressed", "reason"]


@click.command("results")
@with_appcontext
@click.argument("slug")
@click.option("--by", default="group", show_default=True,
              help="group, department, region, shift_pattern, language or a context item id (comma-separated)")
@click.option("--scale", "scales", default="", help="comma-separated scale ids (default: all)")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--out", default=None, type=click.Path(dir_okay=False))
def results_command(slug: str, by: str, scales: str, fmt: str, out: str | None) -> None:
    """Released cohort results of wave SLUG (every number through disclosure control)."""
    from .services.results import ResultsError, plain_records, release_wave, view
    from .services.waves import WaveError, get_wave

    dims = [d.strip() for d in by.split(",") if d.strip()]
    try:
        wave = get_wave(slug)
        released = release_wave(wave, by=dims, scales=[s for s in scales.split(",") if s] or None)
    except (WaveError, ResultsError) as exc:
        fail(str(exc))
    table = view(released, dims)
    dim_cols = [c for c in table.columns if c not in RESULT_COLUMNS and c != "share_reason"]
    columns = ["scale", *dim_cols, *RESULT_COLUMNS[2:]]
    emit(plain_records(table, columns), fmt, columns, out)



cache_cli = AppGroup("cache", help="Released tables computed ahead of page views.")


@cache_cli.command("warm")
@click.option("--standard-only", is_flag=True, help="Only the standard tables and reliability, not the breakdowns.")
def cache_warm(standard_only: bool) -> None:
    """Compute the publication of every closed wave into the release ledger: standard tables, reliability
    and every breakdown of the wave's menu (disclosure control runs once per table, outside any request)."""
    from .services.results import warm
    from .services.waves import list_waves

    for wave in list_waves():
        if str(wave.status) == "closed":
            warm(wave, breakdowns=not standard_only)
            click.echo(f"warmed {wave.slug}", err=True)


def init_app(app: Flask) -> None:
    app.cli.add_command(setup_command)
    app.cli.add_command(instruments_cli)
    app.cli.add_command(units_cli)
    app.cli.add_command(waves_cli)
    app.cli.add_command(drafts_cli)
    app.cli.add_command(results_command)
    app.cli.add_command(cache_cli)
    init_staff_commands(app)
    init_demo_commands(app)
    init_roster_commands(app)
    init_analysis_commands(app)
    init_response_commands(app)
    app.cli.add_command(audit_cli)
    from .cli_errors import guard

    for name, command in app.cli.commands.items():
        if name not in ("db", "run", "shell", "routes"):   # Flask's and Flask-Migrate's own commands
            guard(command)


# ------------------------------------------------------------------------------------------ users

users_cli = AppGroup("users", help="Staff accounts (admin, psychologist, analyst). Officers have none.")


def _read_password() -> str:
    """The new password: prompted twice on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@users_cli.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["admin", "psychologist", "analyst"]))
def users_create(name: str, role: str) -> None:
    """Create staff account NAME (password from the prompt, or stdin when piped)."""
    from .services.users import UserError, create_user

    try:
        create_user(name, role, _read_password())
    except UserError as exc:
        fail(str(exc).split("; "))
    click.echo(f"created {role} {name}", err=True)


@users_cli.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def users_list(fmt: str) -> None:
    """List staff accounts: name, role, active."""
    from .services.users import list_users

    emit([{"name": u.name, "role": str(u.role), "active": u.active} for u in list_users()], fmt,
         ["name", "role", "active"])


@users_cli.command("disable")
@click.argument("name")
def users_disable(name: str) -> None:
    """Stop NAME from logging in (open sessions end at their next request)."""
    from .services.users import UserError, disable_user

    try:
        disable_user(name)
    except UserError as exc:
        fail(str(exc))
    click.echo(f"disabled {name}", err=True)


def init_staff_commands(app: Flask) -> None:
    app.cli.add_command(users_cli)


# ------------------------------------------------------------------------------------------- demo

demo_cli = AppGroup("demo", help="The demonstration pilot.")


@demo_cli.command("seed")
@click.option("--seed", "seed", default=1, show_default=True, type=int, help="random seed of the model")
@click.option("--if-empty", is_flag=True, help="do nothing (but show the logins and codes) if data exist")
def demo_seed(seed: int, if_empty: bool) -> None:
    """Seed the demonstration pilot: 20 regions, ~150 units, a closed and an open wave, staff logins."""
    import time

    from .demo import seed as demo

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
        click.echo("\nStaff logins (DEMO CREDENTIALS, documented in docs/demo.md: never use them on real data):")
        for name, role, password in logins:
            click.echo(f"  {role:<13} user {name:<13} password {password}")
    codes = demo.read_unused_codes(5)
    if codes:
        click.echo("\nUnused codes of the open wave (enter one at /survey/):")
        for group, code in codes:
            click.echo(f"  {code}   ({group})")
    click.echo("")


def init_demo_commands(app: Flask) -> None:
    app.cli.add_command(demo_cli)


# -------------------------------------------------------------------------------------- responses

responses_cli = AppGroup("responses", help="External and paper responses (import-only waves).")


@responses_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--wave", "wave_slug", required=True, help="an import-only wave (waves create --import-only)")
@click.option("--mapping", "mapping_file", required=True, type=click.Path(dir_okay=False),
              help="MAPPING.toml: columns -> items, values, context, reporting group, drop")
@click.option("--delimiter", default=None, help="',' ';' or tab (default: detected)")
@click.option("--encoding", default="utf-8", show_default=True, callback=check_encoding)
def responses_import(file: str, wave_slug: str, mapping_file: str, delimiter: str | None,
                     encoding: str) -> None:
    """Import FILE into an import-only wave: all rows or none, shuffled, with random ids.

    Columns not named in the mapping are ignored and listed; a likely identifier must be named in
    `drop`. Mapping format, checks and lifecycle: docs/response-import.md.
    """
    from .core.response_import import parse_mapping
    from .services.response_import import import_responses
    from .services.waves import WaveError, get_wave

    try:
        text = Path(mapping_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{mapping_file}: {exc}")
    data = read_file(file)
    try:
        mapping = parse_mapping(text, mapping_file)
        wave = get_wave(wave_slug)
        report = import_responses(wave, data, mapping, imported_by=operator_name(), delimiter=delimiter,
                                  encoding=encoding)
    except WaveError as exc:
        fail(str(exc))
    except ImportRejected as exc:
        fail(f"{mapping_file if e.row is None and e.rule == 'mapping' else file}: {e}" for e in exc.errors)
    def echo(line: str) -> None:
        click.echo(line, err=True)

    echo(f"imported {report.responses} responses into wave {wave_slug} "
         f"({report.rows_read} rows read, {report.rows_skipped} skipped; stored in random order)")
    echo("per group value: " + ", ".join(f"{k}: {v}" for k, v in report.per_group.items()))
    if report.dropped_columns:
        echo("dropped (identifiers, not stored): " + ", ".join(report.dropped_columns))
    if report.ignored_columns:
        echo("ignored (not named in the mapping, not stored): " + ", ".join(report.ignored_columns))
    if report.schedule:
        s = report.schedule
        qr = ", ".join(f"{n} with {k}" for k, n in s["quick_returns"].items())
        echo(f"weekly schedule: {s['reported']} reported, {s['not_reported']} without any shift (left "
             f"unanswered); banded night hours, shift length and weekly hours stored, clock times not. "
             f"Quick returns per week (not stored): {qr}")
    for w in report.warnings:
        echo(f"warning: {w}")


def init_response_commands(app: Flask) -> None:
    app.cli.add_command(responses_cli)


# ------------------------------------------------------------------------------ roster and shifts

roster_cli = AppGroup("roster", help="Roster snapshots (who is in which unit, on which shift pattern).")
shifts_cli = AppGroup("shifts", help="Shift records: files, grids, weekly templates, generated plans.")
schedules_cli = AppGroup("schedules", help="Schedule-risk features per reporting group.")


def _import_done(file: str, result) -> None:  # type: ignore[no-untyped-def]
    """Report an import on stderr: rows stored, or that the same file was imported before."""
    if result.unchanged:
        click.echo(f"{file}: imported before (import #{result.import_id}, same file): nothing changed", err=True)
    else:
        extra = f" ({result.detail})" if result.detail else ""
        click.echo(f"{file}: imported {result.rows} rows as {result.kind}{extra} (import #{result.import_id})",
                   err=True)


@roster_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--as-of", "as_of", default=None, metavar="DATE", help="date of the snapshot (default today)")
@import_options
def roster_import(file: str, as_of: str | None, delimiter: str | None, encoding: str,
                  columns_map: str | None) -> None:
    """Import FILE: person_id,unit_id,shift_pattern,position,contract_hours_week[,accounting_period]
    (all or nothing).

    accounting_period (optional) is the officer's accounting period of working time: week, month,
    quarter or year; empty or absent = month. Overtime is counted per period: the hours worked above
    the period's norm, contract_hours_week x the period's days / 7 (the thresholds are KZ Labour Code
    art. 78: 2 h/day, 12 h/month, 120 h/year). The --columns file may also recode values with tables
    [values.shift_pattern] and [values.accounting_period], e.g. "сутки через трое" = "24-72".
    """
    from .services.roster import import_roster

    try:
        res = import_roster(read_file(file), imported_by=operator_name(), as_of=_parse_date(as_of, "as-of"),
                            columns=read_columns_map(columns_map), delimiter=delimiter, encoding=encoding,
                            values=read_values_map(columns_map))
    except ImportRejected as exc:
        fail(f"{file}: {e}" for e in exc.errors)
    _import_done(file, res)


@shifts_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--timezone", default="Asia/Almaty", show_default=True, help="IANA zone of local times",
              callback=check_timezone)
@import_options
def shifts_import(file: str, timezone: str, delimiter: str | None, encoding: str, columns_map: str | None) -> None:
    """Import FILE: person_id,start,end,break_min,duty_type,shift_code (all or nothing).

    start/end: 2024-03-01 06:00 (or T, with seconds) local time in --timezone, 2024-03-01T06:00+05:00
    with an offset, 01.03.2024 06:00, or an Excel date-time number (45352.25 = 2024-03-01 06:00);
    24:00 is midnight ending the day. The --columns file may recode duty types with a table
    [values.duty_type], e.g. "сверхурочная" = "overtime".
    """
    from .services.roster import import_shifts

    try:
        res = import_shifts(read_file(file), imported_by=operator_name(), timezone=timezone,
                            columns=read_columns_map(columns_map), delimiter=delimiter, encoding=encoding,
                            values=read_values_map(columns_map))
    except ImportRejected as exc:
        fail(f"{file}: {e}" for e in exc.errors)
    _import_done(file, res)


@shifts_cli.command("import-grid")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--codes", "codes_file", required=True, type=click.Path(dir_okay=False),
              help="CODES.csv: code,start,end,duty_type (end before start = next day; '-' = off)")
@click.option("--start", "start", required=True, metavar="DATE", help="local date of the first day column")
@click.option("--timezone", default="Asia/Almaty", show_default=True, callback=check_timezone)
@import_options
def shifts_import_grid(file: str, codes_file: str, start: str, timezone: str, delimiter: str | None,
                       encoding: str, columns_map: str | None) -> None:
    """Import a person × day grid of shift codes (CSV, or the pipe-separated INRC text grid)."""
    from .services.roster import import_grid

    day = _parse_date(start, "start")
    assert day is not None
    try:
        res = import_grid(read_file(file), read_file(codes_file), day, imported_by=operator_name(),
                          timezone=timezone, columns=read_columns_map(columns_map), delimiter=delimiter,
                          encoding=encoding)
    except ImportRejected as exc:
        fail(f"{exc.source or file}: {e}" for e in exc.errors)
    _import_done(file, res)


@shifts_cli.command("import-weekly")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--from", "from_", required=True, metavar="DATE")
@click.option("--to", "to", required=True, metavar="DATE")
@click.option("--timezone", default="Asia/Almaty", show_default=True, callback=check_timezone)
@import_options
def shifts_import_weekly(file: str, from_: str, to: str, timezone: str, delimiter: str | None, encoding: str,
                         columns_map: str | None) -> None:
    """Expand a weekly template per person (person_id, mon_start, mon_end, ... sun_end) over a period."""
    from .services.roster import import_weekly

    a, b = _parse_date(from_, "from"), _parse_date(to, "to")
    assert a is not None and b is not None
    try:
        res = import_weekly(read_file(file), a, b, imported_by=operator_name(), timezone=timezone,
                            columns=read_columns_map(columns_map), delimiter=delimiter, encoding=encoding)
    except ImportRejected as exc:
        fail(f"{file}: {e}" for e in exc.errors)
    _import_done(file, res)


@shifts_cli.command("generate")
@click.option("--unit", required=True, help="unit id; its officers come from the latest roster snapshot")
@click.option("--pattern", required=True, help="shift-pattern slug of the catalogue")
@click.option("--from", "from_", required=True, metavar="DATE")
@click.option("--to", "to", required=True, metavar="DATE")
@click.option("--timezone", default="Asia/Almaty", show_default=True, callback=check_timezone)
def shifts_generate(unit: str, pattern: str, from_: str, to: str, timezone: str) -> None:
    """Planned shifts from the pattern catalogue for the officers of a unit."""
    from .services.roster import generate_for_unit

    a, b = _parse_date(from_, "from"), _parse_date(to, "to")
    assert a is not None and b is not None
    try:
        res = generate_for_unit(unit, pattern, a, b, imported_by=operator_name(), timezone=timezone)
    except ImportRejected as exc:
        fail(f"generate: {e}" for e in exc.errors)
    _import_done(f"generate {unit} {pattern}", res)


@schedules_cli.command("features")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--out", default=None, type=click.Path(dir_okay=False))
def schedules_features(slug: str, fmt: str, out: str | None) -> None:
    """Released schedule features per reporting group of wave SLUG over its reference window."""
    from .services.results import plain_records
    from .services.schedules import RELEASED_COLUMNS, FeaturesError, released_wave_features
    from .services.waves import WaveError, get_wave

    try:
        wf, table = released_wave_features(get_wave(slug))
    except (WaveError, FeaturesError) as exc:
        fail(str(exc))
    start, end = wf.window
    click.echo(f"wave {slug}: reference window {start} to {end} (end exclusive), roster snapshot as of "
               f"{wf.snapshot.as_of}, {len(wf.officers)} groups, {wf.shifts_in_window} shift records; "
               f"groups under K={wf.wave.min_cell} officers suppressed", err=True)
    if wf.shifts_in_window == 0:
        click.echo("warning: no shift records start in the reference window: every feature is zero", err=True)
    emit(plain_records(table, RELEASED_COLUMNS), fmt, RELEASED_COLUMNS, out)


def init_roster_commands(app: Flask) -> None:
    from .schedules import commands  # noqa: F401 - adds costs and what-if to the schedules group

    app.cli.add_command(roster_cli)
    app.cli.add_command(shifts_cli)
    app.cli.add_command(schedules_cli)
# --------------------------------------------------------------------------------- pilots, models

pilots_cli = AppGroup("pilots", help="Declared pilots: which regions work the pilot schedule, from when.")


@pilots_cli.command("create")
@click.argument("slug")
@click.option("--regions", required=True, help="comma-separated region unit slugs")
@click.option("--starts", required=True, metavar="DATE", help="first day of the pilot (YYYY-MM-DD)")
@click.option("--title", default="")
def pilots_create(slug: str, regions: str, starts: str, title: str) -> None:
    """Declare pilot SLUG in REGIONS from DATE."""
    from .services.pilots import PilotError, create_pilot

    try:
        p = create_pilot(slug, regions.split(","), _parse_date(starts, "starts"), title=title)
    except PilotError as exc:
        fail(exc.problems)
    click.echo(f"created pilot {p.slug}: {p.regions} from {p.starts}", err=True)


@pilots_cli.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def pilots_list(fmt: str) -> None:
    """List pilots: slug, regions, start date."""
    from .services.pilots import list_pilots

    emit([{"slug": p.slug, "regions": p.regions, "starts": p.starts.isoformat(), "title": p.title}
          for p in list_pilots()], fmt, ["slug", "regions", "starts", "title"])


models_cli = AppGroup("models", help="Statistical models on platform data or a CSV file (released by rule 12).")

MODEL_TERM_COLUMNS = ["term", "estimate", "std_err", "ci_low", "ci_high", "p_value"]


def _fmt_num(v: object, digits: int = 4) -> str:
    import math

    if v is None or isinstance(v, float) and not math.isfinite(v):
        return ""
    if isinstance(v, float):
        return f"{v:.{digits}g}" if abs(v) < 1e-3 and v != 0 else f"{v:.{digits}f}"
    return str(v)


def _emit_model(doc: dict, fmt: str, out: str | None, extra_cols: list[str]) -> None:
    """``models fit|did`` output: JSON document, CSV of the term rows, or a readable table.

    Every statsmodels warning goes with the result (JSON ``model.warnings``; table and CSV: stderr).
    """
    model, terms = doc["model"], doc["terms"]
    for w in model.get("warnings") or []:
        click.echo(f"warning: {w}", err=True)
    if fmt == "json":
        text = json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
        if out:
            write_out(out, text)
        else:
            click.echo(text, nl=False)
        return
    cols = MODEL_TERM_COLUMNS + [c for c in extra_cols if any(c in t for t in terms)]
    if "suppressed" in (terms[0] if terms else {}):
        cols += ["suppressed", "reason"]
    if fmt == "csv":
        emit(terms, "csv", cols, out)
        return
    if model.get("released") is False:
        click.echo(f"model_refused: not released (DESIGN.md rule 12: >= 10 residual df and every factor "
                   f"level >= K={model.get('min_cell')}): " + "; ".join(model.get("problems") or []))
        return
    head = [f"formula: {model.get('formula')}", f"method: {model.get('method')}",
            f"n = {model.get('n')}, groups = {model.get('n_groups')}, converged = {model.get('converged')}"]
    if model.get("icc") is not None:
        head.append(f"ICC (null model) = {model['icc']:.3g}")
    if model.get("permutation_p") is not None:
        head.append(f"permutation p ({model.get('permutation_statistic') or 'estimate'}) = {model['permutation_p']:.4g} over {model.get('n_permutations')} "
                    f"assignments (smallest possible p = 1/{model.get('n_permutations')} = "
                    f"{model.get('permutation_p_floor'):.3g})")
    click.echo("\n".join(head))
    rows = [{c: _fmt_num(t.get(c)) for c in cols if c not in ("suppressed", "reason")} for t in terms]
    emit(rows, "table", [c for c in cols if c not in ("suppressed", "reason")], out)
    if model.get("intervals"):
        click.echo(f"intervals: {model['intervals']}")
    for name, table in (("marginal means", doc.get("marginal_means")), ("event study", doc.get("event_study")),
                        ("robustness: cluster-robust CR1 (do not use for inference: "
                         + str(model.get("cluster_robust_warning") or "") + ")", doc.get("cluster_robust"))):
        if table:
            click.echo(f"\n{name}:")
            keys = list(table[0].keys())
            emit([{k: _fmt_num(r.get(k)) for k in keys} for r in table], "table", keys)
    for name, rob in (doc.get("robustness") or {}).items():
        click.echo(f"\nrobustness: {name} ({rob['method']})")
        emit([{c: _fmt_num(t.get(c)) for c in MODEL_TERM_COLUMNS} for t in rob["terms"]], "table",
             MODEL_TERM_COLUMNS)


def _csv_doc(result) -> dict:  # type: ignore[no-untyped-def]
    doc = result.to_dict()
    for t in doc["terms"]:
        t.setdefault("suppressed", False)
        t.setdefault("reason", "")
    return doc


@models_cli.command("fit")
@click.option("--wave", "waves", default=None, help="closed wave slug(s), comma-separated")
@click.option("--outcome", required=True, help="scale id (platform) or column (CSV)")
@click.option("--exposure", default=None,
              help="shift_pattern, or group-level schedule feature(s), comma-separated: weekly_hours, "
                   "overtime_hours, night_hours, night_shifts, duties_24h, quick_returns, short_weekly_rests, "
                   "consecutive_nights, early_starts, weekends_worked, start_time_sd")
@click.option("--covariates", default="", help="comma-separated: wave, language, region, shift_pattern, features")
@click.option("--csv", "csv_file", default=None, type=click.Path(dir_okay=False), help="a CSV file instead")
@click.option("--predictors", default=None, help='CSV: right-hand side, e.g. "Days" or "C(x) + z"')
@click.option("--group", default=None, help="CSV: random-intercept column")
@click.option("--re-formula", "re_formula", default=None, help='CSV: random effects, e.g. "~Days"')
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--out", default=None, type=click.Path(dir_okay=False))
def models_fit(waves: str | None, outcome: str, exposure: str | None, covariates: str, csv_file: str | None,
               predictors: str | None, group: str | None, re_formula: str | None, fmt: str,
               out: str | None) -> None:
    """Linear mixed model: released platform model, or the same engine on a CSV file.

    Platform models: score ~ exposure(s) + covariates + (1 | unit pool) over closed waves. A schedule
    feature is a group-level exposure: each response carries its reporting group's released value
    (from the wave's reference window; a group under K has none and its responses are left out), in
    h/week (weekly_hours), h/month (overtime_hours, night_hours) or counts per month; several
    features, comma-separated, are fitted jointly; add shift_pattern to --covariates to adjust for it.
    """
    from .services.analysis import AnalysisError, fit_csv, fit_platform

    try:
        if csv_file:
            if waves or exposure:
                raise click.UsageError("--csv goes with --predictors and --group, not --wave/--exposure")
            if not predictors or not group:
                raise click.UsageError("--csv needs --predictors and --group")
            doc = _csv_doc(fit_csv(csv_file, outcome, predictors, group, re_formula))
        else:
            if not waves or not exposure:
                raise click.UsageError("platform models need --wave and --exposure (or use --csv)")
            covs = [c.strip() for c in covariates.split(",") if c.strip()]
            doc = fit_platform([w.strip() for w in waves.split(",") if w.strip()], outcome, exposure, covs).to_dict()
    except AnalysisError as exc:
        fail(str(exc).split("; "))
    _emit_model(doc, fmt, out, ["df", "p_holm", "p_bh"])
    if fmt == "table" and doc["model"].get("inference_note") and doc["model"].get("released", True):
        click.echo("\n" + doc["model"]["inference_note"])


@models_cli.command("did")
@click.option("--waves", default=None, help="closed wave slugs, comma-separated (before and after the pilot)")
@click.option("--pilot", default=None, help="pilot slug")
@click.option("--outcome", required=True, help="scale id (platform) or column (CSV)")
@click.option("--csv", "csv_file", default=None, type=click.Path(dir_okay=False))
@click.option("--unit", default=None, help="CSV: unit column (fixed effect)")
@click.option("--time", "time_col", default=None, help="CSV: period column (fixed effect)")
@click.option("--treated", default=None, help="CSV: 1 for treated units in treated periods")
@click.option("--cluster", default=None, help="CSV: cluster column (default: unit)")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--out", default=None, type=click.Path(dir_okay=False))
def models_did(waves: str | None, pilot: str | None, outcome: str, csv_file: str | None, unit: str | None,
               time_col: str | None, treated: str | None, cluster: str | None, fmt: str, out: str | None) -> None:
    """Difference-in-differences with event study and permutation inference (p floor 1/R)."""
    from .services.analysis import AnalysisError, did_csv, did_platform

    try:
        if csv_file:
            if not (unit and time_col and treated):
                raise click.UsageError("--csv needs --unit, --time and --treated")
            doc = _csv_doc(did_csv(csv_file, unit, time_col, treated, outcome, cluster))
        else:
            if not waves or not pilot:
                raise click.UsageError("platform DiD needs --waves and --pilot (or use --csv)")
            doc = did_platform([w.strip() for w in waves.split(",") if w.strip()], pilot, outcome).to_dict()
    except AnalysisError as exc:
        fail(str(exc).split("; "))
    _emit_model(doc, fmt, out, ["p_value_permutation"])
    if fmt == "table" and doc["model"].get("inference_note") and doc["model"].get("released", True):
        click.echo("\n" + doc["model"]["inference_note"])


def init_analysis_commands(app: Flask) -> None:
    app.cli.add_command(pilots_cli)
    app.cli.add_command(models_cli)


# ------------------------------------------------------------------------------------------ audit

audit_cli = AppGroup("audit", help="The audit log of staff actions (never officers, never survey pages).")


@audit_cli.command("list")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def audit_list(limit: int, fmt: str) -> None:
    """The latest LIMIT staff actions, newest first: at (UTC), actor, action, target, detail."""
    from .services.audit import entries

    emit([{"at": e.at.isoformat(sep=" "), "actor": e.actor, "action": e.action, "target": e.target,
           "detail": e.detail} for e in entries(limit=limit)], fmt, ["at", "actor", "action", "target", "detail"])
