"""The officer's anonymous questionnaire (DESIGN.md section 4, rules 1–5).

Survey routes never read the client address, user agent or referrer and never load ``current_user``.
"""

from flask import Blueprint

bp = Blueprint("survey", __name__, url_prefix="/survey")

from . import views  # noqa: E402,F401
