"""PDF of the released costs table (:mod:`wellbeing.core.pdf`, as the results report).

Every number comes from :func:`wellbeing.services.costs.release_costs` output given in.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from ..core.pdf import H1, H2, SMALL, build_pdf, image, paragraph, table
from .reports import fmt

#: (column, header, decimals) of the PDF table.
PDF_COLUMNS = (("officers", "officers", 0), ("overtime_h_per_officer_month", "overtime h/officer-month", 1),
               ("above_day_h", "h > 2 h/day", 1), ("above_month_h", "h > 12 h/month", 1),
               ("above_year_h", "h > 120 h/year", 1), ("night_hours", "night h", 1),
               ("weekend_hours", "weekend h", 1), ("premium_cost", "premium cost", 0),
               ("fte_moved", "FTE to comply", 2), ("savings_per_year", "savings/year", 0),
               ("paperwork_h_per_officer_week", "paperwork h/officer-week", 2))


def costs_pdf(title: str, lines: list[str], released: pd.DataFrame, plots: list[bytes]) -> bytes:
    """A costs report: heading lines, the released rows (groups, regions, whole wave) and PNG plots."""
    story: list = [paragraph(title, H1)] + [paragraph(t) for t in lines]   # titles and task names are data
    story.append(paragraph(f"Generated {date.today()}.", SMALL))
    for level, head in (("all", "Whole wave"), ("region", "Regions"), ("group", "Reporting groups")):
        part = released[released["level"] == level]
        if not len(part):
            continue
        story.append(paragraph(head, H2))
        data = [["", *[h for _c, h, _d in PDF_COLUMNS]]]
        grey = []
        for i, r in enumerate(part.itertuples(index=False), start=1):
            if r.suppressed:
                data.append([str(r.key), f"suppressed ({r.reason})"] + [""] * (len(PDF_COLUMNS) - 1))
                grey.append(i)
            else:
                data.append([str(r.key), *[fmt(getattr(r, c), d) for c, _h, d in PDF_COLUMNS]])
        story.append(table(data, [52 * mm] + [20 * mm] * len(PDF_COLUMNS), grey, font_size=6.5))
    for png in plots:
        story += [Spacer(1, 4 * mm), image(png, 200, max_height_mm=180)]
    return build_pdf(story, title=title, wide=True, margin_mm=12)
