"""Public pages: landing page and the instrument catalogue."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from . import views  # noqa: E402,F401
