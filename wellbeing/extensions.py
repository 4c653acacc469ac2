"""Flask extensions, created unbound and initialised in :func:`wellbeing.create_app`."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Constraint names are fixed so that Alembic migrations are reproducible (and SQLite batch mode works).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
login_manager = LoginManager()


def _no_default_key() -> str:
    """Flask-Limiter's default key would be the client address (``get_remote_address``), which survey
    routes must never read (DESIGN.md rule 5); every limit here names its own key (wellbeing.throttle)."""
    raise RuntimeError("a rate limit without its own key_func")


limiter = Limiter(key_func=_no_default_key)
babel = Babel()
