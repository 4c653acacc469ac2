"""Administration pages (blueprint ``admin``, role ``admin``): units, waves, code issuance, catalogue.

Every action calls the same service function as the matching ``flask`` command.
"""

from typing import Any

from flask import Blueprint
from flask_login import user_logged_out

from ..auth.roles import staff_context

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.context_processor(staff_context)


@user_logged_out.connect
def _discard_downloads(sender: Any, **extra: Any) -> None:
    """Logging out deletes the session's slips not yet downloaded (plain codes must not linger)."""
    from .downloads import discard_session_downloads

    discard_session_downloads()

from . import views  # noqa: E402,F401
