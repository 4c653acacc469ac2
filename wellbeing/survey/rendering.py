"""Cached HTML fragments of survey pages.

A survey page is the same for every officer but for the options ticked, the CSRF token and any error:
rendering its questions through Jinja and WTForms' widgets for every request was about half of a page
request's CPU (issue 16's profile). Each question is rendered once per process for each (instrument
content hash, language, position, ticked value) from ``survey/_item.html`` and reused; a question
that shows an error, or a ticked value that is not one of its options, is rendered afresh and never
cached. The cache holds no answer of anyone: its keys are the instrument, the position and an option
value, not who ticked it or when.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from flask import current_app
from markupsafe import Markup, escape

from ..core.instruments import Instrument
from ..pages import deployment_languages, localized
from .forms import CodeForm, LanguageForm, value_key

#: Upper bound on cached fragments (each a few hundred bytes): cleared when it would be passed.
MAX_FRAGMENTS = 8192


@dataclass(frozen=True)
class Item:
    """One question as its page shows it: the field name (the item id), the question text, whether an
    answer is required, and the (form value, label) options, in the page's language."""

    id: str
    label: str
    required: bool
    options: tuple[tuple[str, str], ...]


_ITEMS: dict[tuple[str, str], tuple[Item, ...]] = {}
_FRAGMENTS: dict[tuple[object, ...], Markup] = {}


def page_items(inst: Instrument, lang: str) -> tuple[Item, ...]:
    """The questions of ``inst`` in ``lang`` (built once per content hash and language)."""
    key = (inst.content_hash, lang)
    items = _ITEMS.get(key)
    if items is None:
        items = tuple(
            Item(it.id, localized(it.text, lang), bool(it.required),
                 tuple((value_key(o.value), localized(o.label, lang))
                       for o in inst.response_sets[it.response_set].options))
            for it in inst.items)
        if len(_ITEMS) >= 256:
            _ITEMS.clear()
        _ITEMS[key] = items
    return items


def item_html(inst: Instrument, lang: str, index: int, item: Item, value: str | None,
              errors: Sequence[str] = ()) -> Markup:
    """The ``<fieldset>`` of question ``index`` (1-based) with ``value`` ticked (a form value or None)."""
    cacheable = not errors and (value is None or any(v == value for v, _ in item.options))
    key = (inst.content_hash, lang, index, item.id, value)
    if cacheable:
        html = _FRAGMENTS.get(key)
        if html is not None:
            return html
    html = Markup(current_app.jinja_env.get_template("survey/_item.html").render(  # nosec B704 - output of an autoescaped template
        item=item, index=index, value=value, errors=list(errors)))
    if cacheable:
        if len(_FRAGMENTS) >= MAX_FRAGMENTS:
            _FRAGMENTS.clear()
        _FRAGMENTS[key] = html
    return html


def page_html(inst: Instrument, lang: str, values: Mapping[str, str | None],
              errors: Mapping[str, Sequence[str]] | None = None) -> list[Markup]:
    """Every question of ``inst``: ``values`` maps item ids to the ticked form value, ``errors`` to the
    field's error messages."""
    errors = errors or {}
    return [item_html(inst, lang, i, item, values.get(item.id), errors.get(item.id, ()))
            for i, item in enumerate(page_items(inst, lang), start=1)]


def form_values(values: Mapping[str, float | None]) -> dict[str, str | None]:
    """Stored answers (numbers) as form values (``"100"`` not ``"100.0"``)."""
    return {k: value_key(v) if v is not None else None for k, v in values.items()}


def language_select(lang: str) -> Markup:
    """The label and ``<select>`` of the page's language switch with ``lang`` chosen (rendered once per
    language through WTForms; the label is in the page's language, which is ``lang``)."""
    key = ("language", lang, deployment_languages())
    html = _FRAGMENTS.get(key)
    if html is None:
        form = LanguageForm(formdata=None, language=lang, meta={"csrf": False})
        html = Markup(f"{form.language.label} {form.language(form='answers')}")  # nosec B704 - WTForms widgets escape their values
        _FRAGMENTS[key] = html
    return html


def field_errors(form: Iterable) -> dict[str, list[str]]:  # type: ignore[type-arg]
    """Error messages by field name of a validated WTForms form (as text in the page's language)."""
    return {f.name: [str(e) for e in f.errors] for f in form if f.errors}


def code_fields(lang: str) -> Markup:
    """The start page's language and (empty) code fields with ``lang`` chosen, rendered once per
    language from ``survey/_code_fields.html`` (the labels are in the page's language, ``lang``)."""
    key = ("code fields", lang, deployment_languages())
    html = _FRAGMENTS.get(key)
    if html is None:
        form = CodeForm(formdata=None, language=lang, meta={"csrf": False})
        html = Markup(current_app.jinja_env.get_template("survey/_code_fields.html").render(form=form))  # nosec B704 - output of an autoescaped template
        _FRAGMENTS[key] = html
    return html


#: Stand-ins written into a page shell where the per-request parts go (private-use characters: no
#: instrument text or translation contains them, and escaping leaves them as they are).
_CSRF_SLOT = "\ue000csrf\ue000"
_ITEMS_SLOT = "\ue000items\ue000"
_SHELLS: dict[tuple[object, ...], tuple[str, str, str]] = {}


def page_from_shell(key: tuple[object, ...], render: Callable[[str, list[Markup]], str], csrf: str,
                    items: list[Markup]) -> str:
    """A questionnaire page from its shell: everything but the CSRF token and the questions, rendered
    once per ``key`` (instrument hash, language, page, page count, provisional note) by
    ``render(csrf, items)`` with stand-ins, then filled in per request. Only for a page without errors."""
    shell = _SHELLS.get(key)
    if shell is None:
        html = render(_CSRF_SLOT, [Markup(_ITEMS_SLOT)])  # nosec B704 - a fixed placeholder string of this module
        head, _, rest = html.partition(_CSRF_SLOT)
        middle, _, tail = rest.partition(_ITEMS_SLOT)
        if html.count(_CSRF_SLOT) != 1 or html.count(_ITEMS_SLOT) != 1:  # pragma: no cover - template changed
            return render(csrf, items)
        shell = (head, middle, tail)
        if len(_SHELLS) >= 1024:
            _SHELLS.clear()
        _SHELLS[key] = shell
    head, middle, tail = shell
    return head + str(escape(csrf)) + middle + "".join(items) + tail
