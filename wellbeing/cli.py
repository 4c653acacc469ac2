"""`flask <noun> <verb>` commands (CLI.md). Each calls the same service function as the web pages."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
