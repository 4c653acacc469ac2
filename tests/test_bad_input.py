"""Bad-input battery (issue 17, item 5): every CLI command and upload/form given each bad input of the
issue's crash list (and the class it stands for) answers with one readable line and exit 1 (CLI) or a
400 page naming field, row or column (web) — never a traceback — and stores nothing. Error output is
capped: the first problems, then a count."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask

from wellbeing.extensions import db
from wellbeing.models import ImportRecord, RosterEntry, ShiftRecord, Unit
from wellbeing.services.units import import_units
from wellbeing.services.users import create_user

from .test_roster_cli import roster_text

DATA = Path(__file__).resolve().parent / "data"
PASSWORD = "a long test password"
SHIFT_HEADER = "person_id,start,end,break_min,duty_type,shift_code\n"


def nested_toml(depth: int = 5000, key: str = "columns") -> str:
    return f"{key} = " + "{a = " * depth + "1" + "}" * depth + "\n"


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {m.__name__: db.session.execute(db.select(db.func.count()).select_from(m)).scalar_one()
                for m in (ImportRecord, RosterEntry, ShiftRecord, Unit)}


@pytest.fixture
def setup(app: Flask, tmp_path: Path):  # type: ignore[no-untyped-def]
    with app.app_context():
        import_units((DATA / "units-small.csv").read_bytes(), imported_by="test")
        from datetime import date

        from wellbeing.services.roster import import_roster

        import_roster(roster_text().encode(), imported_by="test", as_of=date(2024, 3, 1))
    f = {}
    f["cp1251_units"] = tmp_path / "units-1251.csv"
    f["cp1251_units"].write_bytes("unit_id,name,parent_id,level,headcount\nx1,Отдел,,region,\n".encode("cp1251"))
    f["grid"] = tmp_path / "grid.csv"
    f["grid"].write_bytes("person_id,2024-04-01,2024-04-02\nP000001,Д,Н\n".encode("cp1251"))
    f["codes"] = tmp_path / "codes.csv"
    f["codes"].write_bytes("code,start,end,duty_type\nД,08:00,20:00,regular\nН,20:00,08:00,regular\n".encode("cp1251"))
    f["weekly"] = tmp_path / "weekly.csv"
    f["weekly"].write_bytes((b"person_id,mon_start,mon_end,tue_start,tue_end,wed_start,wed_end,thu_start,thu_end,"
                             b"fri_start,fri_end,sat_start,sat_end,sun_start,sun_end\n"
                             b"P000001,08:00,17:00,,,,,,,,,,,,\n") + "# примечание\n".encode("cp1251"))
    f["shifts"] = tmp_path / "shifts.csv"
    f["shifts"].write_text(SHIFT_HEADER + "P000001,2024-04-01 08:00,2024-04-01 20:00,60,regular,D\n")
    f["huge_break"] = tmp_path / "huge-break.csv"
    f["huge_break"].write_text(SHIFT_HEADER
                               + "P000001,2024-04-01 08:00,2024-04-01 20:00,99999999999999999999,regular,D\n")
    f["deep"] = tmp_path / "deep.toml"
    f["deep"].write_text(nested_toml())
    f["deep_instrument"] = tmp_path / "deep-instrument.toml"
    f["deep_instrument"].write_text(nested_toml(key="id"))
    f["empty"] = tmp_path / "empty.csv"
    f["empty"].write_text("")
    f["many_bad"] = tmp_path / "many-bad.csv"
    f["many_bad"].write_text(SHIFT_HEADER + "".join(
        f"P000001,2024-04-{1 + i % 28:02d} 08:00,2024-04-{1 + i % 28:02d} 20:00,0,holiday,D\n" for i in range(20000)))
    f["relevel"] = tmp_path / "relevel.csv"
    f["relevel"].write_text("unit_id,name,parent_id,level,headcount\nakm-d1,Kokshetau city police,,region,\n")
    return f


CLI_CASES = [
    ("units-encoding", ["units", "import", "{cp1251_units}", "--encoding", "no-such-codec"], "encoding"),
    ("roster-encoding", ["roster", "import", "{cp1251_units}", "--encoding", "no-such-codec"], "encoding"),
    ("shifts-encoding", ["shifts", "import", "{shifts}", "--encoding", "no-such-codec"], "encoding"),
    ("grid-not-utf8", ["shifts", "import-grid", "{grid}", "--codes", "{codes}", "--start", "2024-04-01"], "decode"),
    ("grid-codes-encoding", ["shifts", "import-grid", "{grid}", "--codes", "{codes}", "--start", "2024-04-01",
                             "--encoding", "no-such-codec"], "encoding"),
    ("weekly-not-utf8", ["shifts", "import-weekly", "{weekly}", "--from", "2024-04-01", "--to", "2024-04-07"],
     "decode"),
    ("columns-deep", ["shifts", "import", "{shifts}", "--columns", "{deep}"], "deep"),
    ("instrument-deep", ["instruments", "check", "{deep_instrument}"], "deep"),
    ("timezone", ["shifts", "import", "{shifts}", "--timezone", "Nope/Zone"], "Nope/Zone"),
    ("break-overflow", ["shifts", "import", "{huge_break}"], "break_min"),
    ("out-missing-folder", ["models", "fit", "--csv", str(DATA / "sleepstudy.csv"), "--outcome", "Reaction",
                            "--predictors", "Days", "--group", "Subject", "--format", "csv",
                            "--out", "{tmp}/no/such/dir/x.csv"], "no/such/dir"),
    ("did-empty-csv", ["models", "did", "--csv", "{empty}", "--unit", "u", "--time", "t", "--treated", "d",
                       "--outcome", "y"], "empty"),
    ("units-relevel", ["units", "import", "{relevel}"], "akm-d1"),
]


@pytest.mark.parametrize("name,args,needle", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input_is_one_line_and_exit_1(app: Flask, runner, setup, tmp_path: Path, name: str,
                                             args: list[str], needle: str) -> None:  # type: ignore[no-untyped-def]
    before = counts(app)
    argv = [a.format(tmp=tmp_path, **{k: str(v) for k, v in setup.items()}) for a in args]
    res = runner.invoke(args=argv)
    out = res.output
    assert res.exit_code == 1, (res.exit_code, out, res.exception)
    assert "Traceback" not in out and not isinstance(res.exception, (RecursionError, OverflowError))
    lines = [ln for ln in out.splitlines() if ln.startswith("error:")]
    assert lines and len(lines) <= 3, out
    assert needle.lower() in out.lower(), out
    assert counts(app) == before


def test_cli_error_output_is_capped(app: Flask, runner, setup) -> None:  # type: ignore[no-untyped-def]
    res = runner.invoke(args=["shifts", "import", str(setup["many_bad"])])
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert len(lines) == 51 and all(ln.startswith("error: ") for ln in lines)
    assert "more problems" in lines[-1] and "in all); nothing was stored" in lines[-1]


# ------------------------------------------------------------------------------------------------ web


@pytest.fixture
def analyst(app: Flask, setup):  # type: ignore[no-untyped-def]
    with app.app_context():
        create_user("admin", "admin", PASSWORD)
    c = app.test_client()
    assert c.post("/auth/login", data={"name": "admin", "password": PASSWORD}).status_code == 302
    return c


def post_file(client, url: str, data: bytes, **fields: str):  # type: ignore[no-untyped-def]
    form = {"file": (io.BytesIO(data), "f.csv"), "delimiter": "", "encoding": "utf-8", **fields}
    return client.post(url, data=form, content_type="multipart/form-data")


WEB_CASES = [
    ("units-encoding", "/admin/units/preview", "{cp1251_units}", {"encoding": "no-such-codec"}, "no-such-codec"),
    ("roster-encoding", "/schedules/roster/preview", "{cp1251_units}", {"encoding": "no-such-codec"},
     "no-such-codec"),
    ("shifts-encoding", "/schedules/shifts/preview", "{shifts}", {"encoding": "no-such-codec",
                                                                  "timezone": "Asia/Almaty"}, "no-such-codec"),
    ("shifts-timezone", "/schedules/shifts/preview", "{shifts}", {"timezone": "Nope/Zone"}, "IANA"),
    ("break-overflow", "/schedules/shifts/preview", "{huge_break}", {"timezone": "Asia/Almaty"}, "break_min"),
    ("units-relevel", "/admin/units/preview", "{relevel}", {}, "akm-d1"),
]


@pytest.mark.parametrize("name,url,file,fields,needle", WEB_CASES, ids=[c[0] for c in WEB_CASES])
def test_web_bad_input_is_a_400_page(app: Flask, analyst, setup, name: str, url: str, file: str,
                                     fields: dict, needle: str) -> None:  # type: ignore[no-untyped-def]
    before = counts(app)
    data = Path(file.format(**{k: str(v) for k, v in setup.items()})).read_bytes()
    res = post_file(analyst, url, data, **fields)
    html = res.get_data(as_text=True)
    assert res.status_code == 400, html[:1500]
    assert needle in html
    assert counts(app) == before


def test_web_error_list_is_capped(app: Flask, analyst, setup) -> None:  # type: ignore[no-untyped-def]
    res = post_file(analyst, "/schedules/shifts/preview", setup["many_bad"].read_bytes(), timezone="Asia/Almaty")
    html = res.get_data(as_text=True)
    assert res.status_code == 400
    assert html.count('<td class="error">') <= 200 and "more problems" in html


@pytest.mark.parametrize("csrf_on", [False, True])
@pytest.mark.parametrize("url", ["/survey/", "/auth/login"])
def test_multipart_part_without_a_name_is_400(app_config: dict[str, object], url: str, csrf_on: bool) -> None:
    from wellbeing import create_app

    client = create_app({**app_config, "WTF_CSRF_ENABLED": csrf_on}).test_client()
    body = (b"--B\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\nx\r\n--B--\r\n")
    res = client.post(url, data=body, content_type="multipart/form-data; boundary=B")
    assert res.status_code == 400
    assert "Traceback" not in res.get_data(as_text=True)
