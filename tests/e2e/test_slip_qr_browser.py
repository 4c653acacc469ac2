"""A slip's QR code opens the survey with the code entered, and the code reaches no server log line and
no request line; after sending, Back and Reload say the answers were received; a concerning band puts
the help above the scores; a language change keeps what was ticked (issue 21)."""

from __future__ import annotations

import io
import logging
from datetime import date
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from wellbeing.core.codes import format_code, normalise
from wellbeing.services import waves as ws
from wellbeing.services.units import import_units

from ..helpers import DATA
from ..live import live_server

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
CHECKED = ("() => Object.fromEntries([...document.querySelectorAll('input[type=radio]:checked')]"
           ".map(i => [i.name, i.value]))")


class Lines(logging.Handler):
    """Every log line the server writes, as formatted text (after the access log's own filter)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def issue_with_slips(app, base: str, out: Path, instruments=("cbi", "who5")):  # type: ignore[no-untyped-def]
    with app.app_context():
        import_units((DATA / "units-small.csv").read_bytes(), imported_by="test")
        wave = ws.create_wave("w1", list(instruments), opens=date(2026, 1, 1), closes=date(2026, 12, 31),
                              title="Весенняя волна 2026")
        issued = ws.issue_codes(wave)
        ws.open_wave(wave)
        ws.write_slips(wave, issued, out, base + "/survey/")
    return {g.slug: g.codes for g in issued}


def qr_texts(pdf: bytes, scale: float = 3.0) -> tuple[list[str], object]:
    """Render the PDF's first page (PDFium) and decode every QR code on it (zxing-cpp)."""
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=scale).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image)], image


def test_qr_on_slip_opens_survey_with_code_and_no_server_sees_it(app, browser, shots, tmp_path):
    app.config["WTF_CSRF_ENABLED"] = True
    environs: list[dict[str, str]] = []
    inner = app.wsgi_app

    def record(environ, start_response):  # type: ignore[no-untyped-def]
        # Outside every middleware: what reaches the server from the network (request line, headers).
        environs.append({k: v for k, v in environ.items() if isinstance(v, str)})
        return inner(environ, start_response)

    app.wsgi_app = record
    logs = Lines()
    werkzeug_log = logging.getLogger("werkzeug")
    old_level, old_disabled = werkzeug_log.level, werkzeug_log.disabled
    werkzeug_log.setLevel(logging.INFO)
    werkzeug_log.disabled = False   # Alembic's fileConfig (the migrated test database) disables it
    logging.getLogger().addHandler(logs)
    try:
        with live_server(app) as base:
            codes = issue_with_slips(app, base, tmp_path)
            group = "akm-d2-u1--all"
            pdf = (tmp_path / f"slips-{group}.pdf").read_bytes()
            texts, image = qr_texts(pdf)
            image.save(shots / "slip-page-ru.png")   # type: ignore[attr-defined]
            # Ten slips on the first page, each QR holding the address and its own printed code.
            assert len(texts) == 10
            assert {t.removeprefix(base + "/survey/#c=") for t in texts} <= set(codes[group])
            assert all(t.startswith(base + "/survey/#c=") for t in texts)
            # The Russian slip carries Russian (and Kazakh, the wave's other language) text.
            text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
            assert "Анонимный опрос" in text and "QR-код содержит только этот адрес и код" in text
            assert "Анонимді сауалнама" in text and "Anonymous survey" in text
            url = texts[0]
            code = url.rsplit("=", 1)[1]
            assert format_code(code) in text

            ctx = browser.new_context(**PHONE, locale="ru-RU")
            page = ctx.new_page()
            page.goto(url)
            page.wait_for_function("document.querySelector('input[name=code]').value !== ''")
            assert normalise(page.input_value("input[name=code]")) == code
            assert page.evaluate("location.hash") == "" and page.url == base + "/survey/"  # cleared
            assert page.input_value("input[name=code]") == format_code(code)   # as printed on the slip
            assert page.evaluate("(() => { const i = document.querySelector('input[name=code]');"
                                 " return i.scrollWidth <= i.clientWidth; })()")     # all of it visible
            page.screenshot(path=str(shots / "survey-start-qr-ru.png"), full_page=True)
            page.click("form.code-form button[type=submit]")

            # Page 1: tick three answers, change the language: they are still ticked, now in English.
            page.wait_for_selector("fieldset.item")
            for fs in page.locator("fieldset.item").all()[:3]:
                fs.locator("label.opt").nth(0).click()
            ticked = page.evaluate(CHECKED)
            assert len(ticked) == 3
            page.select_option("select[name=language]", "en")
            page.click(".lang button")
            page.wait_for_selector("html[lang=en]")
            assert page.url.endswith("/survey/page/1")
            assert page.evaluate(CHECKED) == ticked
            page.screenshot(path=str(shots / "survey-language-kept-en.png"))

            # Answer every page with the first option: "always" exhausted, a concerning band.
            while True:
                for fs in page.locator("fieldset.item").all():
                    fs.locator("label.opt").nth(0).click()
                button = page.locator("#answers button[type=submit]")
                final = "Send" in button.inner_text()
                button.click()
                if final:
                    break
                page.wait_for_selector("fieldset.item")
            page.wait_for_selector("#help")
            assert page.locator(".score.concern").count() >= 1
            # The help comes first: it precedes every score in the page.
            assert page.evaluate("document.querySelector('#help').compareDocumentPosition("
                                 "document.querySelector('.score')) & Node.DOCUMENT_POSITION_FOLLOWING")
            page.screenshot(path=str(shots / "survey-feedback-help-first-en.png"), full_page=True)

            # Back, then Reload: "Your answers were received", never "the code has not been used".
            page.go_back()
            assert page.locator("h1").inner_text() == "Your answers were received"
            assert "not been used" not in page.content()
            page.reload()
            assert page.locator("h1").inner_text() == "Your answers were received"
            page.screenshot(path=str(shots / "survey-received-en.png"), full_page=True)
            ctx.close()
    finally:
        logging.getLogger().removeHandler(logs)
        werkzeug_log.setLevel(old_level)
        werkzeug_log.disabled = old_disabled
        app.wsgi_app = inner

    forms = {code, code.lower(), format_code(code), format_code(code).lower()}
    # The server saw the start page requested without the fragment: browsers never send it.
    assert any(e.get("PATH_INFO") == "/survey/" and e.get("REQUEST_METHOD") == "GET"
               and not e.get("QUERY_STRING") for e in environs)
    for e in environs:
        for key, value in e.items():
            assert not any(f in value for f in forms), (key, value)
    assert logs.lines, "the access log was not captured"
    assert any("/static/style.css" in line for line in logs.lines)   # the access log was written
    assert not any(" /survey" in line for line in logs.lines)        # survey lines are dropped
    for line in logs.lines:
        assert not any(f in line for f in forms), line
