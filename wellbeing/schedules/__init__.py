"""Project-office pages (blueprint ``schedules``, roles ``analyst`` and ``admin``): roster and shift
uploads with a preview and every error, and the released schedule features of each wave.

Every action calls the same service function as the matching ``flask roster`` / ``flask shifts`` /
``flask schedules`` command.
"""

from flask import Blueprint

from ..auth.roles import staff_context

bp = Blueprint("schedules", __name__, url_prefix="/schedules")
bp.context_processor(staff_context)

# The upload size limit of these pages is ``UPLOAD_MAX_BYTES["schedules"]`` (wellbeing.config), set by
# wellbeing.web.upload_limit before the CSRF check reads the form.


from . import costs_views, views, whatif_views  # noqa: E402,F401  (routes register on bp)
