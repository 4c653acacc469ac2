"""Less work per officer (issue 16): survey requests take the write lock only for the statements that
write, at most one write per page, and instruments are parsed once per process."""

from __future__ import annotations

from sqlalchemy import event

from wellbeing.extensions import db
from wellbeing.models import WaveInstrument
from wellbeing.services.catalogue import instrument_from_snapshot, wave_instrument_list

from .helpers import first_values, open_wave


def test_one_short_write_per_page_and_none_while_rendering(app, client):  # type: ignore[no-untyped-def]
    code = open_wave(app)["akm-d1-u1--all"][0]
    writes: list[str] = []
    statements: list[tuple[str, bool]] = []

    with app.app_context():
        engine = db.engine

    def on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        if conn.get_execution_options().get("sqlite_immediate"):
            writes.append(current)

    def on_execute(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append((statement.split()[0].upper(), bool(conn.get_execution_options().get("sqlite_immediate"))))

    event.listen(engine, "begin", on_begin)
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        current = "enter code"
        r = client.post("/survey/", data={"code": code, "language": "en"})
        assert r.status_code == 303
        path, pages = r.headers["Location"], 0
        while True:
            pages += 1
            current = f"GET page {pages}"
            html = client.get(path).get_data(as_text=True)
            current = f"POST page {pages}"
            r = client.post(path, data=first_values(html))
            if r.status_code != 303:
                break
            path = r.headers["Location"]
        assert r.status_code == 200
    finally:
        event.remove(engine, "begin", on_begin)
        event.remove(engine, "before_cursor_execute", on_execute)
    # One write transaction when the code is entered, one per page but the last, one for the submit
    # (the last page's answers go straight into it); none for any GET.
    assert pages == 2
    assert writes == ["enter code", "POST page 1", "POST page 2"]
    # Every write statement runs in a write transaction; reads (SELECT) outside one hold no lock.
    writing = {"INSERT", "UPDATE", "DELETE"}
    assert all(immediate for verb, immediate in statements if verb in writing)
    assert sum(1 for verb, immediate in statements if immediate and verb == "SELECT") <= 2  # submit's re-checks


def test_instruments_are_parsed_once_per_source(app):  # type: ignore[no-untyped-def]
    open_wave(app)
    with app.app_context():
        snap = db.session.execute(db.select(WaveInstrument)).scalars().first().snapshot
        first = instrument_from_snapshot(snap)
        assert instrument_from_snapshot(snap) is first
        assert first.content_hash == snap.content_hash
        wave_id = db.session.execute(db.select(WaveInstrument.wave_id)).scalars().first()
        listed = wave_instrument_list(wave_id)
        assert [i.id for i in listed] == ["cbi", "who5"]
        assert all(a is b for a, b in zip(listed, wave_instrument_list(wave_id)))  # the same parsed objects
