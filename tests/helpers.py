"""Helpers shared by tests: set up a wave through the same services the CLI uses; run `flask` commands
in-process (:func:`invoke`, Flask's CliRunner) or, for the one smoke test per command group, as a user
runs them (:func:`run_flask`, a subprocess)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import Flask

from wellbeing.services import waves as wave_service
from wellbeing.services.roster import import_roster
from wellbeing.services.units import import_units

DATA = Path(__file__).resolve().parent / "data"
#: Shift patterns of units-small.csv's units for roster-based groups (``open_wave(patterns=...)``): the
#: two small units of akm-d1 pool into one rotating group, akm-d2's unit is alone on 24/72.
SMALL_UNIT_PATTERNS = {"akm-d1-u1": "fixed-8h", "akm-d1-u2": "rotating-8h", "akm-d1-u3": "rotating-8h",
                       "akm-d2-u1": "24-72"}
REPO = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "wellbeing"]
#: ``instance/config.py`` of an instance folder prepared without ``flask setup`` (the test secrets of
#: ``tests/conftest.py``).
TEST_INSTANCE_CONFIG = ("SECRET_KEY = 'test-secret'\nCODE_HMAC_KEY = 'test-hmac-key'\n"
                        f"SEAL_KEY = {'5e' * 32!r}\n")


@dataclass(frozen=True)
class Ran:
    """What a command did, read as from a finished process: exit status, stdout and stderr apart."""

    returncode: int
    stdout: str
    stderr: str


def invoke(app: Flask, *args: str, input: str | None = None) -> Ran:
    """Run ``flask <args>`` in-process on ``app`` (its own instance and database) through Flask's CliRunner.

    An exception that escaped the command's own handling (and so would print a traceback) is re-raised."""
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)


def run_flask(inst: Path, *args: str, env: dict[str, str] | None = None,
              input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``flask --app wellbeing <args>`` as a user does (a subprocess) on the instance folder ``inst``."""
    e = {**os.environ, "WELLBEING_INSTANCE_PATH": str(inst), **(env or {})}
    return subprocess.run([*FLASK, *args], capture_output=True, text=True, env=e, cwd=REPO, input=input,
                          timeout=120)


def prepared_instance(inst: Path, template: Path | str) -> Path:
    """An instance folder as ``flask setup`` leaves it, without running it: ``config.py`` with the test
    secrets and a copy of the session's migrated SQLite ``template`` (on PostgreSQL runs, where the
    template is a database name, the subprocess migrates its own SQLite file at first use)."""
    inst.mkdir(parents=True, exist_ok=True)
    (inst / "config.py").write_text(TEST_INSTANCE_CONFIG, encoding="utf-8")
    if isinstance(template, Path):
        shutil.copy(template, inst / "wellbeing.sqlite")
    else:
        assert run_flask(inst, "db", "upgrade").returncode == 0
    return inst


def open_wave(app: Flask, slug: str = "w1", instruments: tuple[str, ...] = ("cbi", "who5"),
              units_file: str = "units-small.csv", patterns: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Import units, create a wave, issue codes and open it; returns plain codes per group slug.

    ``patterns`` (unit slug -> shift pattern) first imports a roster (as of the day before the wave
    opens) with each unit's headcount of officers on its pattern, so the groups carry shift patterns
    from the roster, as in production (a test never edits a group frozen at issue)."""
    with app.app_context():
        import_units((DATA / units_file).read_bytes(), imported_by="test")
        if patterns:
            import_roster(_roster_csv(DATA / units_file, patterns), imported_by="test", as_of=date(2025, 12, 31))
        wave = wave_service.create_wave(slug, list(instruments), opens=date(2026, 1, 1),
                                        closes=date(2026, 12, 31))
        issued = wave_service.issue_codes(wave)
        wave_service.open_wave(wave)
        return {g.slug: list(g.codes) for g in issued}


def _roster_csv(units_file: Path, patterns: dict[str, str]) -> bytes:
    lines = ["person_id,unit_id,shift_pattern,position,contract_hours_week"]
    n = 0
    for row in units_file.read_text(encoding="utf-8").splitlines()[1:]:
        unit, *_rest, level, headcount = row.split(",")
        if level == "unit" and unit in patterns:
            for _i in range(int(headcount)):
                n += 1
                lines.append(f"P{n:06d},{unit},{patterns[unit]},officer,40")
    return ("\n".join(lines) + "\n").encode()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no CSRF token in page"
    return m.group(1)


def item_ids(html: str) -> list[str]:
    """Radio item names on a questionnaire page, in order."""
    seen: list[str] = []
    for name in re.findall(r'type="radio" name="([a-z0-9_]+)"|name="([a-z0-9_]+)" type="radio"', html):
        n = name[0] or name[1]
        if n not in seen:
            seen.append(n)
    return seen


def first_values(html: str) -> dict[str, str]:
    """For each radio item on a page, the value of its first option."""
    out: dict[str, str] = {}
    for m in re.finditer(r'<input[^>]*type="radio"[^>]*>', html):
        tag = m.group(0)
        name = re.search(r'name="([^"]+)"', tag).group(1)  # type: ignore[union-attr]
        value = re.search(r'value="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
        out.setdefault(name, value)
    return out


def fill_wave(app: Flask, slug: str, counts: dict[str, int], *, seed: int = 1,
              answer=None, language: str = "ru") -> None:  # type: ignore[no-untyped-def]
    """Insert simulated responses through the one insert path: ``counts`` group slug -> responses.

    ``answer(rng, instrument, group_slug, i)`` returns raw answers for one instrument (default:
    uniformly random options)."""
    import numpy as np

    from wellbeing.core.instruments import score
    from wellbeing.extensions import db
    from wellbeing.services.submissions import insert_response, wave_instruments

    rng = np.random.default_rng(seed)

    def random_answers(rng, inst, group, i):  # type: ignore[no-untyped-def]
        return {it.id: float(rng.choice(inst.response_sets[it.response_set].values)) for it in inst.items}

    answer = answer or random_answers
    with app.app_context():
        wave = wave_service.get_wave(slug)
        insts = wave_instruments(wave)
        groups = {g.slug: g.id for g in wave.groups}
        with db.engine.begin() as conn:
            for gslug, n in counts.items():
                for i in range(n):
                    answers = {inst.id: answer(rng, inst, gslug, i) for inst in insts}
                    scores = {inst.id: score(inst, answers[inst.id]) for inst in insts}
                    insert_response(conn, wave_id=wave.id, group_id=groups[gslug], language=language,
                                    answers=answers, scores=scores)


def close(app: Flask, slug: str) -> None:
    with app.app_context():
        wave_service.close_wave(wave_service.get_wave(slug))


def sql_rows(app: Flask, sql: str) -> list[tuple]:
    """Rows of a raw SQL statement run on a connection of its own (outside the app's session), on the
    test's database — a SQLite file or a PostgreSQL database (``tests/conftest.py``)."""
    from sqlalchemy import create_engine

    eng = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with eng.begin() as con:
            result = con.exec_driver_sql(sql)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        eng.dispose()


RESULTS_PASSWORD = "correct-horse-1"


def build_results_wave(app: Flask) -> None:
    """The results tests' wave: w1 closed, three groups (one below K = 5), users ``psy`` and ``ana``."""
    from wellbeing.services.users import create_user

    open_wave(app, instruments=("cbi", "who5", "context"))
    fill_wave(app, "w1", {"akm-d1-u1--all": 40, "akm-d1-other--all": 3, "akm-d2-u1--all": 12}, seed=7)
    close(app, "w1")
    with app.app_context():
        create_user("psy", "psychologist", RESULTS_PASSWORD)
        create_user("ana", "analyst", RESULTS_PASSWORD)
