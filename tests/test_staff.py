"""Staff accounts, login, the role check on every staff route, and the admin pages."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from wellbeing.extensions import db, login_manager
from wellbeing.models import AccessCode, Role, Wave, WaveStatus
from wellbeing.services.users import authenticate, create_user

from .helpers import DATA

PASSWORD = "correct-horse-1"
PUBLIC_BLUEPRINTS = {"main", "survey", None}  # None: the static route
PUBLIC_ENDPOINTS = {"static", "auth.login"}


@pytest.fixture
def staff(app: Flask) -> dict[str, str]:
    """One user per role, named after the role."""
    with app.app_context():
        for role in Role:
            create_user(str(role), str(role), PASSWORD)
    return {str(r): str(r) for r in Role}


def login(client: FlaskClient, name: str, password: str = PASSWORD, next_: str = "") -> object:
    return client.post("/auth/login", data={"name": name, "password": password, "next": next_})


def staff_rules(app: Flask) -> list[Rule]:
    rules = []
    for rule in app.url_map.iter_rules():
        bp = rule.endpoint.rsplit(".", 1)[0] if "." in rule.endpoint else None
        if bp in PUBLIC_BLUEPRINTS or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        rules.append(rule)
    return rules


def build(rule: Rule) -> str:
    """A URL for ``rule`` with placeholder values for its arguments."""
    values = {arg: (1 if type(rule._converters[arg]).__name__ == "IntegerConverter" else "x")
              for arg in rule.arguments}
    return rule.build(values, append_unknown=False)[1]  # type: ignore[index]


def methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


# ------------------------------------------------------------------------------- the route audit


def test_every_staff_route_refuses_anonymous_and_wrong_roles(app: Flask, client: FlaskClient,
                                                             staff: dict[str, str]) -> None:
    rules = staff_rules(app)
    assert any(r.endpoint.startswith("admin.") for r in rules), "the admin blueprint is registered"
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        roles = getattr(view, "required_roles", None)
        assert roles, f"{rule.endpoint} ({rule.rule}) has no role_required(...)"
        url = build(rule)
        for method in methods(rule):
            resp = client.open(url, method=method)
            assert resp.status_code in (302, 401, 403), (rule.endpoint, method, resp.status_code)
            if resp.status_code == 302:
                assert resp.headers["Location"].startswith("/auth/login"), (rule.endpoint, method)
        for role in set(staff) - set(roles):
            with app.test_client() as c:
                assert login(c, role).status_code == 302
                for method in methods(rule):
                    resp = c.open(url, method=method)
                    assert resp.status_code == 403, (rule.endpoint, method, role, resp.status_code)


def test_no_survey_route_requires_a_login_or_loads_the_user(app: Flask, client: FlaskClient,
                                                           staff: dict[str, str]) -> None:
    survey = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("survey.")]
    assert survey
    for rule in survey:
        assert getattr(app.view_functions[rule.endpoint], "required_roles", None) is None, rule.endpoint
        for method in methods(rule):
            resp = client.open(build(rule), method=method)
            assert resp.status_code not in (401, 403), (rule.endpoint, method)
            assert "/auth/login" not in resp.headers.get("Location", ""), (rule.endpoint, method)
    # A logged-in staff member visiting the survey: the user is never loaded there (DESIGN rule 5).
    assert login(client, "admin").status_code == 302
    calls: list[str] = []
    original = login_manager._user_callback

    def spy(user_id: str):  # type: ignore[no-untyped-def]
        from flask import request

        calls.append(request.path)
        return original(user_id)

    login_manager._user_callback = spy
    try:
        for rule in survey:
            for method in methods(rule):
                client.open(build(rule), method=method)
        client.get("/admin/")
    finally:
        login_manager._user_callback = original
    assert calls == ["/admin/"], calls


# ----------------------------------------------------------------------------- accounts and login


def test_login_logout_and_safe_next(app: Flask, client: FlaskClient, staff: dict[str, str]) -> None:
    assert client.get("/admin/waves").headers["Location"].startswith("/auth/login?next=")
    resp = login(client, "admin", next_="/admin/waves")
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/waves"
    assert client.get("/admin/waves").status_code == 200
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/admin/waves").status_code == 302
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        resp = login(client, "admin", next_=evil)
        assert resp.headers["Location"] == "/admin/", evil
        client.post("/auth/logout")


def test_wrong_password_and_disabled_account(app: Flask, client: FlaskClient, staff: dict[str, str],
                                             runner) -> None:  # type: ignore[no-untyped-def]
    resp = login(client, "admin", "wrong-password")
    assert resp.status_code == 400 and b"Wrong user name or password" in resp.data
    assert login(client, "admin").status_code == 302
    assert client.get("/admin/").status_code == 200
    assert runner.invoke(args=["users", "disable", "admin"]).exit_code == 0
    assert client.get("/admin/").status_code == 302  # the open session ends
    assert login(client, "admin").status_code == 400


def test_users_cli(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    res = runner.invoke(args=["users", "create", "olga", "--role", "psychologist"], input="s3cret-pass\n")
    assert res.exit_code == 0, res.output
    res = runner.invoke(args=["users", "create", "olga", "--role", "admin"], input="short\n")
    assert res.exit_code == 1
    assert "exists already" in res.output and "at least 10" in res.output
    assert runner.invoke(args=["users", "create", "x", "--role", "boss"], input="s3cret-pass\n").exit_code == 2
    res = runner.invoke(args=["users", "list", "--format", "csv"])
    assert res.output.splitlines() == ["name,role,active", "olga,psychologist,true"]
    assert runner.invoke(args=["users", "disable", "nobody"]).exit_code == 1
    with app.app_context():
        user = authenticate("olga", "s3cret-pass")
        assert user is not None and user.role == Role.psychologist
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:")) and "s3cret" not in user.password_hash


def test_psychologist_lands_on_results(client: FlaskClient, staff: dict[str, str]) -> None:
    resp = login(client, "psychologist")
    assert resp.headers["Location"] == "/results/"
    page = client.get("/auth/account").get_data(as_text=True)
    assert "psychologist" in page and "/admin/waves" not in page


# ------------------------------------------------------------------------------------- admin pages


def test_units_upload_preview_lists_every_error_then_imports(app: Flask, client: FlaskClient,
                                                             staff: dict[str, str]) -> None:
    login(client, "admin")
    bad = (b"unit_id,name,parent_id,level,headcount\nkrg,Karaganda,,region,\nkrg-d1,Dept,nowhere,department,\n"
           b"KRG x,Unit,krg-d1,unit,-3\n")
    resp = client.post("/admin/units/preview", data={"file": (io.BytesIO(bad), "u.csv"), "encoding": "utf-8"},
                       content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "nothing was saved" in page
    for row, col in (("3", "parent_id"), ("4", "unit_id"), ("4", "headcount")):
        assert re.search(rf"<td class=\"num\">{row}</td><td>{col}</td>", page), (row, col)
    good = (DATA / "units-small.csv").read_bytes()
    resp = client.post("/admin/units/preview", data={"file": (io.BytesIO(good), "u.csv"), "encoding": "utf-8"},
                       content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "akm-d1-u1" in page
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Wave)).scalar_one() == 0
    payload = re.search(r'name="payload" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    resp = client.post("/admin/units/import", data={"payload": payload, "encoding": "utf-8", "delimiter": ""})
    assert resp.status_code == 302
    assert "Akmola region" in client.get("/admin/units").get_data(as_text=True)


def test_wave_lifecycle_and_one_time_slips(app: Flask, client: FlaskClient, staff: dict[str, str]) -> None:
    from wellbeing.services.units import import_units

    with app.app_context():
        import_units((DATA / "units-small.csv").read_bytes(), imported_by="test")
    login(client, "admin")
    page = client.get("/admin/waves/new").get_data(as_text=True)
    assert 'value="cbi"' in page and 'value="kss"' not in page
    form = {"slug": "w1", "title": "Spring", "instruments": ["cbi", "who5"], "opens": "2026-03-01",
            "closes": "2026-03-31", "min_cell": "4", "window_days": "90", "units": ""}
    resp = client.post("/admin/waves/new", data=form)
    assert resp.status_code == 400 and "K is at least 5" in resp.get_data(as_text=True)
    resp = client.post("/admin/waves/new", data={**form, "min_cell": "5", "closes": "2026-02-01"})
    assert resp.status_code == 400 and "before opens" in resp.get_data(as_text=True)
    resp = client.post("/admin/waves/new", data={**form, "min_cell": "5"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/waves/w1"
    assert "akm-d1-u1--all" in client.get("/admin/waves/w1").get_data(as_text=True)  # planned groups

    # The first post only asks for confirmation (CSP allows no script dialog): nothing is issued yet.
    resp = client.post("/admin/waves/w1/issue-codes", data={"extra": "0.2"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Yes, issue the codes" in page and 'name="confirmed"' in page
    assert "/admin/waves/w1/slips/" not in page
    with app.app_context():
        assert db.session.execute(db.select(Wave.status).filter_by(slug="w1")).scalar_one() == WaveStatus.draft
        assert db.session.execute(db.select(db.func.count()).select_from(AccessCode)).scalar_one() == 0
    resp = client.post("/admin/waves/w1/issue-codes", data={"extra": "0.2", "confirmed": "1"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    link = re.search(r'href="(/admin/waves/w1/slips/[^"]+)"', page).group(1)  # type: ignore[union-attr]
    with app.app_context():
        wave = db.session.execute(db.select(Wave).filter_by(slug="w1")).scalar_one()
        assert wave.status == WaveStatus.issued
        n_codes = db.session.execute(db.select(db.func.count()).select_from(AccessCode)
                                     .where(AccessCode.wave_id == wave.id)).scalar_one()
    resp = client.get(link)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(resp.data)) as zf:
        rows = zf.read("codes.csv").decode().splitlines()
        assert rows[0] == "reporting_group,code" and len(rows) - 1 == n_codes
        assert {n for n in zf.namelist() if n.endswith(".pdf")} == {f"slips-{g}.pdf" for g in
                                                                   {r.split(",")[0] for r in rows[1:]}}
    assert client.get(link).status_code == 404          # once only
    assert not list(Path(app.instance_path, "downloads").glob("*.zip"))  # deleted once read
    assert client.post("/admin/waves/w1/issue-codes", data={"extra": "0.2", "confirmed": "1"}).status_code == 302
    resp = client.post("/admin/waves/w1/open")          # asks first
    assert resp.status_code == 200 and "Yes, open the wave" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(Wave.status).filter_by(slug="w1")).scalar_one() == WaveStatus.issued
    client.post("/admin/waves/w1/open", data={"confirmed": "1"})
    resp = client.post("/admin/waves/w1/close")
    assert resp.status_code == 200 and "Yes, close the wave" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(Wave.status).filter_by(slug="w1")).scalar_one() == WaveStatus.open
    client.post("/admin/waves/w1/close", data={"confirmed": "1"})
    with app.app_context():
        assert db.session.execute(db.select(Wave.status).filter_by(slug="w1")).scalar_one() == WaveStatus.closed
    assert "closed" in client.get("/admin/waves").get_data(as_text=True)


def test_slips_link_is_useless_to_another_session(app: Flask, client: FlaskClient,
                                                  staff: dict[str, str]) -> None:
    from wellbeing.services import waves as ws
    from wellbeing.services.units import import_units

    with app.app_context():
        import_units((DATA / "units-small.csv").read_bytes(), imported_by="test")
        ws.create_wave("w2", ["who5"], opens=date(2026, 1, 1), closes=date(2026, 2, 1))
    login(client, "admin")
    page = client.post("/admin/waves/w2/issue-codes", data={"extra": "0", "confirmed": "1"}).get_data(as_text=True)
    link = re.search(r'href="(/admin/waves/w2/slips/[^"]+)"', page).group(1)  # type: ignore[union-attr]
    with app.test_client() as other:
        with app.app_context():
            create_user("admin2", "admin", PASSWORD)
        login(other, "admin2")
        assert other.get(link).status_code == 404
    client.post("/auth/logout")  # logging out discards the pending file
    assert not list(Path(app.instance_path, "downloads").glob("*.zip"))


def test_admin_instruments_page_shows_licence_and_languages(client: FlaskClient, staff: dict[str, str]) -> None:
    login(client, "admin")
    page = client.get("/admin/instruments").get_data(as_text=True)
    assert "Copenhagen Burnout Inventory" in page and "provisional" in page and "Licence" in page
    assert "Log out" in page  # staff navigation on the reused template
    assert "Log out" not in client.get("/instruments").get_data(as_text=True)
