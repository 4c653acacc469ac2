"""DESIGN.md section 4, rule 3: one code, 50 simultaneous submissions, exactly one response."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

from .helpers import first_values, open_wave, sql_rows
from .live import live_server

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
N = 50


class Browser:
    """A minimal browser: its own cookie jar, no automatic redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=120) as r:
                return r.status, r.read().decode(), r.headers.get("Location", "")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), e.headers.get("Location", "")


def test_fifty_parallel_submissions_of_one_code_store_one_response(app):
    app.config["WTF_CSRF_ENABLED"] = True
    code = open_wave(app)["akm-d1-u1--all"][0]
    with live_server(app) as base:
        browsers = [Browser(base) for _ in range(N)]
        last_pages: list[tuple[Browser, str, dict[str, str]]] = []
        for b in browsers:
            status, html, _ = b.request("/survey/")
            status, html, loc = b.request("/survey/", {"code": code, "language": "en",
                                                       "csrf_token": CSRF.search(html).group(1)})
            assert status == 303, html
            path = urllib.parse.urlsplit(loc).path
            while True:
                status, html, _ = b.request(path)
                data = {**first_values(html), "csrf_token": CSRF.search(html).group(1)}
                if "Send my answers" in html:
                    last_pages.append((b, path, data))
                    break
                status, html, loc = b.request(path, data)
                assert status == 303
                path = urllib.parse.urlsplit(loc).path
        barrier = threading.Barrier(N)
        results: list[tuple[int, str]] = []
        lock = threading.Lock()

        def submit(b: Browser, path: str, data: dict[str, str]) -> None:
            barrier.wait()
            status, html, _ = b.request(path, data)
            with lock:
                results.append((status, html))

        threads = [threading.Thread(target=submit, args=lp) for lp in last_pages]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
    ok = [r for r in results if r[0] == 200]
    # The winner's submit deletes every draft of the code (issue 15): a racer that loaded its draft
    # before that commit is told the code is used (409); one that loads it after finds no draft (410,
    # "enter your code again", which then says the code is used).
    used = [r for r in results if (r[0] == 409 and "already been used" in r[1])
            or (r[0] == 410 and "enter your code again" in r[1])]
    assert len(results) == N
    assert len(ok) == 1, [r[0] for r in results]
    others = sorted({(r[0], re.findall(r"<h1>([^<]*)", r[1])[:1][0] if "<h1>" in r[1] else r[1][:300])
                     for r in results if r not in ok and r not in used})
    assert len(used) == N - 1, others
    # Stored once, sealed (readable later in a batch of >= K: services.batches).
    assert sql_rows(app, "select count(*) from pending_response") == [(1,)]
    assert sql_rows(app, "select count(*) from response") == [(0,)]
    assert sql_rows(app, "select count(*) from code_ledger where used") == [(1,)]
