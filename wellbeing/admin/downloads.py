"""One-time downloads of printed code slips.

Plain codes are never stored in the database (DESIGN.md rule 2). At issuance the slips and
``codes.csv`` are zipped into the instance folder under a random name known only to the issuing
session; the first download reads and deletes the file. Files left behind (a lost session) are removed
after :data:`MAX_AGE_SECONDS`, and at logout.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

from flask import current_app, session

from ..models import Wave
from ..services.waves import IssuedGroup, write_slips

SESSION_KEY = "slip_downloads"
MAX_AGE_SECONDS = 24 * 3600
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def download_dir() -> Path:
    folder = Path(current_app.instance_path) / "downloads"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def slips_zip(wave: Wave, issued: Sequence[IssuedGroup], address: str) -> bytes:
    """The zip of ``slips-<group>.pdf`` files and ``codes.csv``, made by the CLI's ``write_slips``."""
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_slips(wave, issued, tmp, address)
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in paths:
                zf.write(p, arcname=p.name)
    return buf.getvalue()


def purge_stale(now: float | None = None) -> int:
    """Delete download files older than :data:`MAX_AGE_SECONDS`; returns how many."""
    now = now or time.time()
    n = 0
    for p in download_dir().glob("*.zip"):
        if now - p.stat().st_mtime > MAX_AGE_SECONDS:
            p.unlink(missing_ok=True)
            n += 1
    return n


def store(data: bytes, filename: str) -> str:
    """Keep ``data`` for one download by this session; returns its random token."""
    purge_stale()
    token = secrets.token_urlsafe(24)
    path = download_dir() / f"{token}.zip"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    pending = dict(session.get(SESSION_KEY) or {})
    pending[token] = filename
    session[SESSION_KEY] = pending
    return token


def pending() -> dict[str, str]:
    """This session's downloads not yet taken: token -> file name."""
    return {t: f for t, f in (session.get(SESSION_KEY) or {}).items()
            if TOKEN_RE.match(t) and (download_dir() / f"{t}.zip").exists()}


def take(token: str) -> tuple[bytes, str] | None:
    """The file behind ``token`` if this session issued it; the file is deleted as it is read."""
    files = dict(session.get(SESSION_KEY) or {})
    if not TOKEN_RE.match(token or "") or token not in files:
        return None
    path = download_dir() / f"{token}.zip"
    filename = files.pop(token)
    session[SESSION_KEY] = files
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    path.unlink(missing_ok=True)
    return data, filename


def discard_session_downloads() -> None:
    """Delete this session's pending downloads (at logout)."""
    for token in session.pop(SESSION_KEY, None) or {}:
        if TOKEN_RE.match(token):
            (download_dir() / f"{token}.zip").unlink(missing_ok=True)
