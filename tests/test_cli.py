"""Commands of CLI.md run as a user runs them (subprocess `flask`), on a real SQLite file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_only(reason="commands run as a subprocess on the instance folder's SQLite file, "
                                          "which the tests read directly")

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
FLASK = [sys.executable, "-m", "flask", "--app", "wellbeing"]


def flask(inst: Path, *args: str, env: dict[str, str] | None = None, input: str | None = None):
    e = {**os.environ, "WELLBEING_INSTANCE_PATH": str(inst), **(env or {})}
    return subprocess.run([*FLASK, *args], capture_output=True, text=True, env=e, cwd=REPO, input=input,
                          timeout=120)


@pytest.fixture
def inst(tmp_path: Path) -> Path:
    inst = tmp_path / "instance"
    r = flask(inst, "setup")
    assert r.returncode == 0, r.stderr
    return inst


def test_setup_writes_secrets_once_and_migrates(inst: Path):
    cfg = (inst / "config.py").read_text()
    assert "SECRET_KEY = '" in cfg and "CODE_HMAC_KEY = '" in cfg
    assert oct((inst / "config.py").stat().st_mode & 0o777) == "0o600"
    r = flask(inst, "setup")
    assert r.returncode == 0 and (inst / "config.py").read_text() == cfg  # secrets kept
    con = sqlite3.connect(inst / "wellbeing.sqlite")
    tables = {t for (t,) in con.execute("select name from sqlite_master where type='table'")}
    assert {"unit", "wave", "response", "code_ledger", "alembic_version"} <= tables
    assert con.execute("pragma journal_mode").fetchone() == ("wal",)
    r = flask(inst, "db", "check")
    assert r.returncode == 0, r.stderr + r.stdout


def test_environment_overrides_instance_config(inst: Path, tmp_path: Path):
    other = tmp_path / "other.sqlite"
    r = flask(inst, "db", "upgrade", env={"WELLBEING_DATABASE_URL": f"sqlite:///{other}"})
    assert r.returncode == 0, r.stderr
    assert other.exists()


def test_instruments_check_passes_on_shipped_files(inst: Path):
    r = flask(inst, "instruments", "check")
    assert r.returncode == 0, r.stderr
    assert "ok " in r.stderr and "cbi" in r.stderr
    r = flask(inst, "instruments", "list")
    assert r.returncode == 0 and "cbi" in r.stdout and "who5" in r.stdout


def test_instruments_check_names_file_scale_and_item(inst: Path, tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text((REPO / "surveys" / "who5.toml").read_text(encoding="utf-8").replace(
        'items = ["', 'items = ["ghost", "', 1), encoding="utf-8")
    r = flask(inst, "instruments", "check", str(bad))
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(bad) in lines[0] and "scale 'wellbeing'" in lines[0] and "unknown item 'ghost'" in lines[0]


def test_units_import_and_row_numbered_errors(inst: Path, tmp_path: Path):
    r = flask(inst, "units", "import", str(DATA / "units-small.csv"))
    assert r.returncode == 0, r.stderr
    bad = tmp_path / "units.csv"
    bad.write_text("unit_id;name;parent_id;level;headcount\n"
                   "akm-d9;New department;akm;department;\n"
                   "akm-d9-u1;Unit;akm-d9;unit;-3\n"
                   "akm-d9-u2;Unit;nowhere;unit;4\n"
                   "Bad Id;Unit;akm-d9;squad;4\n", encoding="utf-8")
    r = flask(inst, "units", "import", str(bad))
    assert r.returncode == 1
    err = r.stderr
    assert "row 3, column headcount: '-3'" in err
    assert "row 4, column parent_id: 'nowhere' — unknown unit" in err
    assert "row 5, column unit_id: 'Bad Id'" in err and "row 5, column level: 'squad'" in err
    con = sqlite3.connect(inst / "wellbeing.sqlite")
    assert con.execute("select count(*) from unit where slug like 'akm-d9%'").fetchone() == (0,)  # nothing saved
    assert con.execute("select count(*) from import_record").fetchone() == (1,)


def test_units_import_maps_russian_headers_and_bom(inst: Path, tmp_path: Path):
    f = tmp_path / "units-ru.csv"
    f.write_bytes("\ufeffкод;название;родитель;уровень;численность\nast;Астана;;region;\n"
                  "ast-d1;УП района Есиль;ast;department;\nast-d1-u1;Патрульная рота;ast-d1;unit;25\n".encode())
    m = tmp_path / "map.toml"
    m.write_text('[columns]\n"код" = "unit_id"\n"название" = "name"\n"родитель" = "parent_id"\n'
                 '"уровень" = "level"\n"численность" = "headcount"\n', encoding="utf-8")
    r = flask(inst, "units", "import", str(f), "--columns", str(m))
    assert r.returncode == 0, r.stderr
    con = sqlite3.connect(inst / "wellbeing.sqlite")
    assert con.execute("select name, headcount from unit where slug='ast-d1-u1'").fetchone() == ("Патрульная рота", 25)


def test_wave_lifecycle_and_slips(inst: Path, tmp_path: Path):
    assert flask(inst, "units", "import", str(DATA / "units-small.csv")).returncode == 0
    r = flask(inst, "waves", "create", "spring", "--instruments", "cbi,who5", "--opens", "2026-03-01",
              "--closes", "2026-03-31", "--min-cell", "4")
    assert r.returncode == 1 and "K is at least 5" in r.stderr
    r = flask(inst, "waves", "create", "spring", "--instruments", "cbi,nope", "--opens", "2026-03-01",
              "--closes", "2026-03-31")
    assert r.returncode == 1 and "unknown instrument 'nope'" in r.stderr
    r = flask(inst, "waves", "create", "spring", "--instruments", "cbi,who5", "--opens", "2026-03-01",
              "--closes", "2026-03-31")
    assert r.returncode == 0, r.stderr
    r = flask(inst, "waves", "open", "spring")
    assert r.returncode == 1 and "requires issued codes" in r.stderr
    out = tmp_path / "slips"
    r = flask(inst, "waves", "issue-codes", "spring", "--out", str(out))
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
    first_code = codes[1 + 36 + 14].split(",")[1] if False else None  # noqa: F841 - order-independent below
    group_codes = [line.split(",")[1] for line in codes[1:] if line.startswith("akm-d2-u1--all,")]
    from wellbeing.core.codes import format_code

    assert sum(format_code(c) in text for c in group_codes) == 15
    r = flask(inst, "waves", "issue-codes", "spring", "--out", str(out))
    assert r.returncode == 1 and "only be issued once" in r.stderr
    assert flask(inst, "waves", "open", "spring").returncode == 0
    r = flask(inst, "waves", "list", "--format", "csv")
    assert "spring,open,2026-03-01,2026-03-31,5,\"cbi,who5\",3" in r.stdout
    assert flask(inst, "waves", "close", "spring").returncode == 0
    con = sqlite3.connect(inst / "wellbeing.sqlite")
    assert con.execute("select count(*) from code_ledger").fetchone() == (65,)
    # The ledger holds hashes only: no printed code is stored.
    stored = {h for (h,) in con.execute("select code_hmac from code_ledger")}
    assert not stored & set(group_codes)


def test_drafts_purge_runs(inst: Path):
    r = flask(inst, "drafts", "purge")
    assert r.returncode == 0 and "deleted 0" in r.stderr
