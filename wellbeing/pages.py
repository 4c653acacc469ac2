"""Page helpers shared by every blueprint: the interface languages, the page's language, texts of
per-language tables, labels of stored code words, and locale-aware number and date formatting.

Imports no blueprint (blueprints import this module; the factory registers them). Survey routes may call
:func:`select_locale`: it reads the language cookie and ``Accept-Language`` only (DESIGN.md rule 5).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from babel.numbers import NumberPattern, parse_pattern
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import format_date, format_decimal
from flask_babel import get_locale as babel_locale
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from .core.disclosure import round_half_away
from .languages import LANGUAGES

#: The cookie holding the language chosen on a page (survey start page, staff account page).
LANG_COOKIE = "wb_lang"


def localized(texts: Mapping[str, str] | None, lang: str) -> str:
    """Text of a per-language table in ``lang``, else Russian, else English, else any ("" for none)."""
    if not texts:
        return ""
    for key in (lang, "ru", "en"):
        if texts.get(key):
            return texts[key]
    return next(iter(texts.values()), "")


def select_locale() -> str:
    """Survey and public pages: the language chosen on the page (a cookie), else the browser's
    preference. Staff pages: the same cookie, set on the account page. Never ``current_user`` on
    survey routes. Outside a request (CLI, tasks) English, so that lazy messages can be printed."""
    if not has_request_context():
        return "en"
    offered = deployment_languages()
    lang = getattr(g, "survey_lang", None) or request.cookies.get(LANG_COOKIE)
    if lang in offered:
        return lang
    return request.accept_languages.best_match(offered) or default_language()


def deployment_languages() -> tuple[str, ...]:
    """The languages this deployment offers: the ``LANGUAGES`` setting, in :data:`wellbeing.languages.
    LANGUAGES` order (all of them when the setting names none we have). Outside an app, all."""
    if not has_app_context():
        return LANGUAGES
    wanted = set(current_app.config.get("LANGUAGES") or LANGUAGES)
    return tuple(code for code in LANGUAGES if code in wanted) or LANGUAGES


def default_language() -> str:
    """``DEFAULT_LANGUAGE`` if the deployment offers it, else Russian if offered, else the first offered."""
    offered = deployment_languages()
    lang = current_app.config.get("DEFAULT_LANGUAGE", "ru")
    return lang if lang in offered else ("ru" if "ru" in offered else offered[0])


def loc(texts: Mapping[str, str] | None, lang: str | None = None) -> str:
    """Template filter: the text of a per-language table in the page's language (falls back ru → en)."""
    return localized(texts, lang or select_locale())


#: Words stored as codes (wave status, role, language, a translation's status) and their page labels.
LABELS: dict[str, Any] = {
    "draft": _l("draft"), "issued": _l("issued"), "open": _l("open"), "closed": _l("closed"),
    "admin": _l("administrator"), "psychologist": _l("psychologist"), "analyst": _l("analyst"),
    "kk": _l("Kazakh"), "ru": _l("Russian"), "en": _l("English"), "all": _l("all languages"),
    "original": _l("original"), "validated": _l("validated"), "provisional": _l("provisional translation"),
    "unavailable": _l("unavailable"),
    "group": _l("reporting group"), "department": _l("department"), "region": _l("region"),
    "shift_pattern": _l("shift pattern"), "language": _l("language"), "whole_wave": _l("whole wave"),
    "missing": _l("no answer"),
    # shift patterns (wellbeing.core.patterns)
    "fixed-8h": _l("fixed 8 h days"), "rotating-8h": _l("rotating 8 h"), "4-10": _l("4 × 10 h"),
    "pitman-12h": _l("Pitman 12 h"), "4on4off-12h": _l("4 on, 4 off (12 h)"), "dupont-12h": _l("DuPont 12 h"),
    "continental-12h": _l("continental 12 h (2-2-4)"), "24-72": _l("24/72"),
    "24-48": _l("24/48"), "on-call": _l("day work with on-call weeks"),
}


def label(code: object) -> str:
    """Template filter: the translated label of a stored code word (itself if unknown)."""
    key = str(code.value if hasattr(code, "value") else code)
    text = LABELS.get(key)
    return str(text) if text is not None else key


@lru_cache(maxsize=32)
def _number_pattern(fmt: str) -> NumberPattern:
    return parse_pattern(fmt)


def round_half(value: float | None, decimals: int = 0) -> str:
    """Template filter: round once, half away from zero, then format for the page's locale (Babel's
    pattern for ``#,##0.0…``, parsed once per pattern: the feedback page formats about twenty numbers)."""
    if value is None:
        return "–"
    rounded = round_half_away(value, decimals)
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
    return _number_pattern(fmt).apply(rounded, babel_locale() or "en")


def fint(value: Any) -> str:
    """Template filter: a whole number (count) in the page's locale, with its digit grouping
    ("5,000", "5 000"); "–" for None."""
    if value is None:
        return "–"
    return format_decimal(int(value), format="#,##0")


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


def download(body: bytes | str, mimetype: str, filename: str | None = None) -> Response:
    """An export (CSV, PDF, plot): an attachment named ``filename`` when given, else shown in place.
    Staff blueprints' responses are never cached (``Cache-Control: no-store``, :mod:`wellbeing.web`)."""
    resp = current_app.response_class(body, mimetype=mimetype)
    if filename:
        resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp
