"""The officer's survey through the real app and a real SQLite file (DESIGN.md section 4, rules 1–5)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from wellbeing.core.codes import format_code
from wellbeing.core.sealing import unseal_text
from wellbeing.extensions import db

from .conftest import TEST_SEAL_KEY
from .helpers import close, first_values, open_wave


@pytest.fixture
def codes(app):  # type: ignore[no-untyped-def]
    return open_wave(app)


def rows(app, sql: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Rows of ``sql`` read on a connection of its own (outside the app), on SQLite or PostgreSQL."""
    eng = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with eng.begin() as con:
            result = con.exec_driver_sql(sql)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        eng.dispose()


def run_survey(client, code: str, lang: str = "en", choose=first_values):  # type: ignore[no-untyped-def]
    """Enter ``code`` and answer every page; returns the list of responses seen."""
    seen = []
    r = client.post("/survey/", data={"code": code, "language": lang})
    seen.append(r)
    assert r.status_code == 303, r.get_data(as_text=True)
    url = r.headers["Location"]
    while True:
        page = client.get(url)
        seen.append(page)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        r = client.post(url, data=choose(html))
        seen.append(r)
        if r.status_code == 303:
            url = r.headers["Location"]
            continue
        return seen


def test_whole_survey_stores_one_response_and_shows_feedback(app, client, codes):
    code = codes["akm-d1-u1--all"][0]
    seen = run_survey(client, format_code(code).lower())
    final = seen[-1]
    assert final.status_code == 200
    html = final.get_data(as_text=True)
    assert "Your answers were sent" in html or "your answers were sent" in html
    # First option everywhere: CBI options start at "Always" (100) -> high burnout, with a help section.
    assert "Where to get help" in html
    assert "High" in html
    # Stored at once, sealed; readable only in a batch of >= K of its group (here: at close).
    assert rows(app, "select count(*) from pending_response") == [(1,)]
    assert rows(app, "select count(*) from response") == [(0,)]
    assert rows(app, "select count(*) from progress") == [(0,)]
    assert rows(app, "select count(*) from code_ledger where used") == [(1,)]
    close(app, "w1")
    assert rows(app, "select count(*) from response") == [(1,)]
    assert rows(app, "select count(*) from pending_response") == [(0,)]
    # The same code is refused afterwards.
    r = client.post("/survey/", data={"code": code, "language": "en"})
    assert r.status_code == 400
    assert "already been used" in r.get_data(as_text=True)


def test_scores_stored_match_hand_computation(app, client, codes):
    run_survey(client, codes["akm-d2-u1--all"][0])
    close(app, "w1")
    scores = dict(rows(app, "select scale_id, value from score"))
    # Every CBI answer is the first option (100) and w7 is reverse-scored (100 -> 0):
    # work = (6 * 100 + 0) / 7; personal = client = 100; family = 0 ... wait: family is the reversed item.
    assert scores["cbi.personal"] == 100
    assert scores["cbi.client"] == 100
    assert scores["cbi.work"] == pytest.approx(600 / 7)
    # WHO-5 first option is "All of the time" (5) on each of 5 items: 25 * 4 = 100.
    assert scores["who5.wellbeing"] == 100


RESPONSE_COLUMNS = {
    "response": {"id", "wave_id", "group_id", "language"},
    "answer": {"response_id", "instrument_id", "item_id", "value"},
    "score": {"response_id", "scale_id", "value"},
}


def test_response_tables_columns_are_allow_listed(app):
    """Rule 1: no person, code, session, IP, user agent or time column on answer-holding tables."""
    with app.app_context():
        insp = inspect(db.engine)
        for table, allowed in RESPONSE_COLUMNS.items():
            assert {c["name"] for c in insp.get_columns(table)} == allowed, table
        assert {c["name"] for c in insp.get_columns("progress")} == {
            "nonce_hash", "code_hmac", "wave_id", "language", "answers", "expires"}
        assert {c["name"] for c in insp.get_columns("code_ledger")} == {"code_hmac", "wave_id", "group_id", "used"}
        # No foreign key from responses to the ledger (rule: three stores never join).
        for table in RESPONSE_COLUMNS:
            for fk in insp.get_foreign_keys(table):
                assert fk["referred_table"] in {"wave", "reporting_group", "response"}


@pytest.mark.sqlite_only(reason="reads SQLite's table definitions (WITHOUT ROWID)")
def test_answer_tables_are_without_rowid(app):
    """Rule 4: storage order says nothing about arrival."""
    ddl = dict(rows(app, "select name, sql from sqlite_master where type = 'table'"))
    for table in ("response", "answer", "score", "progress", "code_ledger"):
        assert "WITHOUT ROWID" in ddl[table], table


@pytest.mark.sqlite_only(reason="reads rows in SQLite's primary-key order (WITHOUT ROWID); the PostgreSQL "
                         "heap order is tested in tests/test_storage_order.py")
def test_storage_order_does_not_follow_submission_order(app, client, codes):
    """Rule 4: twelve submissions become readable only in batches of >= K, under random ids (the
    physical order is tested with a page parser in tests/test_storage_order.py)."""
    group = codes["akm-d1-u1--all"]
    readable = []
    for code in group[:12]:
        run_survey(app.test_client(), code)
        readable.append(rows(app, "select count(*) from response")[0][0])
    assert readable == [0] * 9 + [5, 5, 5]  # K = 5: the 10th submit releases 5 of the 10 sealed
    close(app, "w1")
    stored = [r[0] for r in rows(app, "select id from response")]
    assert len(stored) == 12 and sorted(stored) == stored  # stored by the random primary key
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", i) for i in stored)


def test_code_never_appears_after_entry(app, client, codes):
    code = codes["akm-d1-u1--all"][1]
    seen = run_survey(client, code)
    variants = {code, format_code(code), code.lower()}
    for resp in seen:
        blob = (resp.get_data(as_text=True) + " ".join(resp.headers.getlist("Set-Cookie"))
                + resp.headers.get("Location", ""))
        for v in variants:
            assert v not in blob
    for cookie in client._cookies.values():  # noqa: SLF001 - the test client's cookie jar
        assert all(v not in cookie.value for v in variants)


def test_progress_row_holds_only_allowed_values(app, client, codes):
    code = codes["akm-d1-u1--all"][2]
    r = client.post("/survey/", data={"code": code, "language": "ru"})
    assert r.status_code == 303
    (row,) = rows(app, "select nonce_hash, code_hmac, language, answers, expires from progress")
    nonce_cookie = client.get_cookie("wb_progress", path="/survey")
    assert nonce_cookie is not None and nonce_cookie.value not in row  # only its hash is stored
    assert row[2] == "ru" and "{" not in row[3]  # answers so far are sealed, bound to the row
    assert unseal_text(TEST_SEAL_KEY, row[3], "progress:" + row[0]) == {}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:00:00(\.000000)?", str(row[4]))  # rounded to the hour


class RaisingEnviron(dict):
    """A WSGI environ that raises when anything reads the client's network identity."""

    FORBIDDEN = {"REMOTE_ADDR", "HTTP_USER_AGENT", "HTTP_REFERER", "HTTP_X_FORWARDED_FOR"}

    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        if key in self.FORBIDDEN:
            raise AssertionError(f"survey code read {key}")
        return super().__getitem__(key)

    def get(self, key, default=None):  # type: ignore[no-untyped-def]
        if key in self.FORBIDDEN:
            raise AssertionError(f"survey code read {key}")
        return super().get(key, default)

    def __contains__(self, key):  # type: ignore[no-untyped-def]
        if key in self.FORBIDDEN:
            raise AssertionError(f"survey code checked {key}")
        return super().__contains__(key)


def test_survey_never_reads_network_identity(app, codes):
    """Rule 5: the whole survey runs with an environ whose identity keys raise when read."""
    app.config["WTF_CSRF_ENABLED"] = True
    inner = app.wsgi_app

    def guarded(environ, start_response):  # type: ignore[no-untyped-def]
        env = RaisingEnviron(environ)
        env.update({"REMOTE_ADDR": "10.1.2.3", "HTTP_USER_AGENT": "Officer-Phone/1.0",
                    "HTTP_REFERER": "https://example.org/", "HTTP_X_FORWARDED_FOR": "10.9.9.9"})
        return inner(env, start_response)

    app.wsgi_app = guarded
    client = app.test_client()
    start = client.get("/survey/")
    assert start.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', start.get_data(as_text=True)).group(1)
    r = client.post("/survey/", data={"code": codes["akm-d2-u1--all"][3], "language": "en", "csrf_token": token})
    assert r.status_code == 303
    url = r.headers["Location"]
    while r.status_code == 303:
        url = r.headers["Location"]
        html = client.get(url).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        r = client.post(url, data={**first_values(html), "csrf_token": token})
    assert r.status_code == 200
    assert rows(app, "select count(*) from pending_response") == [(1,)]


@pytest.mark.parametrize("typed, message", [
    ("", "Enter the code"),
    ("ABCD", "27 characters"),
    ("0000-0000-0000-0000-0000-0000-001", "mistyped"),
])
def test_malformed_codes_are_refused(app, client, codes, typed, message):
    r = client.post("/survey/", data={"code": typed, "language": "en"})
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    assert rows(app, "select count(*) from progress") == [(0,)]


def test_mistyped_character_is_caught_by_check_character(app, client, codes):
    code = codes["akm-d1-u1--all"][4]
    wrong = ("1" if code[5] != "1" else "2").join([code[:5], code[6:]])
    r = client.post("/survey/", data={"code": wrong, "language": "en"})
    assert r.status_code == 400 and "mistyped" in r.get_data(as_text=True)


def test_unknown_code_is_refused(app, client, codes):
    from wellbeing.core.codes import generate_code

    r = client.post("/survey/", data={"code": generate_code(), "language": "en"})
    assert r.status_code == 400 and "not known" in r.get_data(as_text=True)


def test_closed_wave_refuses_codes_and_submissions(app, client, codes):
    from wellbeing.services.waves import close_wave, get_wave

    code, other = codes["akm-d1-u1--all"][5:7]
    client.post("/survey/", data={"code": other, "language": "en"})  # started before closing
    html = client.get("/survey/page/1").get_data(as_text=True)
    client.post("/survey/page/1", data=first_values(html))
    with app.app_context():
        close_wave(get_wave("w1"))
    assert rows(app, "select count(*) from progress") == [(0,)]  # the close deletes every draft
    r = app.test_client().post("/survey/", data={"code": code, "language": "en"})
    assert r.status_code == 400 and "not open" in r.get_data(as_text=True)
    r = client.get("/survey/page/2")
    assert r.status_code == 410
    assert rows(app, "select count(*) from response") == [(0,)]
    assert rows(app, "select count(*) from pending_response") == [(0,)]


def test_value_outside_response_set_and_missing_item(app, client, codes):
    client.post("/survey/", data={"code": codes["akm-d1-u1--all"][7], "language": "en"})
    html = client.get("/survey/page/1").get_data(as_text=True)
    answers = first_values(html)
    tampered = {**answers, "p1": "101"}
    r = client.post("/survey/page/1", data=tampered)
    assert r.status_code == 400
    assert "Choose one of the offered answers" in r.get_data(as_text=True)
    missing = {k: v for k, v in answers.items() if k != "w2"}
    r = client.post("/survey/page/1", data=missing)
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and "Please answer this question" in body
    assert 'id="w2-error"' in body  # the message sits next to the item
    ((nonce_hash, sealed),) = rows(app, "select nonce_hash, answers from progress")
    assert unseal_text(TEST_SEAL_KEY, sealed, "progress:" + nonce_hash) == {}
    assert rows(app, "select count(*) from response") == [(0,)]


def test_tampered_csrf_token_is_refused(app, codes):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    client.get("/survey/")
    r = client.post("/survey/", data={"code": codes["akm-d1-u1--all"][8], "language": "en", "csrf_token": "forged"})
    assert r.status_code == 400 and "form expired" in r.get_data(as_text=True)
    assert rows(app, "select count(*) from progress") == [(0,)]


def test_oversized_body_is_refused(app, client, codes):
    r = client.post("/survey/", data={"code": "x" * 300_000, "language": "en"})
    assert r.status_code == 413
    assert rows(app, "select count(*) from progress") == [(0,)]


def test_pages_without_progress_ask_for_the_code_again(client, codes):
    r = client.get("/survey/page/1")
    assert r.status_code == 410 and "enter your code again" in r.get_data(as_text=True).lower()


def test_survey_pages_set_strict_headers(client, codes):
    r = client.get("/survey/")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["Cache-Control"] == "no-store, no-transform"  # proxies must not compress them
    html = r.get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from other hosts


def test_editing_the_instrument_file_does_not_change_a_wave(app, instance, codes):
    """A wave keeps its snapshot: an instance override of CBI after creation changes nothing."""
    from wellbeing.services.submissions import wave_instruments
    from wellbeing.services.waves import get_wave

    src = (Path(__file__).resolve().parent.parent / "surveys" / "cbi.toml").read_text(encoding="utf-8")
    (instance / "surveys").mkdir()
    (instance / "surveys" / "cbi.toml").write_text(
        src.replace("min_answered = 3", "min_answered = 6", 1), encoding="utf-8")
    with app.app_context():
        from wellbeing.services.catalogue import get_catalogue

        assert get_catalogue()["cbi"].scale("personal").min_answered == 6
        cbi = wave_instruments(get_wave("w1"))[0]
        assert cbi.scale("personal").min_answered == 3


def test_access_log_omits_client_address():
    import logging

    from wellbeing.web import NoClientAddress

    rec = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                            '10.1.2.3 - - [29/Nov/2026 10:00:00] "%s" %s %s\n',
                            ("POST /survey/page/2 HTTP/1.1", "303", "-"), None)
    assert NoClientAddress().filter(rec) is False  # no line at all for a survey route
    rec = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                            '10.1.2.3 - - [29/Nov/2026 10:00:00] "%s" %s %s\n',
                            ("GET /results/ HTTP/1.1", "200", "-"), None)
    assert NoClientAddress().filter(rec) is True
    assert "10.1.2.3" not in rec.getMessage()


def test_survey_never_loads_the_staff_user(app, client, codes, monkeypatch):
    """Rule 5: Flask-Login's user loading (which hashes address and agent) never runs on survey routes."""
    from wellbeing.extensions import login_manager

    def boom(*_args):  # type: ignore[no-untyped-def]
        raise AssertionError("a survey route loaded current_user")

    monkeypatch.setattr(login_manager, "_user_callback", boom)
    monkeypatch.setattr(login_manager, "_request_callback", boom)
    client.set_cookie("session", "x")  # even with a cookie present
    seen = run_survey(client, codes["akm-d1-u1--all"][9])
    assert seen[-1].status_code == 200


def test_expired_progress_is_refused_and_purged(app, client, codes):
    client.post("/survey/", data={"code": codes["akm-d1-u1--all"][10], "language": "en"})
    rows(app, "update progress set expires = '2000-01-01 00:00:00.000000'")
    assert client.get("/survey/page/1").status_code == 410
    with app.app_context():
        from wellbeing.services.submissions import purge_expired

        assert purge_expired() == 1
    assert rows(app, "select count(*) from progress") == [(0,)]


@pytest.mark.sqlite_only(reason="SQLite pragmas")
def test_sqlite_connections_use_secure_delete_wal_and_foreign_keys(app):
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("pragma secure_delete").scalar() == 1
            assert conn.exec_driver_sql("pragma foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("pragma journal_mode").scalar() == "wal"


def test_no_path_links_responses_to_the_ledger_or_people(app):
    """Rule 13 (and the three stores): no foreign key path from answer-holding tables to the code ledger,
    no column naming a person, and no command or route about revealing identities."""
    tables = db.metadata.tables
    reach: dict[str, set[str]] = {name: {fk.column.table.name for fk in t.foreign_keys} for name, t in tables.items()}
    for start in ("response", "answer", "score"):
        seen, todo = set(), [start]
        while todo:
            cur = todo.pop()
            for nxt in reach.get(cur, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert "code_ledger" not in seen and "progress" not in seen
        assert not {c.name for c in tables[start].columns} & {"person_id", "code", "code_hmac", "user_id", "ip",
                                                              "user_agent", "created_at", "submitted_at"}
    words = ("reveal", "deanonym", "identify", "unmask")
    assert not [r.rule for r in app.url_map.iter_rules() if any(w in r.rule for w in words)]
    assert not [c for c in app.cli.commands if any(w in c for w in words)]


def test_k_is_frozen_once_codes_are_issued_and_never_below_five(app, codes):
    from wellbeing.services.waves import WaveError, create_wave, get_wave, set_min_cell

    with app.app_context():
        wave = get_wave("w1")
        with pytest.raises(WaveError, match="frozen"):
            set_min_cell(wave, 10)
        with pytest.raises(WaveError, match="at least 5"):
            create_wave("w2", ["cbi"], opens=wave.opens, closes=wave.closes, min_cell=4)
        draft = create_wave("w3", ["cbi"], opens=wave.opens, closes=wave.closes)
        with pytest.raises(WaveError, match="at least 5"):
            set_min_cell(draft, 3)
        set_min_cell(draft, 8)
        assert get_wave("w3").min_cell == 8
