"""Pure parsing and validation of response imports (wellbeing.core.response_import)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from wellbeing.core.instruments import load_instrument
from wellbeing.core.response_import import (
    normalise_value,
    parse_groups_csv,
    parse_mapping,
    parse_responses,
)
from wellbeing.core.tables import ImportRejected

REPO = Path(__file__).resolve().parents[2]
FRA = REPO / "tests" / "data" / "fra-dispatchers.csv"
MAPPING = REPO / "examples" / "fra" / "mapping.toml"
GROUPS = REPO / "examples" / "fra" / "groups.csv"


@pytest.fixture(scope="module")
def instruments():
    return {i.id: i for i in (load_instrument(REPO / "surveys" / f"{n}.toml")
                              for n in ("fra_dispatchers", "fra_background", "selfreport_schedule"))}


@pytest.fixture(scope="module")
def mapping():
    return parse_mapping(MAPPING.read_text(encoding="utf-8"), str(MAPPING))


GROUP_VALUES = {"1", "2", "3", "4", "5"}


def edited(change) -> bytes:  # type: ignore[no-untyped-def]
    """The FRA file with ``change(rows)`` applied to its list of dict rows (header kept)."""
    with FRA.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    header = change(rows) or header
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode()


def rules(exc: ImportRejected) -> set[tuple[int | None, str | None, str]]:
    return {(e.row, e.column, e.rule) for e in exc.errors}


def test_normalise_value():
    assert normalise_value(" 1.0 ") == "1" and normalise_value("2.50") == "2.5"
    assert normalise_value("") == "" and normalise_value("abc") == "abc" and normalise_value("nan") == "nan"


def test_groups_file_parses_and_refuses_with_rows():
    groups = parse_groups_csv(GROUPS.read_bytes())
    assert [(g.value, g.slug) for g in groups] == [("1", "first-shift"), ("2", "second-shift"),
                                                   ("3", "third-shift"), ("4", "relief"), ("5", "extraboard")]
    bad = "value,slug,label\n1,a,A\n1.0,b,B\n2,Bad Slug,C\n3,a,D\n"
    with pytest.raises(ImportRejected) as exc:
        parse_groups_csv(bad)
    assert rules(exc.value) == {(3, "value", "duplicate"), (4, "slug", "slug"), (5, "slug", "duplicate")}
    with pytest.raises(ImportRejected):
        parse_groups_csv("value,slug\n1,a\n")


def test_fra_file_parses(instruments, mapping):
    parsed, report = parse_responses(FRA.read_bytes(), mapping, instruments, GROUP_VALUES)
    assert report.responses == len(parsed) == 443 and report.rows_skipped == 0
    assert report.dropped_columns == ("ID",)
    assert "Sex" in report.ignored_columns and "SunStart_Time" not in report.ignored_columns
    assert report.per_group == {"1": 112, "2": 93, "3": 101, "4": 83, "5": 54}
    assert report.schedule["reported"] + report.schedule["not_reported"] == 443
    assert report.schedule["quick_returns"] == {0: 387, 1: 1}
    first = parsed[0]  # ID 2: 2nd shift, 14:30-22:30 on five days, age 30-39
    assert first.group_value == "2"
    assert first.answers["fra_background"] == {"age_band": 2.0}
    # 40 h a week, 8-h shifts, 30 min a day after 22:00 -> 2.5 night hours: bands 1-8, <=8, <=40
    assert first.answers["selfreport_schedule"] == {"night_hours_band": 2.0, "shift_length_band": 1.0,
                                                    "weekly_hours_band": 1.0}
    assert first.scores["fra_dispatchers"]["mentally_drained"].value == 2.0
    # alert_at_work is reverse-scored in the fatigue scale: (5 - 2 + 2 + 1) / 3
    assert first.scores["fra_dispatchers"]["fatigue"].value == pytest.approx(2.0)
    # nothing of the clock times survives parsing
    assert not any(":" in str(v) for r in parsed for a in r.answers.values() for v in a.values())


def test_extraboard_without_a_week_has_no_schedule_answers(instruments, mapping):
    parsed, _ = parse_responses(FRA.read_bytes(), mapping, instruments, GROUP_VALUES)
    extraboard = [r for r in parsed if r.group_value == "5"]
    blank = [r for r in extraboard if r.answers["selfreport_schedule"]["weekly_hours_band"] is None]
    assert len(blank) == 53  # SOURCE.md: blank for 53 of the 54 extraboard dispatchers


def test_value_outside_response_set_is_refused_with_row_and_column(instruments, mapping):
    def change(rows):  # type: ignore[no-untyped-def]
        rows[3]["Mentally_Drained"] = "7.0"   # file row 5
        rows[10]["Age_Group"] = "9"           # file row 12
        rows[20]["job_schedule"] = "6"        # file row 22
    with pytest.raises(ImportRejected) as exc:
        parse_responses(edited(change), mapping, instruments, GROUP_VALUES)
    assert rules(exc.value) == {(5, "Mentally_Drained", "not_in_response_set"),
                                (12, "Age_Group", "not_in_response_set"),
                                (22, "job_schedule", "unknown_group")}
    assert "row 5, column Mentally_Drained: '7.0'" in str(exc.value)


def test_missing_mapped_column_is_refused(instruments, mapping):
    def change(rows):  # type: ignore[no-untyped-def]
        for r in rows:
            del r["Phys_Drained"]
        with FRA.open(encoding="utf-8") as fh:
            return [h for h in fh.readline().strip().split(",") if h != "Phys_Drained"]
    with pytest.raises(ImportRejected) as exc:
        parse_responses(edited(change), mapping, instruments, GROUP_VALUES)
    assert rules(exc.value) == {(1, "Phys_Drained", "missing_column")}


def test_identifier_column_must_be_dropped(instruments):
    text = MAPPING.read_text(encoding="utf-8").replace('drop = ["ID"]', "drop = []").replace(
        'skip_rows_where = { ID = "^\\\\D" }', "")
    m = parse_mapping(text)
    with pytest.raises(ImportRejected) as exc:
        parse_responses(FRA.read_bytes(), m, instruments, GROUP_VALUES)
    assert rules(exc.value) == {(1, "ID", "identifier")}


def test_identifier_read_only_by_skip_rule_must_still_be_dropped(instruments):
    m = parse_mapping(MAPPING.read_text(encoding="utf-8").replace('drop = ["ID"]', "drop = []"))
    assert "ID" in m.skip_rows_where
    with pytest.raises(ImportRejected) as exc:
        parse_responses(FRA.read_bytes(), m, instruments, GROUP_VALUES)
    assert rules(exc.value) == {(1, "ID", "identifier")}


def test_identifier_rule_needs_20_rows(instruments):
    text = MAPPING.read_text(encoding="utf-8").replace('drop = ["ID"]', "drop = []").replace(
        'skip_rows_where = { ID = "^\\\\D" }', "")
    m = parse_mapping(text)
    small = b"\n".join(FRA.read_bytes().splitlines()[:20])  # 19 data rows
    parsed, report = parse_responses(small, m, instruments, GROUP_VALUES)
    assert len(parsed) == 19 and "ID" in report.ignored_columns


def test_blank_cells_must_be_declared_missing(instruments):
    m = parse_mapping(MAPPING.read_text(encoding="utf-8").replace('"*" = { "" = "missing" }', ""))
    with pytest.raises(ImportRejected) as exc:
        parse_responses(FRA.read_bytes(), m, instruments, GROUP_VALUES)
    assert {e.rule for e in exc.value.errors} == {"blank"}
    assert all(e.row and e.row > 1 and e.column for e in exc.value.errors)


def test_recoding_per_item_and_skip_rows(instruments, mapping):
    text = MAPPING.read_text(encoding="utf-8").replace(
        '"*" = { "" = "missing" }', '"*" = { "" = "missing" }\nmentally_drained = { "9" = "missing" }')
    m = parse_mapping(text)

    def change(rows):  # type: ignore[no-untyped-def]
        rows[0]["Mentally_Drained"] = "9"
        rows.append({k: "" for k in rows[0]} | {"ID": "Topcode value", "job_schedule": "x"})
    parsed, report = parse_responses(edited(change), m, instruments, GROUP_VALUES)
    assert report.rows_skipped == 1 and len(parsed) == 443
    assert parsed[0].answers["fra_dispatchers"]["mentally_drained"] is None
    assert parsed[0].scores["fra_dispatchers"]["mentally_drained"] is None


def test_mapping_errors_name_the_field():
    with pytest.raises(ImportRejected) as exc:
        parse_mapping('instrument = "x"\nreporting_group = "g"\ncolour = 1\n[items]\nA = "a"\n'
                      '[values]\n"*" = { "" = "sometimes" }\n[weekly_schedule]\nstart = ["a"]\n', "m.toml")
    fields = {e.column for e in exc.value.errors}
    assert {"colour", "values.*.''", "weekly_schedule.start", "weekly_schedule.end",
            "weekly_schedule.first_day"} <= fields
    assert exc.value.source == "m.toml"


def test_mapping_against_the_wave(instruments):
    m = parse_mapping('instrument = "fra_dispatchers"\nreporting_group = "job_schedule"\ndrop = ["ID"]\n'
                      '[items]\nMentally_Drained = "nope"\nPhys_Drained = "mentally_drained"\n'
                      '[context]\nSex = "sex"\n')
    with pytest.raises(ImportRejected) as exc:
        parse_responses(FRA.read_bytes(), m, instruments, GROUP_VALUES)
    assert {e.rule for e in exc.value.errors} == {"mapping"}
    assert {e.column for e in exc.value.errors} == {"Mentally_Drained", "Sex"}
    only = {k: v for k, v in instruments.items() if k != "selfreport_schedule"}
    m2 = parse_mapping(MAPPING.read_text(encoding="utf-8"))
    with pytest.raises(ImportRejected) as exc:
        parse_responses(FRA.read_bytes(), m2, only, GROUP_VALUES)
    assert "no context instrument 'selfreport_schedule'" in str(exc.value)
    m3 = parse_mapping(MAPPING.read_text(encoding="utf-8") + '\n[values.mentaly_drained]\n"9" = "missing"\n')
    with pytest.raises(ImportRejected) as exc:
        parse_responses(FRA.read_bytes(), m3, instruments, GROUP_VALUES)
    assert rules(exc.value) == {(None, "values.mentaly_drained", "mapping")}


def test_bad_clock_time_is_refused_with_the_file_row(instruments, mapping):
    def change(rows):  # type: ignore[no-untyped-def]
        rows[6]["MonStart_Time"] = "25:99"   # file row 8
        rows.insert(0, {k: "" for k in rows[0]} | {"ID": "note", "job_schedule": "x"})  # skipped row 2
    with pytest.raises(ImportRejected) as exc:
        parse_responses(edited(change), mapping, instruments, GROUP_VALUES)
    assert rules(exc.value) == {(9, "MonStart_Time", "bad_time")}


def test_semicolons_and_byte_order_mark(instruments, mapping):
    text = FRA.read_text(encoding="utf-8").replace(",", ";")
    parsed, report = parse_responses(("\ufeff" + text).encode("utf-8"), mapping, instruments, GROUP_VALUES)
    assert report.responses == 443 and report.dropped_columns == ("ID",)
    parsed2, _ = parse_responses(text.encode("utf-8"), mapping, instruments, GROUP_VALUES, delimiter=";")
    assert [p.answers for p in parsed2] == [p.answers for p in parsed]
