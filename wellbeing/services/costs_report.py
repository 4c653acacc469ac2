"""PDF of the released costs table (ReportLab platypus, DejaVu fonts as the results report).

Every number comes from :func:`wellbeing.services.costs.release_costs` output given in.
"""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..core.slips import register_fonts
from .reports import H1, H2, SMALL, STYLE, fmt

#: (column, header, decimals) of the PDF table.
PDF_COLUMNS = (("officers", "officers", 0), ("overtime_h_per_officer_month", "overtime h/officer-month", 1),
               ("above_day_h", "h > 2 h/day", 1), ("above_month_h", "h > 12 h/month", 1),
               ("above_year_h", "h > 120 h/year", 1), ("night_hours", "night h", 1),
               ("weekend_hours", "weekend h", 1), ("premium_cost", "premium cost", 0),
               ("fte_moved", "FTE to comply", 2), ("savings_per_year", "savings/year", 0),
               ("paperwork_h_per_officer_week", "paperwork h/officer-week", 2))


def costs_pdf(title: str, lines: list[str], released: pd.DataFrame, plots: list[bytes]) -> bytes:
    """A costs report: heading lines, the released rows (groups, regions, whole wave) and PNG plots."""
    register_fonts()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=title, author="wellbeing")
    story: list = [Paragraph(title, H1)] + [Paragraph(t, STYLE) for t in lines]
    story.append(Paragraph(f"Generated {date.today()}.", SMALL))
    for level, head in (("all", "Whole wave"), ("region", "Regions"), ("group", "Reporting groups")):
        part = released[released["level"] == level]
        if not len(part):
            continue
        story.append(Paragraph(head, H2))
        data = [["", *[h for _c, h, _d in PDF_COLUMNS]]]
        grey = []
        for i, r in enumerate(part.itertuples(index=False), start=1):
            if r.suppressed:
                data.append([str(r.key), f"suppressed ({r.reason})"] + [""] * (len(PDF_COLUMNS) - 1))
                grey.append(i)
            else:
                data.append([str(r.key), *[fmt(getattr(r, c), d) for c, _h, d in PDF_COLUMNS]])
        t = Table(data, repeatRows=1, colWidths=[52 * mm] + [20 * mm] * len(PDF_COLUMNS))
        style = [("FONT", (0, 0), (-1, -1), "WB-Sans", 6.5), ("FONT", (0, 0), (-1, 0), "WB-Sans-Bold", 6.5),
                 ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                 ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#d0d7de"))]
        style += [("TEXTCOLOR", (1, r), (-1, r), colors.HexColor("#6e7781")) for r in grey]
        t.setStyle(TableStyle(style))
        story.append(t)
    for png in plots:
        img = Image(io.BytesIO(png))
        ratio = img.imageHeight / img.imageWidth
        img.drawHeight = min(200 * mm * ratio, 180 * mm)
        img.drawWidth = img.drawHeight / ratio
        story += [Spacer(1, 4 * mm), img]
    doc.build(story)
    return buf.getvalue()
