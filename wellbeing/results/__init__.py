"""Cohort results for psychologists (blueprint ``results``): released tables, plots, exports.

Every number shown here comes from :mod:`wellbeing.services.results` (disclosure control); there is
no other path to the scores from these pages.
"""

from flask import Blueprint

from ..auth.roles import staff_context

bp = Blueprint("results", __name__, url_prefix="/results")
bp.context_processor(staff_context)

from . import views  # noqa: E402,F401
