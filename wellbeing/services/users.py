"""Staff accounts (``flask users ...`` and the login page): create, list, disable, authenticate.

Passwords are stored only as Werkzeug hashes. Officers have no accounts (DESIGN.md section 1).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import Role, User

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: Password length limits (characters). NIST SP 800-63B section 3.1.1.2: at least 8, allow at least 64,
#: check against lists of commonly used passwords. The same maximum applies at creation and at login
#: (``auth.forms.LoginForm``), so no account gets a password it cannot type into the login page.
MIN_PASSWORD = 10
MAX_PASSWORD = 128
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "auth" / "common-passwords.txt"
# Checked against when a name is unknown, so that a wrong name and a wrong password take equally long.
_DUMMY_HASH = generate_password_hash("not-a-password")


class UserError(ValueError):
    """A user request was refused; the message names the field and the rule."""


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case), read once."""
    lines = COMMON_PASSWORDS_FILE.read_text("utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problems(name: str, password: str) -> list[str]:
    """Why ``password`` may not be used for the account ``name`` (empty list: it may).

    Rules: :data:`MIN_PASSWORD`..:data:`MAX_PASSWORD` characters; not the user name (ignoring case,
    spaces and punctuation, forwards or reversed); not in :func:`common_passwords`.
    """
    password = password or ""
    if len(password) < MIN_PASSWORD:
        return [f"password: at least {MIN_PASSWORD} characters"]
    if len(password) > MAX_PASSWORD:
        return [f"password: at most {MAX_PASSWORD} characters"]
    bare = re.sub(r"[\W_]+", "", password.lower())
    name_bare = re.sub(r"[\W_]+", "", (name or "").lower())
    if name_bare and bare in (name_bare, name_bare[::-1]):
        return ["password: must not be the user name"]
    if password.lower() in common_passwords() or bare in common_passwords():
        return ["password: one of the most common passwords; choose another"]
    return []


def get_user(name: str) -> User | None:
    return db.session.execute(db.select(User).filter_by(name=name)).scalar_one_or_none()


def user_count() -> int:
    """Staff accounts, active or not."""
    return int(db.session.execute(db.select(db.func.count()).select_from(User)).scalar_one())


def list_users() -> list[User]:
    return list(db.session.execute(db.select(User).order_by(User.name)).scalars())


def create_user(name: str, role: str, password: str) -> User:
    """Create an active staff account. Raises UserError for a bad name, role or password, or a duplicate."""
    problems = []
    if not NAME_RE.match(name or "") or len(name) > 64:
        problems.append(f"name: {name!r} is not a slug (lower-case letters, digits, '-')")
    elif get_user(name) is not None:
        problems.append(f"name: a user {name!r} exists already")
    if role not in Role.__members__:
        problems.append(f"role: {role!r} is not one of {', '.join(Role.__members__)}")
    problems.extend(password_problems(name, password))
    if problems:
        raise UserError("; ".join(problems))
    user = User(name=name, role=Role(role), password_hash=generate_password_hash(password), active=True)
    db.session.add(user)
    db.session.commit()
    return user


def disable_user(name: str) -> User:
    """Stop an account from logging in (its open sessions end at their next request)."""
    user = get_user(name)
    if user is None:
        raise UserError(f"name: no user {name!r}")
    user.active = False
    end_sessions(user)   # its open sessions end at once
    return user


def end_sessions(user: User) -> None:
    """End every session of ``user`` (each cookie issued so far): increments its session version
    (:mod:`wellbeing.auth.sessions`) and commits."""
    user.session_version = (user.session_version or 0) + 1
    db.session.commit()


def user_by_id(uid: int) -> User | None:
    """The account with primary key ``uid``, or None."""
    return db.session.get(User, uid)


def authenticate(name: str, password: str) -> User | None:
    """The active user with this name and password, else None."""
    user = get_user((name or "").strip().lower())
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user
