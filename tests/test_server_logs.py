"""Real server processes: no survey trace in logs or instance files; nothing acknowledged is lost
(issue 15). The server runs as its operator runs it (``flask run``; ``make serve``'s gunicorn when its
configuration ``wellbeing/gunicorn_conf.py`` is present), on loopback and a free port.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from wellbeing import create_app

from .conftest import TEST_SEAL_KEY, make_config
from .helpers import first_values, open_wave

REPO = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
UA_MARKER = "UA-MARKER-7f3a9c"
XFF_MARKER = "198.51.100.77"
TIME_LINE = re.compile(r"\[\d\d/\w{3}/\d{4}[ :]\d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gunicorn_available() -> bool:
    return (REPO / "wellbeing" / "gunicorn_conf.py").exists() and shutil.which("gunicorn", path=str(
        Path(sys.executable).parent)) is not None


SERVERS = ["flask-run", pytest.param("gunicorn", marks=pytest.mark.skipif(
    not _gunicorn_available(), reason="no `make serve` configuration (wellbeing/gunicorn_conf.py) on this branch"))]


@pytest.fixture
def instance_with_wave(tmp_path: Path, migrated_db: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """An instance folder as `flask setup` leaves it (config.py with secrets, a migrated SQLite file)
    holding an open wave; returns (instance path, codes of the group ``akm-d1-u1--all``)."""
    if not str(migrated_db).endswith(".sqlite"):
        pytest.skip("runs the servers on the instance's SQLite file")
    inst = tmp_path / "instance"
    inst.mkdir()
    monkeypatch.setenv("WELLBEING_INSTANCE_PATH", str(inst))
    db_file = inst / "wellbeing.sqlite"
    shutil.copy(migrated_db, db_file)
    cfg = make_config(inst, db_file)
    (inst / "config.py").write_text(
        f"SECRET_KEY = {cfg['SECRET_KEY']!r}\nCODE_HMAC_KEY = {cfg['CODE_HMAC_KEY']!r}\n"
        f"SEAL_KEY = {TEST_SEAL_KEY!r}\nDEFAULT_LANGUAGE = 'en'\n", encoding="utf-8")
    app = create_app(cfg)
    codes = open_wave(app)["akm-d1-u1--all"]
    with app.app_context():
        from wellbeing.extensions import db

        db.engine.dispose()
    return inst, codes


@contextmanager
def server(kind: str, inst: Path, logs: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start ``kind`` on a free loopback port with its stdout/stderr in ``logs``; yields (base URL, process)."""
    port = _free_port()
    env = {**os.environ, "WELLBEING_INSTANCE_PATH": str(inst), "FLASK_APP": "wellbeing"}
    env.pop("FLASK_DEBUG", None)
    if kind == "flask-run":
        cmd = [sys.executable, "-m", "flask", "--app", "wellbeing", "run", "--host", "127.0.0.1",
               "--port", str(port), "--no-reload", "--no-debugger"]
    else:
        env.update(WELLBEING_BIND=f"127.0.0.1:{port}", WELLBEING_WORKERS="1", WELLBEING_ACCESS_LOG="-")
        cmd = [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:wellbeing.gunicorn_conf",
               "wellbeing:create_app()"]
    logs.mkdir(parents=True, exist_ok=True)
    out = open(logs / f"{kind}.out", "ab")  # noqa: SIM115 - closed below
    err = open(logs / f"{kind}.err", "ab")  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=err, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/reporting-rules", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((logs / f"{kind}.err").read_text(errors="replace")[-2000:]) from None
                time.sleep(0.3)
        yield base, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
        out.close()
        err.close()


class Browser:
    """A phone behind a proxy: cookies, no redirects followed, marker User-Agent and X-Forwarded-For."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        req = urllib.request.Request(self.base + path, data=urllib.parse.urlencode(data).encode() if data else None,
                                     headers={"User-Agent": UA_MARKER, "X-Forwarded-For": XFF_MARKER,
                                              "Referer": f"https://{UA_MARKER}.example/"})
        try:
            with self.opener.open(req, timeout=120) as r:
                return r.status, r.read().decode(), r.headers.get("Location", "")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), e.headers.get("Location", "")


def answer_survey(base: str, code: str, who5_digit: int | None = None) -> int:
    """The whole survey through HTTP (CSRF on); returns the final status. ``who5_digit`` picks the
    same option on every WHO-5 item (0-5), so each submission is recognisable in storage."""
    b = Browser(base)
    _, html, _ = b.request("/survey/")
    status, html, loc = b.request("/survey/", {"code": code, "language": "en",
                                               "csrf_token": CSRF.search(html).group(1)})
    assert status == 303, html[:300]
    while True:
        path = urllib.parse.urlsplit(loc).path
        _, html, _ = b.request(path)
        data = first_values(html)
        if who5_digit is not None and 'name="i1"' in html:
            data = {k: str(who5_digit) for k in data}
        status, html, loc = b.request(path, {**data, "csrf_token": CSRF.search(html).group(1)})
        if status != 303:
            return status


@pytest.mark.parametrize("kind", SERVERS)
def test_survey_leaves_no_marker_and_no_time_line(kind: str, instance_with_wave, tmp_path: Path):
    inst, codes = instance_with_wave
    logs = tmp_path / "logs"
    code = codes[0]
    with server(kind, inst, logs) as (base, _proc):
        assert answer_survey(base, code) == 200
        # A staff-side page still gets its access line: the log itself works.
        Browser(base).request("/reporting-rules")
        time.sleep(0.5)
    text = "\n".join(p.read_text(errors="replace") for p in logs.iterdir())
    lines = text.splitlines()
    per_request = [ln for ln in lines if TIME_LINE.search(ln) and re.search(r'"(GET|POST|HEAD) ', ln)]
    assert any("/reporting-rules" in ln for ln in per_request), text[-1000:]  # the log works ...
    assert all("/reporting-rules" in ln for ln in per_request), per_request    # ... and has no survey line
    assert [ln for ln in lines if "/survey" in ln or "[survey" in ln] == []
    markers = {code, code.lower(), UA_MARKER, XFF_MARKER}
    for m in markers:
        assert m not in text, m
    for f in [*inst.rglob("*"), *logs.iterdir()]:
        if f.is_file():
            blob = f.read_bytes()
            for m in markers:
                assert m.encode() not in blob, (m, f.name)


def test_nothing_acknowledged_is_lost_when_the_server_is_killed(instance_with_wave, tmp_path: Path):
    """12 acknowledged submits (K = 5: 5 readable after the 10th, 7 still sealed), SIGKILL, restart,
    one more submit, close: every acknowledged response is stored exactly once."""
    inst, codes = instance_with_wave
    db_file = inst / "wellbeing.sqlite"
    digits = [i % 6 for i in range(13)]
    with server("flask-run", inst, tmp_path / "logs") as (base, proc):
        for i in range(12):
            assert answer_survey(base, codes[i], digits[i]) == 200
        os.killpg(proc.pid, signal.SIGKILL)  # no shutdown, no checkpoint, mid-wave
        proc.wait(timeout=30)
    con = sqlite3.connect(db_file)
    assert con.execute("select (select count(*) from response), (select count(*) from pending_response)"
                       ).fetchone() == (5, 7)
    con.close()
    with server("flask-run", inst, tmp_path / "logs2") as (base, _proc):
        assert answer_survey(base, codes[12], digits[12]) == 200
    r = subprocess.run([sys.executable, "-m", "flask", "--app", "wellbeing", "waves", "close", "w1"], cwd=REPO,
                       env={**os.environ, "WELLBEING_INSTANCE_PATH": str(inst)}, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    con = sqlite3.connect(db_file)
    assert con.execute("select count(*) from pending_response").fetchone() == (0,)
    stored = sorted(int(v) for (v,) in con.execute(
        "select value from answer where instrument_id = 'who5' and item_id = 'i1'"))
    assert stored == sorted(digits)  # 13 acknowledged, 13 stored, each once
    assert con.execute("select count(*) from response").fetchone() == (13,)
