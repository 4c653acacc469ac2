"""Uploaded files waiting between their preview and their import, kept on the server.

The preview step parses the file and shows what would be stored; the import step must store exactly
that file. Instead of sending the file back to the browser (a base64 hidden field, larger than the form
limit for any real roster), the bytes stay in ``<instance>/uploads/`` under a random token (256 bits from
:mod:`secrets`), with the import options chosen at the preview, the staff member who uploaded it and
the kind of import. Files are 0600 in a 0700 folder, are read at most once (the import deletes them) and
expire after ``UPLOAD_PREVIEW_TTL_SECONDS`` (default one hour); every new upload purges expired ones.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

from .instance_files import private_dir, write_private

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
DEFAULT_TTL_SECONDS = 3600


@dataclass(frozen=True)
class Stashed:
    """A previewed upload: its bytes and the options its preview used."""

    data: bytes
    options: dict[str, Any]


def upload_dir() -> Path:
    return private_dir(Path(current_app.instance_path) / "uploads")


def _ttl() -> int:
    return int(current_app.config.get("UPLOAD_PREVIEW_TTL_SECONDS", DEFAULT_TTL_SECONDS))


def purge_expired(now: float | None = None) -> int:
    """Delete stashed uploads older than the time to live; returns how many uploads were removed."""
    now = time.time() if now is None else now
    n = 0
    for meta in upload_dir().glob("*.json"):
        try:
            age = now - meta.stat().st_mtime
        except FileNotFoundError:
            continue
        if age > _ttl():
            meta.with_suffix(".bin").unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
            n += 1
    for data in upload_dir().glob("*.bin"):   # a data file whose metadata was never written
        if not data.with_suffix(".json").exists() and now - data.stat().st_mtime > _ttl():
            data.unlink(missing_ok=True)
    return n


def stash(data: bytes, *, kind: str, owner: str, options: dict[str, Any]) -> str:
    """Keep ``data`` for the import step of ``kind`` by ``owner``; returns the random token.

    ``options`` (JSON-serialisable: delimiter, encoding, time zone, date) are stored with it so that the
    import uses the options the preview was checked with.
    """
    purge_expired()
    token = secrets.token_urlsafe(32)
    folder = upload_dir()
    write_private(folder / f"{token}.bin", data)
    meta = {"kind": kind, "owner": owner, "options": options}
    write_private(folder / f"{token}.json", json.dumps(meta).encode("utf-8"))
    return token


def claim(token: str | None, *, kind: str, owner: str) -> Stashed | None:
    """The upload behind ``token`` if ``owner`` stashed it for ``kind`` and it has not expired, else None.

    A claimed upload is deleted: a token serves one import.
    """
    if not token or not TOKEN_RE.match(token):
        return None
    folder = upload_dir()
    meta_path, data_path = folder / f"{token}.json", folder / f"{token}.bin"
    try:
        age = time.time() - meta_path.stat().st_mtime
        meta = json.loads(meta_path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    if meta.get("kind") != kind or meta.get("owner") != owner:
        return None
    try:
        data = data_path.read_bytes() if age <= _ttl() else None
    except FileNotFoundError:
        data = None
    data_path.unlink(missing_ok=True)
    meta_path.unlink(missing_ok=True)
    if data is None:
        return None
    return Stashed(data=data, options=dict(meta.get("options") or {}))


def import_form(form_class: Any, data: bytes, *, kind: str, owner: str, **options: str) -> Any:
    """The import step's form after a good preview: the file is stashed here and the page holds only
    its token; ``options`` are the ones the preview was checked with (hidden fields of the form)."""
    token = stash(data, kind=kind, owner=owner, options=options)
    return form_class(formdata=None, payload=token, **options)


def claim_form(form: Any, *, kind: str, owner: str) -> Stashed | None:
    """The stashed upload an import form names (None if the form is invalid or the file is gone)."""
    return claim(form.payload.data, kind=kind, owner=owner) if form.validate_on_submit() else None
