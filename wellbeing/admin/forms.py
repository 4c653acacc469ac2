"""Admin forms (Flask-WTF, CSRF-protected)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from ..survey.forms import choices

DELIMITERS = [("", _l("detect")), (",", _l("comma ,")), (";", _l("semicolon ;")), ("\t", _l("tab"))]


class UnitsUploadForm(FlaskForm):
    file = FileField(_l("Units file (CSV: unit_id,name,parent_id,level,headcount)"),
                     validators=[FileRequired()])
    delimiter = SelectField(_l("Delimiter"), choices=choices(DELIMITERS), default="")
    encoding = StringField(_l("Encoding"), default="utf-8", validators=[DataRequired(), Length(max=32)])
    submit = SubmitField(_l("Check the file"))


class UnitsImportForm(FlaskForm):
    """Second step: the previewed file travels back in a hidden field and is validated again."""

    payload = HiddenField(validators=[DataRequired()])
    delimiter = HiddenField()
    encoding = HiddenField(default="utf-8")
    submit = SubmitField(_l("Import these units"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WaveForm(FlaskForm):
    slug = StringField(_l("Wave id (slug)"), validators=[DataRequired(), Length(max=64),
                       Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("lower-case letters, digits and '-'"))])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    instruments = MultiCheckboxField(_l("Instruments (in page order)"), choices=[])
    opens = DateField(_l("Opens"), validators=[DataRequired()])
    closes = DateField(_l("Closes"), validators=[DataRequired()])
    min_cell = IntegerField(_l("Minimum cell K"), default=5,
                            validators=[DataRequired(), NumberRange(min=5, message=_l("K is at least 5"))])
    window_days = IntegerField(_l("Reference window (days)"), default=90,
                               validators=[DataRequired(), NumberRange(min=7, max=366)])
    units = StringField(_l("Units (ids, comma-separated; empty = all)"), validators=[Optional()])
    submit = SubmitField(_l("Create wave"))


class IssueCodesForm(FlaskForm):
    extra = DecimalField(_l("Extra slips per group (share)"), default=0.2, places=2,
                         validators=[NumberRange(min=0, max=1)])
    submit = SubmitField(_l("Freeze groups and issue codes"))


class ActionForm(FlaskForm):
    """A button-only form (open, close) carrying the CSRF token."""

    submit = SubmitField()
