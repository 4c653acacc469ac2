"""An analyst runs a shift-pattern model and the pilot evaluation on the demo data; the PDF report opens."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfReader

from ..live import live_server

pytestmark = pytest.mark.e2e
DESKTOP = {"width": 1366, "height": 900}


def _images_loaded(page, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    """Scroll every image into view, as a reader does (the plots load lazily, and the longer result page of
    this round puts them below the fold), then wait until each has loaded (polling: the CSP forbids
    wait_for_function's eval)."""
    for img in page.locator("img").all():
        img.scroll_into_view_if_needed()
    for _ in range(int(seconds * 4)):
        if page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)"):
            return
        page.wait_for_timeout(250)
    raise AssertionError("images did not load")


def test_analyst_runs_models_on_the_demo_and_downloads_the_report(demo_app: Flask, browser, shots: Path,
                                                                  tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = demo_app      # seeded as `make demo` does (seed 1)
    app.config["WTF_CSRF_ENABLED"] = True
    with live_server(app) as base:
        context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
        page = context.new_page()
        errors: list[str] = []
        context.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and not
                   r.url.endswith("/favicon.ico") else None)
        page.goto(base + "/auth/login")
        page.fill("#name", "analyst")
        page.fill("#password", "demo-analyst")
        page.click("input[type=submit]")
        assert page.url.startswith(base + "/analysis/")

        # Shift patterns: all closed waves are preselected, outcome cbi.work, exposure shift pattern.
        assert page.locator("input[name=waves]:checked").count() == 3
        page.check("input[name=covariates][value=wave]")
        page.click("text=Run the analysis")
        page.wait_for_selector("table.terms")
        assert "shift_pattern[24-72]" in page.inner_text("table.terms")
        assert "model_refused" not in page.content()
        _images_loaded(page)
        assert page.locator("figure.plot img").count() == 3
        page.screenshot(path=str(shots / "analysis-shift-patterns.png"), full_page=True)

        # The report of this analysis: HTML, then the PDF.
        page.click("text=Report (HTML)")
        _images_loaded(page)
        assert "statsmodels" in page.inner_text("dl.repro")
        page.screenshot(path=str(shots / "analysis-report.png"), full_page=True)
        page.go_back()
        with page.expect_download() as info:
            page.click("text=Report (PDF)")
        target = tmp_path / "report.pdf"
        info.value.save_as(target)
        reader = PdfReader(io.BytesIO(target.read_bytes()))
        text = "\n".join(p.extract_text() for p in reader.pages)
        assert len(reader.pages) >= 4
        assert "Analysis report" in text and "shift_pattern[24-72]" in text and "statsmodels" in text
        assert "Treatment(reference='fixed-8h')" in text.replace("\n", "")

        # A subset of waves: two of the three closed waves (regression: every checkbox was `required`, so
        # the browser refused the form unless all were ticked).
        page.goto(base + "/analysis/")
        assert page.locator("input[name=waves][required]").count() == 0
        first = page.locator("input[name=waves]").first
        dropped = first.get_attribute("value")
        first.uncheck()
        page.click("text=Run the analysis")
        page.wait_for_selector("table.terms")
        assert page.url.count("waves=") == 2 and f"waves={dropped}" not in page.url
        assert "shift_pattern[24-72]" in page.inner_text("table.terms")
        # ... and none: the form says so by the field, nothing is fitted.
        page.goto(base + "/analysis/")
        for box in page.locator("input[name=waves]").all():
            box.uncheck()
        page.click("text=Run the analysis")
        page.wait_for_selector("text=Choose at least one.")
        assert page.locator("table.terms").count() == 0
        assert len(errors) == 1 and errors[0].startswith("400 "), errors   # the refused form is a 400 page
        errors.clear()

        # The pilot: difference-in-differences with the event study and permutation inference.
        page.goto(base + "/analysis/")
        page.select_option("#exposure", "pilot:schedule-pilot")
        page.click("text=Run the analysis")
        page.wait_for_selector("table.terms")
        body = page.inner_text(".result")
        assert "treated" in body and "1/20 = 0.05" in body
        _images_loaded(page)
        page.screenshot(path=str(shots / "analysis-pilot.png"), full_page=True)
        with page.expect_download() as info:
            page.click("text=Report (PDF)")
        did = PdfReader(io.BytesIO(Path(info.value.path()).read_bytes()))
        assert "permutation" in "\n".join(p.extract_text() for p in did.pages)

        # Pilots are listed (the demo declares Karaganda).
        assert "schedule-pilot" in page.inner_text("#pilots + div")
        assert not errors, errors
        context.close()
