"""Login and code-entry throttling, the password policy (issue 17, item 3).

Plays the attacker of the issue: 50 wrong passwords in 13 s, then the right one, used to be accepted.
"""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from wellbeing import create_app
from wellbeing.services.users import MAX_PASSWORD, UserError, authenticate, create_user
from wellbeing.throttle import ThrottleConfigError

from .helpers import csrf, open_wave

PASSWORD = "a long test password"


@pytest.fixture
def csrf_app(app_config: dict[str, object]) -> Flask:
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    with app.app_context():
        create_user("boss", "admin", PASSWORD)
        create_user("other", "analyst", PASSWORD)
    return app


def attempt(client, name: str, password: str) -> int:  # type: ignore[no-untyped-def]
    token = csrf(client.get("/auth/login").get_data(as_text=True))
    return client.post("/auth/login", data={"name": name, "password": password, "csrf_token": token}).status_code


def test_eleventh_wrong_password_in_a_minute_gets_429_and_is_logged(csrf_app: Flask, caplog) -> None:  # type: ignore[no-untyped-def]
    c = csrf_app.test_client()
    caplog.set_level(logging.WARNING, logger="wellbeing.auth.views")
    assert [attempt(c, "boss", f"wrong guess {i}") for i in range(10)] == [400] * 10
    assert attempt(c, "boss", "wrong guess 10") == 429
    assert attempt(c, "boss", PASSWORD) == 429          # the right password waits too
    page = c.get("/auth/login")
    assert page.status_code == 200                      # only failed POSTs count; the page still shows
    # a fresh browser (another address would be the same: no address is read) is limited as well
    assert attempt(csrf_app.test_client(), "boss", PASSWORD) == 429
    # another account is not locked by the attack on "boss"
    assert attempt(csrf_app.test_client(), "other", PASSWORD) == 302
    failed = [r.getMessage() for r in caplog.records if "failed staff login" in r.getMessage()]
    assert len(failed) == 10 and all("'boss'" in m for m in failed)
    assert not any("wrong guess" in r.getMessage() for r in caplog.records)


def test_global_login_cap_across_names(app_config: dict[str, object]) -> None:
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True, "LOGIN_LIMIT_GLOBAL": "5 per minute"})
    with app.app_context():
        create_user("boss", "admin", PASSWORD)
    c = app.test_client()
    assert [attempt(c, f"name{i}", "whatever it is") for i in range(5)] == [400] * 5
    assert attempt(c, "boss", PASSWORD) == 429


def test_code_entry_is_limited_per_wave_and_globally(app_config: dict[str, object]) -> None:
    app = create_app({**app_config, "CODE_ENTRY_LIMIT_PER_WAVE": "3 per minute"})
    codes = open_wave(app)
    code = next(iter(codes.values()))[0]
    c = app.test_client()
    statuses = [c.post("/survey/", data={"code": "0" * 27, "language": "ru"}).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]              # unknown codes share one bucket
    assert c.post("/survey/", data={"code": code, "language": "ru"}).status_code == 303   # its wave's bucket

    app = create_app({**app_config, "CODE_ENTRY_LIMIT_GLOBAL": "2 per minute"})
    c = app.test_client()
    statuses = [c.post("/survey/", data={"code": "0" * 27, "language": "ru"}).status_code for _ in range(2)]
    assert statuses == [400, 400]
    assert c.post("/survey/", data={"code": code, "language": "ru"}).status_code == 429


def test_memory_storage_with_several_workers_is_an_error(app_config: dict[str, object], monkeypatch,
                                                         caplog) -> None:  # type: ignore[no-untyped-def]
    strict = {**app_config, "RATELIMIT_REQUIRE_SHARED_STORAGE": True}
    with pytest.raises(ThrottleConfigError, match="RATELIMIT_STORAGE_URI"):
        create_app({**strict, "WORKERS": 4})
    create_app({**strict, "WORKERS": 1})
    monkeypatch.setenv("WEB_CONCURRENCY", "3")   # gunicorn's worker count
    with pytest.raises(ThrottleConfigError, match="3 workers"):
        create_app(strict)
    caplog.set_level(logging.ERROR, logger="wellbeing.throttle")
    create_app(app_config)                        # default: starts, says so loudly
    assert any("3x looser" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("name,password,problem", [
    ("olga", "password", "at least"),
    ("olga", "12345678", "at least"),
    ("olga", "1234567890", "common"),
    ("olga", "qwertyuiop", "common"),
    ("olga", "Password123", "common"),
    ("longname-olga", "longname-olga", "user name"),
    ("longname-olga", "AGLO-EMANGNOL", "user name"),
    ("olga", "x" * (MAX_PASSWORD + 1), "at most"),
])
def test_password_policy(app: Flask, name: str, password: str, problem: str) -> None:
    with app.app_context():
        with pytest.raises(UserError, match=problem):
            create_user(name, "admin", password)


def test_longest_allowed_password_can_log_in(app: Flask) -> None:
    long = "horse battery " * 20
    long = long[:MAX_PASSWORD]
    with app.app_context():
        create_user("olga", "admin", long)
        assert authenticate("olga", long) is not None
    c = app.test_client()
    assert c.post("/auth/login", data={"name": "olga", "password": long}).status_code == 302
