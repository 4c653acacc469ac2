"""Login and logout pages; the user loader; the safe ``next`` redirect (microblog style)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import throttle
from ..extensions import login_manager
from ..models import Role, User
from ..pages import LANG_COOKIE
from ..services.users import authenticate
from . import bp, sessions
from .forms import LanguageForm, LoginForm, LogoutForm
from .roles import ALL_ROLES, role_required, staff_context

log = logging.getLogger(__name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.session_protection = "basic"

bp.context_processor(staff_context)

HOME = {Role.admin: "admin.index", Role.psychologist: "results.index", Role.analyst: "analysis.index"}


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The active user of a session with the account's current session version and within its time
    limits, or None (see :mod:`wellbeing.auth.sessions`)."""
    return sessions.load(user_id)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (no scheme, no host, not ``//host``), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def home_for(user: User) -> str:
    endpoint = HOME.get(user.role)
    if endpoint and endpoint in current_app.view_functions:
        return url_for(endpoint)
    return url_for("auth.account")


@bp.route("/login", methods=["GET", "POST"])
@throttle.login_per_user
@throttle.login_global
def login() -> WerkzeugResponse | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.validate_on_submit():
        user = authenticate(form.name.data, form.password.data)
        if user is None:
            # The user name (as typed, bounded; %r escapes line breaks), never the password.
            log.warning("failed staff login for user name %r", (form.name.data or "")[:64])
            form.password.errors.append(_("Wrong user name or password, or the account is disabled."))
            return render_template("auth/login.html", form=form), 400
        sessions.start()   # a new session: nothing of the anonymous one (its CSRF token) is kept
        login_user(user)
        log.info("staff login: %s", user.name)
        return redirect(safe_next(form.next.data) or home_for(user))
    return render_template("auth/login.html", form=form), (400 if request.method == "POST" else 200)


@bp.post("/logout")
@role_required(*ALL_ROLES)
def logout() -> WerkzeugResponse:
    if LogoutForm().validate_on_submit():
        sessions.end_all(current_user)   # every copy of this session's cookie stops working
        logout_user()   # sends user_logged_out: the admin blueprint discards pending slip downloads
        session.clear()
        flash(_("You are logged out."))
    return redirect(url_for("auth.login"))




@bp.get("/account")
@role_required(*ALL_ROLES)
def account() -> str:
    """The staff member's account: role, the interface language; landing page for roles whose own pages
    are not built yet."""
    return render_template("auth/account.html", lang_form=LanguageForm(language=get_locale_code()))


@bp.post("/language")
@role_required(*ALL_ROLES)
def language() -> WerkzeugResponse:
    """Set the interface language of staff pages: a ``wb_lang`` cookie (no migration; the language
    belongs to the browser, like the survey's choice)."""
    form = LanguageForm()
    resp = redirect(url_for("auth.account"), code=303)
    if form.validate_on_submit():
        resp.set_cookie(LANG_COOKIE, form.language.data, max_age=365 * 24 * 3600, samesite="Lax",
                        httponly=True, secure=request.is_secure)
        with force_locale(form.language.data):   # said in the language just chosen
            flash(_("The interface language is changed."))
    return resp


def get_locale_code() -> str:
    from flask_babel import get_locale

    loc = get_locale()
    return loc.language if loc is not None else "en"
