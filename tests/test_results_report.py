"""Results as a report (issue 20): names, not slugs; change since the previous wave; summary in words."""

from __future__ import annotations

import io
import re
from datetime import date

import numpy as np
import pandas as pd

from wellbeing.extensions import db
from wellbeing.services import wave_changes as changes
from wellbeing.services.users import create_user
from wellbeing.services.waves import get_wave

from .helpers import close, fill_wave, open_wave

PASSWORD = "a-long-pass-1"


def _client(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        create_user("psy", "psychologist", PASSWORD)
    c = app.test_client()
    assert c.post("/auth/login", data={"name": "psy", "password": PASSWORD}).status_code == 302
    return c


def _two_waves(app) -> None:  # type: ignore[no-untyped-def]
    open_wave(app, "w1")
    fill_wave(app, "w1", {"akm-d1-u1--all": 30, "akm-d2-u1--all": 12}, seed=7)
    close(app, "w1")
    with app.app_context():
        w1 = get_wave("w1")
        w1.opens, w1.closes = date(2025, 3, 1), date(2025, 3, 31)
        db.session.commit()
    open_wave(app, "w2")
    fill_wave(app, "w2", {"akm-d1-u1--all": 25, "akm-d2-u1--all": 14}, seed=8)
    close(app, "w2")


def test_change_since_the_previous_wave_is_the_difference_of_the_released_means(app) -> None:  # type: ignore[no-untyped-def]
    _two_waves(app)
    c = _client(app)
    before = pd.read_csv(io.StringIO(c.get("/results/w1.csv?by=group").get_data(as_text=True)))
    after = pd.read_csv(io.StringIO(c.get("/results/w2.csv?by=group").get_data(as_text=True)))
    html = c.get("/results/w2?by=group").get_data(as_text=True)
    assert "Change since w1" in html
    key = lambda df: df[(df["scale"] == "cbi.work") & (df["group"] == "akm-d1-u1--all")]["mean"].iloc[0]  # noqa: E731
    expected = int(round(key(after) - key(before)))
    section = html[html.index('id="scale-cbi-work"'):]
    row = re.search(r'<tr data-row="akm-d1-u1--all">(.*?)</tr>', section, re.S).group(1)
    cell = re.search(r'<td class="num change[^"]*">([^<]*)</td>', row).group(1)
    assert cell == (f"+{expected}" if expected > 0 else str(expected))
    # the first wave has no previous one: no change column
    assert "Change since" not in c.get("/results/w1?by=group").get_data(as_text=True)


def test_a_group_whose_units_changed_gets_no_change() -> None:
    table = pd.DataFrame({"scale": ["s"] * 3, "group": ["a", "b", "c"], "mean": [50.0, 40.0, np.nan],
                          "suppressed": [False, False, True]})
    prev = pd.DataFrame({"scale": ["s"] * 3, "group": ["a", "b", "c"], "mean": [45.0, 30.0, 20.0],
                         "suppressed": [False, False, False]})
    out = changes.add_changes(table, prev, ["group"], comparable_groups={"a", "c"})
    assert out["change"].iloc[0] == 5.0                      # a recurs
    assert np.isnan(out["change"].iloc[1])                   # b's units or pattern changed
    assert np.isnan(out["change"].iloc[2])                   # c is hidden now
    # a hidden previous cell gives no change either
    prev.loc[0, "suppressed"] = True
    assert np.isnan(changes.add_changes(table, prev, ["group"], {"a"})["change"].iloc[0])


def test_plots_and_pdfs_are_rendered_once_per_release_and_locale(app) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    open_wave(app, "w1")
    fill_wave(app, "w1", {"akm-d1-u1--all": 30, "akm-d2-u1--all": 12}, seed=7)
    close(app, "w1")
    c = _client(app)
    folder = Path(app.instance_path) / "renders"
    urls = ["/results/w1/heatmap.png?by=group", "/results/w1/means/cbi.work.svg?by=region", "/results/w1.pdf?by=region"]
    first = [c.get(u).data for u in urls]
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 3 and all((p.stat().st_mode & 0o777) == 0o600 for p in folder.iterdir())
    assert [c.get(u).data for u in urls] == first                      # served from the files
    assert sorted(p.name for p in folder.iterdir()) == files
    # another language is another rendering; so is a renamed unit (the names are drawn)
    c.set_cookie("wb_lang", "ru")
    assert c.get(urls[0]).data != first[0]
    assert len(list(folder.iterdir())) == 4
    c.set_cookie("wb_lang", "en")
    with app.app_context():
        from wellbeing.models import Unit

        unit = db.session.execute(db.select(Unit).filter_by(slug="akm-d1-u1")).scalar_one()
        unit.name = "Renamed battalion"
        db.session.commit()
    assert c.get(urls[0]).data != first[0] and len(list(folder.iterdir())) == 5


def test_csv_headings_in_the_readers_language_on_request(app) -> None:  # type: ignore[no-untyped-def]
    open_wave(app, "w1")
    fill_wave(app, "w1", {"akm-d1-u1--all": 30, "akm-d2-u1--all": 12}, seed=7)
    close(app, "w1")
    c = _client(app)
    plain = c.get("/results/w1.csv?by=group").get_data(as_text=True)
    assert plain.splitlines()[0].startswith("scale,region,department,group")       # CLI.md's names
    c.set_cookie("wb_lang", "ru")
    ru = c.get("/results/w1.csv?by=group&headers=labels").get_data(as_text=True)
    assert ru.splitlines()[0].split(",")[:2] == ["шкала", "регион"]
    assert ru.splitlines()[1:] == plain.splitlines()[1:]                            # same rows


def test_plots_say_why_a_cell_is_hidden_in_words_not_codes(app) -> None:  # type: ignore[no-untyped-def]
    """Regression (review of issue 20): the heat map and the means plot printed "below_k" in hidden cells."""
    open_wave(app, "w1")
    fill_wave(app, "w1", {"akm-d1-u1--all": 30, "akm-d2-u1--all": 12, "akm-d1-other--all": 3}, seed=7)
    close(app, "w1")
    c = _client(app)
    means = c.get("/results/w1/means/cbi.work.svg?by=group").data
    heat = c.get("/results/w1/heatmap.svg?by=group").data
    assert b"hidden: fewer than K answered" in means and b"hidden" in heat
    for code in (b"below_k", b"complementary", b"suppressed ("):
        assert code not in means and code not in heat


def test_same_named_departments_stay_two_rows_and_a_changed_department_gets_no_change(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Regression (review of issue 20): rows were keyed by display name, so two departments called
    "District police 1" merged into one; and a department that gained a unit showed a change."""
    from wellbeing.services import waves as wave_service
    from wellbeing.services.units import import_units

    units = ("unit_id,name,parent_id,level,headcount\n"
             "r1,North region,,region,\nr1-d1,District police 1,r1,department,\n"
             "r1-d1-u1,Patrol,r1-d1,unit,30\nr1-d1-u2,Duty unit,r1-d1,unit,30\n"
             "r2,South region,,region,\nr2-d1,District police 1,r2,department,\nr2-d1-u1,Patrol,r2-d1,unit,30\n")
    with app.app_context():
        import_units(units.encode(), imported_by="test")
        w1 = wave_service.create_wave("w1", ["cbi", "who5"], opens=date(2025, 3, 1), closes=date(2025, 3, 31),
                                      units=["r1-d1-u1", "r2-d1-u1"])
        wave_service.issue_codes(w1)
        wave_service.open_wave(w1)
    fill_wave(app, "w1", {"r1-d1-u1--all": 20, "r2-d1-u1--all": 20}, seed=3)
    close(app, "w1")
    with app.app_context():
        w2 = wave_service.create_wave("w2", ["cbi", "who5"], opens=date(2026, 3, 1), closes=date(2026, 3, 31))
        wave_service.issue_codes(w2)
        wave_service.open_wave(w2)
    fill_wave(app, "w2", {"r1-d1-u1--all": 20, "r1-d1-u2--all": 20, "r2-d1-u1--all": 20}, seed=4)
    close(app, "w2")
    c = _client(app)
    html = c.get("/results/w2?by=department").get_data(as_text=True)
    assert "District police 1, North region" in html and "District police 1, South region" in html
    overview = html[html.index('id="overview"'):html.index('id="reasons"') if 'id="reasons"' in html else None]
    assert overview.count("District police 1, ") >= 2
    section = html[html.index('id="scale-cbi-work"'):]
    north = re.search(r'<tr data-row="r1-d1">(.*?)</tr>', section, re.S).group(1)
    south = re.search(r'<tr data-row="r2-d1">(.*?)</tr>', section, re.S).group(1)
    assert re.search(r'<td class="num change[^"]*">–</td>', north)          # gained a unit: not comparable
    assert re.search(r'<td class="num change[^"]*">[+-]?\d+</td>', south)    # same unit: a change


def test_malformed_drill_down_and_headings_are_refused(app) -> None:  # type: ignore[no-untyped-def]
    open_wave(app, "w1")
    fill_wave(app, "w1", {"akm-d1-u1--all": 30, "akm-d2-u1--all": 12}, seed=7)
    close(app, "w1")
    c = _client(app)
    assert c.get("/results/w1.csv?by=group&headers=zzz").status_code == 400
    assert c.get("/results/w1?by=shift_pattern&in=*").status_code == 400
    assert c.get("/results/w1?by=group&in=nowhere").status_code == 400
    assert c.get("/results/w1?by=group&in=akm-d1").status_code == 200


def test_a_drill_down_keeps_its_place_in_the_plots_and_the_exports(app) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 20 leftover): the drill-down's CSV, PDF and plot links dropped ``in``, so an
    export from "inside District 1" held every department's rows."""
    open_wave(app, "w1")
    fill_wave(app, "w1", {"akm-d1-u1--all": 30, "akm-d1-other--all": 10, "akm-d2-u1--all": 12}, seed=7)
    close(app, "w1")
    c = _client(app)
    html = c.get("/results/w1?by=group&in=akm-d1").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/results/w1[^"]*)"', html)
    exports = [u for u in links if re.match(r"/results/w1(\.csv|\.pdf|/heatmap\.|/means/)", u)]
    assert len(exports) >= 6 and all("in=akm-d1" in u for u in exports), exports
    everywhere = pd.read_csv(io.StringIO(c.get("/results/w1.csv?by=group").get_data(as_text=True)))
    csv_url = next(u for u in exports if ".csv" in u and "headers" not in u).replace("&amp;", "&")
    inside = pd.read_csv(io.StringIO(c.get(csv_url).get_data(as_text=True)))
    assert set(everywhere["department"]) == {"akm-d1", "akm-d2"}
    assert set(inside["department"]) == {"akm-d1"}
    assert len(inside) == (everywhere["department"] == "akm-d1").sum()
    plot_url = next(u for u in exports if "/means/" in u and ".svg" in u).replace("&amp;", "&")
    assert c.get(plot_url).data != c.get(plot_url.split("?")[0] + "?by=group").data
    assert "Inside Kokshetau city police" in c.get(plot_url).get_data(as_text=True)     # the title says so
    from pypdf import PdfReader

    pdf_url = next(u for u in exports if ".pdf" in u).replace("&amp;", "&")
    text = " ".join(PdfReader(io.BytesIO(c.get(pdf_url).data)).pages[0].extract_text().split())
    assert "Inside Kokshetau city police" in text and "Shchuchinsk" not in text
    assert c.get("/results/w1.csv?by=group&in=nowhere").status_code == 400


def test_the_trend_of_a_one_to_five_scale_is_drawn_on_its_own_range(app) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 20 leftover): the trend plot drew every scale on a 0-100 axis, so the 1-5
    work-family conflict means sat as a flat line at the bottom."""
    open_wave(app, "w1", instruments=("wfc",))
    fill_wave(app, "w1", {"akm-d1-u1--all": 30, "akm-d2-u1--all": 12}, seed=7)
    close(app, "w1")
    svg = _client(app).get("/results/trend/wfc.work_to_family.svg?level=region")
    assert svg.status_code == 200
    texts = [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg.get_data(as_text=True))]
    ticks = [t for t in texts if re.fullmatch(r"\d+(\.\d+)?", t)]
    assert ticks and max(float(t) for t in ticks) == 5 and "100" not in ticks
    assert any("1–5 points" in t for t in texts)
    ru = _client_again(app)
    ru.set_cookie("wb_lang", "ru")                       # the views pass the reader's decimal symbol
    for url in ("/results/w1/heatmap.svg?by=group", "/results/w1/means/wfc.work_to_family.svg?by=group",
                "/results/trend/wfc.work_to_family.svg?level=region"):
        svg = ru.get(url).get_data(as_text=True)
        numbers = re.findall(r">\s*(\d+[.,]\d+)", svg)
        assert numbers and all("," in x for x in numbers), (url, numbers)


def _client_again(app):  # type: ignore[no-untyped-def]
    c = app.test_client()
    assert c.post("/auth/login", data={"name": "psy", "password": PASSWORD}).status_code == 302
    return c
