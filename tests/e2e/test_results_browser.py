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
        from wellbeing.extensions import db
        from wellbeing.models import Wave, WaveStatus

        closed = db.session.execute(db.select(Wave).filter_by(status=WaveStatus.closed)).scalars().first()
        slug = closed.slug
        group_slugs = [g.slug for g in closed.groups]
        place_slugs = {g.region_slug for g in closed.groups} | {g.department_slug for g in closed.groups}
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
        page.wait_for_function("() => document.querySelector('img.plot').naturalWidth > 100")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(shots / "results-wave-by-region.png"), full_page=False)
        page.goto(base + f"/results/{slug}?by=group")
        assert page.locator("td.suppressed").count() > 0  # the demo has groups under K: hidden cells show
        # Names, not slugs; reasons in words, not codes (issue 20).
        words = page.inner_text("body")
        assert not [g for g in group_slugs if g in words], "a group slug is on the page"
        assert not [p for p in place_slugs if p and f" {p} " in f" {words} "], "a region/department slug is on the page"
        from wellbeing.core.disclosure import REASONS

        assert not [r for r in REASONS if r in words], "an internal reason code is on the page"
        legend = page.locator("#reasons li")
        assert legend.count() > 0 and all(li.get_attribute("data-reason") in REASONS for li in legend.all())
        assert "cannot be worked out" in page.inner_text("#reasons")      # the demo has complementary cells
        # Drill-down: a region leads to its departments, a department to its groups.
        page.goto(base + f"/results/{slug}?by=region")
        page.locator("table.heat tbody th a").first.click()
        assert "by=department" in page.url and "in=" in page.url
        page.locator("table.heat tbody th a").first.click()
        assert "by=group" in page.url
        assert 0 < page.locator("table.heat tbody tr").count() < len(group_slugs)
        page.screenshot(path=str(shots / "results-drill-down.png"), full_page=False)
        page.goto(base + f"/results/{slug}?by=group")
        page.screenshot(path=str(shots / "results-wave-by-group.png"), full_page=False)
        # An SVG export opened on its own displays (regression: the site's `style-src 'self'` blocked the
        # SVG's inline styles, 176-451 console errors, and every SVG showed as a black box).
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text))
        page.goto(base + f"/results/{slug}/means/cbi.work.svg?by=region")
        page.wait_for_selector("svg")
        svg_shot = shots / "results-means-svg.png"
        page.screenshot(path=str(svg_shot))
        assert not [m for m in console if "Content Security Policy" in m], console[:3]
        from PIL import Image

        grey = Image.open(svg_shot).convert("L")
        dark = sum(grey.histogram()[:40]) / (grey.width * grey.height)
        assert dark < 0.2, f"{dark:.0%} of the SVG's screenshot is black"
        page.goto(base + f"/results/{slug}?by=group")
        with page.expect_download() as dl:
            page.click("a:has-text('PDF')")
        data = open(dl.value.path(), "rb").read()
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) >= 2
        assert "cohort results" in reader.pages[0].extract_text()
        # The same PDF for a Russian-language reader is in Russian.
        ctx.add_cookies([{"name": "wb_lang", "value": "ru", "url": base}])
        with page.expect_download() as dl:
            page.goto(base + f"/results/{slug}?by=group")
            page.click("a:has-text('PDF')")
        ru = " ".join(" ".join(p.extract_text() for p in PdfReader(dl.value.path()).pages).split())
        assert "результаты по группам" in ru and "скрыто, чтобы скрытую группу нельзя было вычислить" in ru
        ctx.add_cookies([{"name": "wb_lang", "value": "en", "url": base}])
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
