"""An administrator logs in, uploads units, creates a wave, issues codes and downloads the slips."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfReader

from wellbeing.core.codes import normalise
from wellbeing.extensions import db
from wellbeing.models import AccessCode, Wave
from wellbeing.services.users import create_user

from ..helpers import DATA
from ..live import live_server

pytestmark = pytest.mark.e2e
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
CODE_RE = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{1,4}){6}")


def no_horizontal_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_admin_issues_codes_and_downloads_slips(app: Flask, browser, shots: Path,
                                                tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        create_user("root", "admin", "browser-pass-1")
    with live_server(app) as base:
        _walk_admin_pages(app, base, browser, shots, tmp_path)


def _walk_admin_pages(live_app: Flask, live_server: str, browser, shots: Path,  # type: ignore[no-untyped-def]
                      tmp_path: Path) -> None:
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []   # failed requests, other than the refused file and the absent favicon
    context.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and not
               r.url.endswith("/admin/units/preview") else None)

    page.goto(live_server + "/admin/")
    assert "/auth/login" in page.url
    page.screenshot(path=str(shots / "login.png"))
    page.fill("#name", "root")
    page.fill("#password", "browser-pass-1")
    page.click("input[type=submit]")
    assert page.url == live_server + "/admin/"
    page.screenshot(path=str(shots / "admin-index.png"), full_page=True)

    # Units: a file with errors is listed row by row; the good one is previewed, then imported.
    page.click("nav.staff >> text=Units")
    bad = (b"unit_id,name,parent_id,level,headcount\nkrg,Karaganda,,region,\nkrg-d1,Dept,nowhere,department,\n"
           b"KRG x,Unit,krg-d1,unit,-3\n")
    page.set_input_files("#file", files=[{"name": "units.csv", "mimeType": "text/csv", "buffer": bad}])
    page.click("text=Check the file")
    assert page.locator("td.error").count() >= 3
    page.screenshot(path=str(shots / "admin-units-errors.png"), full_page=True)
    page.goto(live_server + "/admin/units")
    page.set_input_files("#file", str(DATA / "units-small.csv"))
    page.click("text=Check the file")
    page.screenshot(path=str(shots / "admin-units-preview.png"), full_page=True)
    page.click("text=Import these units")
    assert "Imported" in page.inner_text(".flash")
    page.screenshot(path=str(shots / "admin-units.png"), full_page=True)

    # A wave with two instruments.
    page.goto(live_server + "/admin/waves")
    page.click("text=New wave")
    page.fill("#slug", "spring-2026")
    page.fill("#title", "Spring 2026")
    page.check("input[value=cbi]")
    page.check("input[value=who5]")
    page.fill("#opens", "2026-03-01")
    page.fill("#closes", "2026-03-31")
    page.screenshot(path=str(shots / "admin-wave-new.png"), full_page=True)
    page.click("text=Create wave")
    assert page.url.endswith("/admin/waves/spring-2026")
    page.screenshot(path=str(shots / "admin-wave-draft.png"), full_page=True)

    # Issue codes, then download the slips once.
    page.click("text=Freeze groups and issue codes")
    assert "can never change afterwards" in page.inner_text("main")   # asked first
    page.click("text=Yes, issue the codes")
    page.wait_for_selector("#download-slips")
    page.screenshot(path=str(shots / "admin-codes-issued.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#download-slips")
    target = tmp_path / "slips.zip"
    info.value.save_as(target)

    with live_app.app_context():
        wave = db.session.execute(db.select(Wave).filter_by(slug="spring-2026")).scalar_one()
        expected = db.session.execute(db.select(db.func.count()).select_from(AccessCode)
                                      .filter_by(wave_id=wave.id)).scalar_one()
        groups = {g.slug for g in wave.groups}
    with zipfile.ZipFile(target) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("codes.csv").decode("utf-8"))))
        assert len(rows) == expected > 0
        assert {r["reporting_group"] for r in rows} == groups
        for g in groups:
            text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(zf.read(f"slips-{g}.pdf"))).pages)
            in_pdf = {normalise(c) for c in CODE_RE.findall(text)}
            assert in_pdf == {r["code"] for r in rows if r["reporting_group"] == g}
    assert not list((Path(live_app.instance_path) / "downloads").glob("*.zip"))

    # Open it; the list shows the status.
    page.goto(live_server + "/admin/waves/spring-2026")
    page.click("text=Open the wave")
    page.click("text=Yes, open the wave")
    assert "is open" in page.inner_text(".flash")
    page.screenshot(path=str(shots / "admin-wave-open.png"), full_page=True)
    page.goto(live_server + "/admin/waves")
    assert "open" in page.inner_text("table")
    page.screenshot(path=str(shots / "admin-waves.png"), full_page=True)
    page.goto(live_server + "/admin/instruments")
    page.screenshot(path=str(shots / "admin-instruments.png"))

    # The favicon is served (no 404 on every page).
    assert page.locator("link[rel=icon]").get_attribute("href") == "/static/favicon.svg"

    # The same pages on a phone: nothing wider than the screen.
    phone = context.new_page()
    phone.set_viewport_size(PHONE)
    for path, name in (("/admin/", "phone-admin-index"), ("/admin/waves", "phone-admin-waves"),
                       ("/admin/waves/new", "phone-admin-wave-new"), ("/admin/waves/spring-2026", "phone-admin-wave"),
                       ("/admin/units", "phone-admin-units")):
        phone.goto(live_server + path)
        assert no_horizontal_scroll(phone), path
        phone.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    assert not errors, errors
    context.close()
