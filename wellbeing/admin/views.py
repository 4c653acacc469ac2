"""Admin views: thin wrappers around the services the CLI uses (units, waves, catalogue)."""

from __future__ import annotations

import logging
from collections import defaultdict

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from ..auth.roles import operator, role_required
from ..core.codes import slips_count
from ..core.instruments import InstrumentError
from ..core.tables import ImportRejected, RowError
from ..forms import choices
from ..models import Unit, UnitLevel, Wave, WaveStatus
from ..pages import download, fint, label, loc
from ..services import units as unit_service
from ..services import waves as wave_service
from ..services.catalogue import get_catalogue
from ..services.submissions import open_wave_count, wave_instruments
from ..services.units import import_units, preview_units
from ..services.users import user_count
from ..uploads import claim_form, import_form
from . import bp, downloads
from .forms import (
    ActionForm,
    IssueCodesForm,
    OrderForm,
    UnitsImportForm,
    UnitsUploadForm,
    WaveForm,
    order_field_name,
    with_order_fields,
)

log = logging.getLogger(__name__)


def _wave_or_404(slug: str) -> Wave:
    try:
        return wave_service.get_wave(slug)
    except wave_service.WaveError:
        abort(404)


@bp.get("/")
@role_required("admin")
def index() -> str:
    return render_template("admin/index.html", levels=unit_service.level_counts(),
                           statuses=wave_service.status_counts(), users=user_count())


# ------------------------------------------------------------------------------------------ units


def _hierarchy() -> list[dict]:
    """Regions with their departments and units, for the units page."""
    units = unit_service.all_units()
    children: dict[int | None, list[Unit]] = defaultdict(list)
    for u in units:
        children[u.parent_id].append(u)
    regions = []
    for r in (u for u in units if u.level == UnitLevel.region):
        depts = [{"unit": d, "units": children[d.id]} for d in children[r.id]]
        regions.append({"unit": r, "departments": depts,
                        "n_units": sum(len(d["units"]) for d in depts),
                        "headcount": sum(u.headcount or 0 for d in depts for u in d["units"])})
    return regions


@bp.get("/units")
@role_required("admin")
def units() -> str:
    return render_template("admin/units.html", regions=_hierarchy(), form=UnitsUploadForm())


@bp.post("/units/preview")
@role_required("admin")
def units_preview() -> tuple[str, int] | str:
    form = UnitsUploadForm()
    if not form.validate_on_submit():
        return render_template("admin/units.html", regions=_hierarchy(), form=form), 400
    data = form.file.data.read()
    opts = {"delimiter": form.delimiter.data or None, "encoding": form.encoding.data}
    errors: list[RowError] = []
    rows = []
    try:
        rows = preview_units(data, **opts)
    except ImportRejected as exc:
        errors = exc.errors   # sorted by row
    form_next = None
    if not errors:   # the file stays on the server; the page carries only its token (wellbeing.uploads)
        options = {"delimiter": form.delimiter.data or "", "encoding": form.encoding.data}
        form_next = import_form(UnitsImportForm, data, kind="units", owner=current_user.name, **options)
    return render_template("admin/units_preview.html", rows=rows, errors=errors, form=form_next,
                           filename=form.file.data.filename), (400 if errors else 200)


@bp.post("/units/import")
@role_required("admin")
def units_import() -> WerkzeugResponse | tuple[str, int]:
    form = UnitsImportForm()
    got = claim_form(form, kind="units", owner=current_user.name)
    if got is None:
        flash(_("The file did not arrive; upload it again."), "error")
        return redirect(url_for("admin.units"))
    try:
        n = import_units(got.data, imported_by=operator(), delimiter=got.options.get("delimiter") or None,
                         encoding=got.options.get("encoding") or "utf-8")
    except ImportRejected as exc:
        return render_template("admin/units_preview.html", rows=[], errors=exc.errors, form=None,
                               filename=""), 400
    flash(_("Imported %(n)s units.", n=n))
    return redirect(url_for("admin.units"))


# ------------------------------------------------------------------------------------------ waves


@bp.get("/waves")
@role_required("admin")
def waves() -> str:
    rows = []
    for w in wave_service.list_waves():
        codes = wave_service.code_count(w)
        rows.append({"wave": w, "codes": codes,
                     "responses": open_wave_count(w) if w.status in (WaveStatus.open, WaveStatus.closed) else None})
    return render_template("admin/waves.html", rows=rows)


def _offered() -> tuple[list, list]:
    """The catalogue's instruments that have item text, and the structure-only (licensed) ones."""
    catalogue = get_catalogue()
    return ([i for i in catalogue.values() if not i.structure_only],
            [i for i in catalogue.values() if i.structure_only])


def _page_order(form, ids: list[str]) -> tuple[list[str], str]:  # type: ignore[no-untyped-def]
    """``ids`` sorted by their page-number fields, or ([], the reason) when one lacks a number or two
    share one (the administrator chooses the order; nothing is left to checkbox order)."""
    pos = {iid: getattr(form, order_field_name(iid)).data for iid in ids}
    seen: dict[int, str] = {}
    for iid in ids:
        if pos[iid] is None:
            return [], _("%(id)s: give it a page number.", id=iid)
        if pos[iid] in seen:
            return [], _("%(a)s and %(b)s both have page %(n)s: give each its own page.",
                         a=seen[pos[iid]], b=iid, n=pos[iid])
        seen[pos[iid]] = iid
    return sorted(ids, key=pos.__getitem__), ""


@bp.route("/waves/new", methods=["GET", "POST"])
@role_required("admin")
def wave_new() -> WerkzeugResponse | str | tuple[str, int]:
    try:
        offered, licensed = _offered()
    except InstrumentError as exc:
        return render_template("error.html", title=_("Instrument catalogue is invalid"), message=str(exc)), 500
    form = with_order_fields(WaveForm, [i.id for i in offered])()
    form.instruments.choices = choices((i.id, f"{loc(i.name)} ({i.id})") for i in offered)
    if form.validate_on_submit():
        if not form.instruments.data:
            form.instruments.errors.append(_("Choose at least one instrument."))
        elif (ordered := _page_order(form, list(form.instruments.data)))[1]:
            form.instruments.errors.append(ordered[1])
        else:
            chosen = ordered[0]
            try:
                wave = wave_service.create_wave(
                    form.slug.data, chosen, opens=form.opens.data, closes=form.closes.data,
                    min_cell=form.min_cell.data, window_days=form.window_days.data,
                    units=[u.strip() for u in (form.units.data or "").split(",") if u.strip()],
                    title=form.title.data or "")
            except (wave_service.WaveError, InstrumentError) as exc:
                form.form_errors.extend(str(exc).split("; "))
            else:
                flash(_("Created wave %(slug)s.", slug=wave.slug))
                for iid, langs in wave_service.missing_languages(wave_instruments(wave)).items():
                    flash(_("%(id)s has no text in %(langs)s: officers who choose it see the questions in "
                            "another language.", id=iid, langs=", ".join(label(lang) for lang in langs)), "error")
                return redirect(url_for("admin.wave", slug=wave.slug))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/wave_new.html", form=form, licensed=licensed, order_field=order_field_name,
                           lacking=wave_service.missing_languages(offered)), status


def _order_form(w: Wave):  # type: ignore[no-untyped-def]
    return with_order_fields(OrderForm, [wi.snapshot.instrument_id for wi in w.instruments])()


@bp.get("/waves/<slug>")
@role_required("admin")
def wave(slug: str) -> str:
    w = _wave_or_404(slug)
    planned = wave_service.plan_groups(w) if w.status == WaveStatus.draft and not w.import_only else []
    codes = wave_service.code_counts_by_group(w)
    responses = open_wave_count(w) if w.status in (WaveStatus.open, WaveStatus.closed) else None
    insts = wave_instruments(w)
    return render_template("admin/wave.html", wave=w, planned=planned, codes=codes, responses=responses,
                           issue_form=IssueCodesForm(), action_form=ActionForm(),
                           order_form=_order_form(w), order_field=order_field_name,
                           names={i.id: loc(i.name) for i in insts},
                           lacking=wave_service.missing_languages(insts),
                           deletable=wave_service.deletable(w), downloads=downloads.pending())


@bp.post("/waves/<slug>/order")
@role_required("admin")
def wave_order(slug: str) -> WerkzeugResponse:
    w = _wave_or_404(slug)
    form = _order_form(w)
    ids = [wi.snapshot.instrument_id for wi in w.instruments]
    if not form.validate_on_submit():
        flash(_("Page numbers: whole numbers from 1 to 99."), "error")
        return redirect(url_for("admin.wave", slug=slug))
    order, problem = _page_order(form, ids)
    if problem:
        flash(problem, "error")
        return redirect(url_for("admin.wave", slug=slug))
    try:
        wave_service.set_instrument_order(w, order)
    except wave_service.WaveError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Question order saved: %(order)s.", order=", ".join(order)))
    return redirect(url_for("admin.wave", slug=slug))


def _confirm(w: Wave, action: str, form, **numbers) -> str:  # type: ignore[no-untyped-def]
    """The confirmation step of an irreversible action (CSP forbids an inline script dialog): says what
    will happen and posts the same form again with ``confirmed=1``."""
    form.confirmed.data = "1"
    target = {"issue": "admin.wave_issue", "open": "admin.wave_open", "close": "admin.wave_close",
              "delete": "admin.wave_delete"}[action]
    return render_template("admin/confirm.html", wave=w, action=action, form=form,
                           target=url_for(target, slug=w.slug), **numbers)


@bp.post("/waves/<slug>/issue-codes")
@role_required("admin")
def wave_issue(slug: str) -> WerkzeugResponse | str | tuple[str, int]:
    w = _wave_or_404(slug)
    form = IssueCodesForm()
    if not form.validate_on_submit():
        flash(_("Extra slips: a share between 0 and 1."), "error")
        return redirect(url_for("admin.wave", slug=slug))
    if form.confirmed.data != "1":
        planned = wave_service.plan_groups(w) if w.status == WaveStatus.draft and not w.import_only else []
        n_codes = sum(slips_count(g.size, float(form.extra.data)) for g in planned)
        return _confirm(w, "issue", form, groups=len(planned), n_codes=n_codes)
    try:
        issued = wave_service.issue_codes(w, extra=float(form.extra.data))
    except wave_service.WaveError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.wave", slug=slug))
    data = downloads.slips_zip(w, issued, url_for("survey.start", _external=True))
    token = downloads.store(data, f"slips-{w.slug}.zip")
    log.info("codes issued for wave %s by %s", w.slug, current_user.name)
    return render_template("admin/issued.html", wave=w, issued=issued, token=token,
                           total=sum(len(g.codes) for g in issued),
                           languages=wave_service.wave_languages(w))


@bp.get("/waves/<slug>/slips/<token>")
@role_required("admin")
def wave_slips(slug: str, token: str) -> WerkzeugResponse | tuple[str, int]:
    _wave_or_404(slug)
    got = downloads.take(token)
    if got is None:
        return render_template("error.html", title=_("No such download"),
                               message=_("Slips can be downloaded once, by the session that issued the "
                                         "codes. Plain codes are not kept anywhere else.")), 404
    data, filename = got
    return download(data, "application/zip", filename)


def _lifecycle(slug: str, name: str, action) -> WerkzeugResponse | str:  # type: ignore[no-untyped-def]
    w = _wave_or_404(slug)
    form = ActionForm()
    if form.validate_on_submit():
        if form.confirmed.data != "1":
            return _confirm(w, name, form, n_codes=wave_service.code_count(w),
                            responses=open_wave_count(w) if w.status == WaveStatus.open else None)
        try:
            action(w)
        except wave_service.WaveError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Wave %(slug)s is %(status)s.", slug=w.slug, status=label(w.status)))
    return redirect(url_for("admin.wave", slug=slug))


@bp.post("/waves/<slug>/open")
@role_required("admin")
def wave_open(slug: str) -> WerkzeugResponse | str:
    return _lifecycle(slug, "open", wave_service.open_wave)


@bp.post("/waves/<slug>/close")
@role_required("admin")
def wave_close(slug: str) -> WerkzeugResponse | str:
    def close_then_warm(w):  # type: ignore[no-untyped-def]
        wave_service.close_wave(w, warm=False)
        warm_in_background(current_app._get_current_object(), w.id)  # noqa: SLF001

    return _lifecycle(slug, "close", close_then_warm)


@bp.post("/waves/<slug>/delete")
@role_required("admin")
def wave_delete(slug: str) -> WerkzeugResponse | str:
    w = _wave_or_404(slug)
    form = ActionForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.wave", slug=slug))
    if form.confirmed.data != "1":
        return _confirm(w, "delete", form, n_codes=wave_service.code_count(w))
    try:
        n = wave_service.delete_wave(w)
    except wave_service.WaveError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.wave", slug=slug))
    log.info("wave %s deleted by %s (%d codes destroyed)", slug, current_user.name, n)
    flash(ngettext("Deleted wave %(slug)s; its %(count)s code was destroyed.",
                   "Deleted wave %(slug)s; its %(count)s codes were destroyed.", n, slug=slug, count=fint(n)))
    return redirect(url_for("admin.waves"))


def warm_in_background(app, wave_id: int) -> None:  # type: ignore[no-untyped-def]
    """Compute a closed wave's released tables after the response is sent (the auditor's programs take
    seconds per scale; the admin should not wait, and the first results page then finds them ready)."""
    import threading

    def run() -> None:
        from ..services.results import warm

        with app.app_context():
            wave = wave_service.wave_by_id(wave_id)
            if wave is not None:
                warm(wave)

    threading.Thread(target=run, name=f"warm-wave-{wave_id}", daemon=True).start()


# ------------------------------------------------------------------------------------ instruments


@bp.get("/instruments")
@role_required("admin")
def instruments() -> tuple[str, int] | str:
    """The catalogue, read-only, with licence and language status (reuses the public page's template)."""
    try:
        catalogue = get_catalogue()
    except InstrumentError as exc:
        return render_template("error.html", title=_("Instrument catalogue is invalid"), message=str(exc)), 500
    return render_template("main/instruments.html", catalogue=catalogue)


# ------------------------------------------------------------------------------------ audit log

AUDIT_PAGE = 100


@bp.get("/audit")
@role_required("admin")
def audit() -> str:
    """The audit log of staff actions, newest first, 100 a page (``flask audit list`` prints the same)."""
    from ..services.audit import entries

    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows = entries(limit=AUDIT_PAGE + 1, offset=(page - 1) * AUDIT_PAGE)
    return render_template("admin/audit.html", entries=rows[:AUDIT_PAGE], page=page, more=len(rows) > AUDIT_PAGE)
