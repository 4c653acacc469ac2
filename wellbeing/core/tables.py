"""The one reader of delimited text files, used by every import (units, responses and groups files, cost
files, roster, shift records, grids, weekly templates, shift codes).

Rules (the same for every import; docs/cli.md "Input files" repeats them for users)
----------------------------------------------------------------------------------
Source
    ``bytes`` (the file's bytes), ``str`` (the file's text), an :class:`os.PathLike` path, or an open
    file (text or binary). A ``str`` is always text, never a path.
Encoding
    :func:`decode` is the only decoder: UTF-8 by default; ``encoding`` names another codec (e.g.
    ``cp1251``). A leading UTF-8 byte-order mark (bytes ``EF BB BF``) is dropped before decoding with
    any encoding, and a leading U+FEFF after decoding. Undecodable bytes or an unknown codec are one
    problem with rule ``encoding`` (no row).
Delimiter
    :func:`detect_delimiter`: ``,``, ``;`` or tab, whichever occurs most often in the first non-blank
    line, unless ``delimiter`` is given. Fields may be quoted with ``"`` (RFC 4180).
Header
    The first non-blank line is the header (leading blank lines are skipped and keep their numbers).
    Header names are stripped of spaces (and a stray BOM) and compared
    case-insensitively (``str.casefold``) both with the keys of the ``columns`` mapping (the file's
    names, e.g. Russian or Kazakh, to the contract's names) and with the contract's own names; the
    mapping's targets are matched to the contract's names case-insensitively too. A matched column gets
    the contract's spelling, any other column keeps its stripped header. Empty header names at the end
    of the header (``a;b;c;;`` as spreadsheets save it) are dropped when their cells are all empty. A
    column required but absent is rule ``missing_column``, two headers naming one column
    ``duplicate_column``.
Row numbers
    As a spreadsheet user sees them: **the header is row 1, the first data row is row 2** (the file's
    line numbers: after leading blank lines the header is the row it is on). Problems with the header
    (``missing_column``, ``duplicate_column``) are reported at the header's row. Problems of the
    file as a whole (``encoding``, ``empty``, ``unreadable``) have no row (``row=None``).
Blank lines
    A line whose cells are all blank is skipped; it keeps its number (the rows after it are not
    renumbered). A file with a header but no data rows is rule ``empty`` (no row), unless the caller
    passes ``allow_empty=True``.
Field count
    A non-blank row with more or fewer fields than the header is rule ``field_count``.
Cells
    Every cell is a stripped ``str`` (an empty cell is ``""``). ``values`` recodes a column's values
    (file value -> contract value, compared stripped and case-insensitively; unlisted values pass).
    Only the maps of the contract's columns (``required`` + ``optional``) are applied; maps of other
    columns are ignored, so one mapping file serves every import.
Errors
    All problems are collected and raised together as one :class:`ImportRejected` whose ``errors``
    (:class:`RowError`: row, column, value, rule, message) are sorted by row. Error kinds of the
    reader: ``encoding``, ``empty``, ``unreadable`` (the text cannot be tokenised, e.g. a quote never
    closed), ``missing_column``, ``duplicate_column``, ``field_count``.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import IO, Any

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

DELIMITERS = (",", ";", "\t")
_NON_BLANK = re.compile(r"\S")
_LINE_END = re.compile(r"[\r\n]")
#: What a reader accepts: file bytes, file text, a path, or an open file.
Source = bytes | str | os.PathLike[str] | IO[str] | IO[bytes]


@dataclass(frozen=True)
class RowError:
    """One problem in an input file.

    Attributes
    ----------
    row : spreadsheet row (header = 1, first data row = 2); None for problems of the whole file.
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

    def __init__(self, errors: Iterable[RowError], source: str | None = None) -> None:
        self.errors: list[RowError] = sorted(
            errors, key=lambda e: (e.row if e.row is not None else 0, e.column or "", e.rule))
        self.source = source
        n = len(self.errors)
        lines = [str(e) for e in self.errors[:20]]
        more = f"\n... and {n - 20} more" if n > 20 else ""
        super().__init__(f"{n} problem(s) in {source or 'input'}:\n" + "\n".join(lines) + more)


class ErrorList(list[RowError]):
    """Problems collected while checking a file; :meth:`raise_if_any` raises them as one rejection."""

    def add(self, row: int | np.integer[Any] | None, column: str | None, value: object, rule: str,
            message: str) -> None:
        """Add one problem (``row`` may be a numpy integer; ``value`` is quoted as ``str``)."""
        self.append(RowError(None if row is None else int(row), column, None if value is None else str(value),
                             rule, message))

    def add_many(self, rows: Iterable[int | np.integer[Any]], column: str, values: Iterable[object], rule: str,
                 message_fn: Callable[[object], str]) -> None:
        """One problem per (row, value) pair, the message made from the value."""
        for r, v in zip(rows, values):
            self.add(r, column, v, rule, message_fn(v))

    def raise_if_any(self, source: str | None = None) -> None:
        """Raise :class:`ImportRejected` with every problem collected, if there is any."""
        if self:
            logger.info("import rejected: %d problem(s)", len(self))
            raise ImportRejected(self, source)


# ------------------------------------------------------------------------------------ decoding
def read_bytes(source: Source) -> bytes | str:
    """The content of ``source``: bytes as given, text as given, a path's or an open file's content."""
    if isinstance(source, (bytes, str)):
        return source
    if isinstance(source, os.PathLike):
        with open(source, "rb") as fh:
            return fh.read()
    return source.read()


def decode(data: bytes | str, encoding: str = "utf-8") -> str:
    """Bytes to text in ``encoding`` (default UTF-8); a byte-order mark is dropped.

    Raises
    ------
    ImportRejected
        rule ``encoding`` (no row) on undecodable bytes or an unknown codec.
    """
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]   # a UTF-8 BOM, whatever the encoding (not read as "ï»¿" in cp1252)
    try:
        enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        return data.decode(enc).lstrip("\ufeff")
    except (UnicodeDecodeError, LookupError) as exc:
        raise ImportRejected([RowError(None, None, None, "encoding",
                                       f"cannot decode the file as {encoding} ({exc}): save it as UTF-8, or give "
                                       "its encoding with --encoding where the command offers it")]
                             ) from None


def read_text(source: Source, encoding: str = "utf-8") -> str:
    """The text of ``source`` (:func:`read_bytes` then :func:`decode`)."""
    return decode(read_bytes(source), encoding)


def detect_delimiter(text: str) -> str:
    """Return ``,``, ``;`` or tab: whichever occurs most often in the first non-blank line."""
    first = _NON_BLANK.search(text)   # the first non-blank line, found without splitting the whole text
    if first is not None:
        start = max(text.rfind("\n", 0, first.start()), text.rfind("\r", 0, first.start())) + 1
        end = _LINE_END.search(text, first.start())
        line = text[start:end.start() if end else len(text)]
        counts = {d: line.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","
    return ","


def normalise_name(name: object) -> str:
    """A header name or value as compared: stripped (a stray BOM too) and case-folded."""
    return str(name).strip().lstrip("\ufeff").strip().casefold()


# -------------------------------------------------------------------------------- coded columns
class Coded:
    """A column as integer codes into its distinct, stripped string values (checks work on the uniques)."""

    __slots__ = ("codes", "uniques")

    def __init__(self, codes: np.ndarray, uniques: np.ndarray) -> None:
        self.codes = codes
        self.uniques = uniques

    @classmethod
    def from_values(cls, values: Iterable[object] | np.ndarray) -> Coded:
        """Code the values (``str``; NaN or None count as ``""``), stripped."""
        arr = np.asarray(values, dtype=object)
        codes, uniq = pd.factorize(arr)
        uniq = np.asarray(uniq, dtype=object)
        if (codes < 0).any():  # NaN
            uniq = np.append(uniq, "")
            codes = np.where(codes < 0, len(uniq) - 1, codes)
        stripped = np.array([str(u).strip() for u in uniq], dtype=object)
        m, uu = pd.factorize(stripped)
        if len(uu) != len(uniq):
            codes = m[codes]
            stripped = np.asarray(uu, dtype=object)
        return cls(codes.astype(np.int64, copy=False), stripped)

    def __len__(self) -> int:
        return len(self.codes)

    def values(self) -> np.ndarray:
        """The value of each row."""
        return self.uniques[self.codes]

    def value(self, i: int | np.integer[Any]) -> str:
        """The value of row ``i``."""
        return str(self.uniques[self.codes[i]])

    def where(self, umask: np.ndarray | pd.Series) -> np.ndarray:
        """Row mask from a mask over the uniques."""
        return np.asarray(umask, dtype=bool)[self.codes]

    def take(self, per_unique: np.ndarray) -> np.ndarray:
        """Per-row values from per-unique values."""
        return np.asarray(per_unique)[self.codes]

    def empty(self) -> np.ndarray:
        """Row mask of the empty cells."""
        return self.where(self.uniques == "")

    def subset(self, keep: np.ndarray) -> Coded:
        """The rows of mask ``keep``."""
        return Coded(self.codes[keep], self.uniques)

    def recoded(self, table: Mapping[str, str]) -> Coded:
        """Values replaced through ``table`` (file value -> contract value; compared stripped and
        case-insensitively, so ``Сутки через трое`` matches ``сутки через трое``); unlisted values stay."""
        look = {normalise_name(k): str(v).strip() for k, v in table.items()}
        mapped = np.array([look.get(normalise_name(u), u) for u in self.uniques], dtype=object)
        m, uu = pd.factorize(mapped)
        return Coded(m[self.codes].astype(np.int64, copy=False), np.asarray(uu, dtype=object))


@dataclass(frozen=True)
class Columns:
    """A file read as coded columns: ``names`` (contract names after mapping, in file order),
    ``cols`` (name -> :class:`Coded`) and ``rows`` (spreadsheet row number of each row)."""

    names: tuple[str, ...]
    cols: dict[str, Coded]
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


# ---------------------------------------------------------------------------------- reading
def _field_counts(text: str, data: bytes, sep: str) -> tuple[np.ndarray, np.ndarray]:
    """Fields per record (header first) and whether each record is blank (computed only for records
    whose count differs from the header's). Without quotes or lone CRs a record is a line, counted on
    ``data`` (the text in UTF-8; fast); otherwise by the csv module."""
    if b'"' not in data and data.count(b"\r") == data.count(b"\r\n") and len(sep) == 1 and ord(sep) < 128:
        b = np.frombuffer(data, np.uint8)
        ends = np.flatnonzero(b == 10)
        if not len(ends) or ends[-1] != len(b) - 1:
            ends = np.append(ends, len(b))   # a last line without its newline
        before = np.searchsorted(np.flatnonzero(b == ord(sep)), ends)   # separators before each line end
        counts = np.diff(before, prepend=0) + 1
        blank = np.zeros(len(counts), bool)
        for i in np.flatnonzero(counts != counts[0]).tolist():
            line = b[(ends[i - 1] + 1 if i else 0):ends[i]].tobytes().decode("utf-8")
            blank[i] = not line.replace(sep, "").strip()
        return counts, blank
    recs = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    return (np.array([len(r) for r in recs], dtype=np.int64),
            np.array([all(not f.strip() for f in r) for r in recs], dtype=bool))


def read_columns(
    source: Source,
    *,
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
    delimiter: str | None = None,
    encoding: str = "utf-8",
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    allow_empty: bool = False,
) -> Columns:
    """Read a delimited file into coded columns (the engine of :func:`read_table`; rules in the module
    docstring). Columns outside ``required`` + ``optional`` are kept under their stripped header.

    Raises
    ------
    ImportRejected
        rules ``encoding``, ``empty``, ``unreadable``, ``missing_column``, ``duplicate_column``,
        ``field_count``.
    """
    errors = ErrorList()
    text = read_text(source, encoding)
    if not text or text.isspace():
        errors.add(None, None, None, "empty", "the file is empty")
        errors.raise_if_any()
    first = _NON_BLANK.search(text)
    assert first is not None
    head_at = max(text.rfind("\n", 0, first.start()), text.rfind("\r", 0, first.start())) + 1
    skipped = len(text[:head_at].splitlines())   # leading blank lines: the header keeps its line number
    text = text[head_at:]
    hrow = skipped + 1
    sep = delimiter or detect_delimiter(text)
    try:
        raw = next(csv.reader(io.StringIO(text[:1 << 20], newline=""), delimiter=sep))
    except (csv.Error, StopIteration) as exc:
        errors.add(None, None, None, "unreadable", f"cannot read the header: {exc}")
        errors.raise_if_any()
        raise  # pragma: no cover
    contract = {normalise_name(c): c for c in (*required, *optional)}
    mapping = {normalise_name(k): contract.get(normalise_name(v), str(v).strip()) for k, v in (columns or {}).items()}
    names = [mapping.get(normalise_name(h)) or contract.get(normalise_name(h)) or h.strip().lstrip("\ufeff").strip()
             for h in raw]
    trailing = len(names) - len("".join("x" if n else " " for n in names).rstrip())   # unnamed at the end
    seen: dict[str, str] = {}
    for i, (old, new) in enumerate(zip(raw, names)):
        if new in seen and not (new == "" and i >= len(names) - trailing):
            errors.add(hrow, new, old, "duplicate_column",
                       f"header {old.strip()!r} names column {new!r}, already given by {seen[new].strip()!r}")
        seen.setdefault(new, old)
    for c in required:
        if c not in names:
            found = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
            errors.add(hrow, c, None, "missing_column", f"required column {c!r} is missing (found: {found})")
    errors.raise_if_any()
    data = text.encode("utf-8")
    counts, blank = _field_counts(text, data, sep)
    for i in np.flatnonzero(counts[1:] != len(names)).tolist():
        if not blank[i + 1]:
            errors.add(i + 1 + hrow, None, None, "field_count",
                       f"{counts[i + 1]} fields where the header has {len(names)}")
    errors.raise_if_any()
    try:
        df = pd.read_csv(io.BytesIO(data), sep=sep, encoding="utf-8", header=0, names=list(range(len(names))),
                         index_col=False, dtype=object, keep_default_na=False, na_filter=False, skip_blank_lines=False,
                         quoting=csv.QUOTE_MINIMAL)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        errors.add(None, None, None, "unreadable", f"cannot read the file: {exc}")
        errors.raise_if_any()
        raise  # pragma: no cover
    coded = [Coded.from_values(df.iloc[:, i].to_numpy()) for i in range(len(names))]
    del df
    # Unnamed trailing columns (a spreadsheet's "a;b;c;;") are dropped when empty; with cells they are
    # kept under the name "" and a second such column is a duplicate, as any other repeated header.
    unnamed = [i for i in range(len(names) - trailing, len(names)) if not coded[i].empty().all()]
    for i in unnamed[1:]:
        errors.add(hrow, "", raw[i], "duplicate_column", "two columns without a header hold values")
    errors.raise_if_any()
    keep_cols = [i for i in range(len(names)) if i < len(names) - trailing or i in unnamed]
    names = [names[i] for i in keep_cols]
    cols = {names[j]: coded[i] for j, i in enumerate(keep_cols)}
    for name, table in (values or {}).items():
        if name in cols and name in contract.values():
            cols[name] = cols[name].recoded(table)
    n = len(next(iter(cols.values()))) if cols else 0
    rows = np.arange(hrow + 1, n + hrow + 1)
    empty = np.ones(n, bool)
    for col in cols.values():
        empty &= col.empty()
    if empty.any():
        keep = ~empty
        cols = {k: v.subset(keep) for k, v in cols.items()}
        rows = rows[keep]
    if not len(rows) and not allow_empty:
        errors.add(None, None, None, "empty", "the file has a header but no data rows")
        errors.raise_if_any()
    return Columns(tuple(names), cols, rows)


@dataclass(frozen=True, eq=False)
class Table:
    """A file read by :func:`read_table`: ``frame`` holds every cell as a stripped ``str`` under the
    contract's column names (others keep their header), ``row_numbers`` the spreadsheet row of each of
    its rows (blank lines dropped, the other rows keep their numbers)."""

    frame: pd.DataFrame
    row_numbers: np.ndarray

    @property
    def header(self) -> tuple[str, ...]:
        """Column names, contract names where mapped, in file order."""
        return tuple(str(c) for c in self.frame.columns)

    @cached_property
    def rows(self) -> list[tuple[int, dict[str, str]]]:
        """(row number, column -> cell) per row, in file order."""
        recs = self.frame.to_dict(orient="records")
        return [(int(r), {str(k): str(v) for k, v in rec.items()}) for r, rec in zip(self.row_numbers, recs)]


def read_table(
    source: Source,
    *,
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
    delimiter: str | None = None,
    encoding: str = "utf-8",
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    allow_empty: bool = False,
) -> Table:
    """Read a delimited file as a :class:`Table` of stripped strings (rules in the module docstring).

    ``columns`` maps the file's header names to the contract's names; ``values`` maps, per contract
    column, the file's values to the contract's (the ``[values.<column>]`` tables of a columns file,
    e.g. ``{"shift_pattern": {"сутки через трое": "24-72"}}``); maps of columns outside ``required`` +
    ``optional`` are ignored. ``allow_empty`` accepts a file with a header and no data rows.

    Raises
    ------
    ImportRejected
        rules ``encoding``, ``empty``, ``unreadable``, ``missing_column``, ``duplicate_column``,
        ``field_count``.
    """
    got = read_columns(source, required=required, optional=optional, delimiter=delimiter, encoding=encoding,
                       columns=columns, values=values, allow_empty=allow_empty)
    frame = pd.DataFrame({k: pd.Series(v.values(), dtype="str") for k, v in got.cols.items()},
                         columns=list(got.cols))
    return Table(frame, got.rows)
