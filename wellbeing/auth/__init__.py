"""Staff login and logout (blueprint ``auth``), the role check and the staff template context.

Survey routes never load ``current_user`` (DESIGN.md section 4, rule 5): Flask-Login runs with
``add_context_processor=False`` and :func:`staff_context` is registered only on staff blueprints.
"""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from . import views  # noqa: E402,F401
from .roles import role_required, staff_context  # noqa: E402,F401
