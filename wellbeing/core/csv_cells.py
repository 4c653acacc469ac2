"""The one CSV renderer: every CSV the platform writes (pages, exports, CLI) goes through :func:`write_csv`.

Cells follow CLI.md: a null (None, NaN, pandas NA) is empty, a boolean is ``true``/``false``, a whole
number is written without a decimal point (``12``, not ``12.0``), other numbers as Python prints them
(the values are the released ones: formatting only, no rounding here). Lines end in ``\\n``; the header
row holds the column names (CLI.md's, which programs read) unless ``headers`` renames them for people.

CSV injection: a text cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)``, DDE). Such a cell gets a leading
apostrophe, which spreadsheets show as text (OWASP, "CSV Injection"). Only text values are touched:
numbers — negative ones included — are written as numbers.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """``value`` with a leading ``'`` if it is text starting with a formula character; else unchanged.

    >>> neutralise("=1+1"), neutralise(-3.5), neutralise("akm-d1")
    ("'=1+1", -3.5, 'akm-d1')
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def cell_text(value: object) -> str:
    """One value as CSV text, by the rules above; text is neutralised.

    >>> [cell_text(v) for v in (None, float("nan"), True, 12.0, 12.5, 3, "=x")]
    ['', '', 'true', '12', '12.5', '3', "'=x"]
    """
    if isinstance(value, str):
        return str(neutralise(value))
    return plain_text(value)


def plain_text(value: object) -> str:
    """One value as text by the rules above, text left as it is (aligned tables on a terminal)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, np.generic):   # numpy scalars as Python values
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value)


def write_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any] | Sequence[Any]],
              headers: Mapping[str, str] | None = None) -> str:
    """CSV text: a header row of ``columns`` (renamed by ``headers`` where given), then one line per
    row. A row is a mapping (missing keys are empty cells, extra keys ignored) or a sequence in the
    order of ``columns``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([cell_text((headers or {}).get(c, c)) for c in columns])
    for row in rows:
        values = [row.get(c) for c in columns] if isinstance(row, Mapping) else list(row)
        w.writerow([cell_text(v) for v in values])
    return buf.getvalue()


def frame_csv(frame: Any, columns: Sequence[str] | None = None, headers: Mapping[str, str] | None = None) -> str:
    """A DataFrame's ``columns`` (default: all) as CSV by :func:`write_csv`."""
    cols = list(frame.columns) if columns is None else list(columns)
    return write_csv(cols, frame[cols].itertuples(index=False, name=None), headers)


def plain_records(df: pd.DataFrame, columns: Sequence[str] | None = None) -> list[dict]:
    """Rows as plain dicts for templates and JSON: pandas NA/NaN -> None, numpy scalars -> Python."""
    cols = list(columns) if columns is not None else list(df.columns)
    out = []
    for row in df[cols].itertuples(index=False):
        rec: dict[str, Any] = {}
        for c, v in zip(cols, row):
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                rec[c] = None
            elif hasattr(v, "item"):
                rec[c] = v.item()
            else:
                rec[c] = v
        out.append(rec)
    return out
