"""Admin views: thin wrappers around the services the CLI uses (units, waves, catalogue)."""

from __future__ import annotations

import base64
import binascii
import io
import logging
from collections import Counter, defaultdict

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from ..auth.roles import role_required
from ..core.instruments import InstrumentError
from ..core.tables import ImportRejected, RowError
from ..extensions import db
from ..models import AccessCode, Unit, UnitLevel, User, Wave, WaveStatus
from ..services import waves as wave_service
from ..services.catalogue import get_catalogue
from ..services.submissions import open_wave_count
from ..services.units import import_units, preview_units
from ..survey.forms import choices
from ..web import label, loc
from . import bp, downloads
from .forms import ActionForm, IssueCodesForm, UnitsImportForm, UnitsUploadForm, WaveForm

log = logging.getLogger(__name__)


def _operator() -> str:
    return f"web:{current_user.name}"


def _wave_or_404(slug: str) -> Wave:
    try:
        return wave_service.get_wave(slug)
    except wave_service.WaveError:
        abort(404)


@bp.get("/")
@role_required("admin")
def index() -> str:
    levels = Counter(str(lv) for (lv,) in db.session.execute(db.select(Unit.level)))
    statuses = Counter(str(s) for (s,) in db.session.execute(db.select(Wave.status)))
    users = db.session.execute(db.select(db.func.count()).select_from(User)).scalar_one()
    return render_template("admin/index.html", levels=levels, statuses=statuses, users=users)


# ------------------------------------------------------------------------------------------ units


def _hierarchy() -> list[dict]:
    """Regions with their departments and units, for the units page."""
    units = list(db.session.execute(db.select(Unit).order_by(Unit.slug)).scalars())
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
    import_form = UnitsImportForm(formdata=None, payload=base64.b64encode(data).decode("ascii"),
                                  delimiter=form.delimiter.data or "", encoding=form.encoding.data)
    return render_template("admin/units_preview.html", rows=rows, errors=errors, form=import_form,
                           filename=form.file.data.filename), (400 if errors else 200)


@bp.post("/units/import")
@role_required("admin")
def units_import() -> WerkzeugResponse | tuple[str, int]:
    form = UnitsImportForm()
    try:
        data = base64.b64decode(form.payload.data or "", validate=True) if form.validate_on_submit() else None
    except (binascii.Error, ValueError):
        data = None
    if not data:
        flash(_("The file did not arrive; upload it again."), "error")
        return redirect(url_for("admin.units"))
    try:
        n = import_units(data, imported_by=_operator(), delimiter=form.delimiter.data or None,
                         encoding=form.encoding.data or "utf-8")
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
        codes = db.session.execute(
            db.select(db.func.count()).select_from(AccessCode).where(AccessCode.wave_id == w.id)).scalar_one()
        rows.append({"wave": w, "codes": codes,
                     "responses": open_wave_count(w) if w.status in (WaveStatus.open, WaveStatus.closed) else None})
    return render_template("admin/waves.html", rows=rows)


def _instrument_choices(form: WaveForm) -> tuple[list[str], list]:
    """Offer the catalogue's instruments that have item text; return (their ids, structure-only ones)."""
    catalogue = get_catalogue()
    offered = [i for i in catalogue.values() if not i.structure_only]
    form.instruments.choices = choices((i.id, f"{loc(i.name)} ({i.id})") for i in offered)
    return [i.id for i in offered], [i for i in catalogue.values() if i.structure_only]


@bp.route("/waves/new", methods=["GET", "POST"])
@role_required("admin")
def wave_new() -> WerkzeugResponse | str | tuple[str, int]:
    form = WaveForm()
    try:
        order, licensed = _instrument_choices(form)
    except InstrumentError as exc:
        return render_template("error.html", title=_("Instrument catalogue is invalid"), message=str(exc)), 500
    if form.validate_on_submit():
        if not form.instruments.data:
            form.instruments.errors.append(_("Choose at least one instrument."))
        else:
            chosen = sorted(form.instruments.data, key=order.index)
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
                return redirect(url_for("admin.wave", slug=wave.slug))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/wave_new.html", form=form, licensed=licensed), status


@bp.get("/waves/<slug>")
@role_required("admin")
def wave(slug: str) -> str:
    w = _wave_or_404(slug)
    planned = wave_service.plan_groups(w) if w.status == WaveStatus.draft and not w.import_only else []
    codes = dict(db.session.execute(
        db.select(AccessCode.group_id, db.func.count()).where(AccessCode.wave_id == w.id)
        .group_by(AccessCode.group_id)).all())
    responses = open_wave_count(w) if w.status in (WaveStatus.open, WaveStatus.closed) else None
    return render_template("admin/wave.html", wave=w, planned=planned, codes=codes, responses=responses,
                           issue_form=IssueCodesForm(), action_form=ActionForm(),
                           downloads=downloads.pending())


@bp.post("/waves/<slug>/issue-codes")
@role_required("admin")
def wave_issue(slug: str) -> WerkzeugResponse | str | tuple[str, int]:
    w = _wave_or_404(slug)
    form = IssueCodesForm()
    if not form.validate_on_submit():
        flash(_("Extra slips: a share between 0 and 1."), "error")
        return redirect(url_for("admin.wave", slug=slug))
    try:
        issued = wave_service.issue_codes(w, extra=float(form.extra.data))
    except wave_service.WaveError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.wave", slug=slug))
    data = downloads.slips_zip(w, issued, url_for("survey.start", _external=True))
    token = downloads.store(data, f"slips-{w.slug}.zip")
    log.info("codes issued for wave %s by %s", w.slug, current_user.name)
    return render_template("admin/issued.html", wave=w, issued=issued, token=token,
                           total=sum(len(g.codes) for g in issued))


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
    resp = send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=filename, max_age=0)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _lifecycle(slug: str, action) -> WerkzeugResponse:  # type: ignore[no-untyped-def]
    w = _wave_or_404(slug)
    if ActionForm().validate_on_submit():
        try:
            action(w)
        except wave_service.WaveError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Wave %(slug)s is %(status)s.", slug=w.slug, status=label(w.status)))
    return redirect(url_for("admin.wave", slug=slug))


@bp.post("/waves/<slug>/open")
@role_required("admin")
def wave_open(slug: str) -> WerkzeugResponse:
    return _lifecycle(slug, wave_service.open_wave)


@bp.post("/waves/<slug>/close")
@role_required("admin")
def wave_close(slug: str) -> WerkzeugResponse:
    def close_then_warm(w):  # type: ignore[no-untyped-def]
        wave_service.close_wave(w, warm=False)
        warm_in_background(current_app._get_current_object(), w.id)  # noqa: SLF001

    return _lifecycle(slug, close_then_warm)


def warm_in_background(app, wave_id: int) -> None:  # type: ignore[no-untyped-def]
    """Compute a closed wave's released tables after the response is sent (the auditor's programs take
    seconds per scale; the admin should not wait, and the first results page then finds them ready)."""
    import threading

    def run() -> None:
        from ..services.results import warm

        with app.app_context():
            wave = db.session.get(Wave, wave_id)
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
