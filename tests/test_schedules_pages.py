"""Project-office pages (blueprint ``schedules``): roster and shift uploads with a preview and every
error, the features page with its plots, and who may see them."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask

from wellbeing.extensions import db
from wellbeing.models import RosterEntry, ShiftRecord
from wellbeing.services import waves as wave_service
from wellbeing.services.roster import generate_for_unit, import_roster
from wellbeing.services.units import import_units
from wellbeing.services.users import create_user

from .test_roster_cli import roster_text

DATA = Path(__file__).resolve().parent / "data"
PASSWORD = "a long test password"


@pytest.fixture
def analyst(app: Flask):  # type: ignore[no-untyped-def]
    with app.app_context():
        import_units((DATA / "units-small.csv").read_bytes(), imported_by="test")
        for role in ("analyst", "psychologist", "admin"):
            create_user(role, role, PASSWORD)
    c = app.test_client()
    assert c.post("/auth/login", data={"name": "analyst", "password": PASSWORD}).status_code == 302
    return c


def upload(client, url: str, text: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {"file": (io.BytesIO(text.encode("utf-8")), "file.csv"), "encoding": "utf-8", "delimiter": "", **fields}
    return client.post(url, data=data, content_type="multipart/form-data")


def payload(html: str) -> str:
    import re

    m = re.search(r'name="payload" type="hidden" value="([^"]+)"'
                  r'|id="payload" name="payload" type="hidden" value="([^"]+)"', html)
    assert m, "no payload in the preview"
    return m.group(1) or m.group(2)


def test_roster_upload_previews_then_imports(app: Flask, analyst) -> None:  # type: ignore[no-untyped-def]
    bad = roster_text() + "X1,nowhere,24-72,,40\n123456789012,akm-d1-u1,24-72,,40\n"
    res = upload(analyst, "/schedules/roster/preview", bad)
    html = res.get_data(as_text=True)
    assert res.status_code == 400 and "2 problems; nothing was saved" in html
    assert "unknown unit" in html and ">22<" in html and ">23<" in html
    res = upload(analyst, "/schedules/roster/preview", roster_text(), as_of="2024-03-01")
    html = res.get_data(as_text=True)
    assert res.status_code == 200 and "20 officers are valid" in html and "akm-d1-u1" in html
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(RosterEntry)).scalar_one() == 0
    res = analyst.post("/schedules/roster/import", data={"payload": payload(html), "as_of": "2024-03-01",
                                                           "delimiter": "", "encoding": "utf-8"})
    assert res.status_code == 302
    page = analyst.get("/schedules/roster").get_data(as_text=True)
    assert "2024-03-01" in page and "web:analyst" in page
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(RosterEntry)).scalar_one() == 20


def test_shift_upload_shows_every_error_with_rows(app: Flask, analyst) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        import_roster(roster_text().encode(), imported_by="test", as_of=date(2024, 3, 1))
    bad = ("person_id,start,end,break_min,duty_type,shift_code\n"
           "P000001,2024-04-01 08:00,2024-04-02 08:00,60,regular,S\n"
           "P000001,2024-04-02 07:00,2024-04-02 10:00,0,overtime,\n"
           "NOBODY,2024-04-01 08:00,2024-04-01 07:00,0,holiday,\n")
    res = upload(analyst, "/schedules/shifts/preview", bad, timezone="Asia/Almaty")
    html = res.get_data(as_text=True)
    assert res.status_code == 400 and "problems; nothing was saved" in html
    for text in ("person not in the roster", "end is not after start", "overlaps the shift in row 2"):
        assert text in html
    good = ("person_id,start,end,break_min,duty_type,shift_code\n"
            "P000001,2024-04-01 08:00,2024-04-02 08:00,60,regular,S\n")
    res = upload(analyst, "/schedules/shifts/preview", good, timezone="Asia/Almaty")
    html = res.get_data(as_text=True)
    assert res.status_code == 200 and "1 shift record is valid" in html and "2024-04-01 08:00" in html
    res = analyst.post("/schedules/shifts/import", data={"payload": payload(html), "timezone": "Asia/Almaty",
                                                          "delimiter": "", "encoding": "utf-8"})
    assert res.status_code == 302
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(ShiftRecord)).scalar_one() == 1


def test_features_page_and_plots_omit_groups_below_k(app: Flask, analyst) -> None:  # type: ignore[no-untyped-def]
    opens = date(2024, 5, 1)
    with app.app_context():
        import_roster(roster_text().encode(), imported_by="test", as_of=date(2024, 1, 1))
        for unit, pattern in (("akm-d1-u1", "24-72"), ("akm-d2-u1", "rotating-8h"), ("akm-d1-u2", "24-48")):
            generate_for_unit(unit, pattern, opens - timedelta(days=95), opens, imported_by="test")
        wave = wave_service.create_wave("w1", ["cbi"], opens=opens, closes=opens + timedelta(days=20))
        wave_service.issue_codes(wave)
    res = analyst.get("/schedules/waves/w1")
    html = res.get_data(as_text=True)
    assert res.status_code == 200
    assert "akm-d1-u1--24-72" in html and "fewer than K officers: suppressed" in html
    assert "1 group has fewer than K officers" in html
    png = analyst.get("/schedules/waves/w1/plots/quick_returns.png")
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert analyst.get("/schedules/waves/w1/plots/secret.png").status_code == 404
    # A psychologist may not see the project office's pages.
    other = app.test_client()
    assert other.post("/auth/login", data={"name": "psychologist", "password": PASSWORD}).status_code == 302
    assert other.get("/schedules/waves/w1").status_code == 403
    assert other.get("/schedules/waves/w1/plots/quick_returns.png").status_code == 403
