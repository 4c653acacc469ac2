"""Admin forms (Flask-WTF, CSRF-protected)."""

from __future__ import annotations

import re

from flask_babel import gettext as _
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
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import choices


def known_encoding(form: FlaskForm, field: StringField) -> None:
    """WTForms validator: the encoding field names a codec Python knows (else a 400 naming the field)."""
    import codecs

    from wtforms.validators import ValidationError

    try:
        codecs.lookup(field.data or "")
    except LookupError:
        raise ValidationError(_l("Unknown encoding %(value)s (e.g. utf-8, cp1251).", value=repr(field.data))) from None


DELIMITERS = [("", _l("detect")), (",", _l("comma ,")), (";", _l("semicolon ;")), ("\t", _l("tab"))]


class UnitsUploadForm(FlaskForm):
    file = FileField(_l("Units file (CSV: unit_id,name,parent_id,level,headcount)"),
                     validators=[FileRequired()])
    delimiter = SelectField(_l("Delimiter"), choices=choices(DELIMITERS), default="")
    encoding = StringField(_l("Encoding"), default="utf-8", validators=[DataRequired(), Length(max=32),
                                                                       known_encoding])
    submit = SubmitField(_l("Check the file"))


class UnitsImportForm(FlaskForm):
    """Second step: ``payload`` is the token of the previewed file kept on the server
    (:mod:`wellbeing.uploads`); the other fields only show the options it was checked with."""

    payload = HiddenField(validators=[DataRequired(), Length(max=64)])
    delimiter = HiddenField()
    encoding = HiddenField(default="utf-8")
    submit = SubmitField(_l("Import these units"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AtLeastOne:
    """A multi-checkbox needs at least one ticked box.

    Unlike ``DataRequired`` it sets no ``required`` flag: that flag puts ``required`` on every
    checkbox, so the browser refuses the form unless *all* boxes are ticked.
    """

    field_flags: dict[str, bool] = {}

    def __init__(self, message: str | None = None) -> None:
        self.message = message

    def __call__(self, form: object, field: SelectMultipleField) -> None:
        if not field.data:
            raise StopValidation(self.message or _("Choose at least one."))


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


def order_field_name(instrument_id: str) -> str:
    """The form field holding an instrument's page number (``order_<id>``, identifier-safe)."""
    return "order_" + re.sub(r"\W", "_", instrument_id)


def with_order_fields(form_class: type[FlaskForm], instrument_ids: list[str]) -> type[FlaskForm]:
    """A subclass of ``form_class`` with one page-number field (1–99) per instrument, defaulting to
    the given order: the administrator chooses the question order on the form."""

    class Ordered(form_class):  # type: ignore[valid-type,misc]
        pass

    for pos, iid in enumerate(instrument_ids, start=1):
        setattr(Ordered, order_field_name(iid), IntegerField(
            _l("Page"), default=pos, validators=[Optional(), NumberRange(min=1, max=99)]))
    return Ordered


class OrderForm(FlaskForm):
    """Question order of a draft wave (page-number fields are added by :func:`with_order_fields`)."""

    submit = SubmitField(_l("Save the order"))


class IssueCodesForm(FlaskForm):
    extra = DecimalField(_l("Extra slips per group (share)"), default=0.2, places=2,
                         validators=[NumberRange(min=0, max=1)])
    confirmed = HiddenField()
    submit = SubmitField(_l("Freeze groups and issue codes"))


class ActionForm(FlaskForm):
    """A button-only form (open, close, delete) carrying the CSRF token; ``confirmed`` is set by the
    confirmation page (the first post shows what will happen; CSP allows no script dialog)."""

    confirmed = HiddenField()
    submit = SubmitField()
