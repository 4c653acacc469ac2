"""Real uploads with CSRF on (issue 17, item 1): the demo's full roster and a 5 MB shift file go through
the web pages — preview, then import — and the previewed file waits on the server (0600, one use,
owner only), never in the page."""

from __future__ import annotations

import io
import re
import stat
from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from wellbeing import create_app
from wellbeing.demo import structure as demo_structure
from wellbeing.demo.seed import demo_shifts, roster_csv
from wellbeing.extensions import db
from wellbeing.models import RosterEntry, ShiftRecord, Unit
from wellbeing.services.units import import_units
from wellbeing.services.users import create_user

from .helpers import csrf

PASSWORD = "a long test password"


@pytest.fixture
def csrf_app(app_config: dict[str, object]) -> Flask:
    return create_app({**app_config, "WTF_CSRF_ENABLED": True})


def login(app: Flask, name: str):  # type: ignore[no-untyped-def]
    with app.app_context():
        create_user(name, name, PASSWORD)
    c = app.test_client()
    token = csrf(c.get("/auth/login").get_data(as_text=True))
    res = c.post("/auth/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert res.status_code == 302, res.get_data(as_text=True)
    return c


def upload(client, page: str, action: str, data: bytes, **fields: str):  # type: ignore[no-untyped-def]
    token = csrf(client.get(page).get_data(as_text=True))
    form = {"file": (io.BytesIO(data), "file.csv"), "encoding": "utf-8", "delimiter": "",
            "csrf_token": token, **fields}
    return client.post(action, data=form, content_type="multipart/form-data")


def hidden(html: str, name: str) -> str:
    m = re.search(rf'id="{name}" name="{name}" type="hidden" value="([^"]*)"', html)
    assert m, f"no hidden {name} in the page"
    return m.group(1)


def shifts_file(structure, min_bytes: int) -> bytes:  # type: ignore[no-untyped-def]
    """Demo shift records as a shift file (UTC offsets), at least ``min_bytes`` long."""
    frame = demo_shifts(structure, 1, date(2024, 4, 1), date(2024, 4, 30))
    lines = ["person_id,start,end,break_min,duty_type,shift_code"]
    size = len(lines[0])
    for r in frame.itertuples():
        line = (f"{r.person_id},{r.start.isoformat()},{r.end.isoformat()},{int(r.break_min)},"
                f"{r.duty_type},{'' if r.shift_code is None else r.shift_code}")
        lines.append(line)
        size += len(line) + 1
        if size >= min_bytes and r.Index + 1 < len(frame) and frame["person_id"].iat[r.Index + 1] != r.person_id:
            break
    return ("\n".join(lines) + "\n").encode()


def test_demo_roster_and_5mb_shifts_upload_with_csrf(csrf_app: Flask) -> None:
    structure = demo_structure.build(1)
    units = demo_structure.units_csv(structure)
    roster = roster_csv(structure)
    assert len(roster) > 300 * 1024 and roster.count(b"\n") > 6900   # the demo's full roster (332 KiB)

    admin = login(csrf_app, "admin")
    res = upload(admin, "/admin/units", "/admin/units/preview", units)
    html = res.get_data(as_text=True)
    assert res.status_code == 200, html
    res = admin.post("/admin/units/import", data={"payload": hidden(html, "payload"),
                                                  "csrf_token": csrf(html)})
    assert res.status_code == 302
    with csrf_app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Unit)).scalar_one() == len(structure.units)

    analyst = login(csrf_app, "analyst")
    res = upload(analyst, "/schedules/roster", "/schedules/roster/preview", roster, as_of="2024-03-01")
    html = res.get_data(as_text=True)
    assert res.status_code == 200, html[:2000]
    n_officers = roster.count(b"\n") - 1
    assert f"{n_officers:,} officers are valid" in html or f"{n_officers} officers are valid" in html
    token = hidden(html, "payload")
    assert len(token) == 43 and len(html) < len(roster)   # the file stayed on the server
    stashed = Path(csrf_app.instance_path) / "uploads" / f"{token}.bin"
    assert stashed.read_bytes() == roster
    assert stat.S_IMODE(stashed.stat().st_mode) == 0o600
    assert stat.S_IMODE(stashed.parent.stat().st_mode) == 0o700
    # another staff member cannot use the token
    own = csrf(admin.get("/schedules/roster").get_data(as_text=True))
    res = admin.post("/schedules/roster/import", data={"payload": token, "csrf_token": own})
    assert res.status_code == 302 and stashed.exists()
    res = analyst.post("/schedules/roster/import", data={"payload": token, "csrf_token": csrf(html)})
    assert res.status_code == 302
    with csrf_app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(RosterEntry)).scalar_one() == n_officers
    assert not stashed.exists()

    shifts = shifts_file(structure, 5 * 1024 * 1024)
    assert len(shifts) >= 5 * 1024 * 1024
    res = upload(analyst, "/schedules/shifts", "/schedules/shifts/preview", shifts, timezone="Asia/Almaty")
    html = res.get_data(as_text=True)
    assert res.status_code == 200, html[:3000]
    res = analyst.post("/schedules/shifts/import", data={"payload": hidden(html, "payload"),
                                                         "csrf_token": csrf(html)})
    assert res.status_code == 302
    with csrf_app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(ShiftRecord)).scalar_one() == \
            shifts.count(b"\n") - 1


def test_token_is_bound_to_its_uploader_and_used_once(csrf_app: Flask) -> None:
    analyst = login(csrf_app, "analyst")
    other = login(csrf_app, "admin")
    with csrf_app.app_context():
        import_units(b"unit_id,name,parent_id,level,headcount\nr1,R1,,region,\nd1,D1,r1,department,\n"
                     b"u1,U1,d1,unit,10\n", imported_by="test")
    res = upload(analyst, "/schedules/roster", "/schedules/roster/preview",
                 b"person_id,unit_id,shift_pattern,position,contract_hours_week\nP1,u1,24-72,,40\n")
    html = res.get_data(as_text=True)
    assert res.status_code == 200, html
    token = hidden(html, "payload")
    page = other.get("/schedules/roster").get_data(as_text=True)
    res = other.post("/schedules/roster/import", data={"payload": token, "csrf_token": csrf(page)})
    assert res.status_code == 302
    with csrf_app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(RosterEntry)).scalar_one() == 0


def test_too_large_gets_the_apps_413_page_not_a_500(csrf_app: Flask) -> None:
    analyst = login(csrf_app, "analyst")
    csrf_app.config["UPLOAD_MAX_BYTES"] = {"schedules": 100_000}
    res = upload(analyst, "/schedules/roster", "/schedules/roster/preview", b"x" * 200_000)
    assert res.status_code == 413
    assert "larger than the limit" in res.get_data(as_text=True)
    # anonymous: the survey's limit everywhere, the app's page
    anon = csrf_app.test_client()
    res = anon.post("/schedules/roster/preview", data={"file": (io.BytesIO(b"x" * 300_000), "f.csv")},
                    content_type="multipart/form-data")
    assert res.status_code == 413 and "Too much data" in res.get_data(as_text=True)
