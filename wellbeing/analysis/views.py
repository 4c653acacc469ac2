"""Analysis views: thin wrappers around ``services.analysis`` (the ``flask models`` engine).

The request is a set of choices in the query string (waves, outcome scale, exposure, covariates), so
the page, its plots (PNG/SVG) and the report (HTML/PDF) share one URL shape. Fitted analyses are kept
in a small in-process cache keyed by the request and the waves' state; what is cached has already been
through the release check (rule 12), so the cache is no side door.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as WerkzeugResponse

from ..auth.roles import role_required
from ..core.plots import to_bytes
from ..pages import download
from ..services import analysis_report as report
from ..services.analysis import (
    Analysis,
    AnalysisError,
    closed_waves,
    did_platform,
    fit_platform,
    offered,
    waves_signature,
)
from ..services.pilots import PilotError, create_pilot, list_pilots
from ..services.units import regions
from . import bp
from .forms import AnalysisForm, PilotForm

log = logging.getLogger(__name__)

ROLES = ("analyst", "admin")
PILOT_PREFIX = "pilot:"
CACHE_SIZE = 8
_CACHE: OrderedDict[tuple, Analysis] = OrderedDict()
_LOCK = threading.Lock()


def _form(args: MultiDict | None = None) -> AnalysisForm:
    """The analysis form with its choices: closed waves, their common scales, offered exposures."""
    args = MultiDict(args if args is not None else request.args)
    waves = closed_waves()
    if not args.getlist("waves") and "outcome" not in args:   # first visit: every closed wave ticked
        for w in waves:
            args.add("waves", w.slug)
    form = AnalysisForm(args)
    form.waves.choices = [(w.slug, f"{w.slug} · {w.title} ({w.opens} – {w.closes})") for w in waves]
    chosen = [w for w in waves if w.slug in (form.waves.data or [])] or waves
    opts = offered(chosen)
    form.outcome.choices = [(s, s) for s in opts["outcomes"]]
    if not form.outcome.data and "cbi.work" in opts["outcomes"]:
        form.outcome.data = "cbi.work"
    form.exposure.choices = [(e, e.replace("_", " ")) for e in opts["exposures"]] + [
        (f"{PILOT_PREFIX}{p.slug}", _("pilot %(slug)s: difference-in-differences", slug=p.slug))
        for p in list_pilots()]
    if not form.exposure.data:
        form.exposure.data = "shift_pattern"
    form.covariates.choices = [(c, c.replace("_", " ")) for c in opts["covariates"]]
    return form


def _analysis(form: AnalysisForm) -> Analysis:
    """Run (or fetch from the cache) the analysis the validated form asks for."""
    waves = list(form.waves.data or [])
    exposure = form.exposure.data
    covs = tuple(sorted(form.covariates.data or []))
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], tuple(waves), form.outcome.data, exposure, covs,
           waves_signature(waves))
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        if exposure.startswith(PILOT_PREFIX):
            result = did_platform(waves, exposure[len(PILOT_PREFIX):], form.outcome.data)
        else:
            result = fit_platform(waves, form.outcome.data, exposure, list(covs))
        _CACHE[key] = result
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
        return result


def _validated() -> tuple[AnalysisForm, Analysis | None, str | None]:
    form = _form()
    if not request.args.get("outcome"):
        return form, None, None
    if not form.validate():
        return form, None, None
    try:
        return form, _analysis(form), None
    except AnalysisError as exc:
        return form, None, str(exc)


def _query() -> dict[str, Any]:
    return {k: request.args.getlist(k) for k in ("waves", "outcome", "exposure", "covariates")}


@bp.get("/")
@role_required(*ROLES)
def index() -> str | tuple[str, int]:
    form, analysis, error = _validated()
    pilot_form = PilotForm()
    pilot_form.regions.choices = _region_choices()
    status = 400 if error or form.errors else 200
    html = render_template("analysis/index.html", form=form, analysis=analysis, error=error,
                           pilots=list_pilots(), pilot_form=pilot_form, query=_query(),
                           summary=report.summary(analysis) if analysis else [],
                           caveats=report.caveats(analysis) if analysis else [],
                           plots=report.plot_names(analysis) if analysis else (),
                           rep=report.reproduce(analysis) if analysis else None,
                           scale_label=report.scale_label(analysis) if analysis else "")
    return (html, status) if status != 200 else html


def _region_choices() -> list[tuple[str, str]]:
    return [(s, f"{s} · {n}") for s, n in regions()]


@bp.post("/pilots")
@role_required(*ROLES)
def pilot_create() -> WerkzeugResponse | tuple[str, int]:
    form = PilotForm()
    form.regions.choices = _region_choices()
    if form.validate_on_submit():
        try:
            p = create_pilot(form.slug.data, form.regions.data, form.starts.data, title=form.title.data or "")
        except PilotError as exc:
            for problem in exc.problems:
                flash(problem, "error")
        else:
            flash(_("Declared pilot %(slug)s: %(regions)s from %(starts)s.", slug=p.slug, regions=p.regions,
                    starts=p.starts.isoformat()))
            return redirect(url_for("analysis.index"))
    else:
        for name, errors in form.errors.items():
            for e in errors:
                flash(f"{form[name].label.text}: {e}", "error")
    return redirect(url_for("analysis.index"))


@bp.get("/plot/<name>.<fmt>")
@role_required(*ROLES)
def plot(name: str, fmt: str) -> WerkzeugResponse:
    if fmt not in ("png", "svg"):
        abort(404)
    form, analysis, error = _validated()
    if analysis is None or not analysis.released:
        abort(404)
    try:
        fig = report.figure(analysis, name)
    except LookupError:
        abort(404)
    mime = {"png": "image/png", "svg": "image/svg+xml"}[fmt]
    return download(to_bytes(fig, fmt), mime)


@bp.get("/report")
@role_required(*ROLES)
def report_html() -> str | tuple[str, int]:
    form, analysis, error = _validated()
    if analysis is None:
        flash(error or _("Choose the analysis first."), "error")
        return render_template("analysis/index.html", form=form, analysis=None, error=error, pilots=list_pilots(),
                               pilot_form=None, query=_query(), summary=[], caveats=[], plots=(), rep=None,
                               scale_label=""), 400
    return render_template("analysis/report.html", analysis=analysis, query=_query(),
                           summary=report.summary(analysis), caveats=report.caveats(analysis),
                           plots=report.plot_names(analysis), rep=report.reproduce(analysis),
                           scale_label=report.scale_label(analysis), warnings=analysis.warnings())


@bp.get("/report.pdf")
@role_required(*ROLES)
def report_pdf() -> WerkzeugResponse:
    form, analysis, error = _validated()
    if analysis is None:
        abort(400)
    return download(report.report_pdf(analysis), "application/pdf",
                    f"analysis-{analysis.request['outcome']}-{analysis.kind}.pdf")
