"""gunicorn configuration for ``make serve`` (``gunicorn -c python:wellbeing.gunicorn_conf``).

Read by gunicorn's master process only; the app never imports it. Every setting can be overridden by
an environment variable (the values below are the defaults):

- ``WELLBEING_BIND`` (``127.0.0.1:8000``): address to listen on; behind a reverse proxy keep loopback.
- ``WELLBEING_WORKERS`` (CPUs this process may run on, from ``os.sched_getaffinity``, so ``taskset``
  pins it): worker processes. ``WELLBEING_THREADS`` (4): threads per worker (``gthread``), which
  overlap database waits; the request work itself is CPU-bound Python, so more processes, not more
  threads, add throughput.
- ``WELLBEING_ACCESS_LOG`` (``-`` = stderr; empty = off), ``WELLBEING_ERROR_LOG`` (``-``).
- ``WELLBEING_TLS_CERT`` / ``WELLBEING_TLS_KEY``: gunicorn terminates TLS itself; the app is then told
  it is served over TLS (``WELLBEING_TLS``: secure cookies and HSTS, see :mod:`wellbeing.production`).

Anonymity (DESIGN.md section 4, rule 5): the access log has no line at all for a survey route
(``/survey``), and no line anywhere carries a client address, user agent or referrer (the format has
no ``%(h)s``, ``%(a)s``, ``%(f)s``); the error log's address in "Invalid request from ip=..." is
blanked. gunicorn's ``Server`` header says ``gunicorn`` without a version; gunicorn compresses
nothing.
"""

from __future__ import annotations

import logging
import os
import re

from gunicorn.glogging import Logger

SURVEY_PREFIX = "/survey"


def _cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class _NoAddress(logging.Filter):
    """Blank anything that looks like an IPv4 or IPv6 address in a log record."""

    _IP = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"  # IPv4
                     r"|(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}"  # IPv6, full form
                     r"|[0-9a-fA-F:]*::[0-9a-fA-F:.]*")  # IPv6 with "::" (times never have it)

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = self._IP.sub("-", msg)
        if clean != msg:
            record.msg, record.args = clean, ()
        return True


class AnonymousLogger(Logger):
    """gunicorn's logger without survey-route access lines and without client addresses (the access
    format has none; the error log's are blanked)."""

    def setup(self, cfg) -> None:  # type: ignore[no-untyped-def]
        super().setup(cfg)
        if not any(isinstance(f, _NoAddress) for f in self.error_log.filters):
            self.error_log.addFilter(_NoAddress())

    def access(self, resp, req, environ, request_time) -> None:  # type: ignore[no-untyped-def]
        path = getattr(req, "path", None) or environ.get("PATH_INFO") or ""
        if path == SURVEY_PREFIX or path.startswith(SURVEY_PREFIX + "/"):
            return
        super().access(resp, req, environ, request_time)


bind = [os.environ.get("WELLBEING_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("WELLBEING_WORKERS") or _cpus())
threads = int(os.environ.get("WELLBEING_THREADS") or 4)
worker_class = "gthread"
# A worker restarts after this many requests (plus jitter), bounding any slow leak.
max_requests = 5000
max_requests_jitter = 500
timeout = 60
graceful_timeout = 20
keepalive = 5
# The app is imported once in the master, then forked: workers share its memory and start fast.
preload_app = True

logger_class = AnonymousLogger
accesslog = os.environ.get("WELLBEING_ACCESS_LOG", "-") or None
errorlog = os.environ.get("WELLBEING_ERROR_LOG", "-")
loglevel = os.environ.get("WELLBEING_LOG_LEVEL", "info")
# Time, request line, status, bytes, duration: no address (%(h)s), user agent (%(a)s) or referrer (%(f)s).
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'

# Proxy headers are honoured only by the app's ProxyFix, and only when WELLBEING_PROXY_COUNT says so.
forwarded_allow_ips = "127.0.0.1,::1"

certfile = os.environ.get("WELLBEING_TLS_CERT") or None
keyfile = os.environ.get("WELLBEING_TLS_KEY") or None
if certfile and keyfile:
    os.environ.setdefault("WELLBEING_TLS", "true")  # read by create_app: secure cookies and HSTS
