"""A psychologist opens the results of the demo's closed wave, looks at the plots, downloads the PDF."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from ..live import live_server

pytestmark = pytest.mark.e2e


def test_psychologist_reads_demo_results_and_pdf(app, runner, browser, shots):
    assert runner.invoke(args=["demo", "seed", "--seed", "1"]).exit_code == 0
    assert runner.invoke(args=["cache", "warm"]).exit_code == 0  # as `make demo` does
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
        alphas = [c.inner_text() for c in table.locator("td[data-stat=alpha]").all()]
        assert len(alphas) == 4 and all(a.strip()[:2] == "0." for a in alphas), alphas
        page.locator("#reliability").screenshot(path=str(shots / "results-reliability-by-language.png"))
        assert page.locator("img.plot").first.evaluate("img => img.naturalWidth") > 100
        page.screenshot(path=str(shots / "results-wave-by-region.png"), full_page=False)
        page.goto(base + f"/results/{slug}?by=group")
        assert page.locator("td.suppressed").count() >= 0
        page.screenshot(path=str(shots / "results-wave-by-group.png"), full_page=False)
        # The same page in Russian (the account page sets the language): decimal commas, same values.
        page.goto(base + "/auth/account")
        page.select_option("select[name=language]", "ru")
        page.click("form.inline input[type=submit]")
        page.goto(base + f"/results/{slug}?by=region")
        page.wait_for_selector("h2:has-text('Надёжность по языкам')")
        ru = page.locator("table.reliability[data-scale='cbi.work'] td[data-stat=alpha]").all_inner_texts()
        assert [a.replace(",", ".") for a in ru] == alphas
        page.locator("#reliability").screenshot(path=str(shots / "results-reliability-by-language-ru.png"))
        page.goto(base + "/auth/account")
        page.select_option("select[name=language]", "en")
        page.click("form.inline input[type=submit]")
        page.goto(base + f"/results/{slug}?by=group")
        with page.expect_download() as dl:
            page.click("a:has-text('PDF')")
        data = open(dl.value.path(), "rb").read()
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) >= 2
        assert "cohort results" in reader.pages[0].extract_text()
        ctx.close()
