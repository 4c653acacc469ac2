"""wellbeing: anonymous burnout and work-family surveys for police officers, linked to shift schedules.

:func:`create_app` is the application factory (Flask tutorial style): configuration, then extensions,
then blueprints, then commands. It writes no file; the one read is the key check of sealed answers
(:func:`wellbeing.services.batches.check_keys`), skipped while the database does not exist.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from .config import DEFAULTS, PROJECT_ROOT

log = logging.getLogger(__name__)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask application.

    Configuration order (later wins): :data:`wellbeing.config.DEFAULTS`, ``instance/config.py``,
    ``WELLBEING_*`` environment variables, then ``test_config``. ``WELLBEING_INSTANCE_PATH`` (or
    ``INSTANCE_PATH`` in ``test_config``) moves the instance folder. Without ``DATABASE_URL`` the database is SQLite at
    ``<instance>/wellbeing.sqlite``.

    Raises :class:`wellbeing.services.batches.SealKeyMismatch` when answers still sealed in the
    database were sealed under another ``SEAL_KEY`` (starting would make them unreadable).
    """
    instance_path = ((test_config or {}).get("INSTANCE_PATH") or os.environ.get("WELLBEING_INSTANCE_PATH")
                     or str(PROJECT_ROOT / "instance"))
    app = Flask(__name__, instance_path=os.path.abspath(instance_path), instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(prefix="WELLBEING")
    if test_config is not None:
        app.config.from_mapping(test_config)

    url = app.config.get("DATABASE_URL") or (
        "sqlite:///" + os.path.join(app.instance_path, "wellbeing.sqlite")
    )
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", url)
    if not test_config or "SQLALCHEMY_DATABASE_URI" not in test_config:
        app.config["SQLALCHEMY_DATABASE_URI"] = url

    from . import db_setup, extensions

    extensions.db.init_app(app)
    db_setup.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(PROJECT_ROOT / "migrations"))

    from . import web

    # Before CSRFProtect: its check parses the form, so a staff page's larger upload limit must be set
    # first (else a real roster is refused at the survey's limit before the page's limit applies).
    app.before_request(web.upload_limit)
    extensions.csrf.init_app(app)
    from . import throttle

    throttle.init_app(app)
    web.init_app(app)
    register_blueprints(app)

    from . import cli

    cli.register(app)

    if not app.config.get("SECRET_KEY") and not app.testing:
        log.warning("SECRET_KEY is not set: run `flask --app wellbeing setup` first.")
    if not app.config.get("SEAL_KEY") and not app.testing:
        log.warning("SEAL_KEY is not set: run `flask --app wellbeing setup` first (survey submits fail without it).")

    from .services.batches import check_keys

    with app.app_context():
        check_keys(app)  # refuses to start when sealed answers would not open with this SEAL_KEY
    return app


def register_blueprints(app: Flask) -> None:
    """The officer's pages (``main``, ``survey``), the staff pages (``auth``, ``admin``, ``results``,
    ``schedules``) and the analysts' (``analysis``; roles analyst and admin)."""
    from .admin import bp as admin_bp
    from .analysis import bp as analysis_bp
    from .auth import bp as auth_bp
    from .main import bp as main_bp
    from .results import bp as results_bp
    from .schedules import bp as schedules_bp
    from .survey import bp as survey_bp

    for bp in (main_bp, survey_bp, auth_bp, admin_bp, results_bp, schedules_bp, analysis_bp):
        app.register_blueprint(bp)
