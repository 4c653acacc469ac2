"""A forensic reader of SQLite files, written for the storage-order tests (issue 15).

It reads what a database operator or a backup holder has: the raw bytes of the main file and of its
write-ahead log, including stale frames of earlier log generations, without SQLite's help. Format:
https://www.sqlite.org/fileformat2.html (sections 1.3 header, 1.6 b-tree pages, 2.1 records,
4 the WAL). Only b-tree *leaf* cells are read (table leaf 0x0D, index leaf 0x0A: the ``WITHOUT ROWID``
tables are index b-trees); overflow pages are not followed (the rows looked for are small).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

WAL_HEADER = 32
FRAME_HEADER = 24


def varint(buf: bytes, i: int) -> tuple[int, int]:
    """SQLite's big-endian varint at ``buf[i]``: (value, next index)."""
    v = 0
    for n in range(9):
        b = buf[i + n]
        if n == 8:
            return (v << 8) | b, i + 9
        v = (v << 7) | (b & 0x7F)
        if b < 0x80:
            return v, i + n + 1
    raise AssertionError("unreachable")


def record(payload: bytes) -> list[object] | None:
    """Decode a record (header of serial types, then values); None if it is cut short."""
    try:
        hlen, i = varint(payload, 0)
        types = []
        while i < hlen:
            t, i = varint(payload, i)
            types.append(t)
        j = hlen
        out: list[object] = []
        for t in types:
            if t == 0:
                out.append(None)
            elif 1 <= t <= 6:
                n = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}[t]
                out.append(int.from_bytes(payload[j:j + n], "big", signed=True))
                j += n
            elif t == 7:
                out.append(struct.unpack(">d", payload[j:j + 8])[0])
                j += 8
            elif t in (8, 9):
                out.append(t - 8)
            elif t >= 12:
                n = (t - 12) // 2
                raw = payload[j:j + n]
                if len(raw) < n:
                    return None
                out.append(raw if t % 2 == 0 else raw.decode("utf-8", "replace"))
                j += n
            else:
                return None
        return out
    except (IndexError, struct.error):
        return None


@dataclass(frozen=True)
class Cell:
    """One leaf cell: which page image it sits in, its byte offset there, and its record."""

    source: str          # "main" or "wal"
    frame: int           # WAL frame index (0-based), -1 for the main file
    page_no: int
    offset: int
    values: list[object]


def leaf_cells(page: bytes, page_no: int, usable: int, source: str = "main", frame: int = -1) -> list[Cell]:
    """The record-holding cells of a page image: table leaves (0x0D) and index pages, leaf (0x0A) and
    interior (0x02) — an index b-tree (so a ``WITHOUT ROWID`` table) keeps entries in interior pages
    too. Empty for any other page."""
    hdr = 100 if page_no == 1 else 0
    if len(page) < hdr + 8 or page[hdr] not in (0x02, 0x0A, 0x0D):
        return []
    kind = page[hdr]
    ncells = int.from_bytes(page[hdr + 3:hdr + 5], "big")
    pointers = hdr + (12 if kind == 0x02 else 8)
    cells = []
    # Largest payload kept on the page (fileformat2 section 1.6): table leaf U-35, index (U-12)*64/255-23.
    max_local = usable - 35 if kind == 0x0D else (usable - 12) * 64 // 255 - 23
    for n in range(ncells):
        p = pointers + 2 * n
        off = int.from_bytes(page[p:p + 2], "big")
        if not 0 < off < len(page):
            continue
        try:
            size, i = varint(page, off + (4 if kind == 0x02 else 0))
            if kind == 0x0D:
                _rowid, i = varint(page, i)
        except IndexError:
            continue
        if size > max_local:
            continue  # overflows: not one of the small rows we look for
        values = record(page[i:i + size])
        if values is not None:
            cells.append(Cell(source, frame, page_no, off, values))
    return cells


@dataclass(frozen=True)
class Frame:
    index: int
    page_no: int
    commit_size: int     # database size in pages for a commit frame, else 0
    salt: tuple[int, int]
    data: bytes


@dataclass
class Snapshot:
    """A copy of ``<db>``, ``<db>-wal`` (and ``-shm``, unused here) as raw bytes."""

    main: bytes
    wal: bytes

    @property
    def page_size(self) -> int:
        ps = int.from_bytes(self.main[16:18], "big")
        return 65536 if ps == 1 else ps

    @property
    def usable(self) -> int:
        return self.page_size - self.main[20]

    def main_pages(self) -> dict[int, bytes]:
        ps = self.page_size
        return {n + 1: self.main[n * ps:(n + 1) * ps] for n in range(len(self.main) // ps)}

    def wal_salt(self) -> tuple[int, int] | None:
        if len(self.wal) < WAL_HEADER:
            return None
        return struct.unpack(">II", self.wal[16:24])

    def frames(self) -> list[Frame]:
        """Every frame in the log file, current or stale (a forensic reader sees both)."""
        if len(self.wal) < WAL_HEADER:
            return []
        ps = int.from_bytes(self.wal[8:12], "big")
        out = []
        pos, n = WAL_HEADER, 0
        while pos + FRAME_HEADER + ps <= len(self.wal):
            page_no, commit, s1, s2 = struct.unpack(">IIII", self.wal[pos:pos + 16])
            out.append(Frame(n, page_no, commit, (s1, s2), self.wal[pos + FRAME_HEADER:pos + FRAME_HEADER + ps]))
            pos += FRAME_HEADER + ps
            n += 1
        return out

    def transactions(self) -> list[list[Frame]]:
        """Frames grouped into committed transactions, oldest first: stale generations (older salt-1)
        before the current one, file order within a generation. Frames after the last commit marker
        of a generation (uncommitted) are dropped."""
        groups: dict[tuple[int, int], list[list[Frame]]] = {}
        current: dict[tuple[int, int], list[Frame]] = {}
        for f in self.frames():
            current.setdefault(f.salt, []).append(f)
            if f.commit_size:
                groups.setdefault(f.salt, []).append(current.pop(f.salt))
        order = sorted(groups, key=lambda s: s[0])
        return [t for s in order for t in groups[s]]

    def effective_pages(self) -> dict[int, bytes]:
        """What a reader sees: the main file overlaid with the current generation's committed frames."""
        pages = self.main_pages()
        salt = self.wal_salt()
        if salt is None:
            return pages
        pending: dict[int, bytes] = {}
        for f in self.frames():
            if f.salt != salt:
                continue
            pending[f.page_no] = f.data
            if f.commit_size:
                pages.update(pending)
                pending = {}
        return pages

    def cells(self, pages: dict[int, bytes]) -> list[Cell]:
        return [c for n, p in pages.items() for c in leaf_cells(p, n, self.usable)]

    def frame_cells(self, frame: Frame) -> list[Cell]:
        return leaf_cells(frame.data, frame.page_no, self.usable, "wal", frame.index)
