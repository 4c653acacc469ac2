"""Project-office views: thin wrappers around the roster, shift and features services the CLI uses."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date
from zoneinfo import available_timezones

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from ..auth.roles import operator, role_required
from ..core.plots import to_bytes
from ..core.schedule_plots import feature_boxplot
from ..core.tables import ImportRejected, RowError
from ..models import Wave
from ..pages import download
from ..services import roster as roster_service
from ..services import waves as wave_service
from ..services.schedules import SUMMARY, FeaturesError, released_csv, released_wave_features, summary_rows
from ..uploads import Stashed, claim_form, import_form
from . import bp
from .forms import ImportForm, RosterUploadForm, ShiftsUploadForm

log = logging.getLogger(__name__)

ROLES = ("analyst", "admin")
PREVIEW_ROWS = 200
SHIFT_KINDS = ("shifts", "shifts-grid", "shifts-weekly", "shifts-generated")
#: Plots of the features page: feature -> (title, axis label, reference line, its label).
PLOTS: dict[str, tuple[str, str, float | None, str]] = {
    "weekly_hours_mean": ("Weekly hours per officer", "net hours worked per week (mean over the window)",
                          48.0, "48 h (EU 2003/88 art. 6)"),
    "night_shifts": ("Night shifts per officer", "shifts with ≥ 3 h in 22:00–06:00, in the window", None, ""),
    "quick_returns": ("Quick returns per officer", "rests under 11 h between shifts, in the window", None, ""),
}


def _import_form(data: bytes, kind: str, **options: str) -> ImportForm:
    return import_form(ImportForm, data, kind=kind, owner=current_user.name, **options)


def _claimed(form: ImportForm, kind: str) -> Stashed | None:
    return claim_form(form, kind=kind, owner=current_user.name)


@bp.get("/")
@role_required(*ROLES)
def index() -> str:
    shift_imports = roster_service.recent_imports(SHIFT_KINDS)
    waves = wave_service.list_waves(newest_first=True)
    return render_template("schedules/index.html", snapshots=roster_service.list_snapshots(),
                           shift_imports=shift_imports, waves=waves)


# ------------------------------------------------------------------------------------------ roster


@bp.get("/roster")
@role_required(*ROLES)
def roster() -> str:
    return render_template("schedules/roster.html", form=RosterUploadForm(),
                           snapshots=roster_service.list_snapshots())


@bp.post("/roster/preview")
@role_required(*ROLES)
def roster_preview() -> tuple[str, int] | str:
    form = RosterUploadForm()
    if not form.validate_on_submit():
        return render_template("schedules/roster.html", form=form,
                               snapshots=roster_service.list_snapshots()), 400
    data = form.file.data.read()
    errors: list[RowError] = []
    frame = None
    try:
        frame = roster_service.preview_roster(data, delimiter=form.delimiter.data or None,
                                              encoding=form.encoding.data)
    except ImportRejected as exc:
        errors = exc.errors
    as_of = form.as_of.data or date.today()
    cells = Counter() if frame is None else Counter(
        zip(frame["unit_id"], frame["shift_pattern"].fillna("all")))
    rows = [] if frame is None else frame.head(PREVIEW_ROWS).to_dict("records")
    return render_template("schedules/roster_preview.html", errors=errors, rows=rows,
                           total=0 if frame is None else len(frame), cells=sorted(cells.items()), as_of=as_of,
                           filename=form.file.data.filename,
                           form=None if errors else _import_form(data, "roster", as_of=as_of.isoformat(),
                                                                 delimiter=form.delimiter.data or "",
                                                                 encoding=form.encoding.data)
                           ), (400 if errors else 200)


@bp.post("/roster/import")
@role_required(*ROLES)
def roster_import() -> WerkzeugResponse | tuple[str, int]:
    got = _claimed(ImportForm(), "roster")
    if got is None:
        flash(_("The file did not arrive; upload it again."), "error")
        return redirect(url_for("schedules.roster"))
    opts = got.options
    try:
        as_of = date.fromisoformat(opts["as_of"]) if opts.get("as_of") else None
        res = roster_service.import_roster(got.data, imported_by=operator(), as_of=as_of,
                                           delimiter=opts.get("delimiter") or None,
                                           encoding=opts.get("encoding") or "utf-8")
    except ImportRejected as exc:
        return render_template("schedules/roster_preview.html", errors=exc.errors, rows=[], total=0, cells=[],
                               as_of=None, filename="", form=None), 400
    except ValueError:
        abort(400)
    if res.unchanged:
        flash(_("This file was imported before; nothing changed."))
    else:
        flash(_("Imported a roster of %(n)s officers.", n=res.rows))
    return redirect(url_for("schedules.roster"))


# ------------------------------------------------------------------------------------------ shifts


@bp.get("/shifts")
@role_required(*ROLES)
def shifts() -> str:
    imports = roster_service.recent_imports(SHIFT_KINDS)
    return render_template("schedules/shifts.html", form=ShiftsUploadForm(), imports=imports)


@bp.post("/shifts/preview")
@role_required(*ROLES)
def shifts_preview() -> tuple[str, int] | str:
    form = ShiftsUploadForm()
    if form.validate_on_submit() and form.timezone.data not in available_timezones():
        form.timezone.errors = [_("Not an IANA time zone (e.g. Asia/Almaty).")]
        return render_template("schedules/shifts.html", form=form, imports=[]), 400
    if not form.validate_on_submit():
        return render_template("schedules/shifts.html", form=form, imports=[]), 400
    data = form.file.data.read()
    errors: list[RowError] = []
    frame = None
    try:
        frame = roster_service.check_shifts(data, timezone=form.timezone.data,
                                            delimiter=form.delimiter.data or None, encoding=form.encoding.data)
    except ImportRejected as exc:
        errors = exc.errors
    rows, summary = [], {}
    if frame is not None and len(frame):
        tz = form.timezone.data
        shown = frame.head(PREVIEW_ROWS)
        rows = [{"person_id": r.person_id, "start": r.start.tz_convert(tz).strftime("%Y-%m-%d %H:%M"),
                 "end": r.end.tz_convert(tz).strftime("%Y-%m-%d %H:%M"), "break_min": r.break_min,
                 "duty_type": r.duty_type, "shift_code": "" if r.shift_code is None else r.shift_code}
                for r in shown.itertuples()]
        summary = {"persons": int(frame["person_id"].nunique()),
                   "first": frame["start"].min().tz_convert(tz).strftime("%Y-%m-%d"),
                   "last": frame["start"].max().tz_convert(tz).strftime("%Y-%m-%d"),
                   "duty": dict(Counter(frame["duty_type"]))}
    return render_template("schedules/shifts_preview.html", errors=errors, rows=rows, summary=summary,
                           total=0 if frame is None else len(frame), filename=form.file.data.filename,
                           form=None if errors else _import_form(data, "shifts", timezone=form.timezone.data,
                                                                 delimiter=form.delimiter.data or "",
                                                                 encoding=form.encoding.data)
                           ), (400 if errors else 200)


@bp.post("/shifts/import")
@role_required(*ROLES)
def shifts_import() -> WerkzeugResponse | tuple[str, int]:
    got = _claimed(ImportForm(), "shifts")
    if got is None or (got.options.get("timezone") or "Asia/Almaty") not in available_timezones():
        flash(_("The file did not arrive; upload it again."), "error")
        return redirect(url_for("schedules.shifts"))
    opts = got.options
    try:
        res = roster_service.import_shifts(got.data, imported_by=operator(),
                                           timezone=opts.get("timezone") or "Asia/Almaty",
                                           delimiter=opts.get("delimiter") or None,
                                           encoding=opts.get("encoding") or "utf-8")
    except ImportRejected as exc:
        return render_template("schedules/shifts_preview.html", errors=exc.errors, rows=[], summary={}, total=0,
                               filename="", form=None), 400
    if res.unchanged:
        flash(_("This file was imported before; nothing changed."))
    else:
        flash(_("Imported %(n)s shift records.", n=res.rows))
    return redirect(url_for("schedules.shifts"))


# ---------------------------------------------------------------------------------------- features


def _wave_or_404(slug: str) -> Wave:
    try:
        return wave_service.get_wave(slug)
    except wave_service.WaveError:
        abort(404)


#: Why a cell of the features table shows "–", in plain words (DESIGN.md rule 7).
DASH_REASONS = {
    "below_k": _l("The group has fewer than K officers on the roster: none of its numbers are shown."),
    "share_below_k": _l("Fewer than K officers are above this threshold, or fewer than K are not: the share "
                        "would tell about those few officers, so it is withheld (the group's means are shown)."),
    "no_value": _l("No officer of the group has a value for this feature in the window."),
}


@bp.get("/waves/<slug>")
@role_required(*ROLES)
def features(slug: str) -> str:
    wave = _wave_or_404(slug)
    try:
        wf, released = released_wave_features(wave)
    except FeaturesError as exc:
        return render_template("schedules/features.html", wave=wave, problem=str(exc), wf=None, rows=[],
                               summary=SUMMARY, plots=PLOTS, suppressed=[])
    rows = summary_rows(released)
    suppressed = [r["group"] for r in rows if r["suppressed"]]
    used = [k for k in DASH_REASONS if any(k in r["reasons"] or (k == r["reason"] and r["suppressed"])
                                           for r in rows)]
    return render_template("schedules/features.html", wave=wave, problem=None, wf=wf, rows=rows,
                           summary=SUMMARY, plots=PLOTS, suppressed=suppressed,
                           dash_reasons={k: DASH_REASONS[k] for k in used},
                           marks={k: i + 1 for i, k in enumerate(used)})


@bp.get("/waves/<slug>.csv")
@role_required(*ROLES)
def features_csv(slug: str) -> Response:
    """The released group-feature table, the same CSV as ``flask schedules features SLUG --format csv``."""
    wave = _wave_or_404(slug)
    try:
        _wf, released = released_wave_features(wave)
    except FeaturesError:
        abort(404)
    return download(released_csv(released), "text/csv", f"schedule-features-{wave.slug}.csv")


@bp.get("/waves/<slug>/plots/<feature>.png")
@role_required(*ROLES)
def feature_plot(slug: str, feature: str) -> Response:
    if feature not in PLOTS:
        abort(404)
    wave = _wave_or_404(slug)
    try:
        wf, released = released_wave_features(wave)
    except FeaturesError:
        abort(404)
    key = (feature, str(get_locale()))
    png = wf.plots.get(key)      # drawn once per release (the cache entry goes with the released table)
    if png is None:
        shown = sorted({g for g, s in zip(released["group"], released["suppressed"]) if not s})
        hidden = len(wf.officers) - len(shown)
        title, xlabel, ref, ref_label = PLOTS[feature]
        note = (_("%(n)s group(s) under K = %(k)s officers are not shown.", n=hidden, k=wave.min_cell)
                if hidden else "")
        fig = feature_boxplot(wf.persons, feature, shown, title=f"{title} — {wave.slug}", xlabel=xlabel,
                              reference=ref, reference_label=ref_label, note=note)
        png = wf.plots[key] = to_bytes(fig)
    return download(png, "image/png")
