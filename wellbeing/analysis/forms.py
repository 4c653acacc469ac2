"""Analysis forms: choices only, never free formula text."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Form, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from ..admin.forms import AtLeastOne, MultiCheckboxField


class AnalysisForm(Form):
    """The analysis request (GET, no CSRF: it changes nothing). Choices are filled by the view."""

    waves = MultiCheckboxField(_l("Waves (closed)"), validators=[AtLeastOne()])
    outcome = SelectField(_l("Outcome scale"), validators=[DataRequired()])
    exposure = SelectField(_l("Exposure"), validators=[DataRequired()])
    covariates = MultiCheckboxField(_l("Covariates"))


class PilotForm(FlaskForm):
    slug = StringField(_l("Pilot slug"), validators=[DataRequired(), Length(max=64),
                                                    Regexp(r"^[a-z0-9][a-z0-9-]*$",
                                                           message=_l("lower-case letters, digits and '-'"))])
    title = StringField(_l("Title"), validators=[Length(max=200)])
    regions = MultiCheckboxField(_l("Pilot regions"), validators=[AtLeastOne()])
    starts = DateField(_l("Pilot starts"), validators=[DataRequired()])
    submit = SubmitField(_l("Declare the pilot"))
