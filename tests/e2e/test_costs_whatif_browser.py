"""The project office stores pay rates and a paperwork register on the costs page of a closed demo wave
(first a bad file: row and column shown), reads the costs and plots, and asks what a 24/72 unit on Pitman
12 h would change. Screenshots go to docs/img/ with WELLBEING_SCREENSHOTS=1."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from wellbeing.demo.seed import demo_password

from ..live import live_server

pytestmark = pytest.mark.e2e
DESKTOP = {"width": 1366, "height": 900}
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_costs_page_and_what_if(demo_app: Flask, browser, shots: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = demo_app
    app.config["WTF_CSRF_ENABLED"] = True
    bad = tmp_path / "rates-with-errors.csv"
    bad.write_text("position,hourly_rate,currency,overtime,night,holiday\nDuty unit,-1,KZT,1.5,1.5,1.5\n"
                   "Road police,2100,USD,1.5,one and a half,1.5\n", encoding="utf-8")
    with live_server(app) as base:
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.set_default_timeout(180_000)
        page.goto(base + "/auth/login")
        page.fill("#name", "analyst")
        page.fill("#password", demo_password("analyst"))
        page.click("input[type=submit]")
        page.goto(base + "/schedules/waves/month-2/costs")
        page.set_input_files("#rates-file", str(bad))
        page.click("form[action$='/costs/rates'] input[type=submit]")
        assert "nothing was saved" in page.content()
        assert "hourly_rate" in page.inner_text("table") and "night" in page.inner_text("table")
        page.screenshot(path=str(shots / "costs-rates-errors.png"), full_page=False)
        page.goto(base + "/schedules/waves/month-2/costs")
        page.set_input_files("#rates-file", str(EXAMPLES / "pay-rates.csv"))
        page.click("form[action$='/costs/rates'] input[type=submit]")
        page.set_input_files("#register-file", str(EXAMPLES / "paperwork-register.csv"))
        page.click("form[action$='/costs/register'] input[type=submit]")
        page.goto(base + "/schedules/waves/month-2/costs?remove=weekly+statistics+form")
        assert "Whole wave" in page.content()
        page.screenshot(path=str(shots / "costs.png"), full_page=False)
        page.locator("img[alt^='Overtime']").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "costs-plot.png"), full_page=False)
        page.goto(base + "/schedules/what-if")
        page.select_option("#wave", "month-2")
        page.fill("#unit", "abai-d2-u1")
        page.select_option("#pattern", "pitman-12h")
        page.select_option("#outcome", "cbi.work")
        page.click("input[type=submit]")
        page.wait_for_selector("text=Predicted change")
        assert "Assumes causality" in page.content()
        page.screenshot(path=str(shots / "what-if.png"), full_page=True)
