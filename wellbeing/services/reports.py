"""The results report as PDF (:mod:`wellbeing.core.pdf`; plots rendered by matplotlib as PNG).

Every number comes from the released table given in.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from datetime import date

import pandas as pd
from babel.numbers import format_decimal, get_decimal_symbol
from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, Spacer

from ..core import plots
from ..core.disclosure import round_half_away
from ..core.pdf import H1, H2, SMALL, STYLE, build_pdf, image, register_fonts
from ..core.pdf import table as pdf_table
from ..core.pdf_text import markup
from ..models import Wave
from .results import ScaleInfo, note_text


def fmt(v: object, decimals: int = 0) -> str:
    """A released number as text (already rounded; formatting only)."""
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return "–"
    x = round_half_away(float(v), decimals)  # idempotent on released values
    return f"{x:.{decimals}f}"


def _png(fig, width_mm: float = 170) -> Image:  # type: ignore[no-untyped-def]
    return image(plots.to_bytes(fig, "png"), width_mm)


def results_pdf(wave: Wave, by: Sequence[str], table: pd.DataFrame, scales: Sequence[ScaleInfo],
                reliability: pd.DataFrame, *, row_label: Callable[[pd.Series], str] | None = None,
                reason_words: Callable[[str], str] | None = None,
                name: Callable[[Mapping[str, str]], str] | None = None, locale: str = "en",
                code_label: Callable[[str], str] | None = None, inside: str = "") -> bytes:
    """A wave's results report: per scale the released table and a means plot, then reliability.

    ``table`` is the released view (``services.results.view``) — the same rows as the page and CSV.
    The text is in the request's language (flask-babel; English outside a request) and numbers are
    formatted for ``locale`` (Babel: "1 902,5" in ru and kk). ``row_label`` names a row (default: its
    slugs), ``reason_words`` says why a cell is hidden (default: the reason code), ``name`` picks a
    per-language text (default: English), ``code_label`` names a stored code such as a language
    (default: the code). The reliability table names items by their text (as the page does), not by id.
    ``inside`` ("Inside District 1", a drill-down: ``table`` holds only its rows) is printed under the
    heading; the reliability table is the whole wave's, and says so then.
    """
    register_fonts()
    row_label = row_label or (lambda r: " · ".join(str(r[x]) for x in by) if by else "all")
    reason_words = reason_words or str
    code_label = code_label or str
    name = name or (lambda texts: texts.get("en") or next(iter(texts.values()), ""))

    def num(v: object, decimals: int = 0) -> str:
        text = fmt(v, decimals)
        if text == "–":
            return text
        return format_decimal(float(text), format="#,##0" + ("." + "0" * decimals if decimals else ""),
                              locale=locale)

    # Every data text goes through markup(): a title such as "<img src=...>" must print as typed.
    breakdown = ", ".join(by) if by else _("whole wave")
    story: list = [Paragraph(markup(_("%(title)s — cohort results", title=wave.title)), H1),
                   Paragraph(markup(_("Wave %(slug)s, %(opens)s – %(closes)s. Minimum cell K = %(k)s. Breakdown: "
                                      "%(by)s. Every number has passed disclosure control; hidden cells show "
                                      "why. Generated %(today)s.", slug=wave.slug, opens=wave.opens or "",
                                      closes=wave.closes or "", k=wave.min_cell, by=breakdown,
                                      today=date.today())), STYLE)]
    if inside:
        story.append(Paragraph(markup(inside), H2))
    head = [_("group") if by == ["group"] else breakdown, "n", _("mean"), _("95% CI"), _("share high %"),
            _("95% CI")]
    for info in scales:
        sc = info.scale
        d = sc.precision
        rows = table[table["scale"] == info.scale_id]
        story.append(Paragraph(markup(_("%(scale)s (%(lo)s–%(hi)s points, higher is %(dir)s)",
                                        scale=name(sc.name) or info.scale_id, lo=f"{sc.range[0]:g}",
                                        hi=f"{sc.range[1]:g}",
                                        dir=_("worse") if sc.higher_is == "worse" else _("better"))), H2))
        data = [list(head)]
        supp = []
        for _i, r in rows.iterrows():
            label = row_label(r)
            if r["suppressed"]:
                supp.append(len(data))
                data.append([Paragraph(markup(label), SMALL), "", Paragraph(markup(reason_words(r["reason"])), SMALL),
                             "", "", ""])
                continue
            data.append([Paragraph(markup(label), SMALL), num(r["n"]), num(r["mean"], d),
                         f"{num(r['ci_low'], d)}–{num(r['ci_high'], d)}",
                         num(r["share_high"]) if pd.notna(r["share_high"]) else
                         (_("hidden") if r["share_reason"] else "–"),
                         f"{num(r['share_ci_low'])}–{num(r['share_ci_high'])}" if pd.notna(r["share_ci_low"]) else ""])
        story.append(pdf_table(data, [62 * mm, 14 * mm, 30 * mm, 24 * mm, 22 * mm, 20 * mm], supp))
        t = rows.assign(row=[row_label(r) for _i, r in rows.iterrows()],
                        reason_text=[reason_words(x) if isinstance(x, str) and x else "" for x in rows["reason"]])
        if len(t) <= 40:
            story.append(Spacer(1, 4))
            story.append(_png(plots.group_means(t, unit=_("%(scale)s (points)", scale=name(sc.name) or info.scale_id),
                                                lo=sc.range[0], hi=sc.range[1],
                                                decimal=get_decimal_symbol(locale)), 150))
    reasons = sorted({r for r in table.loc[table["suppressed"], "reason"].dropna()} |
                     {r for r in table["share_reason"].dropna() if r})
    if reasons:
        story.append(Paragraph(markup(" · ".join(reason_words(r) for r in reasons)), SMALL))
    story.append(Paragraph(markup(_("Reliability (complete responses)")
                                  + (" — " + _("whole wave") if inside else "")), H2))
    names = {i.scale_id: name(i.scale.name) or i.scale_id for i in scales}
    item_texts = {item.id: name(item.text) or item.id for i in scales for item in i.instrument.items}

    def items(flagged: object) -> str:
        if flagged is None or (not isinstance(flagged, str) and pd.isna(flagged)):
            return ""
        ids = [x.strip() for x in str(flagged).split(",") if x.strip()]
        return "; ".join(textwrap.shorten(item_texts.get(x, x), 48, placeholder="…") for x in ids)

    data = [[_("scale"), _("language"), "n", "α", _("95% CI"), "ω", _("items r < .30"), _("note")]]
    for _i, r in reliability.iterrows():
        data.append([Paragraph(markup(names.get(r["scale"], r["scale"])), SMALL),
                     Paragraph(markup(code_label(str(r["language"]))), SMALL), num(r["n"]),
                     num(r["alpha"], 2), f"{num(r['ci_low'], 2)}–{num(r['ci_high'], 2)}" if r["released"] else "",
                     num(r["omega"], 2), Paragraph(markup(items(r["flagged_items"])), SMALL), Paragraph(markup(
                         note_text(r["note"]) + (" · " + _("language versions differ")
                                                 if r.get("equivalence_flag") else "")), SMALL)])
    story.append(pdf_table(data, [30 * mm, 16 * mm, 12 * mm, 12 * mm, 22 * mm, 12 * mm, 30 * mm, 40 * mm]))
    story.append(Spacer(1, 6))
    story.append(Paragraph(markup(_("Residual risk (reporting rules): K−1 colleagues who pool their own answers "
                                    "can compute the last one from an exact group mean.")), SMALL))
    return build_pdf(story, title=f"wellbeing — {wave.title}")
