"""Forms of the survey, built from instrument data (WTForms class per instrument page)."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from ..core.instruments import Instrument
from ..forms import LanguageChoices, choices
from ..languages import LANGUAGE_NAMES
from ..pages import localized


def value_key(v: float) -> str:
    """Form value of a response option: ``100`` not ``100.0``."""
    return str(int(v)) if float(v).is_integer() else str(v)


class CodeForm(LanguageChoices, FlaskForm):
    code = StringField(_l("Access code"), validators=[InputRequired(message=_l("Enter the code from your slip.")),
                                                      Length(max=64)],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    language = SelectField(_l("Language"), choices=choices(LANGUAGE_NAMES.items()))


class LanguageForm(LanguageChoices, FlaskForm):
    language = SelectField(_l("Language"), choices=choices(LANGUAGE_NAMES.items()))


def instrument_form(inst: Instrument, lang: str, data: Mapping[str, float | None] | None = None):  # type: ignore[no-untyped-def]
    """A FlaskForm for one instrument page: one RadioField per item, choices from its response set."""
    key = (inst.source, inst.id, lang)
    form_class = _FORM_CLASSES.get(key)
    if form_class is None:
        form_class = _page_form_class(inst, lang)
        if len(_FORM_CLASSES) >= 256:
            _FORM_CLASSES.clear()
        _FORM_CLASSES[key] = form_class
    if data is None:
        form = form_class()  # bound to the request's form data
    else:
        form = form_class(formdata=None, data={k: value_key(v) for k, v in data.items() if v is not None})
    for it in inst.items:
        getattr(form, it.id).gettext = _choose_offered
    return form


def _choose_offered(_message: str) -> str:
    return _l("Choose one of the offered answers.")  # type: ignore[return-value]


#: Form classes per (instrument source text, id, language): built once per process, not per request.
_FORM_CLASSES: dict[tuple[str, str, str], type[FlaskForm]] = {}


def _page_form_class(inst: Instrument, lang: str) -> type[FlaskForm]:
    """The form class of one instrument page in one language (the fields are unbound declarations, so
    one class serves every request; its instances are per request)."""

    class PageForm(FlaskForm):
        class Meta:
            # CSRFProtect (wellbeing.extensions.csrf) checks every POST before the view runs; the
            # page writes its token itself (survey/page.html), so a second check per form is dropped.
            csrf = False

    for it in inst.items:
        rs = inst.response_sets[it.response_set]
        options = choices((value_key(o.value), localized(o.label, lang)) for o in rs.options)
        validators = ([InputRequired(message=_l("Please answer this question."))] if it.required
                      else [Optional()])
        setattr(PageForm, it.id, RadioField(localized(it.text, lang), choices=options, validators=validators,
                                            validate_choice=True))
    return PageForm
