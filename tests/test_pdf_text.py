"""Data texts in PDFs render literally (issue 17, item 4): a wave title with ReportLab markup used to
embed a server-local image, add a javascript: link, or (an unbalanced <b>) make the PDF a 500."""

from __future__ import annotations

import io

from pypdf import PdfReader

from wellbeing.core.pdf_text import markup
from wellbeing.extensions import db
from wellbeing.services.waves import get_wave

from .test_results import app, logged_in, wave  # noqa: F401  (fixtures)

TITLE = ('Spring <img src="/etc/hostname" width="50" height="50"/> '
         '<a href="javascript:alert(1)">click</a> <b>bold & $x^2$')


def test_markup_escapes_every_tag() -> None:
    assert markup('<b>a</b> & <img src="x"/>') == '&lt;b&gt;a&lt;/b&gt; &amp; &lt;img src="x"/&gt;'
    assert markup(None) == ""


def test_wave_title_with_markup_renders_literally_in_the_results_pdf(app, wave) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    with app.app_context():
        get_wave(wave).title = TITLE
        db.session.commit()
    res = logged_in(app).get(f"/results/{wave}.pdf?by=region")
    assert res.status_code == 200 and res.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(res.data))
    text = " ".join(reader.pages[0].extract_text().split())
    assert '<img src="/etc/hostname" width="50" height="50"/>' in text
    assert '<a href="javascript:alert(1)">click</a>' in text and "<b>bold & $x^2$" in text
    for page in reader.pages:
        assert "/Annots" not in page                    # no link was made
    def images(pages) -> int:  # type: ignore[no-untyped-def]
        # over all pages: the long title moves content down, so a page may hold one plot less
        return sum(len(list((p.get("/Resources") or {}).get("/XObject", {}))) for p in pages)

    plots_only = images(reader.pages)
    # the same report with a plain title holds as many images: the title embedded none
    with app.app_context():
        get_wave(wave).title = "Spring"
        db.session.commit()
    plain = PdfReader(io.BytesIO(logged_in(app).get(f"/results/{wave}.pdf?by=region").data)).pages
    assert images(plain) == plots_only


def test_costs_report_title_and_task_names_render_literally() -> None:
    """The costs PDF put the wave title and the paperwork scenario's task names into Paragraphs without
    escaping: ``<b>`` unbalanced made the export a 500, ``<img src=...>`` would embed a server file."""
    import pandas as pd

    from wellbeing.services.costs_report import PDF_COLUMNS, costs_pdf

    row = {"level": "all", "key": "all", "suppressed": False, "reason": None,
           **{c: 1.0 for c, _h, _d in PDF_COLUMNS}}
    pdf = costs_pdf(f"Overtime — {TITLE}", ["Paperwork scenario: remove <b>forms & <i>logs"],
                    pd.DataFrame([row]), [])
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert '<img src="/etc/hostname"' in text and "<b>bold &" in text and "remove <b>forms & <i>logs" in text


def test_the_results_pdf_names_languages_and_items_in_its_reliability_table(app, wave) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Regression (issue 20 leftover): the PDF's reliability table printed language codes and item ids
    where the page shows names and item texts."""
    from wellbeing.services import results as svc

    res = logged_in(app).get(f"/results/{wave}.pdf?by=region")
    assert res.status_code == 200
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(res.data)).pages).split())
    part = text[text.index("Reliability (complete responses)"):]
    with app.app_context():
        w = get_wave(wave)
        table = svc.wave_reliability(w)
        texts = {item.id: item.text["en"] for info in svc.wave_scales(w) for item in info.instrument.items}
    languages = set(table["language"])
    assert {"ru", "kk"} & languages
    for code, name in (("ru", "Russian"), ("kk", "Kazakh")):
        if code in languages:
            assert name in part and f" {code} " not in part
    flagged = [x.strip() for cell in table["flagged_items"] for x in str(cell).split(",") if x.strip()]
    for item in flagged:
        assert item not in part and " ".join(texts[item].split())[:20] in part
