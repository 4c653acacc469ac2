"""`make serve`'s configuration: gunicorn with wellbeing/gunicorn_conf.py (not the development server)
serving a whole survey, and the production settings (ProxyFix only when configured, TLS → secure
cookies and HSTS). DESIGN.md section 4, rule 5: no access-log line for a survey route, no client
address in any log line."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from flask import request

from wellbeing import create_app

from .helpers import csrf, first_values, open_wave, sql_rows

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(app, instance: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """gunicorn as `make serve` starts it, on a free loopback port, on the test's database (CSRF on)."""
    codes = open_wave(app)
    port = free_port()
    logs = {"access": tmp_path / "access.log", "error": tmp_path / "error.log"}
    env = {**os.environ, "WELLBEING_INSTANCE_PATH": str(instance), "WELLBEING_BIND": f"127.0.0.1:{port}",
           "WELLBEING_ACCESS_LOG": str(logs["access"]), "WELLBEING_ERROR_LOG": str(logs["error"]),
           "WELLBEING_WORKERS": "2", "WELLBEING_THREADS": "2",
           "WELLBEING_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "WELLBEING_SECRET_KEY": "serve-secret", "WELLBEING_CODE_HMAC_KEY": app.config["CODE_HMAC_KEY"],
           "WELLBEING_DEFAULT_LANGUAGE": "en"}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:wellbeing.gunicorn_conf",
                             "wellbeing:create_app()"], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            httpx.get(base + "/", timeout=5)
            break
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("gunicorn did not start: " + logs["error"].read_text()) from None
            time.sleep(0.3)
    try:
        yield base, codes, logs, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


def test_gunicorn_serves_a_whole_survey_and_logs_no_survey_route(app, served):  # type: ignore[no-untyped-def]
    base, codes, logs, proc = served
    with httpx.Client(base_url=base, follow_redirects=False, timeout=60,
                      headers={"Accept-Encoding": "gzip, br", "X-Forwarded-For": "203.0.113.9",
                               "User-Agent": "officer-phone/1.0"}) as c:
        r = c.get("/survey/")
        assert r.status_code == 200
        assert "Content-Encoding" not in r.headers  # never compressed (the feedback page is padded)
        assert not re.search(r"\d", r.headers.get("Server", ""))  # no server version
        r = c.post("/survey/", data={"code": codes["akm-d1-u1--all"][0], "language": "en",
                                     "csrf_token": csrf(r.text)})
        assert r.status_code == 303, r.text
        path = httpx.URL(r.headers["Location"]).path
        for _ in range(10):
            page = c.get(path)
            assert page.status_code == 200
            r = c.post(path, data={**first_values(page.text), "csrf_token": csrf(page.text)})
            if r.status_code != 303:
                break
            path = httpx.URL(r.headers["Location"]).path
        assert r.status_code == 200 and "your answers were sent" in r.text
        assert "Content-Encoding" not in r.headers
        assert c.get("/auth/login").status_code == 200  # a staff route: it is logged
    proc.terminate()
    proc.wait(timeout=30)  # flushes and closes the logs
    assert sql_rows(app, "select count(*) from response") == [(1,)]
    access = logs["access"].read_text()
    lines = access.splitlines()
    assert any('"GET /auth/login' in line for line in lines), access  # the access log is on ...
    assert not [line for line in lines if "/survey" in line]  # ... and has no survey line at all
    everything = access + logs["error"].read_text()
    for identity in ("127.0.0.1", "203.0.113.9", "officer-phone"):
        assert identity not in everything


def _probe_app(app_config: dict[str, object], **extra: object):  # type: ignore[no-untyped-def]
    app = create_app({**app_config, **extra})

    @app.get("/survey/_probe")
    def survey_probe() -> str:
        return repr(sorted((k, str(v)) for k, v in request.environ.items()))

    @app.get("/_probe")
    def staff_probe() -> str:
        return f"{request.remote_addr} {request.scheme}"

    return app


def test_proxy_headers_are_ignored_unless_a_proxy_is_configured(app_config):  # type: ignore[no-untyped-def]
    forged = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    direct = _probe_app(app_config).test_client()
    assert direct.get("/_probe", headers=forged).text == "127.0.0.1 http"
    behind = _probe_app(app_config, PROXY_COUNT=1).test_client()
    assert behind.get("/_probe", headers=forged).text == "203.0.113.9 https"
    # Survey routes lose the forwarding headers before ProxyFix: no address reaches their environ.
    environ = behind.get("/survey/_probe", headers=forged).text
    assert "203.0.113.9" not in environ and "127.0.0.1" not in environ and "('REMOTE_ADDR'" not in environ
    assert "('wsgi.url_scheme', 'https')" in environ  # the proxy's protocol still counts (secure cookies)


def test_tls_makes_cookies_secure_and_sends_hsts(app_config):  # type: ignore[no-untyped-def]
    plain = create_app(app_config)
    assert not plain.config.get("SESSION_COOKIE_SECURE")
    assert "Strict-Transport-Security" not in plain.test_client().get("/survey/").headers
    tls = create_app({**app_config, "TLS": True})
    assert tls.config["SESSION_COOKIE_SECURE"] and tls.config["REMEMBER_COOKIE_SECURE"]
    r = tls.test_client().get("/survey/", base_url="https://localhost")
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
