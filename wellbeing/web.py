"""Blueprint registration, localisation, security headers and request-wide hooks.

Survey routes (``/survey``) must not learn who is answering (DESIGN.md section 4, rule 5): no client
address, user agent or referrer is read; ``current_user`` is never loaded there (Flask-Login's default
context processor is off); the development server's access log omits the client address.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, g, has_request_context, render_template, request
from flask_babel import format_date, format_decimal
from flask_babel import get_locale as babel_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from .core.disclosure import round_half_away
from .extensions import babel, login_manager

SUPPORTED = ("kk", "ru", "en")
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"


class NoClientAddress(logging.Filter):
    """Blank the client address in werkzeug's access log lines (``<addr> - - [date] "request" status``)
    and hide the request line of survey routes."""

    _ADDR = re.compile(r"^\S+ - - ")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and self._ADDR.match(record.msg):
            record.msg = self._ADDR.sub("- - - ", record.msg, count=1)
            args = record.args
            if isinstance(args, tuple) and args and "/survey" in str(args[0]):
                record.args = ("[survey request]", *args[1:])
        return True


class StripNetworkIdentity:
    """WSGI middleware: requests to survey paths reach Flask without the client's network identity.

    The environ is copied without ``REMOTE_ADDR``, ``REMOTE_PORT``, user agent, referrer and forwarding
    headers, so neither our code nor any library (Werkzeug copies ``REMOTE_ADDR`` into every request
    object; Flask-Login hashes address and agent) can read them (DESIGN.md section 4, rule 5). Only
    ``PATH_INFO`` is read to decide; the removed values are never touched.
    """

    REMOVED = frozenset({"REMOTE_ADDR", "REMOTE_PORT", "REMOTE_HOST", "HTTP_USER_AGENT", "HTTP_REFERER",
                         "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED", "HTTP_CLIENT_IP",
                         "HTTP_TRUE_CLIENT_IP", "HTTP_CF_CONNECTING_IP"})
    PREFIXES = ("/survey",)

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO") or ""
        if path.startswith(self.PREFIXES):
            environ = {k: environ[k] for k in list(environ.keys()) if k not in self.REMOVED}
        return self.app(environ, start_response)


def select_locale() -> str:
    """Survey and public pages: the language chosen on the page (a cookie), else the browser's
    preference. Staff pages: the same cookie, set on the account page. Never ``current_user`` on
    survey routes. Outside a request (CLI, tasks) English, so that lazy messages can be printed."""
    if not has_request_context():
        return "en"
    lang = getattr(g, "survey_lang", None) or request.cookies.get("wb_lang")
    if lang in SUPPORTED:
        return lang
    return request.accept_languages.best_match(SUPPORTED) or default_language()


def default_language() -> str:
    lang = current_app.config.get("DEFAULT_LANGUAGE", "ru")
    return lang if lang in SUPPORTED else "ru"


def loc(texts: Mapping[str, str] | None, lang: str | None = None) -> str:
    """Template filter: the text of a per-language table in the page's language (falls back ru → en)."""
    if not texts:
        return ""
    lang = lang or select_locale()
    for key in (lang, "ru", "en"):
        if texts.get(key):
            return texts[key]
    return next(iter(texts.values()))


#: Words stored as codes (wave status, role, language, a translation's status) and their page labels.
LABELS: dict[str, Any] = {
    "draft": _l("draft"), "issued": _l("issued"), "open": _l("open"), "closed": _l("closed"),
    "admin": _l("administrator"), "psychologist": _l("psychologist"), "analyst": _l("analyst"),
    "kk": _l("Kazakh"), "ru": _l("Russian"), "en": _l("English"), "all": _l("all languages"),
    "original": _l("original"), "validated": _l("validated"), "provisional": _l("provisional translation"),
    "unavailable": _l("unavailable"),
    "group": _l("reporting group"), "department": _l("department"), "region": _l("region"),
    "shift_pattern": _l("shift pattern"), "language": _l("language"),
}


def label(code: object) -> str:
    """Template filter: the translated label of a stored code word (itself if unknown)."""
    key = str(code.value if hasattr(code, "value") else code)
    text = LABELS.get(key)
    return str(text) if text is not None else key


def round_half(value: float | None, decimals: int = 0) -> str:
    """Template filter: round once, half away from zero, then format for the page's locale."""
    if value is None:
        return "–"
    rounded = round_half_away(value, decimals)
    return format_decimal(rounded, format="#,##0" + ("." + "0" * decimals if decimals else ""))


def fnum(value: Any) -> str:
    """Template filter: a published number (e.g. a reference mean) in the page's locale, unrounded."""
    if value is None:
        return "–"
    return format_decimal(value)


def fdate(value: Any) -> str:
    """Template filter: a date in the page's locale (medium format), empty for None."""
    if not value:
        return ""
    return format_date(value, format="medium")


def _security_headers(resp: Response) -> Response:
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("Referrer-Policy", "no-referrer")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    if request.blueprint == "survey":
        # no-transform: proxies must not compress survey pages (their length must not depend on answers)
        resp.headers["Cache-Control"] = "no-store, no-transform"
    return resp


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app, add_context_processor=False)
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, NoClientAddress) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(NoClientAddress())

    app.add_template_filter(loc, "loc")
    app.add_template_filter(round_half, "round_half")
    app.add_template_filter(label, "label")
    app.add_template_filter(fdate, "fdate")
    app.add_template_filter(fnum, "fnum")
    app.add_template_global(lambda: str(babel_locale()), "current_lang")
    app.after_request(_security_headers)
    from . import production

    production.init_app(app)
    # ProxyFix (only when configured) inside StripNetworkIdentity: survey requests never reach it with
    # forwarding headers, so it cannot copy a client address into their environ.
    app.wsgi_app = StripNetworkIdentity(production.wrap_proxy_fix(app, app.wsgi_app))  # type: ignore[method-assign]

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> tuple[str, int]:
        return render_template("error.html", title=_("The form expired"),
                               message=_("The page was open too long or was changed. Go back, reload it "
                                         "and send it again.")), 400

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> tuple[str, int]:
        return render_template("error.html", title=_("Too much data"),
                               message=_("What was sent is larger than any questionnaire page; nothing "
                                         "was stored.")), 413

    from .main import bp as main_bp
    from .survey import bp as survey_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(survey_bp)
    init_staff(app)
    init_analysis(app)


def init_staff(app: Flask) -> None:
    """Staff blueprints (``auth``, ``admin``): login, roles and their own template context."""
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)

    from .results import bp as results_bp

    app.register_blueprint(results_bp)
    from .schedules import bp as schedules_bp

    app.register_blueprint(schedules_bp)


def init_analysis(app: Flask) -> None:
    """The ``analysis`` blueprint (roles analyst and admin): pilots, models, reports."""
    from .analysis import bp as analysis_bp

    app.register_blueprint(analysis_bp)
