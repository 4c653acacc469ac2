"""Project-office forms (Flask-WTF, CSRF-protected)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..admin.forms import DELIMITERS, known_encoding
from ..forms import choices


class RosterUploadForm(FlaskForm):
    file = FileField(_l("Roster file (CSV: person_id,unit_id,shift_pattern,position,contract_hours_week)"),
                     validators=[FileRequired()])
    as_of = DateField(_l("Roster as of (default: today)"), validators=[Optional()])
    delimiter = SelectField(_l("Delimiter"), choices=choices(DELIMITERS), default="")
    encoding = StringField(_l("Encoding"), default="utf-8", validators=[DataRequired(), Length(max=32),
                                                                       known_encoding])
    submit = SubmitField(_l("Check the file"))


class ShiftsUploadForm(FlaskForm):
    file = FileField(_l("Shift records (CSV: person_id,start,end,break_min,duty_type,shift_code)"),
                     validators=[FileRequired()])
    timezone = StringField(_l("Time zone of local times"), default="Asia/Almaty",
                           validators=[DataRequired(), Length(max=64)])
    delimiter = SelectField(_l("Delimiter"), choices=choices(DELIMITERS), default="")
    encoding = StringField(_l("Encoding"), default="utf-8", validators=[DataRequired(), Length(max=32),
                                                                       known_encoding])
    submit = SubmitField(_l("Check the file"))


class ImportForm(FlaskForm):
    """Second step: ``payload`` is the token of the previewed file kept on the server
    (:mod:`wellbeing.uploads`); the other fields only show the options it was checked with."""

    payload = HiddenField(validators=[DataRequired(), Length(max=64)])
    as_of = HiddenField()
    timezone = HiddenField()
    delimiter = HiddenField()
    encoding = HiddenField(default="utf-8")
    submit = SubmitField(_l("Import"))


class CostFileForm(FlaskForm):
    """A pay-rates file or a paperwork register (issue 22); checked, stored only when valid."""

    file = FileField(_l("CSV file"), validators=[FileRequired()])
    delimiter = SelectField(_l("Delimiter"), choices=choices(DELIMITERS), default="")
    encoding = StringField(_l("Encoding"), default="utf-8", validators=[DataRequired(), Length(max=32)])
    submit = SubmitField(_l("Check and store"))


class WhatIfForm(FlaskForm):
    """The what-if request (GET; no state changes, so no CSRF token)."""

    class Meta:
        csrf = False

    wave = SelectField(_l("Wave (reference window and groups)"), validators=[DataRequired()])
    unit = StringField(_l("Unit id"), validators=[DataRequired(), Length(max=64)])
    pattern = SelectField(_l("Proposed shift pattern"), validators=[DataRequired()])
    outcome = SelectField(_l("Scale"), validators=[DataRequired()])
    submit = SubmitField(_l("Predict"))
