"""An officer completes the survey in Kazakh and in Russian on a phone; screenshots go to docs/img/."""

from __future__ import annotations

import sqlite3

import pytest

from wellbeing.core.codes import format_code

from ..helpers import close, open_wave
from ..live import live_server

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}

EXPECT = {
    "kk": {"title": "Әл-ауқат туралы анонимді сауалнама", "send": "Жауаптарымды жіберу",
           "thanks": "Рахмет", "help": "Көмекті қайдан алуға болады", "used": "Бұл код бұрын пайдаланылған",
           "letters": set("әғқңөұүі")},
    "ru": {"title": "Анонимный опрос о самочувствии", "send": "Отправить ответы", "thanks": "Спасибо",
           "help": "Куда обратиться за помощью", "used": "Этот код уже использован", "letters": set("ыщёюя")},
}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_officer_completes_survey_in_kazakh_and_russian(app, browser, shots, lang):
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["SHOW_PROVISIONAL_TO_RESPONDENTS"] = True
    code = open_wave(app, instruments=("cbi", "who5", "context"))["akm-d2-u1--all"][0]
    exp = EXPECT[lang]
    with live_server(app) as base:
        ctx = browser.new_context(**PHONE, locale="en-US")   # the browser says English; the officer picks
        page = ctx.new_page()
        page.goto(base + "/survey/")
        page.select_option("select[name=language]", lang)
        page.fill("input[name=code]", format_code(code))
        page.click("button[type=submit]")
        pages = 0
        seen = ""
        while True:
            pages += 1
            page.wait_for_selector("fieldset.item")
            assert page.locator("html").get_attribute("lang") == lang
            seen += page.locator("main").inner_text()
            if pages == 1:
                assert page.locator("p.note").count() == 1      # provisional translation, as configured
                page.screenshot(path=str(shots / f"survey-cbi-{lang}.png"), full_page=False)
            for fs in page.locator("fieldset.item").all():
                fs.locator("label.opt").nth(1).click()
            button = page.locator("form:not(.lang) button[type=submit]")
            final = exp["send"] in button.inner_text()
            button.click()
            if final:
                break
        assert pages == 3
        assert exp["letters"] <= set(seen.lower()), exp["letters"] - set(seen.lower())
        page.wait_for_selector(f"text={exp['help']}")
        assert page.locator("h1").inner_text().startswith(exp["thanks"])
        page.screenshot(path=str(shots / f"survey-feedback-{lang}.png"), full_page=True)
        # The start page now remembers the language (cookie); the used code is refused in it.
        page.goto(base + "/survey/")
        assert exp["title"] in page.locator("h1").inner_text()
        page.fill("input[name=code]", format_code(code))
        page.screenshot(path=str(shots / f"survey-start-{lang}.png"), full_page=False)
        page.click("button[type=submit]")
        assert exp["used"] in page.locator(".error").inner_text()
        ctx.close()
    db_file = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    close(app, "w1")  # answers become readable in batches of >= K; the close releases the rest
    con = sqlite3.connect(db_file)
    assert con.execute("select language, count(*) from response group by language").fetchall() == [(lang, 1)]
