"""A psychologist opens the results of the demo's closed wave, looks at the plots, downloads the PDF."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from ..live import live_server

pytestmark = pytest.mark.e2e


def test_psychologist_reads_demo_results_and_pdf(demo_app, browser, shots):
    app = demo_app  # seeded and warmed as `make demo` does
    with app.app_context():
        from wellbeing.models import Wave, WaveStatus
        from wellbeing.extensions import db

        closed = db.session.execute(db.select(Wave).filter_by(status=WaveStatus.closed)).scalars().first()
        slug = closed.slug
    with live_server(app) as base:
        ctx = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
        page = ctx.new_page()
        page.goto(base + "/auth/login")
        page.fill("input[name=name]", "psychologist")
        page.fill("input[name=password]", "demo-psychologist")
        page.click("input[type=submit]")
        page.goto(base + f"/results/{slug}?by=region")
        page.wait_for_selector("h2:has-text('Reliability by language')")
        # Reliability side by side per language: the demo's answers come in Kazakh, Russian and English.
        table = page.locator("table.reliability[data-scale='cbi.work']")
        assert [h.get_attribute("data-lang") for h in table.locator("th[data-lang]").all()] == ["en", "kk", "ru", "all"]
        alphas = [c.inner_text().strip() for c in table.locator("td[data-stat=alpha]").all()]
        assert len(alphas) == 4 and all(a.startswith("0.") for a in alphas), alphas
        page.locator("#reliability").screenshot(path=str(shots / "results-reliability-by-language.png"))
        img = page.locator("img.plot").first
        img.scroll_into_view_if_needed()
        page.wait_for_function("() => document.querySelector('img.plot').naturalWidth > 100", timeout=60000)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(shots / "results-wave-by-region.png"), full_page=False)
        page.goto(base + f"/results/{slug}?by=group")
        assert page.locator("td.suppressed").count() > 0  # the demo has groups under K: hidden cells show
        page.screenshot(path=str(shots / "results-wave-by-group.png"), full_page=False)
        with page.expect_download() as dl:
            page.click("a:has-text('PDF')")
        data = open(dl.value.path(), "rb").read()
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) >= 2
        assert "cohort results" in reader.pages[0].extract_text()
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        p2 = phone.new_page()
        p2.goto(base + "/auth/login")
        p2.fill("input[name=name]", "psychologist")
        p2.fill("input[name=password]", "demo-psychologist")
        p2.click("input[type=submit]")
        p2.goto(base + f"/results/{slug}?by=shift_pattern")
        p2.screenshot(path=str(shots / "results-wave-phone.png"))
        assert p2.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        phone.close()
        # The same page in Russian (chosen on the account page): decimal commas, the same values.
        page.goto(base + "/auth/account")
        page.select_option("select[name=language]", "ru")
        page.click("form.inline input[type=submit]")
        page.goto(base + f"/results/{slug}?by=region")
        page.wait_for_selector("h2:has-text('Надёжность по языкам')")
        ru = page.locator("table.reliability[data-scale='cbi.work'] td[data-stat=alpha]").all_inner_texts()
        assert [a.strip().replace(",", ".") for a in ru] == alphas and all("," in a for a in ru)
        page.locator("#reliability").screenshot(path=str(shots / "results-reliability-by-language-ru.png"))
        ctx.close()
