"""Request-wide hooks: localisation and template filters, security headers, staff audit, error pages.

Imports no blueprint: the factory (:func:`wellbeing.create_app`) registers them; page helpers shared
by blueprints live in :mod:`wellbeing.pages`.

Survey routes (``/survey``) must not learn who is answering (DESIGN.md section 4, rule 5): no client
address, user agent or referrer is read; ``current_user`` is never loaded there (Flask-Login's default
context processor is off); the development server's access log omits the client address and has no
line at all for survey routes.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, abort, current_app, g, render_template, request
from flask_babel import format_decimal
from flask_babel import get_locale as babel_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from .extensions import babel, login_manager
from .pages import fdate, fint, fnum, label, loc, round_half, select_locale

#: Blueprints whose pages need a staff login (their responses are never cached).
STAFF_BLUEPRINTS = frozenset({"auth", "admin", "results", "schedules", "analysis"})
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
# An SVG export opened on its own is a document under its response's CSP: matplotlib writes its
# presentation as inline `style` attributes and one `<style>` element, which `style-src 'self'` blocks
# (the plot shows as a black box). SVG documents get a policy of their own: inline styles and data:
# images (embedded rasters), nothing else — no script, no fetch, no frame. A PNG opened on its own gets the
# same (the browser's image viewer styles its page inline).
IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"


class NoClientAddress(logging.Filter):
    """Blank the client address in werkzeug's access log lines (``<addr> - - [date] "request" status``)
    and drop the line of a survey route entirely: a line with a time, even without an address or
    request line, can be matched to an answer's place in storage (issue 15)."""

    _ADDR = re.compile(r"^\S+ - - ")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and self._ADDR.match(record.msg):
            args = record.args
            if isinstance(args, tuple) and args and "/survey" in str(args[0]):
                return False
            record.msg = self._ADDR.sub("- - - ", record.msg, count=1)
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


#: Title and message of the app's error pages, by status code.
ERROR_TEXTS: dict[int, tuple[Any, Any]] = {
    400: (_l("Bad request"), _l("The request could not be understood; nothing was stored. Go back and try again.")),
    403: (_l("Not allowed"), _l("Your account may not open this page.")),
    404: (_l("Page not found"), _l("There is no page at this address.")),
    405: (_l("Not allowed here"), _l("This page cannot be used this way; go back and use its form.")),
    500: (_l("Something went wrong"), _l("The server could not complete the request; nothing was stored. "
                                         "Try again later.")),
}


def upload_limit() -> None:
    """``before_request``: raise the request size limit to ``UPLOAD_MAX_BYTES[blueprint]`` for a
    logged-in staff member's POST to a staff blueprint that accepts files; every other request keeps
    ``MAX_CONTENT_LENGTH`` (a questionnaire page). ``current_user`` is loaded only on those blueprints,
    never on survey routes (DESIGN.md rule 5). Refuses (400) a multipart body with a nameless part."""
    if request.method != "POST":
        return
    limit = (current_app.config.get("UPLOAD_MAX_BYTES") or {}).get(request.blueprint)
    if limit:
        from flask_login import current_user

        if current_user.is_authenticated:
            request.max_content_length = int(limit)
    # A multipart part without a name arrives as the key None, which Flask-WTF's CSRF check (and any
    # form) cannot handle: refuse it here, under the limit just set, with the app's 400 page.
    if request.mimetype == "multipart/form-data" and (None in request.form or None in request.files):
        abort(400, description=_("A part of the form has no field name."))


def _security_headers(resp: Response) -> Response:
    resp.headers.setdefault("Content-Security-Policy", IMAGE_CSP if resp.mimetype.startswith("image/") else CSP)
    resp.headers.setdefault("Referrer-Policy", "no-referrer")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    if request.blueprint == "survey":
        # no-transform: a proxy must not compress survey pages (RFC 9111 section 5.2.2.6); padding that
        # hides the feedback page's size would compress away (docs/deploy.md, "Storage and logs").
        resp.headers["Cache-Control"] = "no-store, no-transform"
    elif request.blueprint in STAFF_BLUEPRINTS:
        # Staff pages and exports (CSV, PDF, plots, slips) hold results and personal data: no copy in
        # any browser or proxy cache.
        resp.headers.setdefault("Cache-Control", "no-store")
    return resp


def _audit_actor() -> None:
    """Staff blueprints only: remember who is acting before the view runs (logout forgets the user)."""
    g.audit_actor = None
    if request.blueprint in STAFF_BLUEPRINTS:
        from flask_login import current_user

        if current_user.is_authenticated:
            g.audit_actor = f"web:{current_user.name}"


def _audit_request(resp: Response) -> Response:
    """Staff blueprints only: record the staff action in the audit log (``services.audit``)."""
    if request.blueprint in STAFF_BLUEPRINTS:
        from flask_login import current_user

        from .services.audit import record_request

        actor = getattr(g, "audit_actor", None)
        if actor is None and current_user.is_authenticated:   # just logged in
            actor = f"web:{current_user.name}"
        record_request(actor, resp.status_code)
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
    app.add_template_filter(fint, "fint")
    app.add_template_global(lambda: str(babel_locale()), "current_lang")
    app.after_request(_security_headers)
    app.before_request(_audit_actor)
    app.after_request(_audit_request)
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

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response | HTTPException | tuple[str, int]:
        """The app's own page, in the page's language, for every HTTP error (never Werkzeug's)."""
        if exc.code is None or exc.code < 400:      # routing redirects are HTTPExceptions too
            return exc
        title, message = ERROR_TEXTS.get(exc.code, ERROR_TEXTS[400 if exc.code < 500 else 500])
        if exc.code == 400 and exc.description and exc.description != BadRequest.description:
            message = exc.description             # our own abort(400, description=...) says what was wrong
        resp = exc.get_response()
        if exc.code == 405:
            return render_template("error.html", title=str(title), message=str(message)), 405, \
                {"Allow": resp.headers.get("Allow", "")}
        return render_template("error.html", title=str(title), message=str(message)), exc.code

    @app.errorhandler(500)
    def _server_error(exc: Exception) -> tuple[str, int]:
        title, message = ERROR_TEXTS[500]
        return render_template("error.html", title=str(title), message=str(message)), 500

    @app.errorhandler(429)
    def _too_many(exc: Exception) -> tuple[str, int]:
        return render_template("error.html", title=_("Too many attempts"),
                               message=_("Too many attempts in a short time. Wait a minute and try "
                                         "again.")), 429

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> tuple[str, int]:
        # Never reads request.form/files (they are what is too large); the staff context builds its
        # logout form without form data for the same reason.
        limit = (current_app.config.get("UPLOAD_MAX_BYTES") or {}).get(request.blueprint)
        if limit:
            message = _("The file is larger than the limit of %(mb)s MB; nothing was stored.",
                        mb=format_decimal(round(int(limit) / 2**20, 1)))
        else:
            message = _("What was sent is larger than any questionnaire page; nothing was stored.")
        return render_template("error.html", title=_("Too much data"), message=message), 413
