"""The project office logs in, uploads a roster (first with errors), then looks at the schedule features
of the demo's open wave with their plots. Screenshots go to docs/img/."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from wellbeing.demo.seed import demo_password

from ..live import live_server
from ..test_roster_cli import roster_text

pytestmark = pytest.mark.e2e
DESKTOP = {"width": 1366, "height": 900}


def test_analyst_uploads_a_roster_and_reads_group_features(demo_app: Flask, browser, shots: Path,
                                                           tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = demo_app      # the seeded demonstration pilot (roster, three months of shifts, two waves)
    app.config["WTF_CSRF_ENABLED"] = True
    bad = tmp_path / "roster-with-errors.csv"
    bad.write_text(roster_text().replace("P000013,akm-d1-u2", "123456789012,akm-d1-u2")
                   .replace("Sara,akm-d2-u1,rotating-8h", "Sara,akm-d9-u1,rotating-8h")
                   .replace("P000002,akm-d1-u1,24-72", "P000002,akm-d1-u1,48-96"), encoding="utf-8")
    good = tmp_path / "roster.csv"
    good.write_text("person_id,unit_id,shift_pattern,position,contract_hours_week\n" + "".join(
        f"Q{i:06d},akm-d1-u1,24-72,patrol,40\n" for i in range(1, 40)), encoding="utf-8")
    with live_server(app) as base:
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        page.goto(base + "/schedules/")
        assert "/auth/login" in page.url
        page.fill("#name", "analyst")
        page.fill("#password", demo_password("analyst"))
        page.click("input[type=submit]")
        assert page.url == base + "/schedules/"
        page.screenshot(path=str(shots / "schedules-index.png"), full_page=True)

        page.click("text=Upload a roster")
        page.set_input_files("#file", str(bad))
        page.click("input[type=submit]")
        assert "problems; nothing was saved" in page.content()
        assert page.locator("td.error").count() == 3
        page.screenshot(path=str(shots / "schedules-roster-errors.png"), full_page=True)

        page.goto(base + "/schedules/roster")
        page.set_input_files("#file", str(good))
        page.fill("#as_of", "2026-11-01")
        page.click("input[type=submit]")
        assert "39 officers are valid" in page.content()
        page.screenshot(path=str(shots / "schedules-roster-preview.png"), full_page=True)
        page.click("input[type=submit][value=Import]")
        assert "Imported a roster of 39 officers" in page.content()

        page.goto(base + "/schedules/waves/month-3")
        assert "Reference window" in page.content()
        for img in page.locator("figure.plot img").all():
            assert img.evaluate("i => i.complete && i.naturalWidth > 0")
        page.screenshot(path=str(shots / "schedules-features.png"), full_page=False)
        page.locator("figure.plot").first.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "schedules-features-plot.png"), full_page=False)
        context.close()
