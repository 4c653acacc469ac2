"""Roster and shift-record parsing: formats, the rejection rules, grids, templates, generator."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest

from wellbeing.core.patterns import PATTERNS, SHIFT_PATTERN_SLUGS, get_pattern
from wellbeing.core.roster import parse_roster
from wellbeing.core.shifts.generate import generate_shifts
from wellbeing.core.shifts.grids import INRC_CODES, ShiftCode, parse_codes, parse_grid
from wellbeing.core.shifts.records import parse_shifts, validate_shift_frame
from wellbeing.core.shifts.weekly import parse_weekly_template
from wellbeing.core.tables import ImportRejected, RowError, detect_delimiter

DATA = Path(__file__).resolve().parents[1] / "data" / "rosters"
HEADER = "person_id,start,end,break_min,duty_type,shift_code\n"


def shifts(body: str, header: str = HEADER, **kw) -> pd.DataFrame:
    return parse_shifts(io.StringIO(header + body), **kw)


def rejected(fn, *args, **kw) -> list[RowError]:
    with pytest.raises(ImportRejected) as exc:
        fn(*args, **kw)
    return exc.value.errors


def only(errors: list[RowError], rule: str) -> list[RowError]:
    return [e for e in errors if e.rule == rule]


def utc(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


# ------------------------------------------------------------------------------ RowError
def test_row_error_str_reads_like_a_sentence():
    e = RowError(5, "end", "2024-03-01 06:00", "end_not_after_start", "end is not after start")
    assert str(e) == "row 5, column end: '2024-03-01 06:00' — end is not after start"
    assert str(RowError(None, "unit_id", None, "missing_column", "missing")) == "column unit_id — missing"


def test_import_rejected_is_a_value_error_listing_all_errors():
    errs = rejected(shifts, "p1,2024-01-01 08:00,2024-01-01 07:00,0,regular,\n"
                            "p2,2024-01-01 08:00,2024-01-01 16:00,0,nonsense,\n")
    assert isinstance(ImportRejected(errs), ValueError)
    assert [(e.row, e.rule) for e in errs] == [(2, "end_not_after_start"), (3, "unknown_duty_type")]


# ------------------------------------------------------------------------------- formats
def test_shifts_parse_to_documented_columns_and_utc():
    df = shifts("p1,2024-01-01 08:00,2024-01-01 16:30,30,regular,D\n"
                "p1,2024-01-02T22:00:00,2024-01-03T06:00:00,,on_call,\n")
    assert list(df.columns) == ["person_id", "start", "end", "break_min", "duty_type", "shift_code"]
    assert str(df["start"].dtype) == "datetime64[us, UTC]"
    assert df["start"].iloc[0] == utc("2024-01-01 02:00")  # UTC+6 in January 2024
    assert df["end"].iloc[0] == utc("2024-01-01 10:30")
    assert df["break_min"].tolist() == [30, 0]
    assert df["duty_type"].tolist() == ["regular", "on_call"]
    assert df["shift_code"].iloc[0] == "D" and pd.isna(df["shift_code"].iloc[1])


def test_iso_with_offset_and_z():
    df = shifts("p1,2024-03-01T06:00:00+05:00,2024-03-01T14:00:00Z,0,regular,\n")
    assert df["start"].iloc[0] == utc("2024-03-01 01:00")
    assert df["end"].iloc[0] == utc("2024-03-01 14:00")


def test_local_time_after_kazakhstan_change_is_utc_plus_5():
    df = shifts("p1,2024-03-01 08:00,2024-03-01 20:00,0,regular,\n"
                "p2,2024-02-29 20:00,2024-03-01 08:00,0,regular,\n")
    by = df.set_index("person_id")
    assert by.loc["p1", "start"] == utc("2024-03-01 03:00")
    # 20:00 at UTC+6 to 08:00 at UTC+5: 13 hours elapsed
    assert by.loc["p2", "end"] - by.loc["p2", "start"] == pd.Timedelta(hours=13)


def test_other_declared_timezone():
    df = shifts("p1,2024-07-01 08:00,2024-07-01 16:00,0,regular,\n", timezone="Europe/Berlin")
    assert df["start"].iloc[0] == utc("2024-07-01 06:00")


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_delimiters_are_detected(sep):
    text = (HEADER + "p1,2024-01-01 08:00,2024-01-01 16:00,0,regular,\n").replace(",", sep)
    assert detect_delimiter(text) == sep
    assert len(parse_shifts(io.StringIO(text))) == 1


def test_utf8_bom_and_russian_headers_through_a_mapping():
    text = ("табельный_номер;начало;конец;перерыв_мин;вид;код\n"
            "p1;01.03.2024 08:00;01.03.2024 20:00;60;regular;Д\n")
    mapping = {"табельный_номер": "person_id", "начало": "start", "конец": "end",
               "перерыв_мин": "break_min", "вид": "duty_type", "код": "shift_code"}
    df = parse_shifts(text.encode("utf-8-sig"), columns=mapping)
    assert df["start"].iloc[0] == utc("2024-03-01 03:00")
    assert df["shift_code"].iloc[0] == "Д"


def test_touching_shifts_are_not_overlaps():
    df = shifts("p1,2024-01-01 08:00,2024-01-01 20:00,0,regular,\n"
                "p1,2024-01-01 20:00,2024-01-01 22:00,0,overtime,\n")
    assert len(df) == 2


def test_roster_parses():
    text = ("person_id,unit_id,shift_pattern,position,contract_hours_week\n"
            "p2,u1,24-72,inspector,40\n"
            "p1,u1,,,\"38,5\"\n")
    df = parse_roster(io.StringIO(text), known_units={"u1"})
    assert df["person_id"].tolist() == ["p1", "p2"]
    assert df["contract_hours_week"].tolist() == [38.5, 40.0]
    assert pd.isna(df["shift_pattern"].iloc[0]) and df["shift_pattern"].iloc[1] == "24-72"


# ------------------------------------------------------------------------ rejection rules
def test_rejects_overlap_naming_both_rows():
    errs = rejected(shifts, "p1,2024-01-01 08:00,2024-01-01 20:00,0,regular,\n"
                            "p2,2024-01-01 08:00,2024-01-01 20:00,0,regular,\n"
                            "p1,2024-01-01 19:59,2024-01-01 23:00,0,overtime,\n")
    (e,) = errs
    assert (e.rule, e.row, e.column, e.value) == ("overlap", 4, "start", "2024-01-01 19:59")
    assert "row 2" in e.message and "p1" in e.message
    assert str(e).startswith("row 4, column start: '2024-01-01 19:59' — overlaps the shift in row 2")


def test_rejects_overlap_with_an_earlier_long_shift_not_just_the_previous():
    errs = rejected(shifts, "p1,2024-01-01 08:00,2024-01-02 08:00,0,regular,\n"
                            "p1,2024-01-01 10:00,2024-01-01 11:00,0,training,\n"
                            "p1,2024-01-01 12:00,2024-01-01 13:00,0,training,\n")
    assert [(e.rule, e.row) for e in errs] == [("overlap", 3), ("overlap", 4)]
    assert all("row 2" in e.message for e in errs)


def test_rejects_end_not_after_start():
    (e,) = rejected(shifts, "p1,2024-01-01 08:00,2024-01-01 08:00,0,regular,\n")
    assert (e.row, e.column, e.value, e.rule) == (2, "end", "2024-01-01 08:00", "end_not_after_start")
    assert "2024-01-01 08:00" in e.message


def test_rejects_duration_over_36_hours():
    assert len(shifts("p1,2024-01-01 08:00,2024-01-02 20:00,0,regular,\n")) == 1  # 36 h exactly
    (e,) = rejected(shifts, "p1,2024-01-01 08:00,2024-01-02 20:01,0,regular,\n")
    assert (e.row, e.rule, e.value) == (2, "too_long", "2024-01-02 20:01")
    assert "36.02 h" in e.message


def test_rejects_duplicate_shift():
    errs = rejected(shifts, "p1,2024-01-01 08:00,2024-01-01 16:00,0,regular,\n"
                            "p1,2024-01-01 08:00,2024-01-01 16:00,0,regular,\n")
    (e,) = errs
    assert (e.rule, e.row) == ("duplicate", 3) and "row 2" in e.message


def test_rejects_mixed_date_formats():
    (e,) = rejected(shifts, "p1,2024-01-01 08:00,2024-01-01 16:00,0,regular,\n"
                            "p1,02.01.2024 08:00,2024-01-02T16:00:00,0,regular,\n")
    assert (e.rule, e.row, e.column, e.value) == ("mixed_date_formats", 3, "start", "02.01.2024 08:00")
    assert "row 2" in e.message


def test_rejects_offset_and_local_times_mixed():
    (e,) = rejected(shifts, "p1,2024-01-01T08:00+06:00,2024-01-01T16:00+06:00,0,regular,\n"
                            "p1,2024-01-02T08:00,2024-01-02T16:00+06:00,0,regular,\n")
    assert (e.rule, e.row, e.value) == ("mixed_date_formats", 3, "2024-01-02T08:00")


def test_rejects_bad_datetime():
    (e,) = rejected(shifts, "p1,2024-01-01 08:00,2024-13-01 16:00,0,regular,\n")
    assert (e.rule, e.row, e.column, e.value) == ("bad_datetime", 2, "end", "2024-13-01 16:00")


def test_rejects_ambiguous_local_time_at_the_2024_change():
    # 2024-03-01 00:00 (UTC+6) became 2024-02-29 23:00 (UTC+5): 23:00-23:59 happened twice
    (e,) = rejected(shifts, "p1,2024-02-29 23:30,2024-03-01 08:00,0,regular,\n")
    assert (e.rule, e.row, e.column, e.value) == ("ambiguous_local_time", 2, "start", "2024-02-29 23:30")
    assert "Asia/Almaty" in e.message
    # with an offset it is fine
    assert len(shifts("p1,2024-02-29T23:30+05:00,2024-03-01T08:00+05:00,0,regular,\n")) == 1


def test_rejects_nonexistent_local_time():
    (e,) = rejected(shifts, "p1,2024-03-31 02:30,2024-03-31 08:00,0,regular,\n",
                    timezone="Europe/Berlin")
    assert (e.rule, e.row, e.value) == ("nonexistent_local_time", 2, "2024-03-31 02:30")


def test_rejects_iin_shaped_person_id():
    (e,) = rejected(shifts, "900101300123,2024-01-01 08:00,2024-01-01 16:00,0,regular,\n")
    assert (e.rule, e.row, e.column, e.value) == ("iin", 2, "person_id", "900101300123")
    assert "IIN" in e.message


def test_rejects_unknown_duty_type():
    (e,) = rejected(shifts, "p1,2024-01-01 08:00,2024-01-01 16:00,0,vacation,\n")
    assert (e.rule, e.row, e.column, e.value) == ("unknown_duty_type", 2, "duty_type", "vacation")
    assert "on_call" in e.message


def test_rejects_bad_break_numbers():
    errs = rejected(shifts, "p1,2024-01-01 08:00,2024-01-01 16:00,half,regular,\n"
                            "p1,2024-01-02 08:00,2024-01-02 16:00,-5,regular,\n"
                            "p1,2024-01-03 08:00,2024-01-03 09:00,60,regular,\n")
    assert [(e.row, e.rule, e.value) for e in errs] == [
        (2, "bad_number", "half"), (3, "bad_number", "-5"), (4, "break_too_long", "60")]


def test_rejects_missing_columns():
    errs = rejected(parse_shifts, io.StringIO("person_id,start,duty_type\np1,2024-01-01 08:00,regular\n"))
    assert {(e.rule, e.column, e.row) for e in errs} == {
        ("missing_column", "end", 1), ("missing_column", "break_min", 1)}  # the header is row 1


def test_rejects_unknown_person_when_roster_given():
    (e,) = rejected(shifts, "p9,2024-01-01 08:00,2024-01-01 16:00,0,regular,\n",
                    known_persons={"p1"})
    assert (e.rule, e.row, e.value) == ("unknown_person", 2, "p9")


def test_blank_lines_keep_spreadsheet_row_numbers():
    (e,) = rejected(shifts, "p1,2024-01-01 08:00,2024-01-01 16:00,0,regular,\n"
                            ",,,,,\n"
                            "p1,2024-01-02 08:00,2024-01-02 07:00,0,regular,\n")
    assert e.row == 4


def test_collects_all_errors_not_just_the_first():
    errs = rejected(shifts, "123456789012,2024-01-01 08:00,2024-01-01 07:00,x,bad,\n"
                            "p1,2024-01-01 08:00,2024-01-01 16:00,0,regular,\n"
                            "p1,2024-01-01 09:00,2024-01-01 17:00,0,regular,\n")
    assert [(e.row, e.rule) for e in errs] == [
        (2, "bad_number"), (2, "unknown_duty_type"), (2, "end_not_after_start"), (2, "iin"),
        (4, "overlap")]


ROSTER_HEADER = "person_id,unit_id,shift_pattern,position,contract_hours_week\n"


def roster(body: str, **kw):
    return parse_roster(io.StringIO(ROSTER_HEADER + body), **kw)


def test_roster_rejects_unknown_unit():
    (e,) = rejected(roster, "p1,u1,24-72,,40\np2,u9,24-72,,40\n", known_units={"u1"})
    assert (e.rule, e.row, e.column, e.value) == ("unknown_unit", 3, "unit_id", "u9")


def test_roster_rejects_unknown_shift_pattern():
    (e,) = rejected(roster, "p1,u1,sutki,,40\n")
    assert (e.rule, e.row, e.value) == ("unknown_shift_pattern", 2, "sutki")
    assert "24-72" in e.message


def test_roster_rejects_duplicates_iin_and_bad_numbers():
    errs = rejected(roster, "p1,u1,24-72,,40\n"
                            "p1,u1,24-72,,40\n"
                            "880101400555,u1,24-72,,40\n"
                            "p3,u1,24-72,,forty\n"
                            "p4,u1,24-72,,0\n")
    assert [(e.row, e.rule, e.value) for e in errs] == [
        (3, "duplicate", "p1"), (4, "iin", "880101400555"),
        (5, "bad_number", "forty"), (6, "bad_number", "0")]
    assert "row 2" in errs[0].message


def test_roster_rejects_missing_column():
    errs = rejected(parse_roster, io.StringIO("person_id,unit_id\np1,u1\n"))
    assert {e.column for e in errs} == {"shift_pattern", "contract_hours_week"}
    assert all(e.rule == "missing_column" and e.row == 1 for e in errs)  # the header is row 1


# ------------------------------------------------------------------------------- grids
def test_inrc_grids_import_with_inrc1_clock_times():
    for name in ("inrc2-n005w4-solution.txt", "inrc2-n005w4-with-quick-returns.txt"):
        df = parse_grid(DATA / name, INRC_CODES, "2024-01-01")
        assert set(df["person_id"]) == {"Patrick", "Andrea", "Stefaan", "Sara", "Nguyen"}
        first = df[df["person_id"] == "Patrick"].iloc[0]  # N on Monday 2024-01-01
        assert first["shift_code"] == "N"
        assert first["start"] == utc("2024-01-01 16:30")  # 22:30 at UTC+6
        assert first["end"] == utc("2024-01-02 00:30")    # 06:30 next day
    sol = parse_grid(DATA / "inrc2-n005w4-solution.txt", INRC_CODES, "2024-01-01")
    text = (DATA / "inrc2-n005w4-solution.txt").read_text()
    n_cells = sum(line.split("|", 1)[1].count(c) for line in text.splitlines()
                  if "|" in line and line.split("|")[0].strip() for c in "EDLN")
    assert len(sol) == n_cells


def test_inrc_grid_weekday_letters_must_match_start_date():
    (e,) = rejected(parse_grid, DATA / "inrc2-n005w4-solution.txt", INRC_CODES, "2024-01-02")
    assert e.rule == "weekday_mismatch" and e.row == 1


def test_csv_grid_with_codes_table():
    codes = parse_codes(io.StringIO("code;start;end;duty_type\nД;08:00;20:00;regular\n"
                                    "Н;20:00;08:00;regular\nС;09:00;09:00;regular\nВ;;;\n"))
    assert codes["С"].minutes() == (540, 1440)
    grid = "person_id;01.03;02.03;03.03\np1;Д;Н;\np2;С;В;-\n"
    df = parse_grid(io.StringIO(grid), codes, dt.date(2024, 3, 1))
    by = {(r.person_id, r.shift_code): r for r in df.itertuples()}
    assert by[("p1", "Д")].start == utc("2024-03-01 03:00")
    assert by[("p1", "Н")].end == utc("2024-03-03 03:00")
    assert by[("p2", "С")].end - by[("p2", "С")].start == pd.Timedelta(hours=24)


def test_grid_rejects_unknown_code_with_row_and_day_column():
    (e,) = rejected(parse_grid, io.StringIO("person_id,d1,d2\np1,E,X\n"), INRC_CODES, "2024-01-01")
    assert (e.rule, e.row, e.column, e.value) == ("unknown_code", 2, "d2", "X")


def test_grid_rejects_overlap_with_row_and_column():
    codes = {"A": ShiftCode("A", dt.time(20), dt.time(10)), "B": ShiftCode("B", dt.time(8), dt.time(16))}
    (e,) = rejected(parse_grid, io.StringIO("person_id,d1,d2\np1,A,B\n"), codes, "2024-01-01")
    assert (e.rule, e.row, e.column) == ("overlap", 2, "d2")
    assert e.value == "2024-01-02 08:00 B"


def test_codes_table_rejects_bad_time_and_duty():
    errs = rejected(parse_codes, io.StringIO(
        "code,start,end,duty_type\nD,8h,16:00,regular\nX,08:00,16:00,dayjob\n"))
    assert [(e.row, e.rule, e.value) for e in errs] == [
        (2, "bad_time", "8h"), (3, "unknown_duty_type", "dayjob")]


WEEKLY = ("person_id,mon_start,mon_end,tue_start,tue_end,wed_start,wed_end,thu_start,thu_end,"
          "fri_start,fri_end,sat_start,sat_end,sun_start,sun_end\n")


def test_weekly_template_expands_with_saturday_running_into_sunday():
    df = parse_weekly_template(io.StringIO(WEEKLY + "p1,09:00,18:00,,,,,,,,,20:00,08:00,,\n"),
                               "2024-01-01", "2024-01-14")
    assert len(df) == 4
    sat = df.iloc[1]
    assert sat["start"] == utc("2024-01-06 14:00") and sat["end"] == utc("2024-01-07 02:00")


def test_weekly_template_rejects_half_given_day_and_bad_time():
    errs = rejected(parse_weekly_template,
                    io.StringIO(WEEKLY + "p1,09:00,,,,,,,,,,25:99,08:00,,\n"), "2024-01-01", "2024-01-07")
    assert [(e.row, e.column, e.rule) for e in errs] == [
        (2, "mon_end", "required"), (2, "sat_start", "bad_time")]


# --------------------------------------------------------------------------- generator
def test_catalogue_has_the_glossary_slugs():
    assert SHIFT_PATTERN_SLUGS == ("fixed-8h", "rotating-8h", "4-10", "pitman-12h", "4on4off-12h",
                                   "dupont-12h", "continental-12h", "24-72", "24-48", "on-call")
    with pytest.raises(KeyError):
        get_pattern("sutki")


@pytest.mark.parametrize("slug", ["24-72", "pitman-12h"])
def test_generated_rosters_average_42_hours_per_week_over_whole_cycles(slug):
    pat = PATTERNS[slug]
    people = [f"p{i}" for i in range(len(pat.crews))]
    weeks = 4 if slug == "24-72" else 2  # 7 cycles of 4 days; 1 cycle of 14 days
    df = generate_shifts(people, slug, "2024-01-01", dt.date(2024, 1, 1) + dt.timedelta(weeks * 7 - 1))
    net = ((df["end"] - df["start"]).dt.total_seconds() / 3600 - df["break_min"] / 60)
    per_person = net.groupby(df["person_id"]).sum() / weeks
    assert per_person.tolist() == [42.0] * len(people)


@pytest.mark.parametrize("slug", [s for s in SHIFT_PATTERN_SLUGS if s not in ("fixed-8h", "on-call")])
def test_generated_crews_cover_the_clock(slug):
    pat = PATTERNS[slug]
    people = [f"p{i}" for i in range(len(pat.crews))]
    df = generate_shifts(people, slug, "2024-01-01", "2024-03-31")
    t = pd.date_range("2024-01-03", "2024-03-28", freq="30min", tz="UTC")
    s = df["start"].to_numpy()
    e = df["end"].to_numpy()
    covered = [((s <= x) & (e > x)).any() for x in t.to_numpy()]
    assert all(covered)
    # generated records pass the shift validation
    validate_shift_frame(df)


def test_generated_shifts_respect_the_2024_change():
    df = generate_shifts(["a"], "24-72", "2024-02-28", "2024-03-02", crews=[0])
    starts = df["start"].tolist()
    # 09:00 local: UTC+6 until Feb 29, UTC+5 from Mar 1
    assert utc("2024-02-29 03:00") in starts or utc("2024-03-01 04:00") in starts or \
        utc("2024-02-28 03:00") in starts
    for t in starts:
        local = t.tz_convert("Asia/Almaty")
        assert (local.hour, local.minute) == (9, 0)


def test_generate_offsets_shift_a_persons_cycle():
    base = generate_shifts(["a"], "24-72", "2024-01-01", "2024-01-08", crews=[0])
    moved = generate_shifts(["a"], "24-72", "2024-01-01", "2024-01-08", crews=[0], offsets={"a": 1})
    # a 4-day cycle moved one day on: a duty every 4 days, three days earlier in the calendar
    assert (base["start"].iloc[0] - moved["start"].iloc[0]) % pd.Timedelta(days=4) == pd.Timedelta(days=1)
    with pytest.raises(ValueError):
        generate_shifts(["a", "b"], "24-72", "2024-01-01", "2024-01-08", offsets=[1])


def test_unreadable_encoding_is_rejected_not_crashed(tmp_path):
    p = tmp_path / "cp1251.csv"
    p.write_bytes("табельный_номер,start\n".encode("cp1251"))
    (e,) = rejected(parse_shifts, p)
    assert e.rule == "encoding" and e.row is None  # the one rule of undecodable files (core.tables.decode)


def test_grid_header_mapping():
    df = parse_grid(io.StringIO("Табельный номер;01.01\np1;E\n"), INRC_CODES, "2024-01-01",
                    columns={"Табельный номер": "person_id"})
    assert df["person_id"].tolist() == ["p1"]


# ------------------------------------------------- real-file formats (issue 18)
def test_end_at_24_00_is_midnight_ending_the_day():
    """Regression: ``24:00`` ends were refused in shift files (templates accepted them).

    08:00-24:00 on 1 March 2024 in Almaty (UTC+5 from that day) = 03:00Z - 19:00Z, 16 h; the dotted
    format too, and with an offset before the change (29 Feb, UTC+6): 18:00Z."""
    df = shifts("p1,2024-03-01 08:00,2024-03-01 24:00,0,regular,\n")
    assert (df["start"].iloc[0], df["end"].iloc[0]) == (utc("2024-03-01 03:00"), utc("2024-03-01 19:00"))
    df = shifts("p1,01.03.2024 08:00,01.03.2024 24:00:00,0,regular,\n")
    assert df["end"].iloc[0] == utc("2024-03-01 19:00")
    df = shifts("p1,2024-02-29T16:00+06:00,2024-02-29T24:00+06:00,0,regular,\n")
    assert df["end"].iloc[0] == utc("2024-02-29 18:00")
    (e,) = rejected(shifts, "p1,2024-03-01 08:00,2024-03-01 24:30,0,regular,\n")
    assert (e.rule, e.value) == ("bad_datetime", "2024-03-01 24:30")


def test_excel_serial_date_times_with_the_1900_leap_year_bug():
    """Regression: Excel serials were refused. Serial 45352 is 2024-03-01: days since 1899-12-30
    (Excel counts a 29 Feb 1900 that never was, so 1899-12-31 + serial is off by one for every date
    after Feb 1900): 2024-01-01 = 45292, + 31 (Jan) + 29 (Feb) = 45352. 45352.25 = 06:00 local =
    01:00Z (UTC+5); 45352.75 = 18:00 local = 13:00Z; a decimal comma is read too."""
    df = shifts("p1,45352.25,45352.75,0,regular,\np1,\"45353,25\",\"45353,75\",0,regular,\n")
    assert df["start"].tolist() == [utc("2024-03-01 01:00"), utc("2024-03-02 01:00")]
    assert df["end"].iloc[0] == utc("2024-03-01 13:00")
    # 1/3 of a day is 08:00 after rounding to the second (45352.333333 -> 07:59:59.97)
    df = shifts("p1,45352.333333,45352.666667,0,regular,\n")
    assert df["start"].iloc[0] == utc("2024-03-01 03:00")


def test_bad_datetime_message_lists_every_accepted_format():
    (e,) = rejected(shifts, "p1,2024-01-01 08:00,1st of March,0,regular,\n")
    assert e.rule == "bad_datetime"
    for shown in ("2024-03-01 06:00", "2024-03-01T06:00:00+05:00", "01.03.2024 06:00", "Excel", "24:00"):
        assert shown in e.message


def test_russian_pattern_and_duty_names_mapped_to_slugs():
    """A columns file's ``[values.shift_pattern]`` / ``[values.duty_type]`` recode values (case and
    spaces ignored); unmapped unknown values are still refused."""
    roster = ("person_id,unit_id,shift_pattern,position,contract_hours_week,accounting_period\n"
              "p1,u1,Сутки через трое,,40,\np2,u1,  сутки через двое ,,40,quarter\n")
    values = {"shift_pattern": {"сутки через трое": "24-72", "сутки через двое": "24-48"}}
    df = parse_roster(io.StringIO(roster), known_units={"u1"}, values=values)
    assert df["shift_pattern"].tolist() == ["24-72", "24-48"]
    assert pd.isna(df["accounting_period"].iloc[0]) and df["accounting_period"].iloc[1] == "quarter"
    (e,) = rejected(parse_roster, io.StringIO(roster.replace("двое", "четверо")), known_units={"u1"},
                    values=values)
    assert (e.rule, e.row, e.value) == ("unknown_shift_pattern", 3, "сутки через четверо")
    df = shifts("p1,2024-03-01 08:00,2024-03-01 20:00,0,основная,\n"
                "p1,2024-03-01 20:00,2024-03-01 22:00,0,Сверхурочная,\n",
                values={"duty_type": {"основная": "regular", "сверхурочная": "overtime"}})
    assert df["duty_type"].tolist() == ["regular", "overtime"]


def test_roster_rejects_unknown_accounting_period():
    text = ("person_id,unit_id,shift_pattern,position,contract_hours_week,accounting_period\n"
            "p1,u1,24-72,,40,fortnight\n")
    (e,) = rejected(parse_roster, io.StringIO(text), known_units={"u1"})
    assert (e.rule, e.row, e.column) == ("unknown_accounting_period", 2, "accounting_period")
