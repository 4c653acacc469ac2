"""Safe admin actions on waves (issue 21): delete a wave never opened, question order frozen at issuance,
confirmation before issue/open/close/delete, a warning for instruments without the wave's languages."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wellbeing.core.codes import normalise
from wellbeing.extensions import db
from wellbeing.models import AccessCode, ReportingGroup, Wave, WaveInstrument
from wellbeing.services import waves as ws
from wellbeing.services.units import import_units
from wellbeing.services.users import create_user

from .helpers import DATA
from .test_survey import run_survey

PASSWORD = "correct horse battery"


def _draft(app: Flask, slug: str = "w1", instruments: tuple[str, ...] = ("cbi", "who5")) -> None:
    with app.app_context():
        import_units((DATA / "units-small.csv").read_bytes(), imported_by="test")
        ws.create_wave(slug, list(instruments), opens=date(2026, 1, 1), closes=date(2026, 12, 31))


def _count(model, **where) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(db.select(db.func.count()).select_from(model).filter_by(**where)).scalar_one()


def test_deleting_an_issued_never_opened_wave_destroys_its_codes(app: Flask, client: FlaskClient) -> None:
    _draft(app, "lost")
    _draft(app, "kept")
    with app.app_context():
        issued = ws.issue_codes(ws.get_wave("lost"))
        ws.issue_codes(ws.get_wave("kept"))
        lost_id = ws.get_wave("lost").id
        kept_codes = _count(AccessCode, wave_id=ws.get_wave("kept").id)
        n = sum(len(g.codes) for g in issued)
        assert _count(AccessCode, wave_id=lost_id) == n == 65
        assert ws.delete_wave(ws.get_wave("lost")) == n
        assert _count(AccessCode, wave_id=lost_id) == 0
        assert _count(ReportingGroup, wave_id=lost_id) == 0 and _count(WaveInstrument, wave_id=lost_id) == 0
        assert _count(AccessCode, wave_id=ws.get_wave("kept").id) == kept_codes   # the other wave untouched
        with pytest.raises(ws.WaveError, match="no such wave"):
            ws.get_wave("lost")
    # A slip of the deleted wave is refused as unknown, even after a new wave takes the same slug.
    _draft(app, "lost")
    with app.app_context():
        ws.open_wave(ws.get_wave("kept"))
    r = client.post("/survey/", data={"code": issued[0].codes[0], "language": "en"})
    assert r.status_code == 400 and "not known" in r.get_data(as_text=True)


def test_an_opened_wave_cannot_be_deleted(app: Flask) -> None:
    _draft(app)
    with app.app_context():
        wave = ws.get_wave("w1")
        ws.issue_codes(wave)
        ws.open_wave(wave)
        assert not ws.deletable(wave)
        with pytest.raises(ws.WaveError, match="only a draft or a wave never opened"):
            ws.delete_wave(wave)
        assert _count(AccessCode, wave_id=wave.id) == 65
        ws.close_wave(wave, warm=False)
        with pytest.raises(ws.WaveError):
            ws.delete_wave(wave)
        assert db.session.get(Wave, wave.id) is not None


def test_question_order_is_chosen_then_frozen_at_issuance(app: Flask, client: FlaskClient) -> None:
    _draft(app, instruments=("cbi", "who5"))
    with app.app_context():
        wave = ws.get_wave("w1")
        ws.set_instrument_order(wave, ["who5", "cbi"])
        with pytest.raises(ws.WaveError, match="list each instrument"):
            ws.set_instrument_order(wave, ["who5"])
        issued = ws.issue_codes(wave)
        with pytest.raises(ws.WaveError, match="frozen once codes are issued"):
            ws.set_instrument_order(wave, ["cbi", "who5"])
        db.session.expire_all()
        assert [wi.snapshot.instrument_id for wi in ws.get_wave("w1").instruments] == ["who5", "cbi"]
        ws.open_wave(ws.get_wave("w1"))
    # Officers see the pages in the frozen order: WHO-5 first.
    r = client.post("/survey/", data={"code": issued[0].codes[0], "language": "en"})
    page1 = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "<title>WHO-5 Well-Being Index (1/2)</title>" in page1 and 'name="i1"' in page1


def test_new_wave_form_takes_the_order_and_refuses_two_on_one_page(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        import_units((DATA / "units-small.csv").read_bytes(), imported_by="test")
        create_user("root", "admin", PASSWORD)
    client.post("/auth/login", data={"name": "root", "password": PASSWORD})
    form = {"slug": "w1", "title": "Spring", "instruments": ["cbi", "who5", "context"], "opens": "2026-03-01",
            "closes": "2026-03-31", "min_cell": "5", "window_days": "90", "units": ""}
    pages = {"order_cbi": "2", "order_who5": "2", "order_context": "1"}
    resp = client.post("/admin/waves/new", data={**form, **pages})
    assert resp.status_code == 400 and "both have page 2" in resp.get_data(as_text=True)
    with app.app_context():
        assert _count(Wave) == 0
    resp = client.post("/admin/waves/new", data={**form, **pages, "order_cbi": "3"})
    assert resp.status_code == 302
    with app.app_context():
        assert [wi.snapshot.instrument_id for wi in ws.get_wave("w1").instruments] == ["context", "who5", "cbi"]


def test_english_only_instrument_is_flagged_on_the_form_and_the_wave(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        import_units((DATA / "units-small.csv").read_bytes(), imported_by="test")
        create_user("root", "admin", PASSWORD)
    client.post("/auth/login", data={"name": "root", "password": PASSWORD})
    page = client.get("/admin/waves/new").get_data(as_text=True)
    assert "No text in Kazakh, Russian" in page        # the railroad dispatchers' English-only items
    form = {"slug": "w1", "instruments": ["fra_dispatchers"], "opens": "2026-03-01", "closes": "2026-03-31",
            "min_cell": "5", "window_days": "90"}
    resp = client.post("/admin/waves/new", data=form, follow_redirects=True)
    assert "fra_dispatchers has no text in Kazakh, Russian" in resp.get_data(as_text=True)
    with app.app_context():
        assert ws.wave_languages(ws.get_wave("w1")) == ["en"]


def test_delete_asks_first_then_destroys_codes(app: Flask, client: FlaskClient) -> None:
    _draft(app)
    with app.app_context():
        create_user("root", "admin", PASSWORD)
        ws.issue_codes(ws.get_wave("w1"))
    client.post("/auth/login", data={"name": "root", "password": PASSWORD})
    assert "Delete the wave" in client.get("/admin/waves/w1").get_data(as_text=True)
    resp = client.post("/admin/waves/w1/delete")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Yes, delete the wave" in page and "65 codes are destroyed" in page
    with app.app_context():
        assert _count(AccessCode) == 65
    resp = client.post("/admin/waves/w1/delete", data={"confirmed": "1"}, follow_redirects=True)
    assert "65 codes were destroyed" in resp.get_data(as_text=True)
    with app.app_context():
        assert _count(AccessCode) == 0 and _count(Wave) == 0


def test_numbers_are_formatted_for_the_locale(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        create_user("root", "admin", PASSWORD)
        import_units(b"unit_id,name,parent_id,level,headcount\nbig,Big,,region,\nbig-d,Dept,big,department,\n"
                     b"big-u,Unit,big-d,unit,12500\n", imported_by="test")
    client.post("/auth/login", data={"name": "root", "password": PASSWORD})
    assert "12,500" in client.get("/admin/units").get_data(as_text=True)
    client.set_cookie("wb_lang", "ru")
    assert "12\xa0500" in client.get("/admin/units").get_data(as_text=True)
    client.set_cookie("wb_lang", "en")
    page = client.get("/instruments").get_data(as_text=True)
    assert "1 item<" in page or "1 item;" in page          # the one-item sleepiness scale, not "1 items"
    assert "1 items" not in page


def test_survey_codes_are_still_valid_once_issued(app: Flask, client: FlaskClient) -> None:
    """Codes keep their form (27 symbols, 130 bits): nothing issued before this change is invalidated."""
    _draft(app)
    with app.app_context():
        code = ws.issue_codes(ws.get_wave("w1"))[0].codes[0]
        ws.open_wave(ws.get_wave("w1"))
    assert normalise(code) == code and len(code) == 27
    assert run_survey(client, code)[-1].status_code == 200


def test_cli_delete_says_first_then_deletes_with_yes(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    _draft(app)
    with app.app_context():
        ws.issue_codes(ws.get_wave("w1"))
    r = runner.invoke(args=["waves", "delete", "w1"])
    assert r.exit_code == 1 and "would delete it and destroy its 65 codes" in r.output
    with app.app_context():
        assert _count(AccessCode) == 65
    r = runner.invoke(args=["waves", "delete", "w1", "--yes"])
    assert r.exit_code == 0 and "65 codes destroyed" in r.output
    with app.app_context():
        assert _count(AccessCode) == 0 and _count(Wave) == 0
    r = runner.invoke(args=["waves", "delete", "w1", "--yes"])
    assert r.exit_code == 1 and "no such wave" in r.output and "Traceback" not in r.output


def test_draft_page_reorders_until_codes_are_issued(app: Flask, client: FlaskClient) -> None:
    _draft(app)
    with app.app_context():
        create_user("root", "admin", PASSWORD)
    client.post("/auth/login", data={"name": "root", "password": PASSWORD})
    assert 'name="order_cbi"' in client.get("/admin/waves/w1").get_data(as_text=True)
    r = client.post("/admin/waves/w1/order", data={"order_cbi": "2", "order_who5": "1"}, follow_redirects=True)
    assert "Question order saved: who5, cbi." in r.get_data(as_text=True)
    r = client.post("/admin/waves/w1/order", data={"order_cbi": "1", "order_who5": "1"}, follow_redirects=True)
    assert "both have page 1" in r.get_data(as_text=True)
    with app.app_context():
        ws.issue_codes(ws.get_wave("w1"))
    page = client.get("/admin/waves/w1").get_data(as_text=True)
    assert 'name="order_cbi"' not in page and "Frozen with the reporting groups" in page
    r = client.post("/admin/waves/w1/order", data={"order_cbi": "1", "order_who5": "2"}, follow_redirects=True)
    assert "frozen once codes are issued" in r.get_data(as_text=True)
    with app.app_context():
        assert [wi.snapshot.instrument_id for wi in ws.get_wave("w1").instruments] == ["who5", "cbi"]
