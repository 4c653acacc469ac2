"""`flask roster ...`, `flask shifts ...` and `flask schedules features` on real files and a real
SQLite database: all-or-nothing imports with row numbers, idempotent re-imports, overlaps with stored
shifts, reporting groups from the roster at code issuance, released group features."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask

from wellbeing.extensions import db
from wellbeing.models import ImportRecord, ReportingGroup, RosterEntry, ShiftRecord, Unit, WaveRoster
from wellbeing.services import waves as wave_service
from wellbeing.services.units import import_units

DATA = Path(__file__).resolve().parent / "data"
GRID = DATA / "rosters" / "inrc2-n005w4-solution.txt"
GRID_QR = DATA / "rosters" / "inrc2-n005w4-with-quick-returns.txt"
INRC_NAMES = ("Patrick", "Andrea", "Stefaan", "Sara", "Nguyen")
MONDAY = date(2024, 4, 1)   # the grids' first column is a Monday
# INRC-I (2010) clock times of the INRC-II codes (tests/data/rosters/SOURCE.md); N runs into the next day.
CODES_CSV = "code,start,end,duty_type\nE,06:30,14:30,regular\nD,08:30,16:30,regular\n" \
            "L,14:30,22:30,regular\nN,22:30,06:30,regular\n-,,,\n"


def roster_text() -> str:
    """5 INRC persons on akm-d2-u1 (rotating-8h), 12 on akm-d1-u1 (24-72), 3 on akm-d1-u2 (24-48)."""
    rows = ["person_id,unit_id,shift_pattern,position,contract_hours_week"]
    rows += [f"{n},akm-d2-u1,rotating-8h,inspector,40" for n in INRC_NAMES]
    rows += [f"P{i:06d},akm-d1-u1,24-72,patrol,40" for i in range(1, 13)]
    rows += [f"P{i:06d},akm-d1-u2,24-48,,40" for i in range(13, 16)]
    return "\n".join(rows) + "\n"


@pytest.fixture
def files(tmp_path: Path, app: Flask) -> dict[str, Path]:
    with app.app_context():
        import_units((DATA / "units-small.csv").read_bytes(), imported_by="test")
    out = {"roster": tmp_path / "roster.csv", "codes": tmp_path / "codes.csv"}
    out["roster"].write_text(roster_text(), encoding="utf-8")
    out["codes"].write_text(CODES_CSV, encoding="utf-8")
    return out


def ok(res) -> None:  # type: ignore[no-untyped-def]
    assert res.exit_code == 0, (res.output, res.stderr)


def error_lines(res) -> list[str]:  # type: ignore[no-untyped-def]
    return [ln for ln in res.stderr.splitlines() if ln.startswith("error: ")]


def count(model, **filters) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(db.select(db.func.count()).select_from(model).filter_by(**filters)).scalar_one()


def forbidden_successions(path: Path) -> int:
    """Quick returns in an INRC grid counted from the grid itself: late -> early/day and night ->
    early/day/late on the next day (rest < 11 h with the INRC-I clock times)."""
    bad = {("L", "E"), ("L", "D"), ("N", "E"), ("N", "D"), ("N", "L")}
    n = 0
    for line in path.read_text().splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 2 or not parts[0]:
            continue
        days = [p for p in parts[1:] if p]
        n += sum((a, b) in bad for a, b in zip(days, days[1:]))
    return n


# ------------------------------------------------------------------------------------------- roster


def test_roster_import_is_recorded_and_a_reimport_changes_nothing(app: Flask, runner, files) -> None:  # type: ignore[no-untyped-def]
    res = runner.invoke(args=["roster", "import", str(files["roster"]), "--as-of", "2024-03-01"])
    ok(res)
    assert "imported 20 rows" in res.stderr
    again = runner.invoke(args=["roster", "import", str(files["roster"]), "--as-of", "2024-03-01"])
    ok(again)
    assert "nothing changed" in again.stderr
    with app.app_context():
        assert count(RosterEntry) == 20
        rec = db.session.execute(db.select(ImportRecord).filter_by(kind="roster")).scalar_one()
        assert rec.rows == 20 and rec.imported_by.startswith("cli") and len(rec.file_hash) == 64


def test_roster_rejections_name_every_row(app: Flask, runner, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text("person_id;unit_id;shift_pattern;position;contract_hours_week\n"
                   "P1;akm-d1-u1;24-72;;40\n"
                   "P2;nowhere;24-72;;40\n"
                   "123456789012;akm-d1-u1;24-72;;40\n"
                   "P1;akm-d1-u1;24-72;;40\n"
                   "P5;akm-d1-u1;48-96;;40\n", encoding="utf-8")
    res = runner.invoke(args=["roster", "import", str(bad)])
    assert res.exit_code == 1
    lines = error_lines(res)
    assert len(lines) == 4, res.stderr
    assert "row 3" in lines[0] and "unknown unit" in lines[0]
    assert "row 4" in lines[1] and "row 5" in lines[2] and "row 6" in lines[3]
    with app.app_context():
        assert count(RosterEntry) == 0 and count(ImportRecord, kind="roster") == 0


# ------------------------------------------------------------------------------------------- shifts


def test_grid_import_with_inrc_times_is_idempotent_and_overlaps_are_refused(app: Flask, runner, files) -> None:  # type: ignore[no-untyped-def]
    ok(runner.invoke(args=["roster", "import", str(files["roster"]), "--as-of", "2024-03-01"]))
    args = ["shifts", "import-grid", str(GRID), "--codes", str(files["codes"]), "--start", MONDAY.isoformat()]
    res = runner.invoke(args=args)
    ok(res)
    cells = sum(ch in "EDLN" for line in GRID.read_text().splitlines()[2:] for ch in line.split("|", 1)[1])
    assert f"imported {cells} rows" in res.stderr
    with app.app_context():
        assert count(ShiftRecord) == cells
        first = db.session.execute(db.select(ShiftRecord).filter_by(person_id="Patrick")
                                   .order_by(ShiftRecord.start_utc)).scalars().first()
        # Patrick's first cell is N: 22:30 local (UTC+5) on Monday 1 April = 17:30 UTC, 8 h long
        import datetime as dt

        assert first.start_utc == int(dt.datetime(2024, 4, 1, 17, 30, tzinfo=dt.UTC).timestamp())
        assert first.end_utc - first.start_utc == 8 * 3600 and first.shift_code == "N"
    again = runner.invoke(args=args)
    ok(again)
    assert "nothing changed" in again.stderr
    # The variant grid for the same weeks overlaps the stored shifts: refused, with the file's rows.
    res = runner.invoke(args=["shifts", "import-grid", str(GRID_QR), "--codes", str(files["codes"]),
                              "--start", MONDAY.isoformat()])
    assert res.exit_code == 1
    lines = [ln for ln in error_lines(res) if "more problems" not in ln]   # the CLI prints the first 50
    assert lines and all("overlaps a stored shift" in ln for ln in lines)
    assert {ln.split("row ")[1].split(",")[0] for ln in lines} <= {"3", "4", "5", "6", "7"}
    assert "row 3, column 2024-04-01: 'Patrick'" in lines[0]
    with app.app_context():
        assert count(ShiftRecord) == cells and count(ImportRecord, kind="shifts-grid") == 1


def test_shift_file_rows_unknown_persons_and_stored_overlaps(app: Flask, runner, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ok(runner.invoke(args=["roster", "import", str(files["roster"]), "--as-of", "2024-03-01"]))
    bad = tmp_path / "bad.csv"
    bad.write_text("person_id,start,end,break_min,duty_type,shift_code\n"
                   "P000001,2024-04-01 08:00,2024-04-02 08:00,60,regular,S\n"
                   "P000001,2024-04-02 07:00,2024-04-02 10:00,0,overtime,\n"
                   "P000002,2024-04-01 08:00,2024-04-01 07:00,0,regular,\n"
                   "NOBODY,2024-04-01 08:00,2024-04-02 08:00,0,regular,\n", encoding="utf-8")
    res = runner.invoke(args=["shifts", "import", str(bad)])
    assert res.exit_code == 1
    lines = error_lines(res)
    assert [ln.split("bad.csv: ")[1].split(",")[0] for ln in lines] == ["row 3", "row 4", "row 5"], lines
    assert "person not in the roster" in lines[2]
    good = tmp_path / "good.csv"
    good.write_text("person_id,start,end,break_min,duty_type,shift_code\n"
                    "P000001,2024-04-01 08:00,2024-04-02 08:00,60,regular,S\n"
                    "P000002,2024-04-01 08:00,2024-04-02 08:00,60,regular,S\n",
                    encoding="utf-8")
    ok(runner.invoke(args=["shifts", "import", str(good)]))
    later = tmp_path / "later.csv"   # a second file: one shift touches (fine), one overlaps a stored one
    later.write_text("person_id;start;end;break_min;duty_type;shift_code\n"
                     "P000001;2024-04-02 08:00;2024-04-02 10:00;0;overtime;\n"
                     "P000002;2024-04-02 07:00;2024-04-02 09:00;0;overtime;\n", encoding="utf-8")
    res = runner.invoke(args=["shifts", "import", str(later)])
    assert res.exit_code == 1
    lines = error_lines(res)
    assert len(lines) == 1 and "row 3" in lines[0] and "P000002" in lines[0] and "overlaps a stored shift" in lines[0]
    with app.app_context():
        assert count(ShiftRecord) == 2


def test_weekly_template_and_generate(app: Flask, runner, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ok(runner.invoke(args=["roster", "import", str(files["roster"]), "--as-of", "2024-03-01"]))
    res = runner.invoke(args=["shifts", "generate", "--unit", "akm-d1-u1", "--pattern", "24-72",
                              "--from", "2024-04-01", "--to", "2024-04-28"])
    ok(res)
    with app.app_context():
        assert count(ShiftRecord) == 12 * 7     # 28 days, one 24-h duty in four, 12 officers
    res = runner.invoke(args=["shifts", "generate", "--unit", "akm-d1-u9", "--pattern", "24-99",
                              "--from", "2024-04-01", "--to", "2024-04-28"])
    assert res.exit_code == 1 and len(error_lines(res)) == 2
    week = tmp_path / "week.csv"
    cols = ",".join(f"{d}_start,{d}_end" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    week.write_text(f"person_id,{cols}\nSara,09:00,18:00,09:00,18:00,09:00,18:00,09:00,18:00,09:00,18:00,,,,\n",
                    encoding="utf-8")
    ok(runner.invoke(args=["shifts", "import-weekly", str(week), "--from", "2024-04-01", "--to", "2024-04-14"]))
    again = runner.invoke(args=["shifts", "import-weekly", str(week), "--from", "2024-04-01", "--to", "2024-04-14"])
    ok(again)
    assert "nothing changed" in again.stderr
    with app.app_context():
        assert count(ShiftRecord, person_id="Sara") == 10


# ------------------------------------------------------------------------------- groups and features


def test_groups_come_from_the_roster_at_issuance_and_stay_frozen(app: Flask, runner, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ok(runner.invoke(args=["roster", "import", str(files["roster"]), "--as-of", "2024-03-01"]))
    with app.app_context():
        wave = wave_service.create_wave("w1", ["cbi"], opens=date(2024, 5, 1), closes=date(2024, 5, 31))
        wave_service.issue_codes(wave)
        groups = {g.slug: g.size for g in wave.groups}
        assert groups == {"akm-d1-u1--24-72": 12, "akm-d2--rotating-8h": 5, "akm-d1--24-48": 3}
        assert db.session.get(WaveRoster, wave.id) is not None
    # A newer snapshot (after w1 opened) serves later waves only.
    newer = tmp_path / "newer.csv"
    newer.write_text(roster_text().replace("akm-d1-u2,24-48", "akm-d1-u1,24-72"), encoding="utf-8")
    ok(runner.invoke(args=["roster", "import", str(newer), "--as-of", "2024-05-10"]))
    with app.app_context():
        w1 = wave_service.get_wave("w1")
        assert {g.slug: g.size for g in w1.groups} == groups
        assert wave_service.plan_groups(w1)[0].slug in groups       # still planned from its snapshot
        w2 = wave_service.create_wave("w2", ["cbi"], opens=date(2024, 6, 1), closes=date(2024, 6, 30))
        wave_service.issue_codes(w2)
        assert {g.slug: g.size for g in w2.groups} == {"akm-d1-u1--24-72": 15, "akm-d2--rotating-8h": 5}
        assert db.session.get(WaveRoster, w2.id).snapshot_id != db.session.get(WaveRoster, w1.id).snapshot_id
        assert count(ReportingGroup) == 5


def test_features_release_groups_below_k_without_numbers(app: Flask, runner, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ok(runner.invoke(args=["roster", "import", str(files["roster"]), "--as-of", "2024-03-01"]))
    ok(runner.invoke(args=["shifts", "import-grid", str(GRID_QR), "--codes", str(files["codes"]),
                           "--start", MONDAY.isoformat()]))
    ok(runner.invoke(args=["shifts", "generate", "--unit", "akm-d1-u2", "--pattern", "24-48",
                           "--from", "2024-04-01", "--to", "2024-04-28"]))
    with app.app_context():
        wave = wave_service.create_wave("w1", ["cbi"], opens=MONDAY + timedelta(days=28),
                                        closes=MONDAY + timedelta(days=40), window_days=28)
        wave_service.issue_codes(wave)
    out = tmp_path / "features.json"
    res = runner.invoke(args=["schedules", "features", "w1", "--format", "json", "--out", str(out)])
    ok(res)
    assert "reference window 2024-04-01 to 2024-04-29" in res.stderr
    rows = json.loads(out.read_text())
    by = {(r["group"], r["feature"], r["threshold"]): r for r in rows}
    # The 3 officers on 24-48 (K = 5): no numbers, reason below_k.
    small = [r for r in rows if r["group"] == "akm-d1--24-48"]
    assert small and all(r["suppressed"] and r["reason"] == "below_k" for r in small)
    assert all(r[c] is None for r in small for c in ("officers", "n", "mean", "median", "share_pct"))
    # The INRC nurses: quick returns counted from the grid itself, mean over 5 officers, 1 decimal.
    qr = by[("akm-d2--rotating-8h", "quick_returns", 0.0)]
    expected = forbidden_successions(GRID_QR)
    assert expected == 5   # Patrick N>E, Andrea L>E, Stefaan N>D, Nguyen L>E twice (counted above)
    assert not qr["suppressed"] and qr["officers"] == 5
    assert qr["mean"] == pytest.approx(round(expected / 5 + 1e-9, 1))
    # A group of exactly K officers: every share has a numerator or complement below K, so no share
    # is released (rule 7's share rule), while the mean is.
    assert qr["share_pct"] is None and qr["reason"] == "share_below_k"
    # Rounded once: hours to one decimal.
    wh = by[("akm-d2--rotating-8h", "weekly_hours_mean", 40.0)]
    assert wh["mean"] == round(wh["mean"], 1) and wh["share_pct"] is None
    csv_out = runner.invoke(args=["schedules", "features", "w1", "--format", "csv"])
    ok(csv_out)
    header, *lines = csv_out.stdout.splitlines()
    assert header.startswith("group,officers,feature,n,mean,median") and "suppressed,reason" in header
    assert any(line.startswith("akm-d1--24-48,,") and ",true,below_k," in line for line in lines)


# ---------------------------------------------------- value mapping in the columns file (issue 18)


def test_columns_file_maps_russian_pattern_and_duty_names(app: Flask, runner, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    colmap = tmp_path / "map.toml"
    # One mapping file for every import: each applies the [values.X] of its own columns and ignores the
    # others (units ignore shift_pattern, roster ignores level and duty_type, shifts ignore level).
    colmap.write_text('[columns]\n"табельный" = "person_id"\n"график" = "shift_pattern"\n'
                      '"учётный_период" = "accounting_period"\n"деңгей" = "level"\n'
                      '[values.shift_pattern]\n"сутки через трое" = "24-72"\n'
                      '[values.duty_type]\n"основная" = "regular"\n"сверхурочная" = "overtime"\n'
                      '[values.level]\n"облыс" = "region"\n"департамент" = "department"\n"бөлім" = "unit"\n',
                      encoding="utf-8")
    units = tmp_path / "units-kz.csv"
    units.write_text("unit_id;name;parent_id;деңгей;headcount\nkz-r;Region;;Облыс;\n"
                     "kz-d;Dept;kz-r;департамент;\nkz-u;Unit;kz-d;бөлім;12\n", encoding="utf-8")
    ok(runner.invoke(args=["units", "import", str(units), "--columns", str(colmap)]))
    roster = tmp_path / "roster-ru.csv"
    roster.write_text("табельный;unit_id;график;position;contract_hours_week;учётный_период\n"
                      "P000001;akm-d1-u1;Сутки через трое;;40;quarter\nP000002;akm-d1-u1;сутки через трое;;40;\n",
                      encoding="utf-8")
    ok(runner.invoke(args=["roster", "import", str(roster), "--as-of", "2024-03-01", "--columns", str(colmap)]))
    shifts = tmp_path / "shifts-ru.csv"
    shifts.write_text("табельный,start,end,break_min,duty_type,shift_code\n"
                      "P000001,01.04.2024 08:00,02.04.2024 08:00,0,основная,\n"
                      "P000001,02.04.2024 08:00,02.04.2024 10:00,0,Сверхурочная,\n", encoding="utf-8")
    ok(runner.invoke(args=["shifts", "import", str(shifts), "--columns", str(colmap)]))
    with app.app_context():
        got = dict(db.session.execute(db.select(RosterEntry.person_id, RosterEntry.shift_pattern)).all())
        assert got == {"P000001": "24-72", "P000002": "24-72"}
        periods = dict(db.session.execute(db.select(RosterEntry.person_id, RosterEntry.accounting_period)).all())
        assert periods == {"P000001": "quarter", "P000002": None}
        duties = db.session.execute(db.select(ShiftRecord.duty_type).order_by(ShiftRecord.start_utc)).scalars()
        assert list(duties) == ["regular", "overtime"]
        levels = dict(db.session.execute(db.select(Unit.slug, Unit.level)
                                         .where(Unit.slug.in_(("kz-r", "kz-d", "kz-u")))).all())
        assert {k: str(v) for k, v in levels.items()} == {"kz-r": "region", "kz-d": "department", "kz-u": "unit"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[values.duty_type]\n"x" = 1\n', encoding="utf-8")
    res = runner.invoke(args=["shifts", "import", str(shifts), "--columns", str(bad)])
    assert res.exit_code == 1 and "[values.duty_type] must map file values to contract values" in res.stderr


def test_grid_codes_file_errors_name_the_codes_file(app: Flask, runner, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ok(runner.invoke(args=["roster", "import", str(files["roster"]), "--as-of", "2024-03-01"]))
    codes = tmp_path / "bad-codes.csv"
    codes.write_text("code,start,end,duty_type\nE,6h,14:30,regular\n", encoding="utf-8")
    res = runner.invoke(args=["shifts", "import-grid", str(GRID), "--codes", str(codes), "--start", "2024-04-01"])
    assert res.exit_code == 1
    lines = error_lines(res)
    assert lines and all(ln.startswith(f"error: {codes}: row 2") for ln in lines), lines


def test_grid_applies_the_duty_type_values_of_the_columns_file(app: Flask, runner, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ok(runner.invoke(args=["roster", "import", str(files["roster"]), "--as-of", "2024-03-01"]))
    codes = tmp_path / "codes-ru.csv"
    codes.write_text(CODES_CSV.replace(",regular", ",основная"), encoding="utf-8")
    colmap = tmp_path / "map.toml"
    colmap.write_text('[values.duty_type]\n"основная" = "regular"\n[values.level]\n"облыс" = "region"\n',
                      encoding="utf-8")
    ok(runner.invoke(args=["shifts", "import-grid", str(GRID), "--codes", str(codes), "--start", "2024-04-01",
                           "--columns", str(colmap)]))
    with app.app_context():
        assert set(db.session.execute(db.select(ShiftRecord.duty_type)).scalars()) == {"regular"}


def test_header_only_roster_is_refused(app: Flask, runner, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.csv"
    empty.write_text("person_id,unit_id,shift_pattern,position,contract_hours_week\n\n", encoding="utf-8")
    res = runner.invoke(args=["roster", "import", str(empty), "--as-of", "2024-03-01"])
    assert res.exit_code == 1 and "the file has a header but no data rows" in res.stderr


@pytest.mark.parametrize("given", ["tab", "TAB", "\t", "\\t"])
def test_delimiter_tab_is_accepted(app: Flask, runner, files, tmp_path: Path, given: str) -> None:  # type: ignore[no-untyped-def]
    tsv = tmp_path / "roster.tsv"
    tsv.write_text(roster_text().replace(",", "\t"), encoding="utf-8")
    ok(runner.invoke(args=["roster", "import", str(tsv), "--as-of", "2024-03-01", "--delimiter", given]))


@pytest.mark.parametrize("cmd", [["roster", "import", "{f}", "--as-of", "2024-03-01"], ["units", "import", "{f}"],
                                 ["shifts", "import", "{f}"]])
def test_delimiter_other_than_comma_semicolon_tab_is_refused(app: Flask, runner, files, cmd: list[str]) -> None:  # type: ignore[no-untyped-def]
    res = runner.invoke(args=[a.format(f=files["roster"]) for a in cmd] + ["--delimiter", "|"])
    assert res.exit_code == 2 and "--delimiter" in res.stderr and "TypeError" not in res.stderr
