"""Login and logout forms (Flask-WTF, CSRF-protected)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..forms import LanguageChoices, choices
from ..languages import LANGUAGE_NAMES
from ..services.users import MAX_PASSWORD


class LoginForm(FlaskForm):
    name = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)],
                       render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Log out"))


class LanguageForm(LanguageChoices, FlaskForm):
    """The interface language of staff pages (a cookie; see ``auth.views.language``)."""

    language = SelectField(_l("Interface language"), choices=choices(LANGUAGE_NAMES.items()))
    submit = SubmitField(_l("Save"))
