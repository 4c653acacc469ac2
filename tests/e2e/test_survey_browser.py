"""An officer answers on a phone: printed code, every page, feedback, then the code is refused."""

from __future__ import annotations

import sqlite3

import pytest

from wellbeing.core.codes import format_code

from ..helpers import open_wave
from ..live import live_server

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}


def test_officer_completes_survey_on_a_phone(app, browser, shots):
    app.config["WTF_CSRF_ENABLED"] = True
    code = open_wave(app, instruments=("cbi", "who5", "context"))["akm-d2-u1--all"][0]
    with live_server(app) as base:
        ctx = browser.new_context(**PHONE, locale="en-US")
        page = ctx.new_page()
        external = []
        page.on("request", lambda req: external.append(req.url) if not req.url.startswith(base) else None)
        page.goto(base + "/survey/")
        page.select_option("select[name=language]", "en")
        page.fill("input[name=code]", format_code(code))
        page.screenshot(path=str(shots / "survey-start-phone.png"), full_page=True)
        page.click("button[type=submit]")
        pages = 0
        while True:
            pages += 1
            page.wait_for_selector("fieldset.item")
            if pages == 1:
                # Sending an incomplete page shows a message next to the first unanswered item.
                page.click("form:not(.lang) button[type=submit]")
                assert page.locator(".error[role=alert]").first.is_visible()
                page.screenshot(path=str(shots / "survey-missing-answer-phone.png"))
            for fs in page.locator("fieldset.item").all():
                # Keyboard-reachable labels: click the option's label text, like a finger would.
                fs.locator("label.opt").nth(1).click()
            if pages == 1:
                page.screenshot(path=str(shots / "survey-cbi-phone.png"))
            button = page.locator("form:not(.lang) button[type=submit]")
            final = "Send" in button.inner_text()
            button.click()
            if final:
                break
        page.wait_for_selector("text=Where to get help")
        assert page.locator("h1").inner_text().startswith("Thank you")
        body = page.content()
        assert "Personal burnout" in body and code not in body and format_code(code) not in body
        page.screenshot(path=str(shots / "survey-feedback-phone.png"), full_page=True)
        cookies = ctx.cookies()
        assert all(code not in c["value"] for c in cookies)
        assert not any(c["name"] == "wb_progress" for c in cookies)
        # The code is refused now.
        page.goto(base + "/survey/")
        page.fill("input[name=code]", format_code(code))
        page.click("button[type=submit]")
        assert "already been used" in page.locator(".error").inner_text()
        ctx.close()
    assert external == []
    db_file = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    assert sqlite3.connect(db_file).execute("select count(*) from pending_response").fetchone() == (1,)
