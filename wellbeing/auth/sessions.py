"""Staff sessions that end: a per-account session version, idle and absolute timeouts, a fresh session
at login.

Flask's session is a signed cookie, so "ending" a session server-side means making the cookie's
contents unacceptable: the user id stored in it is ``"<id>:<session_version>"``
(:meth:`wellbeing.models.User.get_id`), and logout or disabling the account increments the version in
the database, so every copy of an earlier cookie fails at its next request. Login and last-activity
times (epoch seconds, staff sessions only) enforce ``STAFF_SESSION_IDLE_MINUTES`` (default 30) and
``STAFF_SESSION_MAX_HOURS`` (default 12; OWASP Session Management Cheat Sheet: idle 15–30 minutes,
absolute 4–8 hours for an office day, longer for long shifts).

All of this runs only where ``current_user`` is loaded — staff blueprints; survey routes never load it
(DESIGN.md section 4, rule 5), so no time is written into an officer's cookie.
"""

from __future__ import annotations

import time

from flask import current_app, session

from ..models import User
from ..services.users import end_sessions, user_by_id

AUTH_AT = "staff_auth_at"
SEEN_AT = "staff_seen_at"
#: Last-activity time is rewritten at most this often (seconds), so not every request resends the cookie.
SEEN_RESOLUTION = 60


def _limits() -> tuple[int, int]:
    cfg = current_app.config
    return (int(cfg.get("STAFF_SESSION_IDLE_MINUTES", 30)) * 60, int(cfg.get("STAFF_SESSION_MAX_HOURS", 12)) * 3600)


def start(now: float | None = None) -> None:
    """Before ``login_user``: drop everything the session held (its CSRF token included: Flask-WTF makes
    a new one) and record the login time."""
    now = int(time.time() if now is None else now)
    session.clear()
    session[AUTH_AT] = now
    session[SEEN_AT] = now


def end_all(user: User) -> None:
    """End every session of ``user`` (each cookie issued so far): increments the session version."""
    end_sessions(user)


def load(user_id: str, now: float | None = None) -> User | None:
    """Flask-Login's user loader: the active user whose id *and* session version match ``user_id``, in
    a session within its idle and absolute limits; else None (the visitor is anonymous again)."""
    now = int(time.time() if now is None else now)
    try:
        uid, version = (int(p) for p in user_id.split(":"))
    except ValueError:
        return None
    idle, absolute = _limits()
    auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
    if (not isinstance(auth_at, int) or not isinstance(seen_at, int)
            or now - auth_at > absolute or now - seen_at > idle):
        _forget()
        return None
    user = user_by_id(uid)
    if user is None or not user.active or user.session_version != version:
        _forget()
        return None
    if now - seen_at >= SEEN_RESOLUTION:
        session[SEEN_AT] = now
    return user


def _forget() -> None:
    for key in ("_user_id", "_fresh", "_id", AUTH_AT, SEEN_AT):
        session.pop(key, None)
