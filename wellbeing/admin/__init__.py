"""Administration pages (blueprint ``admin``, role ``admin``): units, waves, code issuance, catalogue.

Every action calls the same service function as the matching ``flask`` command.
"""

from flask import Blueprint

from ..auth.roles import staff_context

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.context_processor(staff_context)

from . import views  # noqa: E402,F401
