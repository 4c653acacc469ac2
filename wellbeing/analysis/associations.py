"""The project office's "what goes with burnout" screen: each scale's association with each schedule
feature (one model per feature and a joint model), a forest plot, and a CSV of the table.

Thin views over :func:`wellbeing.services.associations.associations` (every model passes rule 12
there). Results are kept in a small in-process cache keyed by the request and the waves' state, as the
analysis page does; what is cached has already been released.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as WerkzeugResponse

from ..auth.roles import role_required
from ..core.association_plots import association_forest
from ..core.csv_cells import frame_csv
from ..core.plots import to_bytes
from ..pages import download
from ..services.analysis import AnalysisError, closed_waves, common_scales, waves_signature
from ..services.associations import ASSOCIATION_COLUMNS, Associations, associations
from ..services.features import EXPOSURES
from . import bp
from .views import ROLES

CACHE_SIZE = 8
_CACHE: OrderedDict[tuple, Associations] = OrderedDict()
_LOCK = threading.Lock()

#: Plain words shown with every table (DESIGN.md section 6; services.associations.PLAIN_WORDS in English).
PLAIN_WORDS = (
    _l("Association, not proof of cause. Officers were not assigned their schedules at random: groups with "
       "more night work may differ in other ways (duties, staffing, region) that also affect burnout."),
    _l("The features belong to reporting groups, not to officers: the comparison is between groups, so the "
       "information comes from the number of groups, and a group-level association need not hold for each "
       "officer."),
    _l("What the design can tell: whether groups whose rosters show more of a feature report more (or less) "
       "burnout, allowing for differences between unit pools and waves, and how precisely."),
    _l("What it cannot tell: whether changing the feature would change burnout, or which of several features "
       "that move together (night hours, night shifts, 24-hour duties) matters; the joint model tries to "
       "separate them and its intervals say how well it can."),
    _l("Many tests: p-values are adjusted over the features (Holm: family-wise error; Benjamini–Hochberg: "
       "false discovery rate)."),
)
REASON_WORDS = {
    "model_refused": _l("not released: the model has fewer than 10 residual degrees of freedom or a factor "
                        "level with fewer than K respondents (reporting rule 12), or its estimates with the "
                        "published tables would pin a withheld cell (joint auditor)"),
    "no_variation": _l("every released group has the same value of this feature, so no association can be "
                       "estimated"),
    "not_estimable": _l("the model could not be fitted (the features move together too closely to be told "
                        "apart)"),
}


def _request() -> tuple[list[str], str | None]:
    waves = closed_waves()
    chosen = [w for w in request.args.getlist("waves") if w] or [w.slug for w in waves]
    return chosen, request.args.get("outcome") or None


def _result(waves: list[str], outcome: str) -> Associations:
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], tuple(waves), outcome, waves_signature(waves))
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        res = associations(waves, outcome)
        _CACHE[key] = res
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
        return res


@bp.get("/associations")
@role_required(*ROLES)
def associations_page() -> str | tuple[str, int]:
    all_waves = closed_waves()
    chosen, outcome = _request()
    known = {w.slug for w in all_waves}
    scales = common_scales([w for w in all_waves if w.slug in chosen]) if chosen else []
    result, error = None, None
    if outcome:
        if not set(chosen) <= known or outcome not in scales:
            error = _("Choose closed waves and a scale they all carry.")
        else:
            try:
                result = _result(chosen, outcome)
            except AnalysisError as exc:
                error = str(exc)
    html = render_template("analysis/associations.html", waves=all_waves, chosen=chosen, scales=scales,
                           outcome=outcome or ("cbi.work" if "cbi.work" in scales else None), result=result,
                           error=error, plain_words=PLAIN_WORDS, reasons=REASON_WORDS, exposures=EXPOSURES)
    return (html, 400) if error else html


def _released_or_404() -> Associations:
    chosen, outcome = _request()
    if not outcome:
        abort(404)
    try:
        return _result(chosen, outcome)
    except AnalysisError:
        abort(404)


@bp.get("/associations/forest.png")
@role_required(*ROLES)
def associations_plot() -> WerkzeugResponse:
    res = _released_or_404()
    t = res.for_plot()
    fig = association_forest(t, xlabel=_("difference in %(scale)s, points, per stated unit", scale=res.scale),
                             title=_("What goes with %(scale)s (95%% CI)", scale=res.scale),
                             single_label=_("one model per feature"), joint_label=_("joint model"))
    return download(to_bytes(fig, "png"), "image/png")


@bp.get("/associations.csv")
@role_required(*ROLES)
def associations_csv() -> WerkzeugResponse:
    res = _released_or_404()
    return download(frame_csv(res.table, ASSOCIATION_COLUMNS), "text/csv", f"associations-{res.scale}.csv")
