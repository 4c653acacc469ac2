"""The public reporting-rules page renders in a browser and states K from the live configuration."""

from __future__ import annotations

import pytest

from wellbeing import create_app

from ..helpers import open_wave
from ..live import live_server

pytestmark = pytest.mark.e2e


def test_reporting_rules_state_live_k(app_config, browser, shots):
    app = create_app({**app_config, "MIN_CELL_K": 7})
    open_wave(app)  # a wave created now takes the deployment's K
    with live_server(app) as base:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(base + "/reporting-rules")
        text = page.locator("main").inner_text()
        assert "K = 7" in text and "at least 14 officers" in text and "If 6 colleagues" in text
        assert page.locator("td.num").first.inner_text() == "7"
        page.screenshot(path=str(shots / "reporting-rules-phone.png"), full_page=True)
        page.close()
