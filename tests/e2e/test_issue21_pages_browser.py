"""Every page issue 21 changed, in Kazakh, Russian and English, in a real browser; screenshots go to
docs/img/ with WELLBEING_SCREENSHOTS=1. Checks what each page must say in each language."""

from __future__ import annotations

from datetime import date

import pytest

from wellbeing.services import waves as ws
from wellbeing.services.units import import_units
from wellbeing.services.users import create_user

from ..helpers import DATA
from ..live import live_server

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
EXPECT = {
    "kk": {"received": "Жауаптарыңыз қабылданды", "minutes": "минут", "confirm": "Иә, кодтарды шығару",
           "delete": "Иә, толқынды жою", "qr": "Талоныңыздағы QR-код", "lacking": "Мына тілдерде мәтін жоқ"},
    "ru": {"received": "Ваши ответы получены", "minutes": "минут", "confirm": "Да, выпустить коды",
           "delete": "Да, удалить волну", "qr": "QR-код на вашем талоне", "lacking": "Нет текста на языках"},
    "en": {"received": "Your answers were received", "minutes": "minutes", "confirm": "Yes, issue the codes",
           "delete": "Yes, delete the wave", "qr": "The QR code on your slip", "lacking": "No text in"},
}


def test_changed_pages_in_three_languages(app, browser, shots):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        import_units((DATA / "units-small.csv").read_bytes(), imported_by="test")
        create_user("root", "admin", "browser-pass-1")
        wave = ws.create_wave("spring", ["cbi", "who5", "context"], opens=date(2026, 3, 1),
                              closes=date(2026, 3, 31), title="Spring 2026")
        codes = list(ws.issue_codes(wave)[0].codes)
        ws.open_wave(wave)
        for lang in EXPECT:
            ws.create_wave(f"draft-{lang}", ["cbi", "fra_dispatchers"], opens=date(2026, 9, 1),
                           closes=date(2026, 9, 30), title=f"Autumn 2026 ({lang})")
    with live_server(app) as base:
        for lang, exp in EXPECT.items():
            host = base.removeprefix("http://").split(":")[0]
            # Staff pages.
            ctx = browser.new_context(viewport=DESKTOP)
            ctx.add_cookies([{"name": "wb_lang", "value": lang, "domain": host, "path": "/"}])
            page = ctx.new_page()
            page.goto(base + "/auth/login")
            page.fill("#name", "root")
            page.fill("#password", "browser-pass-1")
            page.click("input[type=submit]")
            page.goto(base + "/admin/waves/new")
            assert page.locator("html").get_attribute("lang") == lang
            assert exp["lacking"] in page.inner_text("main")            # the English-only instrument
            page.check("input[value=cbi]")
            page.check("input[value=who5]")
            page.fill("input[name=order_who5]", "1")
            page.fill("input[name=order_cbi]", "2")
            page.screenshot(path=str(shots / f"admin-wave-new-{lang}.png"), full_page=True)
            page.goto(base + f"/admin/waves/draft-{lang}")
            assert page.locator("input.page-no").count() == 2
            page.screenshot(path=str(shots / f"admin-wave-draft-{lang}.png"), full_page=True)
            page.click("form[action$='/issue-codes'] [type=submit]")
            assert exp["confirm"] in page.inner_text("main")
            page.screenshot(path=str(shots / f"admin-confirm-issue-{lang}.png"), full_page=True)
            page.click(f"text={exp['confirm']}")
            page.wait_for_selector("#download-slips")
            page.screenshot(path=str(shots / f"admin-codes-issued-{lang}.png"), full_page=True)
            page.goto(base + f"/admin/waves/draft-{lang}")
            page.click("form[action$='/delete'] button")
            assert exp["delete"] in page.inner_text("main")
            page.screenshot(path=str(shots / f"admin-confirm-delete-{lang}.png"), full_page=True)
            page.click(f"text={exp['delete']}")
            assert page.url.endswith("/admin/waves")
            page.screenshot(path=str(shots / f"admin-waves-{lang}.png"), full_page=True)
            page.goto(base + "/reporting-rules")
            assert exp["qr"] in page.inner_text("main")
            page.screenshot(path=str(shots / f"reporting-rules-{lang}.png"), full_page=True)
            ctx.close()

            # The officer, on a phone.
            ctx = browser.new_context(**PHONE)
            ctx.add_cookies([{"name": "wb_lang", "value": lang, "domain": host, "path": "/"}])
            page = ctx.new_page()
            page.goto(base + "/survey/#c=" + codes.pop())
            assert exp["minutes"] in page.inner_text("main")
            page.screenshot(path=str(shots / f"officer-start-{lang}.png"), full_page=True)
            page.click("form.code-form button[type=submit]")
            page.wait_for_selector("fieldset.item")
            page.screenshot(path=str(shots / f"officer-page-{lang}.png"))
            while True:
                for fs in page.locator("fieldset.item").all():
                    fs.locator("label.opt").nth(0).click()
                final = page.evaluate("location.pathname.endsWith('/page/3')")   # three instruments
                page.locator("#answers button[type=submit]").click()
                if final:
                    break
                page.wait_for_selector("fieldset.item")
            page.wait_for_selector("#help")
            page.screenshot(path=str(shots / f"officer-feedback-{lang}.png"), full_page=True)
            page.go_back()
            assert page.locator("h1").inner_text() == exp["received"]
            page.screenshot(path=str(shots / f"officer-received-{lang}.png"), full_page=True)
            ctx.close()
