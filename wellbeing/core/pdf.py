"""The one PDF renderer (ReportLab platypus, BSD): fonts, styles, tables, images and the document.

Every PDF the platform writes — the results report, the costs report, the analysis report and the code
slips (which draw on a ReportLab canvas) — is made with ReportLab and the DejaVu TrueType fonts that
matplotlib ships, embedded as subsets: Kazakh and Russian letters render and no output depends on the
machine's fonts (DESIGN.md section 8). Plots are matplotlib figures placed as PNG images. Text from
data must go through :func:`wellbeing.core.pdf_text.markup` (or :func:`paragraph`, which does it).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import Any

import matplotlib
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Table, TableStyle

from .pdf_text import markup

FONTS = {"WB-Sans": "DejaVuSans.ttf", "WB-Sans-Bold": "DejaVuSans-Bold.ttf", "WB-Mono": "DejaVuSansMono.ttf"}
GREY = colors.HexColor("#6e7781")
RULE = colors.HexColor("#d0d7de")


def register_fonts() -> None:
    """Register the DejaVu fonts that matplotlib ships with ReportLab (once per process). Call it before
    making a ``Paragraph`` in these styles (:func:`paragraph` does)."""
    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    for name, file in FONTS.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, os.path.join(folder, file)))


STYLE = ParagraphStyle("body", fontName="WB-Sans", fontSize=9, leading=12)
H1 = ParagraphStyle("h1", parent=STYLE, fontName="WB-Sans-Bold", fontSize=15, leading=19, spaceAfter=6)
H2 = ParagraphStyle("h2", parent=STYLE, fontName="WB-Sans-Bold", fontSize=11.5, leading=15, spaceBefore=8,
                    spaceAfter=4)
#: A wrapping text cell of a table set at 6.5 pt.
CELL = ParagraphStyle("cell", parent=STYLE, fontSize=6.5, leading=8)
SMALL = ParagraphStyle("small", parent=STYLE, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#57606a"))


def paragraph(text: object, style: ParagraphStyle = STYLE) -> Paragraph:
    """A paragraph that shows ``text`` literally (ReportLab's mini-markup escaped)."""
    register_fonts()   # a Paragraph resolves its style's fonts when it is made
    return Paragraph(markup(text), style)


def table(data: Sequence[Sequence[Any]], widths: Sequence[float] | None = None, grey_rows: Sequence[int] = (),
          font_size: float = 8) -> Table:
    """A table whose first row is the header (bold, ruled, repeated on each page); numbers are right
    aligned from the second column on; ``grey_rows`` (indices into ``data``) are greyed (hidden cells)."""
    t = Table([list(r) for r in data], colWidths=list(widths) if widths else None, repeatRows=1)
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), "WB-Sans", font_size), ("FONT", (0, 0), (-1, 0), "WB-Sans-Bold", font_size),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black), ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE)]
    style += [("TEXTCOLOR", (1, r), (-1, r), GREY) for r in grey_rows]
    t.setStyle(TableStyle(style))
    return t


def image(png: bytes, width_mm: float, max_height_mm: float | None = None) -> Image:
    """A PNG placed ``width_mm`` wide (narrower if its height would pass ``max_height_mm``)."""
    img = Image(io.BytesIO(png))
    ratio = img.imageHeight / img.imageWidth
    width = width_mm * mm
    if max_height_mm is not None and width * ratio > max_height_mm * mm:
        width = max_height_mm * mm / ratio
    img.drawWidth, img.drawHeight = width, width * ratio
    return img


def build_pdf(story: Sequence[Flowable], *, title: str, wide: bool = False, margin_mm: float = 16) -> bytes:
    """The document: A4 (landscape when ``wide``), fonts registered, ``title`` in the metadata."""
    register_fonts()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4) if wide else A4, leftMargin=margin_mm * mm,
                            rightMargin=margin_mm * mm, topMargin=margin_mm * mm, bottomMargin=margin_mm * mm,
                            title=title, author="wellbeing")
    doc.build(list(story))
    return buf.getvalue()
