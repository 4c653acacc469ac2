"""The baseline of benchmarks/load.py: a bare Flask app whose one route inserts one row.

Served by gunicorn with the same configuration as the survey (``wellbeing/gunicorn_conf.py``), on the
same database, so that the ratio "server CPU per survey request / per bare request" says how much
work the survey adds over the least a Flask + SQLAlchemy request that writes can cost.
``WELLBEING_DATABASE_URL`` names the database; the table ``bench_bare`` is created if missing.
"""

from __future__ import annotations

import os
import uuid

from flask import Flask
from sqlalchemy import Column, MetaData, String, Table, create_engine, event, insert

metadata = MetaData()
bare = Table("bench_bare", metadata, Column("id", String(36), primary_key=True), Column("v", String(16)))


def create_app() -> Flask:
    """The bare app (gunicorn: ``bare_app:create_app()``)."""
    url = os.environ["WELLBEING_DATABASE_URL"]
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":  # the same pragmas as the survey's engine (wellbeing.db_setup)
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA busy_timeout = 30000")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.close()
    metadata.create_all(engine)
    app = Flask(__name__)

    @app.post("/insert")
    def insert_one() -> str:
        with engine.begin() as conn:
            conn.execute(insert(bare).values(id=str(uuid.uuid4()), v="x"))
        return "ok"

    return app
