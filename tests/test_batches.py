"""Sealed pending responses, batch release, drafts and the sealing key (issue 15, DESIGN.md rule 4)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from wellbeing import create_app
from wellbeing.core.sealing import SealError, key_id, new_key, seal, seal_text, unseal, unseal_text
from wellbeing.services.batches import SealKeyMismatch

from .helpers import close, first_values, invoke, open_wave, prepared_instance, run_flask
from .test_survey import rows, run_survey


@pytest.fixture
def codes(app):  # type: ignore[no-untyped-def]
    return open_wave(app)


def test_sealed_values_open_only_with_their_key_and_context():
    key, other = new_key(), new_key()
    box = seal(key, {"who5": {"q1": 5.0}}, "pending:a:1:2")
    assert b"who5" not in box and len(key) == 64
    assert unseal(key, box, "pending:a:1:2") == {"who5": {"q1": 5.0}}
    with pytest.raises(SealError):
        unseal(other, box, "pending:a:1:2")
    with pytest.raises(SealError):
        unseal(key, box, "pending:b:1:2")  # moved to another row
    with pytest.raises(SealError):
        unseal(key, box[:-1] + bytes([box[-1] ^ 1]), "pending:a:1:2")  # tampered
    text = seal_text(key, {}, "progress:x")
    assert text.startswith(key_id(key) + ":")
    with pytest.raises(SealError, match="another key"):
        unseal_text(other, text, "progress:x")
    with pytest.raises(SealError, match="64 hexadecimal"):
        key_id("not-a-key")


def test_group_becomes_readable_only_in_batches_of_k_and_close_releases_the_rest(app, codes):
    """2K sealed -> K readable at random; K stay back; the open-wave count is readable + pending; the
    close releases every remainder (K = 5; 13 submissions -> readable 0..0, 5, 5, 5, 5, then 13)."""
    from wellbeing.services.submissions import open_wave_count
    from wellbeing.services.waves import get_wave

    group = codes["akm-d1-u1--all"]
    seen = []
    for code in group[:13]:
        run_survey(app.test_client(), code)
        seen.append((rows(app, "select count(*) from response")[0][0],
                     rows(app, "select count(*) from pending_response")[0][0]))
        with app.app_context():
            assert open_wave_count(get_wave("w1")) == len(seen)
    assert seen == [(0, n) for n in range(1, 10)] + [(5, 5), (5, 6), (5, 7), (5, 8)]
    # Scores exist only for readable responses: pending rows carry no plain score or answer.
    assert rows(app, "select count(distinct response_id) from score") == [(5,)]
    (kid,) = {r[0] for r in rows(app, "select key_id from pending_response")}
    assert kid == key_id(app.config["SEAL_KEY"])
    close(app, "w1")
    assert rows(app, "select count(*) from response") == [(13,)]
    assert rows(app, "select count(*) from pending_response") == [(0,)]
    assert rows(app, "select count(distinct response_id) from score") == [(13,)]


def test_released_rows_get_new_ids(app, codes):
    """The pending id sits in the submit's log frames beside the ledger flip: it never reappears."""
    pending_ids: set[str] = set()
    for code in codes["akm-d1-u1--all"][:10]:
        run_survey(app.test_client(), code)
        pending_ids |= {r[0] for r in rows(app, "select id from pending_response")}
    readable = {r[0] for r in rows(app, "select id from response")}
    assert len(readable) == 5 and not readable & pending_ids


def test_two_tabs_one_code_leave_no_draft_after_submit(app, codes):
    code = codes["akm-d1-u1--all"][0]
    tab1, tab2 = app.test_client(), app.test_client()
    tab2.post("/survey/", data={"code": code, "language": "en"})
    html = tab2.get("/survey/page/1").get_data(as_text=True)
    tab2.post("/survey/page/1", data=first_values(html))  # tab 2 has answers in its draft
    assert rows(app, "select count(*) from progress") == [(1,)]
    run_survey(tab1, code)
    assert rows(app, "select count(*) from progress") == [(0,)]
    # Tab 2's submit is refused and stores nothing.
    html = tab2.get("/survey/page/2")
    assert html.status_code == 410
    assert rows(app, "select count(*) from pending_response") == [(1,)]
    assert rows(app, "select count(*) from progress") == [(0,)]


def test_refused_second_submit_deletes_its_draft(app, codes):
    """Both tabs reach the last page before either submits: the loser's draft goes too."""
    code = codes["akm-d1-u1--all"][1]
    tabs = [app.test_client(), app.test_client()]
    for t in tabs:
        t.post("/survey/", data={"code": code, "language": "en"})
        t.post("/survey/page/1", data=first_values(t.get("/survey/page/1").get_data(as_text=True)))
    last = [first_values(t.get("/survey/page/2").get_data(as_text=True)) for t in tabs]
    from wellbeing.services import submissions

    states = []
    for t, data in zip(tabs, last):  # both requests load their draft before either submits
        with app.test_request_context():
            st = submissions.load(t.get_cookie("wb_progress", path="/survey").value)
            submissions.save_page(st, "who5", {k: float(v) for k, v in data.items()})
            assert st.progress.code_hmac and st.progress.language and st.wave.id  # loaded, as in a request
            states.append(st)
    with app.test_request_context():
        submissions.submit(states[0])
    with app.test_request_context(), pytest.raises(submissions.CodeUsed):
        submissions.submit(states[1])
    assert rows(app, "select count(*) from progress") == [(0,)]
    assert rows(app, "select count(*) from pending_response") == [(1,)]


def test_close_leaves_no_draft(app, codes):
    client = app.test_client()
    client.post("/survey/", data={"code": codes["akm-d1-u1--all"][2], "language": "en"})
    client.post("/survey/page/1", data=first_values(client.get("/survey/page/1").get_data(as_text=True)))
    assert rows(app, "select count(*) from progress") == [(1,)]
    close(app, "w1")
    assert rows(app, "select count(*) from progress") == [(0,)]


def test_expired_draft_disappears_on_the_next_code_entry(app, codes):
    """No operator and no `flask drafts purge`: any officer's code entry purges expired rows."""
    app.test_client().post("/survey/", data={"code": codes["akm-d1-u1--all"][3], "language": "en"})
    rows(app, "update progress set expires = '2000-01-01 00:00:00.000000'")
    app.test_client().post("/survey/", data={"code": codes["akm-d1-u1--all"][4], "language": "en"})
    assert rows(app, "select expires > '2001-01-01 00:00:00' from progress") == [(1,)]


def test_app_refuses_to_start_with_another_seal_key(app, app_config, codes):
    run_survey(app.test_client(), codes["akm-d1-u1--all"][5])
    with pytest.raises(SealKeyMismatch, match="do not match SEAL_KEY"):
        create_app({**app_config, "SEAL_KEY": new_key()})
    with pytest.raises(SealKeyMismatch):
        create_app({**app_config, "SEAL_KEY": None})
    create_app(app_config)  # the right key starts
    close(app, "w1")
    create_app({**app_config, "SEAL_KEY": new_key()})  # nothing pending: a new key is harmless


def test_setup_adds_the_seal_key_to_an_existing_instance(instance: Path, migrated_db: Path | str):
    """In-process on the instance folder (``WELLBEING_INSTANCE_PATH``); each run loads the app afresh, as
    a new `flask setup` process does."""
    inst = instance
    old = "SECRET_KEY = 'old-secret'\nCODE_HMAC_KEY = 'old-hmac'\n"
    (inst / "config.py").write_text(old, encoding="utf-8")
    if isinstance(migrated_db, Path):  # the upgrade has nothing left to do (SQLite runs)
        shutil.copy(migrated_db, inst / "wellbeing.sqlite")
    r = invoke(create_app(), "setup")
    assert r.returncode == 0, r.stderr
    text = (inst / "config.py").read_text(encoding="utf-8")
    assert text.startswith(old)  # the other secrets are kept as they were
    ns: dict[str, object] = {}
    exec(text, ns)  # noqa: S102 - our own config file
    assert len(str(ns["SEAL_KEY"])) == 64 and "back it up" in text.lower()
    assert invoke(create_app(), "setup").returncode == 0
    assert (inst / "config.py").read_text(encoding="utf-8") == text  # added once


def test_cli_refuses_with_one_line_on_a_key_mismatch(tmp_path: Path, migrated_db: Path | str):
    """Smoke test of `flask waves` (subprocess): the app refuses to load, one line, exit 1."""
    inst = prepared_instance(tmp_path / "instance", migrated_db)
    con = sqlite3.connect(inst / "wellbeing.sqlite")  # foreign keys off: a bare sealed row suffices
    con.execute("insert into pending_response values ('x', 1, 1, '0000000000000000', x'00')")
    con.commit()
    con.close()
    r = run_flask(inst, "waves", "list")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert r.stderr.strip().startswith("Error:") and "do not match SEAL_KEY" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_pending_table_columns_are_allow_listed(app, pg_server):  # type: ignore[no-untyped-def]
    """No time, code, person or network column on the sealed table; no path to the ledger or drafts."""
    from sqlalchemy import inspect

    from wellbeing.extensions import db

    with app.app_context():
        insp = inspect(db.engine)
        assert {c["name"] for c in insp.get_columns("pending_response")} == {
            "id", "wave_id", "group_id", "key_id", "sealed"}
        assert {fk["referred_table"] for fk in insp.get_foreign_keys("pending_response")} == {
            "wave", "reporting_group"}
    if pg_server is None:  # SQLite's table definition (PostgreSQL has no rowid to leave out)
        ddl = rows(app, "select sql from sqlite_master where name = 'pending_response'")[0][0]
        assert "WITHOUT ROWID" in ddl
