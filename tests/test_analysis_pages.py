"""Analysis pages: roles, the choices-only form, a refused model shows no number, plots and the PDF."""

from __future__ import annotations

import io

from flask import Flask
from pypdf import PdfReader

from wellbeing.services.users import create_user

from .helpers import SMALL_UNIT_PATTERNS, close, fill_wave, open_wave


def _login(client, name: str, role: str) -> None:  # type: ignore[no-untyped-def]
    with client.application.app_context():
        create_user(name, role, "a-long-pass-1")
    r = client.post("/auth/login", data={"name": name, "password": "a-long-pass-1"})
    assert r.status_code == 302


def _small_wave(app: Flask, below_k: bool) -> None:
    codes = open_wave(app, "w1", patterns=SMALL_UNIT_PATTERNS)
    groups = sorted(codes)
    counts = {g: 14 for g in groups}
    if below_k:
        counts[groups[-1]] = 3
    fill_wave(app, "w1", counts)
    close(app, "w1")


Q = "/analysis/?waves=w1&outcome=cbi.work&exposure=shift_pattern"


def test_analysis_requires_the_analyst_or_admin_role(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/analysis/")
    assert r.status_code == 302 and "/auth/login" in r.location
    _login(client, "psy", "psychologist")
    assert client.get("/analysis/").status_code == 403
    assert client.get("/analysis/report.pdf?waves=w1&outcome=cbi.work&exposure=shift_pattern").status_code == 403
    client.post("/auth/logout")
    _login(client, "ana", "analyst")
    r = client.get("/analysis/")
    assert r.status_code == 200 and "Analysis" in r.text


def test_refused_model_page_shows_reason_and_no_numbers(app: Flask, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Rule 12 is judged on the design, before any fit: a model that may not be shown is never fitted
    (regression: the fit ran first, and when it failed on the random data the page was a 400)."""
    from wellbeing.services import analysis

    def no_fit(*a, **k):  # type: ignore[no-untyped-def]
        raise AssertionError("a model refused by rule 12 was fitted")

    monkeypatch.setattr(analysis, "fit_mixed", no_fit)
    _small_wave(app, below_k=True)
    _login(client, "ana", "analyst")
    r = client.get(Q)
    assert r.status_code == 200
    assert "model_refused" in r.text and "24-72" in r.text and "&lt; K=5" in r.text
    assert "/analysis/plot/" not in r.text          # no plot of a refused model
    assert client.get(Q.replace("/analysis/?", "/analysis/plot/forest.png?")).status_code == 404
    # Free formula text is not a choice: an unknown exposure is refused by the form.
    bad = client.get("/analysis/?waves=w1&outcome=cbi.work&exposure=__import__('os')")
    assert bad.status_code == 400 and "Not a valid choice" in bad.text


def test_released_model_page_plots_and_pdf(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    _small_wave(app, below_k=False)
    _login(client, "ana", "analyst")
    r = client.get(Q)
    assert r.status_code == 200 and "model_refused" not in r.text
    assert "Holm" in r.text and "Observational data" in r.text
    for name in ("forest", "means", "bubble"):
        png = client.get(Q.replace("/analysis/?", f"/analysis/plot/{name}.png?"))
        assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n", name
    svg = client.get(Q.replace("/analysis/?", "/analysis/plot/forest.svg?"))
    assert svg.status_code == 200 and b"<svg" in svg.data
    html = client.get(Q.replace("/analysis/?", "/analysis/report?"))
    assert html.status_code == 200 and "statsmodels" in html.text and "score[cbi.work]" in html.text
    pdf = client.get(Q.replace("/analysis/?", "/analysis/report.pdf?"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "score[cbi.work]" in text and "statsmodels" in text and "scipy" in text and "pandas" in text
    assert "Выгорание" in text or "выгорание" in text      # Cyrillic renders (DejaVu Sans embedded)


def test_unfitted_model_page_shows_a_refusal_box_and_no_numbers(app: Flask, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 19: when no optimiser converges the page says why and shows no estimate or plot."""
    import numpy as np
    import statsmodels.regression.mixed_linear_model as mlm

    _small_wave(app, below_k=False)
    _login(client, "ana", "analyst")
    def failing(self, *a, **k):  # type: ignore[no-untyped-def]
        raise np.linalg.LinAlgError("Singular matrix")   # what a degenerate fit raises in statsmodels

    monkeypatch.setattr(mlm.MixedLM, "fit", failing)
    r = client.get(Q)
    assert 'class="flash error" role="alert"' in r.text
    assert "mixed model not fitted" in r.text and "no estimate is shown" in r.text
    assert "lbfgs: raised Singular matrix" in r.text and "powell: raised" in r.text
    assert "/analysis/plot/" not in r.text and "Intercept" not in r.text
