"""Printable code slips: a PDF of cut-out slips, ten per A4 page, one code each.

Drawn with ReportLab (BSD) in DejaVu Sans — the TrueType fonts that matplotlib ships, so no output
depends on the machine's fonts (DESIGN.md section 8) and Kazakh and Russian letters render — embedded
as subsets, so the text stays selectable. A slip holds no name, number or sequence: only the survey
title, its address, the code and a note. ReportLab writes a wave's thousands of slips in seconds
(matplotlib, used first, needed about 7 ms per text and minutes per wave).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence

import matplotlib
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .codes import format_code

PER_PAGE = 10
_FONTS = {"WB-Sans": "DejaVuSans.ttf", "WB-Sans-Bold": "DejaVuSans-Bold.ttf", "WB-Mono": "DejaVuSansMono.ttf"}


def _register_fonts() -> None:
    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    for name, file in _FONTS.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, os.path.join(folder, file)))


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> float:
    """The largest font size ≤ ``size`` at which ``text`` fits in ``width`` points."""
    w = pdfmetrics.stringWidth(text, font, size)
    return size if w <= width else size * width / w


def slips_pdf(codes: Sequence[str], *, title: str, address: str, note: str = "") -> bytes:
    """Render ``codes`` (normalised) as slips; returns the PDF file's bytes (one code per slip).

    Layout: two columns × five rows of 93 × 50 mm slips on A4 with dashed cut lines.
    """
    _register_fonts()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle(title)
    c.setCreator("wellbeing")
    page_w, page_h = A4
    margin_x, margin_y = 0.04 * page_w, 0.04 * page_h
    slip_w, slip_h = (page_w - 2 * margin_x) / 2, (page_h - 2 * margin_y) / 5
    pad = 12.0
    inner = slip_w - 2 * pad
    for start in range(0, max(len(codes), 1), PER_PAGE):
        c.setDash(4, 3)
        c.setLineWidth(0.6)
        for i, code in enumerate(codes[start:start + PER_PAGE]):
            col, row = i % 2, i // 2
            x = margin_x + col * slip_w
            y = page_h - margin_y - (row + 1) * slip_h
            c.rect(x, y, slip_w, slip_h)
            c.setFont("WB-Sans-Bold", _fit(c, title, "WB-Sans-Bold", 10, inner))
            c.drawString(x + pad, y + slip_h - 20, title)
            c.setFont("WB-Sans", _fit(c, address, "WB-Sans", 8.5, inner))
            c.drawString(x + pad, y + slip_h - 36, address)
            printed = format_code(code)
            c.setFont("WB-Mono", _fit(c, printed, "WB-Mono", 11.5, inner))
            c.drawString(x + pad, y + slip_h / 2 - 12, printed)
            if note:
                c.setFont("WB-Sans", _fit(c, note, "WB-Sans", 7, inner))
                c.drawString(x + pad, y + 12, note)
        c.showPage()
    c.save()
    return buf.getvalue()
