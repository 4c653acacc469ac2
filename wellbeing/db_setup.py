"""Database engine settings that the anonymity rules depend on.

SQLite (DESIGN.md section 8 and section 4 rules 3 and 5): WAL journal, foreign keys on, ``secure_delete``
on (deleted survey progress must not linger in free pages), ``journal_size_limit`` (old log frames are
cut off), a busy timeout so that concurrent writers
wait instead of failing with "database is locked", and transactions begun by SQLAlchemy (pysqlite's own
implicit transaction handling is switched off) so that a connection carrying the execution option
``sqlite_immediate=True`` starts with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: The write-ahead log is cut back to this many bytes whenever a checkpoint resets it (PRAGMA
#: journal_size_limit), so frames of old transactions do not pile up (914 KB after a few dozen requests
#: before this limit); readable answers only ever reach the log in batches of >= K (services.batches).
SQLITE_JOURNAL_SIZE_LIMIT = 256 * 1024


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA secure_delete = ON")
    cur.execute(f"PRAGMA journal_size_limit = {SQLITE_JOURNAL_SIZE_LIMIT}")
    for _seq, name, path in cur.execute("PRAGMA database_list").fetchall():
        if name == "main" and path:
            _owner_only(path)
    cur.close()


def _owner_only(path: str) -> None:
    """The database file and its WAL/shared-memory files are readable by their owner only (0600):
    SQLite creates them with the process umask (often 0644)."""
    for p in (path, path + "-wal", path + "-shm"):
        try:
            if os.stat(p).st_mode & 0o077:
                os.chmod(p, 0o600)
        except FileNotFoundError:
            continue


def _on_begin(conn: Connection) -> None:
    if conn.get_execution_options().get("sqlite_immediate"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def configure_engine(engine: Engine) -> None:
    """Attach the SQLite pragmas and transaction handling to ``engine`` (no-op for other databases)."""
    if engine.dialect.name != "sqlite":
        return
    if not event.contains(engine, "connect", _on_connect):
        event.listen(engine, "connect", _on_connect)
        event.listen(engine, "begin", _on_begin)


#: Survey writes of this process's threads queue here before SQLite's own write lock. SQLite admits one
#: writer at a time anyway, and a thread waiting in its busy handler sleeps in steps of up to 100 ms
#: (sqliteDefaultBusyCallback) however soon the lock is free; a thread waiting on this lock is woken
#: at once. Under load that sleeping left the server idle most of the time (issue 16: 41 % of one
#: core busy at 10 submissions/s). Other processes still queue on SQLite's lock and busy timeout.
_SQLITE_WRITERS = threading.Lock()


@contextmanager
def write_transaction() -> Iterator[Connection]:
    """A short transaction of its own for the statements that write (committed at the end of the block,
    rolled back on an exception). On SQLite it begins with ``BEGIN IMMEDIATE``, so it queues on the busy
    timeout for the write lock and holds it only for these statements — not for a whole request's
    form parsing and rendering; within one process the writers queue first on :data:`_SQLITE_WRITERS`.
    Callers end the session's read transaction first (a read snapshot older than another writer's
    commit cannot be upgraded to a write). Not re-entrant: a block must not open another."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        # the same marker as on SQLite (there it means BEGIN IMMEDIATE; here nothing but "a write block"),
        # so that what counts write transactions counts them on both databases
        with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
            yield conn
        return
    with _SQLITE_WRITERS, engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        yield conn


def _immediate_for_writes() -> None:
    """On SQLite, a staff POST request's session transaction starts with ``BEGIN IMMEDIATE``: a request
    that reads and then writes would otherwise fail with "database is locked" when another writer
    committed in between (a deferred transaction cannot upgrade past a newer snapshot); immediate
    transactions queue on the busy timeout instead. Survey routes, the hot path, never hold the lock
    for a whole request: their services write in :func:`write_transaction` blocks."""
    if request.method == "POST" and request.blueprint != "survey" and db.engine.dialect.name == "sqlite":
        db.session.connection(execution_options={"sqlite_immediate": True})


def init_app(app: Flask) -> None:
    with app.app_context():
        configure_engine(db.engine)
    app.before_request(_immediate_for_writes)
