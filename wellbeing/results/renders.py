"""Rendered plots and PDFs kept per release and locale, so a staff page never draws one twice.

A rendering (PNG, SVG, PDF bytes) is a pure function of the released rows it draws, the names it
prints, the locale and the output format. Its key is a SHA-256 over exactly those (the released rows
hashed by value), so a new release, a renamed unit or another language is a new file, and the same
request from any worker is served from the file. The files hold nothing the page does not show;
they live in the instance folder (``renders/``, 0700, files 0600) and can be deleted at any time.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from flask import current_app

from ..instance_files import private_dir, write_private

#: Bump when a plot's or PDF's drawing changes, so older renderings are not served.
#: 2: the PDF's reliability table names languages and items (it printed codes and item ids).
RENDER_VERSION = "2"

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


@functools.cache
def catalogues_digest() -> str:
    """SHA-256 of every compiled message catalogue (``translations/*/LC_MESSAGES/messages.mo``): part of
    every render key, so a corrected translation is not hidden behind a rendering kept from before."""
    h = hashlib.sha256()
    for mo in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.mo")):
        h.update(mo.parent.parent.name.encode())
        h.update(mo.read_bytes())
    return h.hexdigest()


def table_digest(table: pd.DataFrame) -> str:
    """A digest of a released table by value (row order and columns included)."""
    h = hashlib.sha256(",".join(map(str, table.columns)).encode())
    h.update(pd.util.hash_pandas_object(table.astype(str), index=False).to_numpy().tobytes())
    return h.hexdigest()


def render_key(*parts: Any) -> str:
    """SHA-256 of the parts' ``repr`` (strings, numbers, tuples and sorted dict items)."""
    norm = [sorted(p.items()) if isinstance(p, dict) else p for p in parts]
    return hashlib.sha256(repr((RENDER_VERSION, catalogues_digest(), *norm)).encode()).hexdigest()


def cached(kind: str, key: str, render: Callable[[], bytes]) -> bytes:
    """The bytes of rendering ``kind``/``key``: read from ``renders/`` or rendered once and kept.

    Two workers rendering the same key at once both render; the first file written wins (the
    bytes are the same).
    """
    folder = private_dir(Path(current_app.instance_path) / "renders")
    path = folder / f"{kind}-{key}"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    data = render()
    tmp = folder / f".{kind}-{key}.{os.getpid()}.tmp"
    try:
        write_private(tmp, data)
        os.replace(tmp, path)
    except OSError:
        current_app.logger.warning("could not keep a rendering in %s", folder)
        tmp.unlink(missing_ok=True)
    return data
