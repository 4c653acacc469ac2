"""Cohort results for psychologists: pages, CSV, PDF and CLI all show the same released numbers."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest
from pypdf import PdfReader

from wellbeing import create_app
from wellbeing.core.summaries import wilson_ci
from wellbeing.services.users import create_user

from .conftest import app_on_template
from .helpers import RESULTS_PASSWORD as PASSWORD
from .helpers import fill_wave, open_wave


@pytest.fixture
def app(request, app_config, instance, pg_server):  # type: ignore[no-untyped-def]
    """A test asking for ``wave`` gets a private copy of the session's closed wave; others an empty app."""
    if "wave" in request.fixturenames:
        return app_on_template(request, instance, request.getfixturevalue("results_template"), pg_server)
    return create_app(app_config)


@pytest.fixture
def wave(app):  # type: ignore[no-untyped-def]
    return "w1"


def clear_caches(app) -> None:  # type: ignore[no-untyped-def]
    """Empty the release ledger so the next view recomputes from the database (test only: the platform
    never deletes a release)."""
    from sqlalchemy import delete

    from wellbeing.extensions import db
    from wellbeing.models import ReleaseEntry

    with app.app_context():
        db.session.execute(delete(ReleaseEntry))
        db.session.commit()


def logged_in(app, name="psy"):  # type: ignore[no-untyped-def]
    c = app.test_client()
    r = c.post("/auth/login", data={"name": name, "password": PASSWORD})
    assert r.status_code in (302, 303)
    return c


def test_wilson_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    assert wilson_ci(3, 11) == pytest.approx(proportion_confint(3, 11, method="wilson"))
    # By hand: centre (p + z²/2n)/(1 + z²/n) = 0.3316, half-width 0.2341 -> [0.0975, 0.5656].
    assert wilson_ci(3, 11) == pytest.approx((0.0975, 0.5656), abs=1e-4)


def test_cli_csv_json_and_table_agree(app, runner, wave):
    out_csv = runner.invoke(args=["results", wave, "--format", "csv"]).output
    out_json = json.loads(runner.invoke(args=["results", wave, "--format", "json"]).output)
    df = pd.read_csv(io.StringIO(out_csv))
    assert len(df) == len(out_json)
    for rec, (_, row) in zip(out_json, df.iterrows()):
        if rec["mean"] is None:
            assert pd.isna(row["mean"])
        else:
            assert rec["mean"] == row["mean"]
    small = [r for r in out_json if r["group"] == "akm-d1-other--all"]
    assert small and all(r["suppressed"] and r["reason"] == "below_k" and r["mean"] is None for r in small)


def test_page_csv_and_pdf_show_the_same_released_numbers(app, wave):
    c = logged_in(app)
    page = c.get(f"/results/{wave}?by=group")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    csv_text = c.get(f"/results/{wave}.csv?by=group").get_data(as_text=True)
    df = pd.read_csv(io.StringIO(csv_text))
    pdf = c.get(f"/results/{wave}.pdf?by=group")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    shown = df[~df["suppressed"] & df["mean"].notna()]
    assert len(shown) > 0
    for _, r in shown.iterrows():
        value = f"{r['mean']:.0f}" if r["scale"].startswith("cbi.") else None
        if value:
            assert f">{value}<" in html
            assert value in text
    # Hidden cells say why in plain words on the page and in the PDF; the CSV keeps the code for programs.
    flat = " ".join(text.split())
    assert "below_k" in csv_text and "fewer than K answered" in html and "fewer than K answered" in flat
    assert "below_k" not in re.sub(r"<[^>]+>", " ", html) and "below_k" not in flat


def test_results_require_psychologist(app, wave):
    assert app.test_client().get(f"/results/{wave}").status_code in (302, 401)
    assert logged_in(app, "ana").get(f"/results/{wave}").status_code == 403


def test_open_wave_shows_only_the_count(app, runner):
    open_wave(app)
    fill_wave(app, "w1", {"akm-d1-u1--all": 30, "akm-d2-u1--all": 12})
    with app.app_context():
        create_user("psy", "psychologist", PASSWORD)
    c = logged_in(app)
    before = c.get("/results/w1").get_data(as_text=True)
    fill_wave(app, "w1", {"akm-d2-u1--all": 1}, seed=99)
    after = c.get("/results/w1").get_data(as_text=True)
    assert "42" in before and "43" in after
    assert before.replace("42", "43") == after  # only the whole-wave count changed
    rows = json.loads(runner.invoke(args=["results", "w1", "--format", "json"]).output)
    assert all(r["mean"] is None for r in rows)


def test_plots_render(app, wave):
    c = logged_in(app)
    png = c.get(f"/results/{wave}/heatmap.png?by=group")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    svg = c.get(f"/results/{wave}/means/cbi.work.svg?by=group")
    assert svg.status_code == 200 and b"<svg" in svg.data
    # The SVG's own styles are allowed (else it opens as a black box), and nothing else is.
    csp = svg.headers["Content-Security-Policy"]
    assert b' style="' in svg.data and "style-src 'unsafe-inline'" in csp and "default-src 'none'" in csp
    assert "script" not in csp and "'self'" not in csp
    assert "unsafe-inline" not in c.get(f"/results/{wave}?by=group").headers["Content-Security-Policy"]
    assert c.get("/results/trend/cbi.work.png?level=region").status_code == 200


def test_csv_carries_no_more_decimals_than_the_page(app, wave):
    """Rule 10: values are rounded once, at one precision per scale, in every output."""
    c = logged_in(app)
    df = pd.read_csv(io.StringIO(c.get(f"/results/{wave}.csv?by=group").get_data(as_text=True)))
    for _, r in df[df["mean"].notna()].iterrows():
        decimals = 0 if r["scale"].startswith("cbi.") else 0  # 0–100 scales: whole points
        assert float(r["mean"]) == round(float(r["mean"]), decimals)
        for col in ("share_high", "share_ci_low", "share_ci_high"):
            if pd.notna(r[col]):
                assert float(r[col]).is_integer()


def test_moving_a_unit_does_not_re_slice_a_past_wave(app, runner, wave, tmp_path):
    """Rule 6: reporting groups are frozen with the wave; a later hierarchy change alters nothing."""
    before = runner.invoke(args=["results", wave, "--by", "department", "--format", "json"]).output
    moved = tmp_path / "units.csv"
    moved.write_text("unit_id,name,parent_id,level,headcount\n"
                     "akm-d1-u2,Duty unit,akm-d2,unit,6\n", encoding="utf-8")  # u2 moves to department d2
    assert runner.invoke(args=["units", "import", str(moved)]).exit_code == 0
    clear_caches(app)  # recompute from the database, not from the released-table cache
    after = runner.invoke(args=["results", wave, "--by", "department", "--format", "json"]).output
    assert json.loads(before) == json.loads(after)


def test_pdf_renders_cyrillic_and_kazakh_letters(app, wave):
    from wellbeing.extensions import db
    from wellbeing.services.waves import get_wave

    with app.app_context():
        get_wave(wave).title = "Весенний опрос — көктемгі сауалнама әғқңөұүһі"
        db.session.commit()
    pdf = logged_in(app).get(f"/results/{wave}.pdf?by=region")
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "Весенний опрос" in text and "көктемгі сауалнама әғқңөұүһі" in text


def test_heat_map_marks_suppressed_cells_with_their_reason(app, wave):
    html = logged_in(app).get(f"/results/{wave}?by=group").get_data(as_text=True)
    assert 'class="suppressed" title="hidden: fewer than K answered"' in html
    # ... and the legend under the heat map says it once, in plain words
    legend = re.search(r'<ul class="small legend" id="reasons">(.*?)</ul>', html, re.S).group(1)
    assert 'data-reason="below_k">hidden: fewer than K answered</li>' in legend
    assert "Response rate" in html
