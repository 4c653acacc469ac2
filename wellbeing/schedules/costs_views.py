"""The costs page of a wave (issue 22): overtime by art. 78, its cost, the compliance scenario and paperwork.

Thin wrappers around :mod:`wellbeing.services.costs` (the same functions as ``flask schedules costs``);
every number shown, plotted or exported comes from :func:`~wellbeing.services.costs.release_costs` or
:func:`~wellbeing.services.costs.release_survey_paperwork`.
"""

from __future__ import annotations

import logging

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from ..auth.roles import operator, role_required
from ..core.cost_plots import group_bars
from ..core.plots import to_bytes
from ..core.tables import ImportRejected
from ..models import Wave
from ..pages import download
from ..services import costs as svc
from ..services import waves as wave_service
from . import bp
from .forms import CostFileForm

log = logging.getLogger(__name__)
ROLES = ("analyst", "admin")
PLOTS = ("overtime", "paperwork")


def _wave_or_404(slug: str) -> Wave:
    try:
        return wave_service.get_wave(slug)
    except wave_service.WaveError:
        abort(404)


def _scenario() -> tuple[list[str], list[tuple[str, str]]]:
    remove = [v for v in request.args.getlist("remove") if v]
    merge = []
    for v in request.args.getlist("merge"):
        a, sep, b = v.partition("+")
        if sep and a.strip() and b.strip():
            merge.append((a.strip(), b.strip()))
    return remove, merge


def _released(wave: Wave):  # type: ignore[no-untyped-def]
    remove, merge = _scenario()
    wc = svc.cached_wave_costs(wave, remove=remove, merge=merge)
    return wc, svc.release_costs(wc)


def _render(wave: Wave, *, errors=(), status: int = 200, which: str = ""):  # type: ignore[no-untyped-def]
    rates, rates_file = svc.current_rates()
    register, register_file = svc.current_register()
    ctx = {"wave": wave, "errors": list(errors), "which": which, "rates_form": CostFileForm(prefix="rates"),
           "register_form": CostFileForm(prefix="register"), "rates_info": svc.cost_file_info(rates_file),
           "register_info": svc.cost_file_info(register_file), "forms": register or (), "problem": None,
           "released": None, "scenario": _scenario(), "survey": {}}
    if rates:
        try:
            wc, released = _released(wave)
            ctx.update(wc=wc, released=released, survey={r["group"]: r for r in
                                                          svc.release_survey_paperwork(wave).to_dict("records")})
        except svc.CostsError as exc:
            ctx["problem"] = str(exc)
    return render_template("schedules/costs.html", **ctx), status


@bp.get("/waves/<slug>/costs")
@role_required(*ROLES)
def costs(slug: str):  # type: ignore[no-untyped-def]
    return _render(_wave_or_404(slug))


@bp.post("/waves/<slug>/costs/<kind>")
@role_required(*ROLES)
def costs_upload(slug: str, kind: str) -> WerkzeugResponse | tuple[str, int]:
    wave = _wave_or_404(slug)
    if kind not in svc.KINDS:
        abort(404)
    form = CostFileForm(prefix=kind)
    if not form.validate_on_submit():
        return _render(wave, status=400, which=kind)

    try:
        n = svc.store_cost_file(kind, form.file.data.read(), imported_by=operator(),
                                filename=form.file.data.filename or "", delimiter=form.delimiter.data or None,
                                encoding=form.encoding.data or "utf-8")
    except ImportRejected as exc:  # an undecodable file too (rule ``encoding``)
        return _render(wave, errors=exc.errors, status=400, which=kind)
    flash(_("Stored %(n)s rows.", n=n))
    return redirect(url_for("schedules.costs", slug=slug))


@bp.get("/waves/<slug>/costs.csv")
@role_required(*ROLES)
def costs_csv(slug: str) -> Response:
    wave = _wave_or_404(slug)
    try:
        _wc, released = _released(wave)
    except svc.CostsError:
        abort(404)
    return download(svc.costs_csv(released), "text/csv", f"costs-{wave.slug}.csv")


def _plot(wave: Wave, wc, released, which: str):  # type: ignore[no-untyped-def]
    groups = released[released["level"] == "group"]
    shown = groups[~groups["suppressed"]]
    hidden = int(groups["suppressed"].sum())
    note = _("%(n)s group(s) under K = %(k)s officers are not shown.", n=hidden, k=wave.min_cell) if hidden else ""
    if which == "overtime":
        return group_bars(list(shown["key"]), list(shown["overtime_h_per_officer_month"]),
                          title=_("Overtime per officer-month (legal accounting period)") + f" — {wave.slug}",
                          xlabel=_("hours per officer per month"), reference=12.0,
                          reference_label=_("12 h/month (art. 78)"), note=note)
    survey = svc.release_survey_paperwork(wave).set_index("group")["share_high_pct"]
    pw = shown[shown["paperwork_h_per_officer_week"].notna()]
    return group_bars(list(pw["key"]), list(pw["paperwork_h_per_officer_week"]),
                      title=_("Paperwork per officer-week (register)") + f" — {wave.slug}",
                      xlabel=_("hours per officer per week"), note=note,
                      second=[survey.get(k) for k in pw["key"]],
                      second_label=_("survey: half of the time or more on paperwork (%)"))


@bp.get("/waves/<slug>/costs/<which>.png")
@role_required(*ROLES)
def costs_plot(slug: str, which: str) -> Response:
    if which not in PLOTS:
        abort(404)
    wave = _wave_or_404(slug)
    try:
        wc, released = _released(wave)
    except svc.CostsError:
        abort(404)
    return download(to_bytes(_plot(wave, wc, released, which)), "image/png")


@bp.get("/waves/<slug>/costs.pdf")
@role_required(*ROLES)
def costs_pdf(slug: str) -> Response:
    from ..services.costs_report import costs_pdf as build

    wave = _wave_or_404(slug)
    try:
        wc, released = _released(wave)
    except svc.CostsError:
        abort(404)
    start, end = wc.window
    lines = [f"Wave {wave.slug}; reference window {start} to {end} (end exclusive); money in {wc.currency}. "
             f"Overtime by each officer's accounting period (roster column accounting_period, default the "
             f"calendar month; norm = contract hours per week / 7 per day); limits of the Labour Code of the "
             f"Republic of Kazakhstan, art. 78: 2 h/day, 12 h/month, "
             f"120 h/year (pro rata). Groups under K = {wave.min_cell} officers and totals that would reveal "
             f"them are suppressed."]
    remove, merge = wc.scenario["remove"], wc.scenario["merge"]
    if remove or merge:
        lines.append("Paperwork scenario: remove " + (", ".join(remove) or "none") + "; merge "
                     + (", ".join(f"{a} + {b}" for a, b in merge) or "none") + ".")
    pngs = [to_bytes(_plot(wave, wc, released, w)) for w in PLOTS
            if w != "paperwork" or released["paperwork_h_per_officer_week"].notna().any()]
    pdf = build(f"Overtime, its cost and paperwork — {wave.title}", lines, released, pngs)
    return download(pdf, "application/pdf", f"costs-{wave.slug}.pdf")
