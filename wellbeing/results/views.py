"""Results pages: wave list, a wave's released tables and plots, CSV and PDF exports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
from babel.numbers import get_decimal_symbol
from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from matplotlib.figure import Figure

from ..auth.roles import role_required
from ..core import plots
from ..core.csv_cells import plain_records, write_csv
from ..models import Wave, WaveStatus
from ..pages import download, label, loc, select_locale
from ..services import results as svc
from ..services import wave_changes as changes
from ..services.ledger import ReleasePending
from ..services.submissions import open_wave_count
from ..services.waves import find_wave, list_waves
from . import bp
from .names import (
    CSV_HEADINGS,
    REASON_WORDS,
    STANDARD_DIMS,
    context_menu,
    level_names,
    place_names,
    reason_words,
    row_name,
)
from .renders import cached, render_key, table_digest

ROLES = ("psychologist", "admin")
BY_CHOICES = STANDARD_DIMS


def _wave(slug: str) -> Wave:
    wave = find_wave(slug)
    if wave is None:
        abort(404)
    return wave


def _by() -> list[str]:
    raw = request.args.get("by", "group")
    dims = [d for d in raw.split(",") if d]
    return dims or ["group"]


@bp.get("/")
@role_required(*ROLES)
def index() -> str:
    waves = list_waves()
    counts = {w.id: open_wave_count(w) for w in waves}
    return render_template("results/index.html", waves=waves, counts=counts)


def released_view(wave: Wave, by: list[str]) -> tuple[pd.DataFrame, list[svc.ScaleInfo]]:
    try:
        released = svc.release_wave(wave, by=by)
    except svc.ResultsError as exc:
        abort(400, str(exc))
    except ReleasePending:
        # One computation per release, whoever asks: this request does not start a second one.
        abort(Response(_("These results are being computed. Please reload the page in a minute."), 503,
                       {"Retry-After": "30"}))
    table = svc.view(released, by)
    parent_dim, within = _scope(table, by)
    if parent_dim:
        table = table[table[parent_dim] == within]
    return table, svc.wave_scales(wave)


def _scope(table: pd.DataFrame, by: list[str]) -> tuple[str | None, str]:
    """The drill-down of the request, ``?in=<region or department>``: (the column it filters, its value),
    ``(None, "")`` without one. The page, its plots and its CSV and PDF exports all show only the
    released rows inside it (no new number). Aborts with 400 when nothing of this breakdown is inside."""
    within = request.args.get("in", "")
    parent_dim = next((d for d in ("region", "department") if within and d in table.columns
                       and d not in by and (table[d] == within).any()), None)
    if within and (parent_dim is None or within == "*"):
        abort(400, _("Nothing to show inside %(place)s for this breakdown.", place=within))
    return parent_dim, within


def _drill(by: list[str]) -> tuple[str, str] | None:
    """Where a row of this breakdown leads: (its key column, the breakdown one level down)."""
    return {("region",): ("region", "department"), ("department",): ("department", "group")}.get(tuple(by))


def _by_words(by: list[str]) -> str:
    return ", ".join(label(d) for d in by) if by else label("whole_wave")


def _reasons_used(rows: list[dict]) -> dict[str, str]:
    """The legend: each reason code the page shows, in plain words (in the order of REASON_WORDS)."""
    used = {r.get("reason") for r in rows if r.get("suppressed")} | {r.get("share_reason") for r in rows}
    return {code: reason_words(code) for code in REASON_WORDS if code in used}


@bp.get("/<slug>")
@role_required(*ROLES)
def wave(slug: str) -> str:
    w = _wave(slug)
    if w.status != WaveStatus.closed:  # open, or an import-only wave still importing
        return render_template("results/open.html", wave=w, count=open_wave_count(w))
    by = _by()
    table, scales = released_view(w, by)
    names = level_names(w)
    parent_dim, within = _scope(table, by)  # the drill-down (released_view kept only the rows inside it)
    prev = changes.previous_wave(w)
    if prev is not None:
        try:
            prev_table = svc.view(svc.release_wave(prev, by=by), by)
            table = changes.add_changes(table, prev_table, by, changes.recurring_groups(w, prev),
                                        changes.recurring_places(w, prev))
        except (svc.ResultsError, ReleasePending):
            prev = None          # not comparable (or not yet released): no change column
    sections = []
    for info in scales:
        rows = table[table["scale"] == info.scale_id].copy()
        ref = info.scale.reference[0] if info.scale.reference else None
        summary = changes.summarise(rows, [row_name(r, by, names) for _, r in rows.iterrows()], info)
        sections.append({"info": info, "rows": plain_records(rows), "ref": ref, "summary": summary,
                         "bands": svc.band_distribution(w, info)})
    reliability = svc.reliability_by_scale(svc.wave_reliability(w))
    scale_names = {info.scale_id: info.scale.name for info in scales}
    item_texts = {item.id: item.text for info in scales for item in info.instrument.items}

    def row_label(r, by: list[str]) -> str:  # type: ignore[no-untyped-def]
        return row_name(r, by, names)

    # keyed by the row's values, not its name: two groups may share a name (their cells must not merge)
    heat_rows: dict[tuple, dict[str, dict]] = {}
    for sec in sections:
        for r in sec["rows"]:
            heat_rows.setdefault((row_label(r, by), *(r[d] for d in by)), {})[sec["info"].scale_id] = {
                **r, "css": heat_class(None if r["suppressed"] else r["mean"], sec["info"])}
    sizes = {g.slug: g.size for g in w.groups}
    context_dims, _values = context_menu(w, BY_CHOICES)
    return render_template("results/wave.html", wave=w, by=by, sections=sections, reliability=reliability,
                           scale_names=scale_names, item_texts=item_texts,
                           by_choices=list(BY_CHOICES) + list(context_dims), by_labels=context_dims,
                           row_label=row_label,
                           heat_rows=heat_rows, sizes=sizes, reason_words=reason_words, previous=prev,
                           drill=_drill(by), within=within, scope={"in": within} if within else {},
                           within_name=names.get(parent_dim or "", {}).get(within, within),
                           legend=_reasons_used([r for sec in sections for r in sec["rows"]]),
                           total=plain_records(svc.view(svc.release_wave(w, scales=[scales[0].scale_id]), []))[0]
                           if scales else None)


@bp.get("/<slug>/heatmap.<fmt>")
@role_required(*ROLES)
def heatmap(slug: str, fmt: str) -> Response:
    if fmt not in ("png", "svg"):
        abort(404)
    w = _wave(slug)
    if w.status != WaveStatus.closed:  # open, or an import-only wave still importing
        abort(404)
    by = _by()
    table, scales = released_view(w, by)
    infos = {s.scale_id: s for s in scales}
    names = level_names(w)
    t = table.assign(row=[row_name(r, by, names) for _, r in table.iterrows()])
    t["lo"] = t["scale"].map(lambda s: infos[s].scale.range[0])
    t["hi"] = t["scale"].map(lambda s: infos[s].scale.range[1])
    t["higher_is"] = t["scale"].map(lambda s: infos[s].scale.higher_is)
    t["decimals"] = t["scale"].map(lambda s: infos[s].scale.precision)
    t["reason_text"] = _("hidden")        # the heat map's cells are small: the page's legend says why
    rows = list(dict.fromkeys(t["row"]))
    columns = {k: loc(v.scale.name) or k for k, v in infos.items()}
    title = (_("%(wave)s: mean scores by %(by)s", wave=w.title or w.slug, by=_by_words(by))
             + _dash(_inside(table, by, names)))
    return _image("heatmap", fmt, (table_digest(t), columns, title),
                  lambda: plots.heatmap(t, rows, list(infos), columns, title=title, decimal=_decimal()))


@bp.get("/<slug>/means/<scale_id>.<fmt>")
@role_required(*ROLES)
def means_plot(slug: str, scale_id: str, fmt: str) -> Response:
    if fmt not in ("png", "svg"):
        abort(404)
    w = _wave(slug)
    if w.status != WaveStatus.closed:  # open, or an import-only wave still importing
        abort(404)
    by = _by()
    table, scales = released_view(w, by)
    info = next((s for s in scales if s.scale_id == scale_id), None)
    if info is None:
        abort(404)
    t = table[table["scale"] == scale_id]
    names = level_names(w)
    t = t.assign(row=[row_name(r, by, names) for _, r in t.iterrows()],
                 reason_text=[reason_words(r) if isinstance(r, str) and r else "" for r in t["reason"]])
    concern = [b.at for b in info.scale.bands if b.concern]
    name = loc(info.scale.name) or scale_id
    unit = _("%(scale)s (%(lo)s–%(hi)s points)", scale=name, lo=f"{info.scale.range[0]:g}",
             hi=f"{info.scale.range[1]:g}")
    title = (_("%(wave)s: %(scale)s by %(by)s", wave=w.title or w.slug, scale=name, by=_by_words(by))
             + _dash(_inside(table, by, names)))
    threshold = min(concern) if concern and info.scale.bounds == "lower" else None
    lo, hi = info.scale.range
    return _image("means", fmt, (table_digest(t), unit, title, threshold, lo, hi),
                  lambda: plots.group_means(t, unit=unit, title=title, threshold=threshold, lo=lo, hi=hi,
                                            decimal=_decimal()))


@bp.get("/trend/<scale_id>.<fmt>")
@role_required(*ROLES)
def trend_plot(scale_id: str, fmt: str) -> Response:
    if fmt not in ("png", "svg"):
        abort(404)
    level = request.args.get("level", "shift_pattern")
    waves = list_waves()
    try:
        series = svc.trend(scale_id, level, waves)
    except svc.ResultsError as exc:
        abort(400, str(exc))
    places = place_names()
    series = series.assign(row=[places.get(str(v)) or label(v) for v in series["row"]])
    scale = next((i for w in waves for i in svc.wave_scales(w) if i.scale_id == scale_id), None)
    name = (loc(scale.scale.name) if scale else "") or scale_id
    lo, hi = scale.scale.range if scale else (0, 100)  # the scale's own range (a 1-5 scale is not 0-100)
    unit = _("%(scale)s (%(lo)s–%(hi)s points)", scale=name, lo=f"{lo:g}", hi=f"{hi:g}")
    title = _("%(scale)s across waves by %(by)s", scale=name, by=label(level))
    return _image("trend", fmt, (table_digest(series), unit, title, lo, hi),
                  lambda: plots.trend(series, unit=unit, title=title, lo=lo, hi=hi, decimal=_decimal()))


@bp.get("/<slug>.csv")
@role_required(*ROLES)
def csv_export(slug: str) -> Response:
    w = _wave(slug)
    by = _by()
    if w.status != WaveStatus.closed:  # open, or an import-only wave still importing
        body = write_csv(("wave", "n", "suppressed", "reason"), [(w.slug, open_wave_count(w), False, "wave_open")])
    else:
        table, _scales = released_view(w, by)
        wanted = request.args.get("headers", "")
        if wanted not in ("", "labels"):
            abort(400, _("headers: use 'labels' for headings in this language, or leave it out."))
        headers = {k: str(v) for k, v in CSV_HEADINGS.items()} if wanted == "labels" else None
        body = svc.to_csv(table, headers)
    return download(body, "text/csv", f"results-{w.slug}.csv")


@bp.get("/<slug>.pdf")
@role_required(*ROLES)
def pdf_export(slug: str) -> Response:
    from ..services.reports import results_pdf

    w = _wave(slug)
    if w.status != WaveStatus.closed:  # open, or an import-only wave still importing
        abort(404)
    by = _by()
    table, scales = released_view(w, by)
    names = level_names(w)
    reliability = svc.wave_reliability(w)
    locale = select_locale()
    inside = _inside(table, by, names)
    key = render_key("pdf", locale, w.slug, w.title, str(w.opens), str(w.closes), w.min_cell, tuple(by),
                     table_digest(table), table_digest(reliability), names, str(date.today()), inside)
    pdf = cached("results-pdf", key, lambda: results_pdf(
        w, by, table, scales, reliability, row_label=lambda r: row_name(r, by, names),
        reason_words=reason_words, name=loc, locale=locale, code_label=label, inside=inside))
    return download(pdf, "application/pdf", f"results-{w.slug}.pdf")


def _decimal() -> str:
    """The reader's decimal symbol ("," in ru and kk), for plots."""
    return get_decimal_symbol(select_locale())


def _inside(table: pd.DataFrame, by: list[str], names: dict) -> str:
    """"Inside <place>" for a drill-down's plot title or PDF (the rows were filtered), else ""."""
    parent_dim, within = _scope(table, by)
    if not parent_dim:
        return ""
    return _("Inside %(place)s", place=names.get(parent_dim, {}).get(within, within))


def _dash(words: str) -> str:
    return " — " + words if words else ""


def _image(kind: str, fmt: str, inputs: tuple, draw: Callable[[], Figure]) -> Response:
    """A plot drawn from ``inputs`` (released rows' digest and every printed text), rendered once per
    release, locale and format (:mod:`.renders`)."""
    data = cached(kind, render_key(kind, fmt, select_locale(), *inputs), lambda: plots.to_bytes(draw(), fmt))
    return download(data, "image/png" if fmt == "png" else "image/svg+xml")


@bp.app_template_global()
def drill_url(slug: str, by: str, within: str) -> str:
    """The page one level down: ``by`` rows inside region or department ``within``."""
    return url_for("results.wave", slug=slug, by=by, **{"in": within})


@bp.app_template_global()
def results_url(slug: str, by: list[str]) -> str:
    return url_for("results.wave", slug=slug, by=",".join(by))


def heat_class(mean: float | None, scale: svc.ScaleInfo) -> str:
    """CSS class ``heat-0`` … ``heat-9`` of a released mean (darker = worse, whatever the direction)."""
    if mean is None:
        return "suppressed"
    lo, hi = scale.scale.range
    frac = (float(mean) - lo) / (hi - lo)
    if scale.scale.higher_is == "better":
        frac = 1 - frac
    return f"heat-{min(9, max(0, int(frac * 10)))}"
