"""Printable code slips: a PDF of cut-out slips, ten per A4 page, one code and its QR code each.

Drawn with ReportLab (BSD) in DejaVu Sans — the TrueType fonts that matplotlib ships, so no output
depends on the machine's fonts (DESIGN.md section 8) and Kazakh and Russian letters render — embedded
as subsets, so the text stays selectable. A slip holds no name, number or sequence: only the survey
title, its address, the code, a QR code and a note per language. ReportLab writes a wave's thousands of
slips in seconds (matplotlib, used first, needed about 7 ms per text and minutes per wave).

The QR code (made with segno, BSD) holds ``<address>#c=<code>``: the code sits in the URL *fragment*,
which browsers never send to a server (RFC 3986 section 3.5; the Fetch standard strips it from requests
and from the Referer), so scanning it puts the code in no request line or access log. The survey's start
page copies it into the code form with a same-origin script and removes it from the address bar
(``wellbeing/static/survey-code.js``); the form is posted as when the code is typed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import segno
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from .codes import format_code
from .pdf import register_fonts

PER_PAGE = 10
QR_SIZE = 80.0  # points (28 mm): phones read a version-4 QR code of this size from about 30 cm
def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> float:
    """The largest font size ≤ ``size`` at which ``text`` fits in ``width`` points."""
    w = pdfmetrics.stringWidth(text, font, size)
    return size if w <= width else size * width / w


def qr_url(address: str, code: str) -> str:
    """What a slip's QR code holds: the survey address with the code in the fragment (``#c=``)."""
    return f"{address}#c={code}"


QR_MASK = 0
_MODULE_GREY = bytes([255, 0]) + bytes(254)  # segno's 0 (light) -> white, 1 (dark) -> black


def qr_image(data: str) -> Image.Image:
    """A QR code of ``data`` (error correction M, so a quarter-worn or smudged slip still reads; a
    4-module quiet zone) as a greyscale image of one pixel per module.

    The mask pattern is fixed (:data:`QR_MASK`) instead of chosen by segno's penalty evaluation of all
    eight (ISO/IEC 18004 section 7.8.3): that evaluation is pure Python and took about 70 ms per code,
    ten times the rest of a slip (``benchmarks/slips.py``). Any mask gives a valid symbol: the mask in
    use is written in the symbol's format information, which every decoder reads.
    """
    matrix = segno.make(data, error="m", micro=False, mask=QR_MASK).matrix
    width = len(matrix) + 8
    quiet = b"\xff" * width * 4
    rows = [b"\xff" * 4 + bytes(row).translate(_MODULE_GREY) + b"\xff" * 4 for row in matrix]
    return Image.frombytes("L", (width, width), quiet + b"".join(rows) + quiet)


def _wrap_notes(notes: Sequence[str], width: float, height: float,
                size: float = 7.0) -> tuple[list[tuple[str, float]], float]:
    """Lines of ``notes`` wrapped to ``width`` as (text, offset below the first line's top) at the
    largest size ≤ ``size`` at which they fit ``height`` (a third of a line between two notes)."""
    while True:
        lines, y = [], 0.0
        for n, note in enumerate(notes):
            if n:
                y += size * 0.4
            for ln in simpleSplit(note, "WB-Sans", size, width):
                y += size * 1.2
                lines.append((ln, y))
        if y <= height or size <= 4.5:
            return lines, size
        size -= 0.25


def slips_pdf(codes: Sequence[str], *, title: str, address: str, notes: Sequence[str] = (),
              qr: bool = True) -> bytes:
    """Render ``codes`` (normalised) as slips; returns the PDF file's bytes (one code per slip).

    ``notes`` are short texts printed on every slip, one per language (the wave's languages), saying
    how to answer and what the QR code holds. ``qr`` adds the QR code of :func:`qr_url`.
    Layout: two columns × five rows of 93 × 50 mm slips on A4 with dashed cut lines; the QR code sits at
    the top right, the title, address and notes to its left, the printed code across the bottom.
    """
    register_fonts()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle(title)
    c.setCreator("wellbeing")
    page_w, page_h = A4
    margin_x, margin_y = 0.04 * page_w, 0.04 * page_h
    slip_w, slip_h = (page_w - 2 * margin_x) / 2, (page_h - 2 * margin_y) / 5
    pad = 10.0
    inner = slip_w - 2 * pad
    text_w = inner - (QR_SIZE + 6 if qr else 0)
    code_band = 24.0  # the printed code's line at the bottom
    for start in range(0, max(len(codes), 1), PER_PAGE):
        c.setDash(4, 3)
        c.setLineWidth(0.6)
        for i, code in enumerate(codes[start:start + PER_PAGE]):
            col, row = i % 2, i // 2
            x = margin_x + col * slip_w
            y = page_h - margin_y - (row + 1) * slip_h
            top = y + slip_h - pad
            c.rect(x, y, slip_w, slip_h)
            if qr:
                img = ImageReader(qr_image(qr_url(address, code)))
                c.drawImage(img, x + slip_w - pad - QR_SIZE + 4, top - QR_SIZE + 4, QR_SIZE, QR_SIZE)
            c.setFont("WB-Sans-Bold", _fit(c, title, "WB-Sans-Bold", 9.5, text_w))
            c.drawString(x + pad, top - 9, title)
            c.setFont("WB-Sans", _fit(c, address, "WB-Sans", 8, text_w))
            c.drawString(x + pad, top - 21, address)
            lines, size = _wrap_notes(notes, text_w, slip_h - 2 * pad - 27 - code_band)
            c.setFont("WB-Sans", size)
            for line, below in lines:
                c.drawString(x + pad, top - 27 - below + 1, line)
            printed = format_code(code)
            c.setFont("WB-Mono", _fit(c, printed, "WB-Mono", 12, inner))
            c.drawString(x + pad, y + pad + 2, printed)
        c.showPage()
    c.save()
    return buf.getvalue()
