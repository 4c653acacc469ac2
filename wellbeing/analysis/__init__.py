"""Analysis pages (blueprint ``analysis``, roles ``analyst`` and ``admin``): pilots, models, reports.

Every number shown comes from :mod:`wellbeing.services.analysis` (rule 12) and released group rows.
"""

from flask import Blueprint

from ..auth.roles import staff_context

bp = Blueprint("analysis", __name__, url_prefix="/analysis")
bp.context_processor(staff_context)

from . import associations, views  # noqa: E402,F401
