"""Shared fixtures: a real database per test, migrated once per session and copied.

The database is a SQLite file by default. With ``WELLBEING_TEST_DATABASE_URL`` (or ``--database-url``)
naming a PostgreSQL server's maintenance database (``postgresql+psycopg://user@host:port/postgres``, a
role allowed to create databases), every app fixture gets a fresh PostgreSQL database instead: the
session migrates one template database (and seeds one demo database) and each test gets
``CREATE DATABASE ... TEMPLATE ...`` — a file copy, tens of milliseconds — dropped after the test.
Tests marked ``sqlite_only`` (they read the SQLite file, its pragmas or page layout) are skipped then,
with their reason.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade

from wellbeing import create_app

from .pg import PgServer, copy_rows

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
TEST_SEAL_KEY = "5e" * 32  # 64 hex digits (wellbeing.core.sealing)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--database-url", default=os.environ.get("WELLBEING_TEST_DATABASE_URL") or None,
                     help="run the app fixtures on PostgreSQL: the URL of a maintenance database on a server "
                          "where the role may create databases (default: $WELLBEING_TEST_DATABASE_URL; "
                          "unset = SQLite files)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only(reason): the test reads SQLite's own file or pragmas; "
                                       "skipped when the suite runs on PostgreSQL")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--database-url"):
        return
    for item in items:
        mark = item.get_closest_marker("sqlite_only")
        if mark is not None:
            reason = mark.kwargs.get("reason") or (mark.args[0] if mark.args else "SQLite only")
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


@pytest.fixture(scope="session")
def pg_server(pytestconfig: pytest.Config) -> Iterator[PgServer | None]:
    """The PostgreSQL server the suite runs on, or None on SQLite. Drops the session's databases at the end."""
    url = pytestconfig.getoption("--database-url")
    if not url:
        yield None
        return
    server = PgServer(url)
    try:
        yield server
    finally:
        server.drop_all()


_db_numbers = itertools.count(1)


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
def migrated_db(tmp_path_factory: pytest.TempPathFactory, pg_server: PgServer | None) -> Path | str:
    """A database migrated with the committed Alembic migrations (once per session): a SQLite file, or
    on PostgreSQL the name of a template database."""
    folder = tmp_path_factory.mktemp("template")
    if pg_server is not None:
        name = pg_server.create("template")
        cfg = make_config(folder, folder / "unused.sqlite", SQLALCHEMY_DATABASE_URI=pg_server.url(name))
    else:
        name = None
        cfg = make_config(folder, folder / "template.sqlite")
    app = create_app(cfg)
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        from wellbeing.extensions import db

        db.engine.dispose()  # closes the last connection: SQLite checkpoints the WAL into the file
    return name if name is not None else folder / "template.sqlite"


def _database_uri(request: pytest.FixtureRequest, pg_server: PgServer | None, template: Path | str,
                  db_file: Path) -> str:
    """A private database for one test, copied from ``template``; on PostgreSQL dropped after the test."""
    if pg_server is None:
        shutil.copy(template, db_file)
        return f"sqlite:///{db_file}"
    name = pg_server.create(f"t{next(_db_numbers)}", template=str(template))
    request.addfinalizer(lambda: pg_server.drop(name))
    return pg_server.url(name)


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    inst = tmp_path / "instance"
    inst.mkdir()
    monkeypatch.setenv("WELLBEING_INSTANCE_PATH", str(inst))
    return inst


@pytest.fixture
def app_config(request: pytest.FixtureRequest, instance: Path, migrated_db: Path | str,
               pg_server: PgServer | None) -> dict[str, object]:
    db_file = instance / "wellbeing.sqlite"
    uri = _database_uri(request, pg_server, migrated_db, db_file)
    return make_config(instance, db_file, SQLALCHEMY_DATABASE_URI=uri)


@pytest.fixture
def app(app_config: dict[str, object]):  # type: ignore[no-untyped-def]
    return create_app(app_config)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


def build_template(tmp_path_factory: pytest.TempPathFactory, migrated_db: Path | str,
                   pg_server: PgServer | None, label: str, build: Callable[[Flask], None]) -> Path:
    """An instance folder whose database holds what ``build(app)`` stored — built once per session
    (by a session-scoped fixture), copied for each test by :func:`app_on_template`. On PostgreSQL the
    data are built on a SQLite file as usual and copied into a template database (named in the folder's
    ``.pg-template`` file; see :func:`tests.pg.copy_rows`)."""
    folder = tmp_path_factory.mktemp(label)
    db_file = folder / "wellbeing.sqlite"
    if pg_server is not None:
        sqlite_template = tmp_path_factory.mktemp(f"{label}-sqlite") / "template.sqlite"
        app = create_app(make_config(folder, sqlite_template))
        with app.app_context():
            upgrade(directory=str(REPO / "migrations"))
            from wellbeing.extensions import db

            db.engine.dispose()
    else:
        sqlite_template = Path(migrated_db)
    shutil.copy(sqlite_template, db_file)
    app = create_app(make_config(folder, db_file, INSTANCE_PATH=str(folder)))
    build(app)
    with app.app_context():
        from wellbeing.extensions import db

        db.engine.dispose()
    if pg_server is not None:
        name = pg_server.create(label, template=str(migrated_db))
        copy_rows(f"sqlite:///{db_file}", pg_server.url(name))
        (folder / ".pg-template").write_text(name)
        db_file.unlink()
    return folder


def app_on_template(request: pytest.FixtureRequest, instance: Path, template: Path,
                    pg_server: PgServer | None) -> Flask:
    """The app on a private copy of a :func:`build_template` folder (database and instance files)."""
    shutil.copytree(template, instance, dirs_exist_ok=True)
    db_file = instance / "wellbeing.sqlite"
    if pg_server is not None:
        uri = _database_uri(request, pg_server, (template / ".pg-template").read_text(), db_file)
    else:
        uri = f"sqlite:///{db_file}"
    return create_app(make_config(instance, db_file, INSTANCE_PATH=str(instance), SQLALCHEMY_DATABASE_URI=uri))


def _seed_demo(app: Flask) -> None:
    res = app.test_cli_runner().invoke(args=["demo", "seed", "--seed", "1"])
    assert res.exit_code == 0, res.output
    with app.app_context():
        from wellbeing.services.results import warm
        from wellbeing.services.waves import get_wave

        warm(get_wave("baseline"))  # the wave the browser tests open (`flask cache warm` does all)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, migrated_db: Path | str,
                  pg_server: PgServer | None) -> Path:
    """An instance folder holding the seeded demonstration pilot (seed 1) with the baseline wave's
    released tables warmed — built once per session, copied for each test that needs it (`demo_app`)."""
    return build_template(tmp_path_factory, migrated_db, pg_server, "demo-instance", _seed_demo)


@pytest.fixture
def demo_app(request: pytest.FixtureRequest, instance: Path, demo_template: Path,
             pg_server: PgServer | None) -> Flask:
    """The app on a private copy of the seeded demo (database, demo codes and released-table cache)."""
    return app_on_template(request, instance, demo_template, pg_server)


@pytest.fixture(scope="session")
def results_template(tmp_path_factory: pytest.TempPathFactory, migrated_db: Path | str,
                     pg_server: PgServer | None) -> Path:
    """The results tests' closed wave (:func:`tests.helpers.build_results_wave`), built once per session."""
    from .helpers import build_results_wave

    return build_template(tmp_path_factory, migrated_db, pg_server, "results-wave", build_results_wave)
