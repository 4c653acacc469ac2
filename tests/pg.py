"""Databases on a real PostgreSQL server for the test suite (see ``tests/conftest.py``)."""

from __future__ import annotations

import os
import secrets

from sqlalchemy.engine import make_url


class PgServer:
    """Creates and drops this session's databases on the server behind ``url`` (a maintenance database
    such as ``postgres``, reached as a role that may create databases).

    Names are ``wbt_<pid>_<token>_<label>`` so that two sessions on one server never collide; each
    database is created from a template (``CREATE DATABASE ... TEMPLATE ...``, PostgreSQL's copy of an
    existing database) and dropped with ``WITH (FORCE)``, which ends connections a test left open.
    """

    def __init__(self, url: str) -> None:
        import psycopg

        self._url = make_url(url).set(drivername="postgresql+psycopg")
        self.prefix = f"wbt_{os.getpid()}_{secrets.token_hex(3)}_"
        self._conn = psycopg.connect(self._libpq(self._url.database or "postgres"), autocommit=True)
        self._created: list[str] = []
        self._strategy = self._conn.info.server_version >= 150000  # STRATEGY is new in PostgreSQL 15

    def _libpq(self, database: str) -> str:
        u = self._url.set(database=database)
        return u.set(drivername="postgresql").render_as_string(hide_password=False)

    def url(self, name: str) -> str:
        """The SQLAlchemy URL of database ``name`` on this server."""
        return self._url.set(database=name).render_as_string(hide_password=False)

    def create(self, label: str, template: str | None = None) -> str:
        """Create an empty database (from ``template0``) or a copy of ``template``; returns its name."""
        from psycopg import sql

        name = self.prefix + label
        src = template or "template0"
        # FILE_COPY: a small template is copied file by file, without writing the whole copy to the WAL.
        stmt = "CREATE DATABASE {} TEMPLATE {}" + (" STRATEGY FILE_COPY" if self._strategy else "")
        self._conn.execute(sql.SQL(stmt).format(sql.Identifier(name), sql.Identifier(src)))
        self._created.append(name)
        return name

    def drop(self, name: str) -> None:
        from psycopg import sql

        self._conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if name in self._created:
            self._created.remove(name)

    def drop_all(self) -> None:
        for name in reversed(list(self._created)):
            self.drop(name)
        self._conn.close()


def copy_rows(source_uri: str, target_uri: str) -> int:
    """Copy every row of every model table from the database at ``source_uri`` into the migrated, empty
    database at ``target_uri`` (multi-row ``INSERT`` statements through SQLAlchemy, so every column type
    is converted as the app converts it), then move PostgreSQL's sequences past the copied ids.
    Returns the number of rows copied.

    The demo pilot is seeded once on SQLite and copied: seeding it on PostgreSQL row by row costs tens
    of thousands of round trips (minutes on a loaded machine) and tests nothing the copy does not.
    """
    from sqlalchemy import create_engine, func, insert, select, text

    from wellbeing.extensions import db

    src, dst = create_engine(source_uri), create_engine(target_uri)
    total = 0
    try:
        with src.connect() as s, dst.begin() as d:
            for table in db.metadata.sorted_tables:
                rows = [dict(r._mapping) for r in s.execute(select(table))]
                per_statement = max(1, 30_000 // max(1, len(table.columns)))
                for i in range(0, len(rows), per_statement):
                    d.execute(insert(table).values(rows[i:i + per_statement]))
                total += len(rows)
                for col in table.primary_key.columns:
                    if col.autoincrement is True or (col.autoincrement == "auto" and col.type.python_type is int
                                                     and len(table.primary_key.columns) == 1):
                        seq = d.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                        {"t": table.name, "c": col.name}).scalar()
                        top = d.execute(select(func.max(col))).scalar()
                        if seq and top:
                            d.execute(text("SELECT setval(:s, :v)"), {"s": seq, "v": top})
    finally:
        src.dispose()
        dst.dispose()
    return total
