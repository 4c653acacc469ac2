"""Staff sessions end (issue 17, item 2): a copied session cookie fails after logout and after the
account is disabled; idle and absolute timeouts; a new session (and CSRF token) at login; survey
routes never load the user (so no session time reaches an officer's cookie)."""

from __future__ import annotations

import time

import pytest
from flask import Flask

from wellbeing import create_app
from wellbeing.auth import sessions
from wellbeing.services.users import create_user, disable_user

from .helpers import csrf

PASSWORD = "a long test password"


@pytest.fixture
def csrf_app(app_config: dict[str, object]) -> Flask:
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    with app.app_context():
        create_user("boss", "admin", PASSWORD)
    return app


def login(app: Flask):  # type: ignore[no-untyped-def]
    c = app.test_client()
    token = csrf(c.get("/auth/login").get_data(as_text=True))
    res = c.post("/auth/login", data={"name": "boss", "password": PASSWORD, "csrf_token": token})
    assert res.status_code == 302
    return c, token


def copy_of(app: Flask, client):  # type: ignore[no-untyped-def]
    """A second browser holding a copy of ``client``'s session cookie (what a thief would replay)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_copied_cookie_fails_after_logout(csrf_app: Flask) -> None:
    c, _ = login(csrf_app)
    thief = copy_of(csrf_app, c)
    assert thief.get("/admin/").status_code == 200          # the copy works while the session lives
    page = c.get("/admin/").get_data(as_text=True)
    assert c.post("/auth/logout", data={"csrf_token": csrf(page)}).status_code == 302
    res = thief.get("/admin/")
    assert res.status_code == 302 and "/auth/login" in res.headers["Location"]
    assert c.get("/admin/").status_code == 302


def test_copied_cookie_fails_after_disable(csrf_app: Flask) -> None:
    c, _ = login(csrf_app)
    thief = copy_of(csrf_app, c)
    with csrf_app.app_context():
        disable_user("boss")
    assert thief.get("/admin/").status_code == 302
    assert c.get("/admin/").status_code == 302


def test_idle_and_absolute_timeouts(csrf_app: Flask) -> None:
    c, _ = login(csrf_app)
    assert c.get("/admin/").status_code == 200
    with c.session_transaction() as s:       # 31 minutes without a request (idle limit 30)
        s[sessions.SEEN_AT] -= 31 * 60
    assert c.get("/admin/").status_code == 302
    c, _ = login(csrf_app)
    now = int(time.time())
    with c.session_transaction() as s:       # active all along, but logged in 12 h 1 min ago
        s[sessions.AUTH_AT] = now - 12 * 3600 - 60
        s[sessions.SEEN_AT] = now - 60
    assert c.get("/admin/").status_code == 302
    c, _ = login(csrf_app)
    with c.session_transaction() as s:       # 29 minutes idle is fine, and the activity time moves on
        s[sessions.SEEN_AT] -= 29 * 60
    assert c.get("/admin/").status_code == 200
    with c.session_transaction() as s:
        assert now - s[sessions.SEEN_AT] < 5


def test_login_starts_a_new_session_and_csrf_token(csrf_app: Flask) -> None:
    c = csrf_app.test_client()
    before = csrf(c.get("/auth/login").get_data(as_text=True))
    with c.session_transaction() as s:
        s["planted"] = "by an attacker"
        old_raw = s["csrf_token"]
    res = c.post("/auth/login", data={"name": "boss", "password": PASSWORD, "csrf_token": before})
    assert res.status_code == 302
    page = c.get("/admin/").get_data(as_text=True)
    with c.session_transaction() as s:
        assert "planted" not in s and s["csrf_token"] != old_raw
    # the token of the anonymous page no longer passes
    assert c.post("/auth/logout", data={"csrf_token": before}).status_code == 400
    assert c.post("/auth/logout", data={"csrf_token": csrf(page)}).status_code == 302


def test_survey_pages_never_write_session_times(csrf_app: Flask) -> None:
    c, _ = login(csrf_app)
    with c.session_transaction() as s:
        s[sessions.SEEN_AT] -= 10 * 60
        seen = s[sessions.SEEN_AT]
    c.get("/survey/")
    with c.session_transaction() as s:
        assert s[sessions.SEEN_AT] == seen     # the survey did not load the user
