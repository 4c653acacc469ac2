"""Reading delimited text files the way every import needs: detected delimiter, UTF-8 with or without
BOM, header names mapped from the file's language to the contract's names, and row numbers as a
spreadsheet user sees them (the header is row 1, so the first data row is row 2).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class RowError:
    """One problem in an input file.

    Attributes
    ----------
    row : spreadsheet row (header = 1, first data row = 2); None for file-level problems.
    column : contract column name (or grid column header); None when not about one column.
    value : the offending value as found in the file.
    rule : machine-readable rule id, e.g. ``end_not_after_start``, ``overlap``, ``iin``.
    message : human-readable explanation.
    """

    row: int | None
    column: str | None
    value: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        head = ", ".join(where)
        if self.value is not None:
            head = f"{head}: {self.value!r}" if head else repr(self.value)
        return f"{head} — {self.message}" if head else self.message


class ImportRejected(ValueError):
    """An input file was refused; ``errors`` lists every problem found, sorted by row (nothing saved)."""

    def __init__(self, errors: Sequence[RowError], source: str | None = None) -> None:
        self.errors: list[RowError] = sorted(
            errors, key=lambda e: (e.row if e.row is not None else 0, e.column or "", e.rule))
        self.source = source
        n = len(self.errors)
        lines = [str(e) for e in self.errors[:20]]
        more = f"\n... and {n - 20} more" if n > 20 else ""
        super().__init__(f"{n} problem(s) in {source or 'input'}:\n" + "\n".join(lines) + more)


@dataclass(frozen=True)
class Table:
    """A parsed file: ``header`` (contract names after mapping) and ``rows`` as (row number, dict)."""

    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]


def decode(data: bytes | str, encoding: str = "utf-8") -> str:
    """Bytes to text; a UTF-8 byte-order mark is dropped. Raises ImportRejected on undecodable bytes."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8")
                           else encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ImportRejected([RowError(None, None, None, "encoding", f"cannot decode the file as {encoding}: {exc}")]) from None


def detect_delimiter(text: str) -> str:
    """Return ``,``, ``;`` or tab: whichever occurs most often in the first non-blank line."""
    for line in text.splitlines():
        if line.strip():
            counts = {d: line.count(d) for d in DELIMITERS}
            best = max(counts, key=lambda d: counts[d])
            return best if counts[best] else ","
    return ","


def read_table(data: bytes | str, *, required: Sequence[str], optional: Sequence[str] = (),
               delimiter: str | None = None, encoding: str = "utf-8",
               columns: Mapping[str, str] | None = None) -> Table:
    """Parse a delimited file into a :class:`Table`.

    ``columns`` maps the file's header names (e.g. Russian or Kazakh) to the contract's names; header
    names are compared after stripping spaces. Columns outside ``required`` + ``optional`` are kept.

    Raises
    ------
    ImportRejected
        on a missing required column, a duplicate header, or a row with the wrong number of fields.
    """
    text = decode(data, encoding)
    if not text.strip():
        raise ImportRejected([RowError(None, None, None, "empty", "the file is empty")])
    delim = delimiter or detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    raw_header = [h.strip() for h in next(reader)]
    mapping = {k.strip(): v for k, v in (columns or {}).items()}
    header = [mapping.get(h, h) for h in raw_header]
    errors: list[RowError] = []
    dupes = sorted({h for h in header if header.count(h) > 1})
    for h in dupes:
        errors.append(RowError(1, h, None, "duplicate_column", "duplicate column"))
    for col in required:
        if col not in header:
            errors.append(RowError(1, col, None, "missing_column", "required column is missing"))
    if errors:
        raise ImportRejected(errors)
    rows = []
    for lineno, fields in enumerate(reader, start=2):
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            errors.append(RowError(lineno, None, None, "field_count",
                                   f"{len(fields)} fields where the header has {len(header)}"))
            continue
        rows.append((lineno, {h: f.strip() for h, f in zip(header, fields)}))
    if errors:
        raise ImportRejected(errors)
    return Table(tuple(header), tuple(rows))
