"""Shared fixtures: a real SQLite file database per test, migrated once per session and copied."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask_migrate import upgrade

from wellbeing import create_app

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
TEST_SEAL_KEY = "5e" * 32  # 64 hex digits (wellbeing.core.sealing)


def make_config(instance: Path, db_file: Path, **extra: object) -> dict[str, object]:
    cfg: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "CODE_HMAC_KEY": "test-hmac-key",
        "SEAL_KEY": TEST_SEAL_KEY,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
        "WTF_CSRF_ENABLED": False,
        # Tests read English pages unless they choose a language (the deployment default is Russian).
        "DEFAULT_LANGUAGE": "en",
    }
    cfg.update(extra)
    return cfg


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file migrated with the committed Alembic migrations (once per session)."""
    folder = tmp_path_factory.mktemp("template")
    db_file = folder / "template.sqlite"
    app = create_app(make_config(folder, db_file))
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        from wellbeing.extensions import db

        db.engine.dispose()  # closes the last connection: SQLite checkpoints the WAL into the file
    return db_file


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    inst = tmp_path / "instance"
    inst.mkdir()
    monkeypatch.setenv("WELLBEING_INSTANCE_PATH", str(inst))
    return inst


@pytest.fixture
def app_config(instance: Path, migrated_db: Path) -> dict[str, object]:
    db_file = instance / "wellbeing.sqlite"
    shutil.copy(migrated_db, db_file)
    return make_config(instance, db_file)


@pytest.fixture
def app(app_config: dict[str, object]):  # type: ignore[no-untyped-def]
    return create_app(app_config)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, migrated_db: Path) -> Path:
    """An instance folder holding the seeded demonstration pilot (seed 1) with the baseline wave's
    released tables warmed — built once per session, copied for each test that needs it (`demo_app`)."""
    folder = tmp_path_factory.mktemp("demo-instance")
    db_file = folder / "wellbeing.sqlite"
    shutil.copy(migrated_db, db_file)
    app = create_app(make_config(folder, db_file, INSTANCE_PATH=str(folder)))
    runner = app.test_cli_runner()
    res = runner.invoke(args=["demo", "seed", "--seed", "1"])
    assert res.exit_code == 0, res.output
    with app.app_context():
        from wellbeing.extensions import db
        from wellbeing.services.results import warm
        from wellbeing.services.waves import get_wave

        warm(get_wave("baseline"))  # the wave the browser tests open (`flask cache warm` does all)
        db.engine.dispose()
    return folder


@pytest.fixture
def demo_app(instance: Path, demo_template: Path):  # type: ignore[no-untyped-def]
    """The app on a private copy of the seeded demo (database, demo codes and released-table cache)."""
    shutil.copytree(demo_template, instance, dirs_exist_ok=True)
    return create_app(make_config(instance, instance / "wellbeing.sqlite", INSTANCE_PATH=str(instance)))
