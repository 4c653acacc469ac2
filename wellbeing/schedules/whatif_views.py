"""The what-if page (issue 23): the same service as ``flask schedules what-if``; only
:func:`wellbeing.services.whatif.release_what_if` output is shown or plotted."""

from __future__ import annotations

import base64

from flask import render_template, request
from flask_babel import gettext as _

from ..auth.roles import role_required
from ..core.patterns import PATTERNS
from ..core.plots import to_bytes
from ..core.whatif_plots import prediction_plot
from ..services import whatif as svc
from ..services.analysis import closed_waves, common_scales
from ..services.waves import WaveError, get_wave, list_waves
from . import bp
from .forms import WhatIfForm

ROLES = ("analyst", "admin")


@bp.get("/what-if")
@role_required(*ROLES)
def what_if() -> tuple[str, int] | str:
    form = WhatIfForm(request.args)
    waves = list_waves(newest_first=True)
    form.wave.choices = [(w.slug, w.slug) for w in waves if w.groups]
    form.pattern.choices = [(slug, p.name) for slug, p in PATTERNS.items()]
    scales = common_scales(closed_waves())
    form.outcome.choices = [(s, s) for s in scales]
    result, problem, plot = None, None, None
    if request.args and form.validate():
        try:
            r = svc.what_if(form.unit.data.strip(), form.pattern.data, get_wave(form.wave.data), form.outcome.data)
            result = svc.release_what_if(r)
            if result["released"]:
                fig = prediction_plot(
                    result, title=_("%(unit)s: %(pattern)s instead of today’s roster", unit=result["unit"],
                                    pattern=result["pattern"]),
                    xlabel=_("predicted change of %(scale)s (points; bar on total: 95 %% interval)",
                             scale=result["outcome"]),
                    total_label=_("total"), empty_label=_("no released prediction"))
                plot = base64.b64encode(to_bytes(fig)).decode("ascii")
        except (WaveError, svc.WhatIfError) as exc:
            problem = str(exc)
    status = 400 if request.args and (form.errors or problem) else 200
    return render_template("schedules/what_if.html", form=form, result=result, problem=problem, plot=plot,
                           causal_note=svc.CAUSAL_NOTE), status
