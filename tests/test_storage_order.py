"""Storage keeps no order and no time (issue 15; DESIGN.md section 4, rule 4), played as an attacker.

The attacker holds copies of the database file and its write-ahead log taken while the wave is open
and after it closed, knows the order in which officers submitted (say, from a door camera), and reads
the raw pages with a parser of their own (:mod:`tests.sqlite_pages`), not through SQLite. Before the
protection, the cell offsets of ``response`` and ``score`` gave the arrival order of 12 of 12
submissions, and the log held one transaction per submit.

Checks, for N = 8K web submissions in a known order to one reporting group, copies after every submit:
- between consecutive copies, the readable answers of the group grow by 0 or at least K;
- every committed transaction in every copy of the log, and the main file, makes 0 or at least K
  response rows newly visible;
- within each batch the physical order (page, cell offset) is no better than chance: |mean Kendall τ|
  between arrival order and position < 0.3 over all batches of all repeats (with one row per
  transaction τ would be +1);
- no copy holds the answers of a draft or a pending submission in clear.
The same order test on PostgreSQL reads ``ctid`` and ``xmin``.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import pytest
from scipy.stats import kendalltau

from wellbeing import create_app

from .conftest import make_config
from .helpers import close, first_values, open_wave
from .sqlite_pages import Snapshot

K = 5
N = 8 * K
REPEATS = 3
GROUP = "ord-d1-u1--all"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
PLAIN_ANSWERS = re.compile(rb'"(cbi|who5)"\s*:\s*\{')


def who5_answers(i: int, html: str) -> dict[str, str]:
    """WHO-5 answers that spell ``i`` in base 6 (one digit per item): each submission is recognisable."""
    values = sorted(set(re.findall(r'<input[^>]*type="radio"[^>]*value="(\d+)"', html)), key=int)
    assert values == [str(v) for v in range(6)], values
    return {item: str((i // 6 ** j) % 6) for j, item in enumerate(first_values(html))}


def index_of(digits: dict[str, float], items: list[str]) -> int:
    return sum(int(digits[item]) * 6 ** j for j, item in enumerate(items))


def submit(app, code: str, i: int) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    r = client.post("/survey/", data={"code": code, "language": "en"})
    assert r.status_code == 303
    url = r.headers["Location"]
    while True:
        html = client.get(url).get_data(as_text=True)
        data = who5_answers(i, html) if "who5" in url or "WHO" in html else first_values(html)
        r = client.post(url, data=data)
        if r.status_code != 303:
            assert r.status_code == 200, r.get_data(as_text=True)[:500]
            return
        url = r.headers["Location"]


def take_copy(db_file: Path, dest: Path) -> Snapshot:
    """Copy ``db``, ``db-wal`` and ``db-shm`` byte for byte (no SQLite call, so no checkpoint)."""
    dest.mkdir(parents=True)
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(db_file) + suffix)
        if src.exists():
            shutil.copyfile(src, dest / ("db.sqlite" + suffix))
    wal = dest / "db.sqlite-wal"
    return Snapshot((dest / "db.sqlite").read_bytes(), wal.read_bytes() if wal.exists() else b"")


def readable(copy_dir: Path, items: list[str]) -> dict[str, int]:
    """Response id -> arrival index, as SQLite itself reads the copy (opened on a second copy)."""
    logical = copy_dir / "logical"
    logical.mkdir()
    for f in copy_dir.glob("db.sqlite*"):
        shutil.copyfile(f, logical / f.name)
    con = sqlite3.connect(logical / "db.sqlite")
    try:
        by_id: dict[str, dict[str, float]] = {}
        for rid, item, value in con.execute("select response_id, item_id, value from answer "
                                            "where instrument_id = 'who5'"):
            by_id.setdefault(rid, {})[item] = value
    finally:
        con.close()
    return {rid: index_of(d, items) for rid, d in by_id.items()}


def is_response_row(v: list[object]) -> bool:
    return (len(v) == 4 and isinstance(v[0], str) and bool(UUID.fullmatch(v[0])) and isinstance(v[1], int)
            and isinstance(v[2], int) and isinstance(v[3], str))


def is_score_row(v: list[object], scale: str = "who5.wellbeing") -> bool:
    return len(v) == 3 and isinstance(v[0], str) and bool(UUID.fullmatch(v[0])) and v[1] == scale


def positions(snap: Snapshot, match) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Row id -> (page, -cell offset) in what a reader of the copy sees: the later a cell was written
    into its page, the lower its offset (pages fill from their end)."""
    return {c.values[0]: (c.page_no, -c.offset) for c in snap.cells(snap.effective_pages()) if match(c.values)}


def one_wave_run(app, db_file: Path, work: Path) -> tuple[list[float], list[str]]:  # type: ignore[no-untyped-def]
    """Submit N in a known order, copy after each, close, copy; returns τ values and failures."""
    codes = open_wave(app, units_file="units-order.csv")[GROUP]
    assert len(codes) >= N
    with app.app_context():
        from wellbeing.services.catalogue import get_catalogue

        items = [it.id for it in get_catalogue()["who5"].items]
    snaps: list[tuple[Snapshot, dict[str, int]]] = []
    failures: list[str] = []
    taus: list[float] = []
    prev: dict[str, int] = {}
    first_seen: dict[str, int] = {}
    for i in range(N + 1):
        if i < N:
            submit(app, codes[i], i)
        else:
            close(app, "w1")
        copy_dir = work / f"copy{i:03d}"
        snap = take_copy(db_file, copy_dir)
        now = readable(copy_dir, items)
        new = set(now) - set(prev)
        if len(new) not in (0,) and len(new) < K and i < N:
            failures.append(f"after submit {i}: {len(new)} answers became readable at once")
        for rid in new:
            first_seen[rid] = i
        # The log, transaction by transaction, and the main file: 0 or >= K newly visible rows.
        seen: set[str] = set(prev)
        for t, frames in enumerate(snap.transactions()):
            ids = {c.values[0] for f in frames for c in snap.frame_cells(f) if is_response_row(c.values)}
            fresh = ids - seen
            if 0 < len(fresh) < K and i < N:
                failures.append(f"copy {i}: log transaction {t} shows {len(fresh)} new response rows")
            seen |= ids
        main_ids = {c.values[0] for c in snap.cells(snap.main_pages()) if is_response_row(c.values)}
        if 0 < len(main_ids - set(prev)) < K and i < N:
            failures.append(f"copy {i}: the main file shows {len(main_ids - set(prev))} new response rows")
        for blob in (snap.main, snap.wal):
            if PLAIN_ANSWERS.search(blob):
                failures.append(f"copy {i}: answers in clear (a draft or a pending submission)")
        snaps.append((snap, now))
        prev = now
    if failures:
        return taus, failures
    # Order within batches: in the copy where a batch first appears, and after close (rebuilt).
    batches: dict[int, list[str]] = {}
    for rid, when in first_seen.items():
        batches.setdefault(when, []).append(rid)
    assert len(first_seen) == N and all(len(b) >= K for b in batches.values()), {w: len(b) for w, b in batches.items()}
    for when, members in batches.items():
        for copy_index in sorted({when, N}):
            snap, now = snaps[copy_index]
            for match in (is_response_row, is_score_row):
                pos = positions(snap, match)
                here = [rid for rid in members if rid in pos]
                assert len(here) == len(members), "a readable row was not found in the pages"
                order = sorted(here, key=lambda r: pos[r])
                taus.append(kendalltau([now[r] for r in order], list(range(len(order)))).statistic)
    last_wal = snaps[-1][0].wal
    if last_wal:
        failures.append(f"after close the log still holds {len(last_wal)} bytes")
    return taus, failures


def test_physical_order_on_sqlite_says_only_this_batch(tmp_path: Path, migrated_db: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    if not str(migrated_db).endswith(".sqlite"):
        pytest.skip("SQLite only: reads SQLite's page and log format (PostgreSQL: the ctid/xmin test)")
    all_taus: list[float] = []
    for r in range(REPEATS):
        inst = tmp_path / f"run{r}" / "instance"
        inst.mkdir(parents=True)
        monkeypatch.setenv("WELLBEING_INSTANCE_PATH", str(inst))
        db_file = inst / "wellbeing.sqlite"
        shutil.copy(migrated_db, db_file)
        app = create_app(make_config(inst, db_file))
        taus, failures = one_wave_run(app, db_file, tmp_path / f"run{r}" / "copies")
        assert not failures, failures[:5]
        all_taus += taus
        with app.app_context():
            from wellbeing.extensions import db

            db.engine.dispose()
    mean = sum(all_taus) / len(all_taus)
    assert abs(mean) < 0.3, (mean, all_taus)
    assert len(all_taus) >= REPEATS * 2 * (N // K)


@contextmanager
def pg_app(folder: Path):  # type: ignore[no-untyped-def]
    """The app on a fresh, migrated PostgreSQL database made on the server named by
    ``WELLBEING_TEST_DATABASE_URL`` (a maintenance database URL; issue 16's switch); dropped after."""
    import secrets

    from flask_migrate import upgrade
    from sqlalchemy import create_engine, make_url, text

    url = os.environ["WELLBEING_TEST_DATABASE_URL"]
    name = f"wb_i15_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    folder.mkdir(parents=True)
    os.environ["WELLBEING_INSTANCE_PATH"] = str(folder)
    app = create_app(make_config(folder, folder / "unused.sqlite",
                                 SQLALCHEMY_DATABASE_URI=make_url(url).set(database=name).render_as_string(False)))
    try:
        with app.app_context():
            upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        yield app
    finally:
        with app.app_context():
            from wellbeing.extensions import db

            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.mark.skipif(not os.environ.get("WELLBEING_TEST_DATABASE_URL"),
                    reason="needs PostgreSQL: set WELLBEING_TEST_DATABASE_URL (issue 16's DB switch)")
def test_physical_order_on_postgresql_says_only_this_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``xmin`` (the inserting transaction) groups readable rows in batches of >= K while the wave is
    open; after close every row carries the close's ``xmin`` (one rewrite); within a batch the heap
    position ``ctid`` is no better than chance."""
    monkeypatch.setenv("WELLBEING_INSTANCE_PATH", str(tmp_path))  # restored after the test
    taus: list[float] = []
    for r in range(REPEATS):
        with pg_app(tmp_path / f"run{r}") as app:
            one_postgresql_run(app, taus)
    assert abs(sum(taus) / len(taus)) < 0.3, taus


def one_postgresql_run(app, taus: list[float]) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from wellbeing.extensions import db

    codes = open_wave(app, units_file="units-order.csv")[GROUP]
    with app.app_context():
        from wellbeing.services.catalogue import get_catalogue

        items = [it.id for it in get_catalogue()["who5"].items]

    def heap() -> list[tuple[int, int, int, int]]:
        with app.app_context():
            rows = db.session.execute(text(
                "select r.id, r.xmin::text::bigint, (r.ctid::text::point)[0]::int, (r.ctid::text::point)[1]::int "
                "from response r")).all()
            answers = db.session.execute(text(
                "select response_id, item_id, value from answer where instrument_id = 'who5'")).all()
        by_id: dict[str, dict[str, float]] = {}
        for rid, item, value in answers:
            by_id.setdefault(rid, {})[item] = value
        return [(index_of(by_id[rid], items), xmin, blk, off) for rid, xmin, blk, off in rows]

    def batch_taus(rows: list[tuple[int, int, int, int]]) -> dict[int, int]:
        by_xmin: dict[int, list[tuple[int, int, int]]] = {}
        for idx, xmin, blk, off in rows:
            by_xmin.setdefault(xmin, []).append((idx, blk, off))
        for batch in by_xmin.values():
            batch.sort(key=lambda t: (t[1], t[2]))
            taus.append(kendalltau([t[0] for t in batch], list(range(len(batch)))).statistic)
        return {x: len(b) for x, b in by_xmin.items()}

    prev = 0
    sizes: dict[int, int] = {}
    for i in range(N):
        submit(app, codes[i], i)
        rows = heap()
        assert len(rows) - prev == 0 or len(rows) - prev >= K, (i, len(rows), prev)
        prev = len(rows)
    sizes = batch_taus(heap())
    assert sizes and all(n >= K for n in sizes.values()), sizes  # xmin says "this batch", of >= K
    close(app, "w1")
    rows = heap()
    assert len(rows) == N
    assert len(batch_taus(rows)) == 1  # the close rewrites the wave in one transaction
