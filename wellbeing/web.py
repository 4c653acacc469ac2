"""Blueprint registration and request-wide hooks."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .main import bp as main_bp

    app.register_blueprint(main_bp)
