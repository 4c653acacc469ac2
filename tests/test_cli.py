"""Commands of CLI.md on a real SQLite file: in-process through Flask's CliRunner (each test its own
instance folder and database, ``tests/conftest.py``), plus one subprocess `flask` run per command group
(``smoke`` tests) proving the real entry point, its exit codes and one-line errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from wellbeing import create_app

from .helpers import DATA, REPO, Ran, invoke, prepared_instance, run_flask

pytestmark = pytest.mark.sqlite_only(reason="the tests read the instance folder's SQLite file directly")

Cli = Callable[..., Ran]


@pytest.fixture
def cli(app) -> Cli:  # type: ignore[no-untyped-def]
    """``cli(*args, input=None)``: run ``flask <args>`` in-process on the test's app."""
    return lambda *args, input=None: invoke(app, *args, input=input)


@pytest.fixture
def inst(app) -> Path:  # type: ignore[no-untyped-def]
    """The test's instance folder (its database is ``wellbeing.sqlite`` there, migrated)."""
    return Path(app.instance_path)


@pytest.fixture
def real_inst(tmp_path: Path, migrated_db: Path | str) -> Path:
    """An instance folder for subprocess runs: config.py and a migrated database, as `flask setup` leaves it."""
    return prepared_instance(tmp_path / "real-instance", migrated_db)


def test_setup_writes_secrets_once_and_migrates(tmp_path: Path):
    """Smoke test of `flask setup` (and Flask-Migrate's `flask db`) as a user runs them."""
    inst = tmp_path / "instance"
    r = run_flask(inst, "setup")
    assert r.returncode == 0, r.stderr
    cfg = (inst / "config.py").read_text()
    assert "SECRET_KEY = '" in cfg and "CODE_HMAC_KEY = '" in cfg
    assert oct((inst / "config.py").stat().st_mode & 0o777) == "0o600"
    r = run_flask(inst, "setup")
    assert r.returncode == 0 and (inst / "config.py").read_text() == cfg  # secrets kept
    con = sqlite3.connect(inst / "wellbeing.sqlite")
    tables = {t for (t,) in con.execute("select name from sqlite_master where type='table'")}
    assert {"unit", "wave", "response", "code_ledger", "alembic_version"} <= tables
    assert con.execute("pragma journal_mode").fetchone() == ("wal",)
    r = run_flask(inst, "db", "check")
    assert r.returncode == 0, r.stderr + r.stdout


def test_environment_overrides_instance_config(instance: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    other = tmp_path / "other.sqlite"
    monkeypatch.setenv("WELLBEING_DATABASE_URL", f"sqlite:///{other}")
    r = invoke(create_app(), "db", "upgrade")
    assert r.returncode == 0, r.stderr
    assert other.exists()


def test_instruments_check_passes_on_shipped_files(cli: Cli):
    r = cli("instruments", "check")
    assert r.returncode == 0, r.stderr
    assert "ok " in r.stderr and "cbi" in r.stderr
    r = cli("instruments", "list")
    assert r.returncode == 0 and "cbi" in r.stdout and "who5" in r.stdout


def test_smoke_instruments_check_names_file_scale_and_item(real_inst: Path, tmp_path: Path):
    """Smoke test of `flask instruments`: exit 1 and one readable line."""
    bad = tmp_path / "bad.toml"
    bad.write_text((REPO / "surveys" / "who5.toml").read_text(encoding="utf-8").replace(
        'items = ["', 'items = ["ghost", "', 1), encoding="utf-8")
    r = run_flask(real_inst, "instruments", "check", str(bad))
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(bad) in lines[0] and "scale 'wellbeing'" in lines[0] and "unknown item 'ghost'" in lines[0]


def test_smoke_units_import_and_row_numbered_errors(real_inst: Path, tmp_path: Path):
    """Smoke test of `flask units`: exit 0, then exit 1 with one line per row problem and nothing stored."""
    inst = real_inst
    r = run_flask(inst, "units", "import", str(DATA / "units-small.csv"))
    assert r.returncode == 0, r.stderr
    bad = tmp_path / "units.csv"
    bad.write_text("unit_id;name;parent_id;level;headcount\n"
                   "akm-d9;New department;akm;department;\n"
                   "akm-d9-u1;Unit;akm-d9;unit;-3\n"
                   "akm-d9-u2;Unit;nowhere;unit;4\n"
                   "Bad Id;Unit;akm-d9;squad;4\n", encoding="utf-8")
    r = run_flask(inst, "units", "import", str(bad))
    assert r.returncode == 1
    err = r.stderr
    assert "row 3, column headcount: '-3'" in err
    assert "row 4, column parent_id: 'nowhere' — unknown unit" in err
    assert "row 5, column unit_id: 'Bad Id'" in err and "row 5, column level: 'squad'" in err
    con = sqlite3.connect(inst / "wellbeing.sqlite")
    assert con.execute("select count(*) from unit where slug like 'akm-d9%'").fetchone() == (0,)  # nothing saved
    assert con.execute("select count(*) from import_record").fetchone() == (1,)


def test_units_import_maps_russian_headers_and_bom(inst: Path, cli: Cli, tmp_path: Path):
    f = tmp_path / "units-ru.csv"
    f.write_bytes("\ufeffкод;название;родитель;уровень;численность\nast;Астана;;region;\n"
                  "ast-d1;УП района Есиль;ast;department;\nast-d1-u1;Патрульная рота;ast-d1;unit;25\n".encode())
    m = tmp_path / "map.toml"
    m.write_text('[columns]\n"код" = "unit_id"\n"название" = "name"\n"родитель" = "parent_id"\n'
                 '"уровень" = "level"\n"численность" = "headcount"\n', encoding="utf-8")
    r = cli("units", "import", str(f), "--columns", str(m))
    assert r.returncode == 0, r.stderr
    con = sqlite3.connect(inst / "wellbeing.sqlite")
    assert con.execute("select name, headcount from unit where slug='ast-d1-u1'").fetchone() == ("Патрульная рота", 25)


def test_wave_lifecycle_and_slips(inst: Path, cli: Cli, tmp_path: Path):
    assert cli("units", "import", str(DATA / "units-small.csv")).returncode == 0
    r = cli("waves", "create", "spring", "--instruments", "cbi,who5", "--opens", "2026-03-01",
            "--closes", "2026-03-31", "--min-cell", "4")
    assert r.returncode == 1 and "K is at least 5" in r.stderr
    r = cli("waves", "create", "spring", "--instruments", "cbi,nope", "--opens", "2026-03-01",
            "--closes", "2026-03-31")
    assert r.returncode == 1 and "unknown instrument 'nope'" in r.stderr
    r = cli("waves", "create", "spring", "--instruments", "cbi,who5", "--opens", "2026-03-01",
            "--closes", "2026-03-31")
    assert r.returncode == 0, r.stderr
    r = cli("waves", "open", "spring")
    assert r.returncode == 1 and "requires issued codes" in r.stderr
    out = tmp_path / "slips"
    r = cli("waves", "issue-codes", "spring", "--out", str(out))
    assert r.returncode == 0, r.stderr
    codes = (out / "codes.csv").read_text().splitlines()
    assert codes[0] == "reporting_group,code"
    per_group: dict[str, int] = {}
    for line in codes[1:]:
        g, _ = line.split(",")
        per_group[g] = per_group.get(g, 0) + 1
    assert per_group == {"akm-d1-u1--all": 36, "akm-d1-other--all": 14, "akm-d2-u1--all": 15}
    assert sorted(p.name for p in out.glob("slips-*.pdf")) == [f"slips-{g}.pdf" for g in sorted(per_group)]
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(out / "slips-akm-d2-u1--all.pdf").pages)
    group_codes = [line.split(",")[1] for line in codes[1:] if line.startswith("akm-d2-u1--all,")]
    from wellbeing.core.codes import format_code

    assert sum(format_code(c) in text for c in group_codes) == 15
    r = cli("waves", "issue-codes", "spring", "--out", str(out))
    assert r.returncode == 1 and "only be issued once" in r.stderr
    assert cli("waves", "open", "spring").returncode == 0
    r = cli("waves", "list", "--format", "csv")
    assert "spring,open,2026-03-01,2026-03-31,5,\"cbi,who5\",3" in r.stdout
    assert cli("waves", "close", "spring").returncode == 0
    con = sqlite3.connect(inst / "wellbeing.sqlite")
    assert con.execute("select count(*) from code_ledger").fetchone() == (65,)
    # The ledger holds hashes only: no printed code is stored.
    stored = {h for (h,) in con.execute("select code_hmac from code_ledger")}
    assert not stored & set(group_codes)


def test_smoke_drafts_purge_runs(real_inst: Path):
    """Smoke test of `flask drafts`."""
    inst = real_inst
    r = run_flask(inst, "drafts", "purge")
    assert r.returncode == 0 and "deleted 0" in r.stderr
