"""Audit log of staff actions (issue 17, item 7): web and CLI staff actions appear with who, what, when;
survey routes write nothing."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from flask import Flask

from wellbeing.extensions import db
from wellbeing.models import AuditEntry
from wellbeing.services.audit import AuditError, record
from wellbeing.services.users import create_user

DATA = Path(__file__).resolve().parent / "data"
PASSWORD = "a long test password"


def actions(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(e.actor, e.action, e.target) for e in
                db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id)).scalars()]


def test_staff_actions_are_audited_and_survey_routes_are_not(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    res = runner.invoke(args=["users", "create", "boss", "--role", "admin"], input=PASSWORD + "\n")
    assert res.exit_code == 0, res.output
    assert actions(app)[-1][1:] == ("cli:users create", "")
    admin = app.test_client()
    assert admin.post("/auth/login", data={"name": "boss", "password": PASSWORD}).status_code == 302
    page = admin.post("/admin/units/preview", data={"file": (io.BytesIO((DATA / "units-small.csv").read_bytes()),
                                                             "u.csv"), "delimiter": "", "encoding": "utf-8"},
                      content_type="multipart/form-data").get_data(as_text=True)
    token = re.search(r'name="payload" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert admin.post("/admin/units/import", data={"payload": token}).status_code == 302
    res = admin.post("/admin/waves/new", data={"slug": "w9", "instruments": ["who5"], "opens": "2026-01-01",
                                               "closes": "2026-12-31", "min_cell": "5", "window_days": "90"})
    assert res.status_code == 302
    assert admin.post("/admin/waves/w9/issue-codes", data={"extra": "0.2"}).status_code == 200   # confirm page
    assert "admin.wave_issue" not in [a for _, a, _ in actions(app)]         # nothing was done yet
    assert admin.post("/admin/waves/w9/issue-codes", data={"extra": "0.2", "confirmed": "1"}).status_code == 200
    assert admin.post("/admin/waves/w9/open", data={"confirmed": "1"}).status_code == 302

    before = len(actions(app))
    officer = app.test_client()                                   # survey: nothing recorded

    res = officer.post("/survey/", data={"code": "0" * 27, "language": "ru"})
    assert res.status_code == 400
    officer.get("/survey/")
    assert len(actions(app)) == before

    assert admin.post("/auth/logout", data={}).status_code == 302
    got = actions(app)
    names = [a for _, a, _ in got]
    for expected in ("cli:users create", "auth.login", "admin.units_preview", "admin.units_import",
                     "admin.wave_new", "admin.wave_issue", "admin.wave_open", "auth.logout"):
        assert expected in names, (expected, names)
    assert ("web:boss", "admin.wave_issue", "slug=w9") in got
    assert ("web:boss", "auth.logout", "") in got
    assert not any("survey" in a for a in names)

    out = runner.invoke(args=["audit", "list", "--format", "csv"]).output
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["action"] == "auth.logout" and {r["action"] for r in rows} >= set(names)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r["at"]) for r in rows)


def test_admin_audit_page_and_who_may_see_it(app: Flask) -> None:
    with app.app_context():
        create_user("boss", "admin", PASSWORD)
        create_user("psy", "psychologist", PASSWORD)
    psy = app.test_client()
    psy.post("/auth/login", data={"name": "psy", "password": PASSWORD})
    assert psy.get("/admin/audit").status_code == 403
    admin = app.test_client()
    admin.post("/auth/login", data={"name": "boss", "password": PASSWORD})
    html = admin.get("/admin/audit").get_data(as_text=True)
    assert "web:psy" in html and "auth.login" in html and "web:boss" in html


def test_failed_actions_and_wrong_passwords_are_not_staff_actions(app: Flask) -> None:
    with app.app_context():
        create_user("boss", "admin", PASSWORD)
    c = app.test_client()
    assert c.post("/auth/login", data={"name": "boss", "password": "wrong password here"}).status_code == 400
    assert actions(app) == []


def test_record_refuses_survey_routes(app: Flask) -> None:
    with app.test_request_context("/survey/"):
        with pytest.raises(AuditError):
            record("web:x", "anything")


def test_the_first_export_that_computes_a_release_keeps_its_audit_entry(app: Flask) -> None:
    """Regression: on SQLite (WAL) the export's audit entry was lost ("database is locked"): the
    request's session had begun reading before the release ledger committed the new release on its
    own connection, and a WAL reader cannot become a writer on an outdated snapshot."""
    from wellbeing.services import waves as wave_service

    from .helpers import fill_wave, open_wave

    open_wave(app, instruments=("who5",))
    fill_wave(app, "w1", {"akm-d1-u1--all": 20, "akm-d2-u1--all": 12}, seed=4)
    with app.app_context():
        wave_service.close_wave(wave_service.get_wave("w1"), warm=False)   # nothing released yet
        create_user("psy", "psychologist", PASSWORD)
    psy = app.test_client()
    assert psy.post("/auth/login", data={"name": "psy", "password": PASSWORD}).status_code == 302
    assert psy.get("/results/w1.csv?by=group").status_code == 200        # computes the release
    assert ("web:psy", "results.csv_export", "slug=w1") in actions(app)
