"""Private files in the instance folder: folders 0700, files 0600 (owner only).

The instance folder holds the database, secrets and uploads waiting for their import; none of it is for
other local users. ``os.open`` with an explicit mode and ``O_EXCL`` creates a file that is private from
its first byte (no window between create and ``chmod``), whatever the process umask.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and parents) if missing and make it 0700; returns it as a Path."""
    folder = Path(path)
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(folder, DIR_MODE)
    return folder


def write_private(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to a new file ``path`` created 0600; raises FileExistsError if it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return Path(path)


def make_private(path: str | os.PathLike[str]) -> None:
    """Set an existing file to 0600 (a folder to 0700); a missing path is ignored."""
    p = Path(path)
    if p.is_dir():
        os.chmod(p, DIR_MODE)
    elif p.exists():
        os.chmod(p, FILE_MODE)
