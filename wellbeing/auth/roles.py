"""``role_required(*roles)`` for staff views and the staff-only template context processor."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from ..extensions import login_manager
from ..models import Role

F = TypeVar("F", bound=Callable[..., Any])
ALL_ROLES: tuple[str, ...] = tuple(Role.__members__)


def operator() -> str:
    """The logged-in staff member as the audit log and import records name them (``web:<name>``)."""
    return f"web:{current_user.name}"


def role_required(*roles: str) -> Callable[[F], F]:
    """Let a view run only for a logged-in, active user holding one of ``roles``.

    Anonymous visitors are sent to the login page (Flask-Login's ``unauthorized``); a logged-in user
    with another role gets 403. The roles are kept on the view as ``required_roles`` so that a test can
    check every staff route of the URL map.
    """
    unknown = set(roles) - set(ALL_ROLES)
    if not roles or unknown:
        raise ValueError(f"role_required: unknown or no roles {sorted(unknown)}")

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if str(current_user.role) not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = tuple(roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


def staff_context() -> dict[str, Any]:
    """Template context of staff pages: the logged-in user (or None). Registered per staff blueprint,
    never on the app, so that survey and public pages never load ``current_user``."""
    from .forms import LogoutForm

    user = current_user if current_user.is_authenticated else None
    # formdata=None: the form only renders; reading request.form here would parse the request body
    # again inside the 413/CSRF error handlers (and raise there).
    return {"staff_user": user, "logout_form": LogoutForm(formdata=None) if user else None}
