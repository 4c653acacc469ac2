"""The officers roster file (DESIGN.md section 5, CLI.md "roster"): parsing and validation, pure Python.

The file is read by :func:`wellbeing.core.tables.read_table` (encodings, delimiters, the ``columns``
header mapping, row numbers: header = row 1). All problems are raised together as one
:class:`~wellbeing.core.tables.ImportRejected`.

Output frame (:func:`parse_roster`), one row per officer, sorted by ``person_id``:

=======================  ===========  ==================================================
column                   dtype        meaning
=======================  ===========  ==================================================
``person_id``            str          pseudonymous id (never a 12-digit IIN)
``unit_id``              str          unit
``shift_pattern``        str or NA    catalogue slug (:data:`SHIFT_PATTERN_SLUGS`); NA = unknown
``position``             str or NA    optional
``contract_hours_week``  float64      contractual hours per week (0 < h <= 100)
``accounting_period``    str or NA    ``week``/``month``/``quarter``/``year``; NA = month
=======================  ===========  ==================================================
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .patterns import SHIFT_PATTERN_SLUGS
from .tables import Coded, ErrorList, Source, read_table

logger = logging.getLogger(__name__)

ROSTER_COLUMNS = ("person_id", "unit_id", "shift_pattern", "position", "contract_hours_week",
                  "accounting_period")
#: Accounting periods of working time (roster column ``accounting_period``; the features read an
#: empty one as ``month``, see :mod:`wellbeing.core.schedules`).
ACCOUNTING_PERIODS: tuple[str, ...] = ("week", "month", "quarter", "year")


def check_person_ids(ids: Coded | pd.Series | np.ndarray, rows: np.ndarray, errors: ErrorList,
                     known: Iterable[str] | None = None) -> None:
    """Rules of a ``person_id`` column into ``errors``: ``required`` (empty), ``iin`` (12 digits, a
    national ID, not a pseudonymous id) and, with ``known``, ``unknown_person``."""
    col = ids if isinstance(ids, Coded) else Coded.from_values(np.asarray(ids, dtype=object))
    u = pd.Series(col.uniques, dtype=object)
    rules = [
        ("required", (u == "").to_numpy(), "person_id is required"),
        ("iin", u.str.fullmatch(r"\d{12}").fillna(False).to_numpy(dtype=bool),
         "looks like a 12-digit IIN (national ID); use a pseudonymous id"),
    ]
    if known is not None:
        rules.append(("unknown_person", ~u.isin(set(known)).to_numpy() & (u != "").to_numpy(),
                      "person not in the roster"))
    for rule, umask, msg in rules:
        if umask.any():
            for j in np.flatnonzero(col.where(umask)):
                errors.add(rows[j], "person_id", col.value(j), rule, msg)


def _to_number(s: pd.Series) -> pd.Series:
    """Numbers (decimal comma accepted) per value; NaN where not a number."""
    col = Coded.from_values(s.to_numpy(dtype=object))
    u = pd.Series(col.uniques, dtype=object).str.replace(",", ".", regex=False)
    return pd.Series(col.take(pd.to_numeric(u, errors="coerce").to_numpy(dtype=float)), index=s.index)


def _na_if_empty(s: pd.Series) -> pd.Series:
    out = s.astype("str").copy()
    return out.mask(out == "", pd.NA)


def parse_roster(
    source: Source,
    *,
    known_units: Iterable[str] | None = None,
    known_patterns: Iterable[str] = SHIFT_PATTERN_SLUGS,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """Parse and validate an officers roster ``person_id,unit_id,shift_pattern,position,contract_hours_week``
    (``[,accounting_period]``).

    ``position`` is optional; an empty ``shift_pattern`` means "not known yet" (NA). The optional
    ``accounting_period`` is the officer's accounting period of working time, one of ``week``,
    ``month``, ``quarter``, ``year`` (:data:`ACCOUNTING_PERIODS`); empty or absent = NA, which the
    features read as the default ``month``. ``values`` recodes values per column (see
    :func:`wellbeing.core.tables.read_table`), e.g. Russian pattern names to slugs.

    Returns
    -------
    DataFrame
        Columns of :data:`ROSTER_COLUMNS` (see the module docstring), sorted by ``person_id``.

    Raises
    ------
    ImportRejected
        The reader's rules (:mod:`wellbeing.core.tables`: ``missing_column`` at row 1, ...), and
        ``required`` (empty person_id or unit_id), ``iin`` (person_id of 12 digits), ``duplicate``
        (person listed twice), ``unknown_unit`` (when ``known_units`` is given),
        ``unknown_shift_pattern``, ``bad_number`` (contract hours empty or not a number in (0, 100];
        a decimal comma is accepted), ``unknown_accounting_period``.
    """
    table = read_table(
        source, required=("person_id", "unit_id", "shift_pattern", "contract_hours_week"),
        optional=("position", "accounting_period"), delimiter=delimiter, encoding=encoding,
        columns=columns, values=values,
    )
    df, rows = table.frame, table.row_numbers
    errors = ErrorList()
    pid = df["person_id"]
    check_person_ids(pid, rows, errors)
    dup = (pid.duplicated(keep="first") & (pid != "")).to_numpy()
    first_row = dict(zip(pid[~dup][::-1], rows[~dup][::-1]))
    for r, v in zip(rows[dup], pid[dup]):
        errors.add(r, "person_id", v, "duplicate", f"person listed twice (first in row {first_row[v]})")
    unit = df["unit_id"]
    empty = (unit == "").to_numpy()
    errors.add_many(rows[empty], "unit_id", unit[empty], "required", lambda v: "unit_id is required")
    if known_units is not None:
        bad = ~unit.isin(set(known_units)).to_numpy() & ~empty
        errors.add_many(rows[bad], "unit_id", unit[bad], "unknown_unit", lambda v: "unknown unit")
    pat = df["shift_pattern"].str.lower()
    known = set(known_patterns)
    bad = ~pat.isin(known).to_numpy() & (pat != "").to_numpy()
    errors.add_many(rows[bad], "shift_pattern", df["shift_pattern"][bad], "unknown_shift_pattern",
                    lambda v: f"unknown shift pattern (expected one of {', '.join(sorted(known))})")
    hrs_s = df["contract_hours_week"]
    hrs = _to_number(hrs_s)
    badnum = (hrs.isna() | (hrs <= 0) | (hrs > 100)).to_numpy()
    errors.add_many(rows[badnum], "contract_hours_week", hrs_s[badnum], "bad_number",
                    lambda v: "contract hours per week must be a number above 0 and at most 100")
    if "accounting_period" in df:
        ap = df["accounting_period"].str.lower()
        badp = ~ap.isin(ACCOUNTING_PERIODS).to_numpy() & (ap != "").to_numpy()
        errors.add_many(rows[badp], "accounting_period", df["accounting_period"][badp],
                        "unknown_accounting_period",
                        lambda v: f"unknown accounting period (expected one of {', '.join(ACCOUNTING_PERIODS)}, "
                                  f"or empty for month)")
    else:
        ap = pd.Series("", index=df.index, dtype="str")
    errors.raise_if_any()
    out = pd.DataFrame(
        {
            "person_id": pid.astype("str"),
            "unit_id": unit.astype("str"),
            "shift_pattern": _na_if_empty(pat),
            "position": _na_if_empty(df["position"]) if "position" in df else
            pd.Series(pd.NA, index=df.index, dtype="str"),
            "contract_hours_week": hrs.astype("float64"),
            "accounting_period": _na_if_empty(ap),
        }
    )
    logger.info("roster parsed: %d officers", len(out))
    return out.sort_values("person_id", kind="stable").reset_index(drop=True)
