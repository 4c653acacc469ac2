"""Every role on the demo, in a real browser (issue 11): an administrator creates a wave and issues
codes; three officers answer in three languages in groups the demo already filled past K; the wave
closes; a psychologist opens the results and the PDF; an analyst runs a model and downloads the report.
The survey pages pass an axe-core accessibility check with no serious or critical violation."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from ..live import live_server

pytestmark = pytest.mark.e2e
AXE = Path(__file__).resolve().parent / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SEND = {"en": "Send my answers", "ru": None, "kk": None}


def axe_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Serious or critical axe-core violations of the current page (the context bypasses the CSP only to
    inject the checker)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


def login(page, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/auth/login")
    page.fill("#name", name)
    page.fill("#password", f"demo-{name}")
    page.click("input[type=submit]")


def answer_survey(browser, base: str, code: str, lang: str, shots: Path, check_axe: bool) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(**PHONE, bypass_csp=True)
    page = ctx.new_page()
    page.goto(base + "/survey/")
    page.select_option("select[name=language]", lang)
    page.fill("input[name=code]", code)
    if check_axe:
        assert axe_violations(page) == []
    page.click("form button[type=submit]")
    n = 0
    while True:
        page.wait_for_selector("fieldset.item")
        n += 1
        if check_axe and n == 1:
            assert axe_violations(page) == []
        for fs in page.locator("fieldset.item").all():
            fs.locator("label.opt").nth(2).click()
        page.screenshot(path=str(shots / f"walkthrough-survey-{lang}-page{n}.png"))
        button = page.locator("form:not(.lang) button[type=submit]")
        # The progress line says "page n of N": the last page is the one whose n is N.
        last = page.locator("p.progress").inner_text().split()[-1] == str(n)
        button.click()
        if last:
            break
    page.wait_for_selector(".help")
    if check_axe:
        assert axe_violations(page) == []
    page.screenshot(path=str(shots / f"walkthrough-feedback-{lang}.png"), full_page=True)
    ctx.close()


def test_every_role_on_the_demo(demo_app, browser, shots, tmp_path):
    app = demo_app
    app.config["WTF_CSRF_ENABLED"] = True
    codes = [line.split("\t")[1] for line in (Path(app.instance_path) / "demo-codes.txt").read_text().splitlines()
             if "\t" in line and not line.startswith("#")]
    open_wave = next(line.split("=", 1)[1] for line in (Path(app.instance_path) / "demo-codes.txt")
                     .read_text().splitlines() if line.startswith("# wave="))
    with live_server(app) as base:
        # 1. The administrator creates a wave and issues its codes.
        ctx = browser.new_context(viewport=DESKTOP, accept_downloads=True)
        page = ctx.new_page()
        login(page, base, "admin")
        page.goto(base + "/admin/waves/new")
        page.fill("#slug", "autumn-2026")
        page.fill("#title", "Autumn 2026")
        page.check("input[value=cbi]")
        page.check("input[value=who5]")
        page.fill("#opens", "2026-10-01")
        page.fill("#closes", "2026-10-31")
        page.click("text=Create wave")
        page.click("text=Freeze groups and issue codes")
        page.click("text=Yes, issue the codes", timeout=300_000)   # ~8,000 slips; slow on a loaded machine
        page.wait_for_selector("#download-slips", timeout=300_000)
        with page.expect_download(timeout=120_000) as info:
            page.click("#download-slips")
        info.value.save_as(tmp_path / "slips.zip")
        assert (tmp_path / "slips.zip").stat().st_size > 1000
        page.screenshot(path=str(shots / "walkthrough-admin-codes.png"))

        # 2. Three officers answer the demo's open wave, in Kazakh, Russian and English.
        for code, lang in zip(codes[:3], ("kk", "ru", "en")):
            answer_survey(browser, base, code, lang, shots, check_axe=(lang == "kk"))

        # 3. The administrator closes the open wave (its released tables are computed now).
        page.goto(base + f"/admin/waves/{open_wave}")
        page.click("text=Close the wave")
        page.click("text=Yes, close the wave")
        assert "closed" in page.inner_text(".flash")
        ctx.close()

        # 4. The psychologist opens the results and the PDF.
        ctx = browser.new_context(viewport=DESKTOP, accept_downloads=True)
        page = ctx.new_page()
        page.set_default_timeout(300_000)  # the first view may wait for the released tables
        login(page, base, "psychologist")
        # While the publication is being computed the page says so (503, "reload in a minute"): reload as
        # a reader would, for up to five minutes.
        for _ in range(60):
            page.goto(base + f"/results/{open_wave}?by=region", timeout=300_000)
            if page.locator("table.heat").count():
                break
            assert "being computed" in page.content(), page.content()[:500]
            page.wait_for_timeout(5_000)
        page.wait_for_selector("table.heat")
        page.screenshot(path=str(shots / "walkthrough-results.png"))
        with page.expect_download(timeout=300_000) as info:
            page.click("a:has-text('PDF')")
        pdf = PdfReader(io.BytesIO(Path(info.value.path()).read_bytes()))
        assert "cohort results" in pdf.pages[0].extract_text()
        ctx.close()

        # 5. The analyst runs a model and downloads its report.
        ctx = browser.new_context(viewport=DESKTOP, accept_downloads=True)
        page = ctx.new_page()
        login(page, base, "analyst")
        page.click("text=Run the analysis")
        page.wait_for_selector("table.terms", timeout=300_000)
        page.screenshot(path=str(shots / "walkthrough-analysis.png"))
        with page.expect_download(timeout=300_000) as info:
            page.click("text=Report (PDF)")
        pdf = PdfReader(io.BytesIO(Path(info.value.path()).read_bytes()))
        assert "Analysis report" in "".join(p.extract_text() for p in pdf.pages[:2])
        ctx.close()

    # 5. Every staff action above is in the audit log (issue 17); nothing of the officers' survey.
    with app.app_context():
        from wellbeing.services.audit import entries

        got = {(e.actor, e.action) for e in entries(limit=10_000)}
    for step in [("web:admin", "auth.login"), ("web:admin", "admin.wave_new"), ("web:admin", "admin.wave_issue"),
                 ("web:admin", "admin.wave_slips"), ("web:admin", "admin.wave_close"),
                 ("web:psychologist", "results.pdf_export"), ("web:analyst", "analysis.index"),
                 ("web:analyst", "analysis.report_pdf")]:
        assert step in got, (step, sorted(got))
    assert not any("survey" in action for _, action in got)
