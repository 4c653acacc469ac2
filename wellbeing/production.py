"""Settings for serving in production: a reverse proxy in front, TLS, and survey responses that no
one in between may transform.

Configuration keys (``wellbeing.config.DEFAULTS``; ``WELLBEING_*`` environment variables override):

- ``PROXY_COUNT`` (0): how many reverse proxies stand in front. Only when it is above 0 is
  werkzeug's ``ProxyFix`` installed, trusting that many ``X-Forwarded-For/-Proto/-Host`` values, so a
  client cannot forge them when the app is reached directly. ProxyFix sits *inside*
  :class:`wellbeing.web.StripNetworkIdentity`: survey requests lose the forwarding headers before
  ProxyFix could copy an address into the environ (DESIGN.md section 4, rule 5).
- ``TLS`` (False): the site is served over HTTPS (by gunicorn or by the proxy). Then session and
  remember-me cookies are ``Secure`` and every response carries ``Strict-Transport-Security``
  (``HSTS_MAX_AGE`` seconds, default one year as RFC 6797 section 6.1.1 allows any value; a year is
  the preload list's minimum).

Survey responses get ``Cache-Control: no-store, no-transform``: ``no-transform`` (RFC 9111 section
5.2.2.6) tells proxies not to re-encode them, so the feedback page's padding is never compressed away
into a length that depends on the answers; the proxy configuration in docs/deploy.md switches gzip
off for ``/survey`` too.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response


def wrap_proxy_fix(app: Flask, wsgi_app: Any) -> Any:
    """``wsgi_app`` wrapped in ProxyFix when ``PROXY_COUNT`` > 0, else unchanged."""
    n = int(app.config.get("PROXY_COUNT") or 0)
    if n <= 0:
        return wsgi_app
    return ProxyFix(wsgi_app, x_for=n, x_proto=n, x_host=n)


def _hsts(resp: Response) -> Response:
    max_age = int(current_app.config.get("HSTS_MAX_AGE") or 31_536_000)
    resp.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains")
    return resp


def init_app(app: Flask) -> None:
    """Secure cookies and HSTS under ``TLS`` (survey ``no-transform`` is set in ``wellbeing.web``)."""
    if app.config.get("TLS"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.after_request(_hsts)
