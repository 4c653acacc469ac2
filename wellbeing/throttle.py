"""Rate limits on login and code entry (Flask-Limiter), never keyed on the client address.

Flask-Limiter's usual key is ``get_remote_address``; survey routes must not read the address
(DESIGN.md section 4, rule 5), and a limiter keyed on it would keep address + time in memory. So:

- **login** (``POST /auth/login``): failed attempts (the page answers 400) per user name, and for all
  names together (``LOGIN_LIMIT_PER_USER``, ``LOGIN_LIMIT_GLOBAL``). Once a bucket is full every
  attempt gets 429, the right password included, until the window passes. Failed logins are logged with
  the user name, never the password (``auth.views.login``).
- **code entry** (``POST /survey/``): every attempt counts in one global bucket and in the bucket of
  the wave its code belongs to; codes that match no wave share the bucket ``unknown``
  (``CODE_ENTRY_LIMIT_GLOBAL``, ``CODE_ENTRY_LIMIT_PER_WAVE``). The code itself is not a key: only the
  wave's id, found through the code's HMAC.

Counters live in the process (``memory://``) with one worker; with more workers ``RATELIMIT_STORAGE_URI``
must name a shared storage: :func:`init_app` logs an error otherwise, and refuses to start with
``RATELIMIT_REQUIRE_SHARED_STORAGE``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from flask import Flask, current_app, request
from flask.wrappers import Response
from sqlalchemy import select

from .core.codes import CodeError, hmac_code, normalise
from .extensions import db, limiter
from .models import AccessCode

log = logging.getLogger(__name__)


class ThrottleConfigError(RuntimeError):
    """The rate-limit storage cannot be shared by the configured number of workers."""


def workers(app: Flask) -> int:
    """Worker processes serving the app: ``WORKERS``, else ``WEB_CONCURRENCY`` (gunicorn's), else 1."""
    value = app.config.get("WORKERS") or os.environ.get("WEB_CONCURRENCY") or 1
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ThrottleConfigError(f"WORKERS: {value!r} is not a whole number") from None


def init_app(app: Flask) -> None:
    """Bind the limiter. In-process counters under several workers: each worker would count alone (the
    limits N times looser), so this logs an error — or, with ``RATELIMIT_REQUIRE_SHARED_STORAGE``,
    raises ThrottleConfigError and the app does not start. (``make serve`` runs one gunicorn worker per
    CPU: a deployment sets ``RATELIMIT_STORAGE_URI`` to a shared storage, or ``WELLBEING_WORKERS=1``.)"""
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    n = workers(app)
    if n > 1 and storage.startswith("memory"):
        message = (f"RATELIMIT_STORAGE_URI: in-memory rate limits with {n} workers count per worker (limits "
                   f"{n}x looser); set a shared storage (e.g. redis://host:6379) or run one worker")
        if app.config.get("RATELIMIT_REQUIRE_SHARED_STORAGE"):
            raise ThrottleConfigError(message)
        log.error(message)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter.init_app(app)


def _setting(key: str) -> Callable[[], str]:
    return lambda: str(current_app.config[key])


def _failed(resp: Response) -> bool:
    return resp.status_code == 400


def login_name_key() -> str:
    """The user name typed on the login form, as the login compares it (bounded length)."""
    return "user:" + (request.form.get("name") or "").strip().lower()[:64]


def code_wave_key() -> str:
    """``wave:<id>`` of the typed code's wave, or ``wave:unknown`` (mistyped or unknown code)."""
    try:
        code = normalise(request.form.get("code") or "")
    except CodeError:
        return "wave:unknown"
    h = hmac_code(current_app.config["CODE_HMAC_KEY"], code)
    wave_id = db.session.execute(select(AccessCode.wave_id).where(AccessCode.code_hmac == h)).scalar()
    return f"wave:{wave_id if wave_id is not None else 'unknown'}"


def _everyone() -> str:
    return "all"


login_per_user = limiter.limit(_setting("LOGIN_LIMIT_PER_USER"), key_func=login_name_key, methods=["POST"],
                               deduct_when=_failed)
login_global = limiter.limit(_setting("LOGIN_LIMIT_GLOBAL"), key_func=_everyone, methods=["POST"],
                             deduct_when=_failed)
code_entry_global = limiter.limit(_setting("CODE_ENTRY_LIMIT_GLOBAL"), key_func=_everyone, methods=["POST"])
code_entry_per_wave = limiter.limit(_setting("CODE_ENTRY_LIMIT_PER_WAVE"), key_func=code_wave_key,
                                    methods=["POST"])
