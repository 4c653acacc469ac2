"""Public pages: landing page, instrument catalogue, reporting rules."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import gettext as _

from ..core.instruments import InstrumentError
from ..services.catalogue import get_catalogue
from . import bp


@bp.get("/")
def index() -> str:
    return render_template("main/index.html")


@bp.get("/instruments")
def instruments() -> tuple[str, int] | str:
    try:
        catalogue = get_catalogue()
    except InstrumentError as exc:
        return render_template("error.html", title=_("Instrument catalogue is invalid"), message=str(exc)), 500
    return render_template("main/instruments.html", catalogue=catalogue)


@bp.get("/reporting-rules")
def reporting_rules() -> str:
    """Generated from the live configuration: the deployment's K and each current wave's own K."""
    from ..models import WaveStatus
    from ..services.waves import list_waves

    waves = list_waves(statuses=[WaveStatus.issued, WaveStatus.open, WaveStatus.closed])
    k = max(int(current_app.config["MIN_CELL_K"]), 5)
    return render_template("main/reporting_rules.html", k=k, waves=waves,
                           ttl=current_app.config["DRAFT_TTL_HOURS"])
