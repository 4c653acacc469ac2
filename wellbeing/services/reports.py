"""PDF reports of released results (ReportLab platypus; plots rendered by matplotlib as PNG).

Fonts are the DejaVu TrueType files that matplotlib ships (Kazakh and Russian letters render, no
dependence on the machine's fonts). Every number comes from the released table given in.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..core import plots
from ..core.disclosure import round_half_away
from ..core.pdf_text import markup
from ..core.slips import _register_fonts
from ..models import Wave
from .results import ScaleInfo, note_text

STYLE = ParagraphStyle("body", fontName="WB-Sans", fontSize=9, leading=12)
H1 = ParagraphStyle("h1", parent=STYLE, fontName="WB-Sans-Bold", fontSize=15, leading=19, spaceAfter=6)
H2 = ParagraphStyle("h2", parent=STYLE, fontName="WB-Sans-Bold", fontSize=11.5, leading=15, spaceBefore=8,
                    spaceAfter=4)
SMALL = ParagraphStyle("small", parent=STYLE, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#57606a"))


def fmt(v: object, decimals: int = 0) -> str:
    """A released number as text (already rounded; formatting only)."""
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return "–"
    x = round_half_away(float(v), decimals)  # idempotent on released values
    return f"{x:.{decimals}f}"


def _table(data: list[list[str]], widths: Sequence[float], suppressed_rows: Sequence[int] = ()) -> Table:
    t = Table(data, colWidths=widths, repeatRows=1)
    style = [("FONT", (0, 0), (-1, -1), "WB-Sans", 8), ("FONT", (0, 0), (-1, 0), "WB-Sans-Bold", 8),
             ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black), ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
             ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#d0d7de"))]
    for r in suppressed_rows:
        style.append(("TEXTCOLOR", (1, r), (-1, r), colors.HexColor("#6e7781")))
    t.setStyle(TableStyle(style))
    return t


def _png(fig, width_mm: float = 170) -> Image:  # type: ignore[no-untyped-def]
    data = plots.to_bytes(fig, "png")
    img = Image(io.BytesIO(data))
    ratio = img.imageHeight / img.imageWidth
    img.drawWidth = width_mm * mm
    img.drawHeight = width_mm * mm * ratio
    return img


def results_pdf(wave: Wave, by: Sequence[str], table: pd.DataFrame, scales: Sequence[ScaleInfo],
                reliability: pd.DataFrame) -> bytes:
    """A wave's results report: per scale the released table and a means plot, then reliability.

    ``table`` is the released view (``services.results.view``) — the same rows as the page and CSV.
    """
    _register_fonts()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"wellbeing — {wave.title}", author="wellbeing")
    # Every data text goes through markup(): a title such as "<img src=...>" must print as typed.
    story: list = [Paragraph(f"{markup(wave.title)} — cohort results", H1),
                   Paragraph(f"Wave {markup(wave.slug)}, {wave.opens or ''} – {wave.closes or ''}. Minimum cell K = "
                             f"{wave.min_cell}. Breakdown: {markup(', '.join(by)) or 'whole wave'}. Every number has "
                             f"passed disclosure control; suppressed cells show their reason. Generated {date.today()}.",
                             STYLE)]
    for info in scales:
        sc = info.scale
        d = sc.precision
        rows = table[table["scale"] == info.scale_id]
        story.append(Paragraph(f"{markup(sc.name.get('en', info.scale_id))} ({markup(info.scale_id)}; "
                               f"{sc.range[0]:g}–{sc.range[1]:g} points, higher is {markup(sc.higher_is)})", H2))
        data = [[" · ".join(by) or "all", "n", "mean", "95% CI", "share high %", "95% CI"]]
        supp = []
        for _, r in rows.iterrows():
            label = " · ".join(str(r[x]) for x in by) if by else "all"
            if r["suppressed"]:
                supp.append(len(data))
                data.append([label, "", f"suppressed ({r['reason']})", "", "", ""])
                continue
            data.append([label, fmt(r["n"]), fmt(r["mean"], d), f"{fmt(r['ci_low'], d)}–{fmt(r['ci_high'], d)}",
                         fmt(r["share_high"]) if pd.notna(r["share_high"]) else (r["share_reason"] or "–"),
                         f"{fmt(r['share_ci_low'])}–{fmt(r['share_ci_high'])}" if pd.notna(r["share_ci_low"]) else ""])
        story.append(_table(data, [62 * mm, 14 * mm, 30 * mm, 24 * mm, 22 * mm, 20 * mm], supp))
        t = rows.assign(row=[" · ".join(str(r[x]) for x in by) if by else "all" for _, r in rows.iterrows()])
        if len(t) <= 40:
            story.append(Spacer(1, 4))
            story.append(_png(plots.group_means(t, unit=f"{info.scale_id} (points)", lo=sc.range[0], hi=sc.range[1]),
                              150))
    story.append(Paragraph("Reliability (complete responses)", H2))
    data = [["scale", "language", "n", "α", "95% CI", "ω", "items r < .30", "note"]]
    for _, r in reliability.iterrows():
        data.append([r["scale"], r["language"], fmt(r["n"]), fmt(r["alpha"], 2),
                     f"{fmt(r['ci_low'], 2)}–{fmt(r['ci_high'], 2)}" if r["released"] else "", fmt(r["omega"], 2),
                     r["flagged_items"], note_text(r["note"])
                     + (" · language versions differ" if r.get("equivalence_flag") else "")])
    story.append(_table(data, [30 * mm, 16 * mm, 12 * mm, 12 * mm, 22 * mm, 12 * mm, 30 * mm, 40 * mm]))
    story.append(Spacer(1, 6))
    story.append(Paragraph("Residual risk (reporting rules): K−1 colleagues who pool their own answers can compute "
                           "the last one from an exact group mean.", SMALL))
    doc.build(story)
    return buf.getvalue()
