"""The one table reader (wellbeing.core.tables, issue 24): the same ``--columns`` file gives the same
result on units, roster and shift imports, and every import names rows and columns the same way
(header = row 1, first data row = 2; a missing column at row 1; blank lines keep their numbers;
``field_count``, ``encoding``)."""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from wellbeing.core.economics import parse_rates
from wellbeing.core.instruments import load_instrument
from wellbeing.core.response_import import parse_groups_csv, parse_mapping, parse_responses
from wellbeing.core.roster import parse_roster
from wellbeing.core.shifts.grids import INRC_CODES, parse_codes, parse_grid
from wellbeing.core.shifts.records import parse_shifts
from wellbeing.core.shifts.weekly import WEEKLY_TEMPLATE_COLUMNS, parse_weekly_template
from wellbeing.core.tables import ImportRejected, RowError, detect_delimiter, read_table
from wellbeing.core.units import parse_units

REPO = Path(__file__).resolve().parents[2]
UNITS = REPO / "tests" / "data" / "units-small.csv"
FRA = REPO / "tests" / "data" / "fra-dispatchers.csv"
FRA_MAPPING = REPO / "examples" / "fra" / "mapping.toml"
RATES = REPO / "examples" / "pay-rates.csv"

#: One columns file (``--columns MAP.toml``) for the three imports: Russian and Kazakh header names.
COLUMNS_TOML = """
[columns]
"Табельный номер" = "person_id"
"Бөлімше" = "unit_id"
"График" = "shift_pattern"
"Должность" = "position"
"Часов в неделю" = "contract_hours_week"
"Начало" = "start"
"Конец" = "end"
"Перерыв, мин" = "break_min"
"Вид дежурства" = "duty_type"
"Код смены" = "shift_code"
"Атауы" = "name"
"Жоғарғы бөлімше" = "parent_id"
"Деңгей" = "level"
"Штат" = "headcount"
"""
COLUMNS: dict[str, str] = tomllib.loads(COLUMNS_TOML)["columns"]
#: The file's headers as people type them: other case, spaces around (compared stripped, case-folded).
FILE_HEADER = {contract: f"  {name.upper() if i % 2 else name.lower()} " for i, (name, contract)
               in enumerate(COLUMNS.items())}

ROSTER = ("person_id,unit_id,shift_pattern,position,contract_hours_week\n"
          "p1,akm-d1-u1,24-72,patrol,40\np2,akm-d1-u1,24-72,,40\np3,akm-d1-u2,24-48,duty,36\n")
SHIFTS = ("person_id,start,end,break_min,duty_type,shift_code\n"
          "p1,2024-03-04 08:00,2024-03-05 08:00,60,regular,С\n"
          "p2,2024-03-04 08:00,2024-03-04 20:00,0,overtime,\n"
          "p3,2024-03-05 09:00,2024-03-05 18:00,30,training,Д\n")


def translated(text: str) -> str:
    """``text`` with its header in the file's language (:data:`FILE_HEADER`), ``;``-separated."""
    head, _, body = text.partition("\n")
    names = [FILE_HEADER.get(c, c) for c in head.split(",")]
    rows = list(csv.reader(io.StringIO(body)))
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\n").writerows([names, *rows])
    return buf.getvalue()


def rejected(fn: Callable[..., object], *args: object, **kw: object) -> list[RowError]:
    with pytest.raises(ImportRejected) as exc:
        fn(*args, **kw)
    return exc.value.errors


# ------------------------------------------------------------------------- the same columns file
def test_the_same_columns_file_gives_the_same_units_roster_and_shifts():
    units = UNITS.read_text(encoding="utf-8")
    assert parse_units(translated(units), columns=COLUMNS) == parse_units(units)
    pd.testing.assert_frame_equal(parse_roster(translated(ROSTER), columns=COLUMNS), parse_roster(ROSTER))
    pd.testing.assert_frame_equal(parse_shifts(translated(SHIFTS).encode("utf-8-sig"), columns=COLUMNS),
                                  parse_shifts(SHIFTS))


def test_the_same_columns_file_maps_grids_weekly_templates_and_codes():
    grid = "person_id,d1,d2\np1,E,N\np2,-,L\n"
    pd.testing.assert_frame_equal(parse_grid(translated(grid), INRC_CODES, "2024-01-01", columns=COLUMNS),
                                  parse_grid(grid, INRC_CODES, "2024-01-01"))
    weekly = ",".join(WEEKLY_TEMPLATE_COLUMNS) + "\np1,09:00,18:00" + ",," * 6 + "\n"
    pd.testing.assert_frame_equal(
        parse_weekly_template(translated(weekly), "2024-03-04", "2024-03-10", columns=COLUMNS),
        parse_weekly_template(weekly, "2024-03-04", "2024-03-10"))
    codes = "code,start,end,duty_type\nД,08:00,20:00,regular\n"
    mapped = "КОД; начало ;Конец;вид дежурства\nД;08:00;20:00;regular\n"
    assert parse_codes(mapped, columns={"Код": "code", **COLUMNS}) == parse_codes(codes)


def test_contract_names_match_whatever_the_case_and_spaces():
    table = read_table(" Person_ID ;UNIT_ID\np1;u1\n", required=("person_id", "unit_id"))
    assert table.header == ("person_id", "unit_id") and table.rows == [(2, {"person_id": "p1", "unit_id": "u1"})]
    assert detect_delimiter("a\tb;c\tc\n") == "\t"


# ------------------------------------------------------------------ errors: the same row and column
def fra(change: Callable[[list[dict[str, str]], list[str]], list[str] | None]) -> bytes:
    """The FRA response file with ``change(rows, header)`` applied (it may return a new header)."""
    with FRA.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    header = change(rows, header) or header
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode()


@pytest.fixture(scope="module")
def responses() -> Callable[[bytes], object]:
    instruments = {i.id: i for i in (load_instrument(REPO / "surveys" / f"{n}.toml")
                                     for n in ("fra_dispatchers", "fra_background", "selfreport_schedule"))}
    mapping = parse_mapping(FRA_MAPPING.read_text(encoding="utf-8"), str(FRA_MAPPING))
    return lambda data: parse_responses(data, mapping, instruments, {"1", "2", "3", "4", "5"})


def drop_column(text: str, column: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    i = rows[0].index(column)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([r[:i] + r[i + 1:] for r in rows])
    return buf.getvalue()


def set_cell(text: str, row: int, column: str, value: str) -> str:
    """``text`` with the cell of spreadsheet ``row`` (header = 1) in ``column`` set to ``value``."""
    rows = list(csv.reader(io.StringIO(text)))
    rows[row - 1][rows[0].index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def test_a_missing_column_is_row_1_and_the_column_in_every_import(responses):
    units = UNITS.read_text(encoding="utf-8")
    cases = [
        (parse_units, drop_column(units, "level"), "level"),
        (parse_roster, drop_column(ROSTER, "unit_id"), "unit_id"),
        (parse_shifts, drop_column(SHIFTS, "end"), "end"),
        (parse_rates, drop_column(RATES.read_text(encoding="utf-8"), "night"), "night"),
        (parse_groups_csv, "value,slug\n1,a\n", "label"),
        (responses, fra(lambda rows, header: [h for h in header if h != "Mentally_Drained"]), "Mentally_Drained"),
    ]
    for fn, data, column in cases:
        (e,) = rejected(fn, data)
        assert (e.row, e.column, e.rule) == (1, column, "missing_column"), fn
        assert str(e).startswith(f"row 1, column {column} — "), str(e)
    # ... also when the file's header is mapped: the contract's name is reported
    (e,) = rejected(parse_roster, translated(drop_column(ROSTER, "unit_id")), columns=COLUMNS)
    assert (e.row, e.column, e.rule) == (1, "unit_id", "missing_column")


def test_a_bad_value_is_its_spreadsheet_row_and_column_in_every_import(responses):
    units = UNITS.read_text(encoding="utf-8")

    def seven(rows: list[dict[str, str]], header: list[str]) -> None:
        rows[1]["Mentally_Drained"] = "7"   # file row 3

    cases = [
        (parse_units, set_cell(units, 3, "headcount", "many"), "headcount", "many"),
        (parse_roster, set_cell(ROSTER, 3, "contract_hours_week", "many"), "contract_hours_week", "many"),
        (parse_shifts, set_cell(SHIFTS, 3, "duty_type", "vacation"), "duty_type", "vacation"),
        (parse_rates, set_cell(RATES.read_text(encoding="utf-8"), 3, "night", "x"), "night", "x"),
        (responses, fra(seven), "Mentally_Drained", "7"),
    ]
    for fn, data, column, value in cases:
        errs = rejected(fn, data)
        assert [(e.row, e.column, e.value) for e in errs] == [(3, column, value)], (fn, errs)
        assert str(errs[0]).startswith(f"row 3, column {column}: {value!r} — ")
    # mapped headers name the contract column, with the same row
    errs = rejected(parse_shifts, translated(set_cell(SHIFTS, 3, "duty_type", "vacation")), columns=COLUMNS)
    assert [(e.row, e.column, e.rule) for e in errs] == [(3, "duty_type", "unknown_duty_type")]


def test_blank_lines_keep_their_numbers_and_field_counts_are_checked_everywhere():
    units = UNITS.read_text(encoding="utf-8")
    for fn, text, column, value in [
        (parse_units, units, "headcount", "many"),
        (parse_roster, ROSTER, "contract_hours_week", "many"),
        (parse_shifts, SHIFTS, "duty_type", "vacation"),
    ]:
        lines = set_cell(text, 3, column, value).splitlines(keepends=True)
        with_blank = "".join([*lines[:2], "\n", " ;\n".replace(";", ","), *lines[2:]])
        errs = rejected(fn, with_blank)
        assert [(e.row, e.column) for e in errs] == [(5, column)], (fn, errs)
        extra = "".join([*lines[:1], lines[1].rstrip("\n") + ",surplus\n", *lines[3:]])
        errs = rejected(fn, extra)
        assert [(e.row, e.column, e.rule) for e in errs] == [(2, None, "field_count")], (fn, errs)
        short = "".join([*lines[:1], lines[1].rsplit(",", 1)[0] + "\n", *lines[3:]])
        assert [(e.row, e.rule) for e in rejected(fn, short)] == [(2, "field_count")]


def test_an_undecodable_file_is_rule_encoding_without_a_row_in_every_import(responses):
    cp1251 = "Табельный номер,Бөлімше\n".encode("cp1251", errors="replace")
    for fn in (parse_units, parse_roster, parse_shifts, parse_rates, parse_groups_csv, responses):
        (e,) = rejected(fn, cp1251)
        assert (e.row, e.column, e.rule) == (None, None, "encoding"), fn
    (e,) = rejected(parse_roster, ROSTER.encode(), encoding="no-such-codec")
    assert e.rule == "encoding"


def test_an_empty_file_and_a_duplicate_header():
    for fn in (parse_units, parse_roster, parse_shifts):
        (e,) = rejected(fn, "  \n")
        assert (e.row, e.rule) == (None, "empty")
    errs = rejected(parse_roster, translated(ROSTER).replace("  табельный номер ", "person_id", 1)
                    .replace("\n", ";Табельный номер\n", 1), columns=COLUMNS)
    assert [(e.row, e.column, e.rule) for e in errs] == [(1, "person_id", "duplicate_column")]


def test_quoted_fields_and_line_endings_keep_the_same_rows():
    text = 'a,b\r\n"x, y",2\r\n"two\nlines",3\r\n,\r\n4,5,6\r\n'
    (e,) = rejected(read_table, text, required=("a", "b"))
    assert (e.row, e.rule) == (5, "field_count")   # a quoted line break does not start a row
    table = read_table(text.replace("4,5,6", "4,5"), required=("a", "b"))
    assert table.rows == [(2, {"a": "x, y", "b": "2"}), (3, {"a": "two\nlines", "b": "3"}),
                          (5, {"a": "4", "b": "5"})]
    no_quotes = "a;b\n1;2\n\n3;4;5\n6\n"
    assert [(e.row, e.rule) for e in rejected(read_table, no_quotes, required=("a",))] == [
        (4, "field_count"), (5, "field_count")]


# ------------------------------------------------------------------ review of the one reader (issue 24)


def _rules(exc: pytest.ExceptionInfo[ImportRejected]) -> list[tuple[int | None, str]]:
    return [(e.row, e.rule) for e in exc.value.errors]


def test_a_header_only_file_is_rule_empty_unless_the_caller_allows_it():
    with pytest.raises(ImportRejected) as exc:
        read_table("a,b\n\n  \n", required=("a",))
    assert _rules(exc) == [(None, "empty")]
    assert exc.value.errors[0].message == "the file has a header but no data rows"
    with pytest.raises(ImportRejected) as exc:
        parse_units(b"unit_id,name,parent_id,level\n")
    assert _rules(exc) == [(None, "empty")]
    got = read_table("a,b\n", required=("a",), allow_empty=True)
    assert got.header == ("a", "b") and len(got.frame) == 0


def test_leading_blank_lines_are_skipped_and_rows_keep_their_line_numbers():
    got = read_table("\n  \n\nperson_id;x\nP1;1\n\nP2;2\n", required=("person_id",))
    assert got.row_numbers.tolist() == [5, 7]
    assert got.frame["person_id"].tolist() == ["P1", "P2"]
    with pytest.raises(ImportRejected) as exc:
        read_table("\n\na;b\n1;2;3\n", required=("a",))
    assert _rules(exc) == [(4, "field_count")]
    with pytest.raises(ImportRejected) as exc:
        read_table("\r\n\r\na;b\r\n1;2\r\n", required=("c",))
    assert _rules(exc) == [(3, "missing_column")]


def test_empty_trailing_header_names_with_empty_cells_are_dropped():
    got = read_table("a;b;c;;\n1;2;3;;\n4;5;6;;\n", required=("a", "b", "c"))
    assert got.header == ("a", "b", "c")
    assert got.rows == [(2, {"a": "1", "b": "2", "c": "3"}), (3, {"a": "4", "b": "5", "c": "6"})]
    # An unnamed column holding values stays (under ""); two of them are one duplicate_column.
    assert read_table("a;\n1;x\n", required=("a",)).header == ("a", "")
    with pytest.raises(ImportRejected) as exc:
        read_table("a;;\n1;x;y\n", required=("a",))
    assert _rules(exc) == [(1, "duplicate_column")]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1251", "cp1252", "latin-1"])
def test_a_utf8_bom_is_dropped_with_any_encoding(encoding: str):
    got = read_table(b"\xef\xbb\xbfa,b\n1,2\n", required=("a", "b"), encoding=encoding)
    assert got.header == ("a", "b")


def test_columns_targets_match_the_contract_names_ignoring_case():
    got = read_table("Title,Id\nx,1\n", required=("name", "id"), columns={"title": "NAME"})
    assert got.header == ("name", "id")


def test_value_maps_apply_to_the_contract_columns_only():
    vals = {"level": {"облыс": "region"}, "other": {"облыс": "changed"}}
    got = read_table("level,other\nОблыс,облыс\n", required=("level",), values=vals)
    assert got.rows == [(2, {"level": "region", "other": "облыс"})]


def test_the_decode_error_is_true_for_commands_without_encoding():
    with pytest.raises(ImportRejected) as exc:
        read_table(b"a\n\xff\n")
    msg = exc.value.errors[0].message
    assert "save it as UTF-8" in msg and "where the command offers it" in msg
