"""`flask schedules costs` on a real SQLite database: a 24/72 group's overtime, limits and cost by hand,
the compliance scenario, paperwork, and the gate (a group under K and the totals that would reveal it);
bad rates and register files refused with row and column, nothing stored."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from wellbeing.extensions import db
from wellbeing.models import CostFile, ImportRecord
from wellbeing.services import waves as wave_service
from wellbeing.services.units import import_units

DATA = Path(__file__).resolve().parent / "data"
RATES = ("position,hourly_rate,currency,overtime,night,holiday\n"
         "patrol,1000,KZT,1.5,1.5,2\n"
         "*,700,KZT,1.5,1.5,1.5\n")
REGISTER = ("unit_type,form,per,times,minutes\n"
            "Patrol battalion 1,incident report,shift,2,30\n"
            "Patrol battalion 1,shift log,shift,1,15\n"
            "*,monthly report,month,1,60\n")


def ok(res) -> None:  # type: ignore[no-untyped-def]
    assert res.exit_code == 0, (res.output, res.stderr)


@pytest.fixture
def wave(app: Flask, runner, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """12 patrol officers on 24/72 (akm-d1-u1), 3 on 24-48 (akm-d1-u2, under K = 5), 5 inspectors
    without shifts (akm-d2-u1); shifts generated for April 1-28; wave w1 opens April 29 (window 28 d).
    P000001 (crew 0: duties start 2, 6, ..., 26 April) also has a 6-h overtime record on 4 April."""
    with app.app_context():
        import_units((DATA / "units-small.csv").read_bytes(), imported_by="test")
    rows = ["person_id,unit_id,shift_pattern,position,contract_hours_week"]
    rows += [f"P{i:06d},akm-d1-u1,24-72,patrol,40" for i in range(1, 13)]
    rows += [f"P{i:06d},akm-d1-u2,24-48,,40" for i in range(13, 16)]
    rows += [f"I{i},akm-d2-u1,rotating-8h,inspector,40" for i in range(1, 6)]
    (tmp_path / "roster.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    ok(runner.invoke(args=["roster", "import", str(tmp_path / "roster.csv"), "--as-of", "2024-03-01"]))
    for unit, pat in (("akm-d1-u1", "24-72"), ("akm-d1-u2", "24-48")):
        ok(runner.invoke(args=["shifts", "generate", "--unit", unit, "--pattern", pat,
                               "--from", "2024-04-01", "--to", "2024-04-28"]))
    (tmp_path / "ot.csv").write_text("person_id,start,end,break_min,duty_type,shift_code\n"
                                     "P000001,2024-04-04 10:00,2024-04-04 16:00,0,overtime,\n", encoding="utf-8")
    ok(runner.invoke(args=["shifts", "import", str(tmp_path / "ot.csv")]))
    with app.app_context():
        w = wave_service.create_wave("w1", ["cbi", "context"], opens=date(2024, 4, 29), closes=date(2024, 5, 20),
                                     window_days=28)
        wave_service.issue_codes(w)
    (tmp_path / "rates.csv").write_text(RATES, encoding="utf-8")
    (tmp_path / "register.csv").write_text(REGISTER, encoding="utf-8")
    return "w1"


def test_costs_of_a_24_72_group_by_hand(app: Flask, runner, wave: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """12 officers × 7 duties × 24 h = 2,016 h + 6 h overtime record = 2,022 h. Norm 40/7 × 28 = 160 h
    each: 8 h of overtime each (14 h for P000001) = 102 h → 102 × 1000 × 1.5 = 153,000 KZT. Night:
    8 h a duty × 84 duties = 672 h → premium 672 × 1000 × 0.5 = 336,000. Weekend: the 8 Saturdays and
    Sundays of 6-28 April are covered whole by one crew of 3 → 576 h × 1000 × (2 − 1) = 576,000.
    Limits (the window holds no complete month, so it is the accounting period itself): P000001's 6-h
    record is 4 h over 2 h/day; 14 − 12 × 28/30.4375 = 2.96 h over the month;
    14 − 120 × 28/365.25 = 4.80 h over the year (pro rata): 4.80 h to move, FTE 4.80/160 = 0.03,
    savings 4.80 × 1000 × 0.5 = 2,400 (× 365.25/28 a year = 31,311)."""
    out = tmp_path / "costs.json"
    res = runner.invoke(args=["schedules", "costs", wave, "--rates", str(tmp_path / "rates.csv"),
                              "--register", str(tmp_path / "register.csv"), "--remove", "shift log",
                              "--format", "json", "--out", str(out)])
    ok(res)
    assert "money in KZT" in res.stderr
    rows = {(r["level"], r["key"]): r for r in json.loads(out.read_text())}
    g = rows[("group", "akm-d1-u1--24-72")]
    assert g["officers"] == 12 and not g["suppressed"]
    assert g["worked_hours"] == 2022.0
    assert g["overtime_hours"] == 102.0
    assert g["overtime_cost"] == 153_000
    assert g["night_hours"] == 672.0 and g["night_premium"] == 336_000
    assert g["weekend_hours"] == 576.0 and g["weekend_premium"] == 576_000
    assert g["premium_cost"] == 153_000 + 336_000 + 576_000
    assert g["above_day_h"] == 4.0 and g["above_month_h"] == 3.0
    moved = 14 - 120 * 28 / 365.25
    assert g["above_year_h"] == round(moved, 1) and g["hours_moved"] == round(moved, 1)
    assert g["fte_moved"] == 0.03
    assert g["savings"] == 2400 and g["savings_per_year"] == round(moved * 500 * 365.25 / 28)
    # paperwork: 12 × 7 duties + P000001's overtime record (a worked record, counted as a shift by the
    # features) = 85 shifts in 4 weeks for 12 officers = 85/48 shifts a week each:
    # (2 × 30 + 15) min × 85/48 + 60 min × 84/365.25 (the monthly form) = 2.2135 + 0.2300 = 2.44 h
    spw = 85 / 48
    per_week = 75 / 60 * spw + 1 * 84 / 365.25
    assert g["paperwork_h_per_officer_week"] == round(per_week, 2) == 2.44
    assert g["paperwork_freed_h_per_officer_week"] == round(15 / 60 * spw, 2) == 0.44
    # per officer-month: 102 h / 12 / (28 / 30.4375)
    assert g["overtime_h_per_officer_month"] == round(102 / 12 / (28 / 30.4375), 1)
    # the gate: the 24-48 group has 3 officers (< K = 5) → nothing; the region and the whole wave would
    # give its numbers by subtraction → withheld too
    small = rows[("group", "akm-d1--24-48")]
    assert small["suppressed"] and small["reason"] == "below_k"
    assert all(small[c] is None for c in ("officers", "overtime_hours", "premium_cost", "savings"))
    for key in (("region", "akm"), ("all", "*")):
        assert rows[key]["suppressed"] and rows[key]["reason"] == "complement" and rows[key]["premium_cost"] is None
    # the inspectors (no shifts, rate from the '*' row) are released with zero hours
    insp = rows[("group", "akm-d2--rotating-8h")]
    assert insp["officers"] == 5 and insp["overtime_hours"] == 0.0
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(CostFile)).scalar_one() == 2
    csv_res = runner.invoke(args=["schedules", "costs", wave, "--level", "group", "--format", "csv"])
    ok(csv_res)
    header, *lines = csv_res.stdout.splitlines()
    assert header.startswith("level,key,officers,worked_hours,overtime_hours")
    assert any(ln.startswith("group,akm-d1--24-48,,") and ",true,below_k" in ln for ln in lines)


def test_bad_rates_and_register_refused_with_row_and_column_nothing_stored(app: Flask, runner, wave: str,
                                                                           tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad-rates.csv"
    bad.write_text("position,hourly_rate,currency,overtime,night,holiday\npatrol,1000,KZT,1.5,1.5,2\n"
                   "duty,-3,KZT,1.5,x,1.5\n", encoding="utf-8")
    res = runner.invoke(args=["schedules", "costs", wave, "--rates", str(bad)])
    assert res.exit_code == 1
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error: ")]
    assert errors == [f"error: {bad}: row 3, column hourly_rate: '-3' — must be > 0",
                      f"error: {bad}: row 3, column night: 'x' — not a number"]
    assert "Traceback" not in res.output
    reg = tmp_path / "bad-register.csv"
    reg.write_text("unit_type,form,per,times,minutes\npatrol,log,fortnight,1,10\n", encoding="utf-8")
    res = runner.invoke(args=["schedules", "costs", wave, "--register", str(reg)])
    assert res.exit_code == 1 and "row 2, column per: 'fortnight'" in res.stderr
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(CostFile)).scalar_one() == 0
        kinds = set(db.session.execute(db.select(ImportRecord.kind)).scalars())
        assert not kinds & {"cost-rates", "cost-register"}
    # no rates stored yet: a clear one-line refusal
    res = runner.invoke(args=["schedules", "costs", wave])
    assert res.exit_code == 1 and "no pay-rates file yet" in res.stderr


# ------------------------------------------------------------------------------------------ page

CSRF = re.compile(r'id="(rates|register)-csrf_token" name="\1-csrf_token" type="hidden" value="([^"]+)"')


def _login(app: Flask):  # type: ignore[no-untyped-def]
    from wellbeing.services.users import create_user

    with app.app_context():
        create_user("analyst", "analyst", "a long test password")
    c = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', c.get("/auth/login").text)
    data = {"name": "analyst", "password": "a long test password", **({"csrf_token": token.group(1)} if token else {})}
    assert c.post("/auth/login", data=data).status_code == 302
    return c


def _post_file(c, url: str, kind: str, text: str, html: str):  # type: ignore[no-untyped-def]
    tokens = {m.group(1): m.group(2) for m in CSRF.finditer(html)}
    data = {f"{kind}-file": (io.BytesIO(text.encode("utf-8")), f"{kind}.csv"), f"{kind}-encoding": "utf-8",
            f"{kind}-delimiter": "", f"{kind}-csrf_token": tokens[kind]}
    return c.post(url, data=data, content_type="multipart/form-data")


def test_costs_page_upload_errors_numbers_plots_csv_pdf(app: Flask, wave: str) -> None:
    """With CSRF on: a bad rates file gets 400 and a row/column table, nothing stored; a good one is
    stored and the page shows the released numbers (the suppressed group without any), two PNG plots,
    the CSV (same numbers as the CLI) and a PDF; the scenario query removes a form."""
    app.config["WTF_CSRF_ENABLED"] = True
    c = _login(app)
    url = f"/schedules/waves/{wave}/costs"
    page = c.get(url)
    assert page.status_code == 200 and "Store a pay-rates file" in page.text
    bad = _post_file(c, url + "/rates", "rates", "position,hourly_rate,currency,overtime,night,holiday\n"
                                                "patrol,zero,KZT,1.5,1.5,2\n", page.text)
    assert bad.status_code == 400
    assert "nothing was saved" in bad.text and "<td class=\"num\">2</td><td>hourly_rate</td>" in bad.text
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(CostFile)).scalar_one() == 0
    page = c.get(url)
    assert _post_file(c, url + "/rates", "rates", RATES, page.text).status_code == 302
    page = c.get(url)
    assert _post_file(c, url + "/register", "register", REGISTER, page.text).status_code == 302
    page = c.get(url)
    assert page.status_code == 200
    # the 24/72 group's premium cost
    assert "1065000" in page.text.replace(" ", "").replace(",", "").replace("\u202f", "")
    assert "fewer than K officers: suppressed" in page.text
    assert "withheld: it would reveal a group under K" in page.text
    for which in ("overtime", "paperwork"):
        png = c.get(f"{url}/{which}.png")
        assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    csv_text = c.get(url + ".csv?remove=shift+log").text
    row = next(ln for ln in csv_text.splitlines() if ln.startswith("group,akm-d1-u1--24-72,"))
    cols = csv_text.splitlines()[0].split(",")
    rec = dict(zip(cols, row.split(",")))
    assert rec["overtime_cost"] == "153000" and rec["paperwork_freed_h_per_officer_week"] == "0.44"
    assert any(ln.startswith("group,akm-d1--24-48,,") for ln in csv_text.splitlines())
    pdf = c.get(url + ".pdf")
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"
    for lang in ("kk", "ru"):
        r = c.get(url, headers={"Accept-Language": lang})
        assert r.status_code == 200


def test_what_if_page_in_three_languages_and_refusals(app: Flask, wave: str) -> None:
    """The what-if form renders in kk/ru/en; a request the form refuses (no closed wave offers cbi.work
    here) is a 400 with the field's error and no number; a unit whose group is under K gives nothing but
    the refusal."""
    c = _login(app)
    titles = {"en": "What a new schedule would change", "ru": "Что изменит новый график",
              "kk": "Жаңа кесте нені өзгертеді"}
    for lang, title in titles.items():
        r = c.get("/schedules/what-if", headers={"Accept-Language": lang})
        assert r.status_code == 200 and title in r.text
    r = c.get("/schedules/what-if?wave=w1&unit=akm-d9-u9&pattern=pitman-12h&outcome=cbi.work")
    assert r.status_code == 400 and "Not a valid choice" in r.text and "Predicted change" not in r.text
    with app.app_context():
        from wellbeing.services.waves import get_wave
        from wellbeing.services.whatif import WhatIf, release_what_if

        w = get_wave(wave)
        small = WhatIf(w, "akm-d1-u2", "akm-d1--24-48", "pitman-12h", (date(2024, 4, 1), date(2024, 4, 29)), 3, 3,
                       "cbi.work", [], ["night_hours"], {"night_hours": 80.0}, {"night_hours": 61.0}, {})
        out = release_what_if(small)
        assert out["released"] is False and out["reason"] == "below_k" and "features" not in out



def test_cached_wave_features_bind_the_callers_snapshot_row(app: Flask, wave: str) -> None:
    """Regression (issue 23): the features cache kept the roster snapshot row of the session that
    computed it. A commit after the computation (the what-if's ledger and audit writes) expired that row
    and the end of the app context closed its session, so the next caller in the process — a second
    ``flask schedules what-if`` — died on DetachedInstanceError reading its id (exit 1). The cached
    entry now hands out the caller's own rows."""
    from wellbeing.extensions import db
    from wellbeing.services.schedules import released_wave_features
    from wellbeing.services.waves import get_wave

    with app.app_context():
        wf, _ = released_wave_features(get_wave(wave))
        snap_id, as_of = wf.snapshot.id, wf.snapshot.as_of
        db.session.commit()   # expires every row of this session
    with app.app_context():
        w = get_wave(wave)
        wf2, _ = released_wave_features(w)
        assert wf2 is wf                      # the cached computation, not a new one
        assert (wf2.snapshot.id, wf2.snapshot.as_of) == (snap_id, as_of)
        assert wf2.snapshot in db.session and wf2.wave is w


def test_feature_model_key_changes_with_every_input_of_the_fit(app: Flask, runner, wave: str,
                                                              tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The what-if reuses a fitted feature model only while its inputs stand still: the key is stable
    across calls and app contexts, and changes with a shift import (group features), a table released for
    the wave (the audit's facts), and the outcome or exposures asked for. (The wave's K is part of the key
    too, but a closed wave's K is frozen at issue: no test edits it.)"""
    from wellbeing.services.ledger import released
    from wellbeing.services.waves import get_wave
    from wellbeing.services.whatif import feature_model_key

    def key(outcome: str = "cbi.work", exposures: tuple[str, ...] = ("night_hours",)) -> tuple:
        with app.app_context():
            return feature_model_key([wave], outcome, exposures)

    k0 = key()
    assert key() == k0
    assert key("cbi.personal") != k0 and key(exposures=("night_hours", "duties_24h")) != k0
    (tmp_path / "ot2.csv").write_text("person_id,start,end,break_min,duty_type,shift_code\n"
                                      "P000001,2024-04-05 10:00,2024-04-05 12:00,0,overtime,\n", encoding="utf-8")
    ok(runner.invoke(args=["shifts", "import", str(tmp_path / "ot2.csv")]))
    k1 = key()
    assert k1 != k0
    import pandas as pd

    with app.app_context():
        released("table", get_wave(wave), {"scale": "test"}, lambda: pd.DataFrame({"x": [1]}))
    k2 = key()
    assert k2 != k1
    assert key() == k2   # nothing else moved (K and the groups are frozen when codes are issued)
