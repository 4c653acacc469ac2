"""Project-office pages (blueprint ``schedules``, roles ``analyst`` and ``admin``): roster and shift
uploads with a preview and every error, and the released schedule features of each wave.

Every action calls the same service function as the matching ``flask roster`` / ``flask shifts`` /
``flask schedules`` command.
"""

from flask import Blueprint, current_app, request

from ..auth.roles import staff_context

bp = Blueprint("schedules", __name__, url_prefix="/schedules")
bp.context_processor(staff_context)

#: Largest roster or shift file accepted by the upload pages (bytes); the app-wide limit is far
#: smaller (a questionnaire page). Override with ``SCHEDULES_UPLOAD_MAX_BYTES``.
UPLOAD_MAX_BYTES = 32 * 1024 * 1024


@bp.before_request
def _allow_files() -> None:
    request.max_content_length = current_app.config.get("SCHEDULES_UPLOAD_MAX_BYTES", UPLOAD_MAX_BYTES)


from . import views  # noqa: E402,F401
from . import costs_views  # noqa: E402,F401
from . import whatif_views  # noqa: E402,F401
