"""Form helpers shared by the officer's and the staff's forms (WTForms)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

try:  # WTForms ≥ 3.3 declares choices as SelectChoice; older versions take (value, label) tuples.
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - WTForms < 3.3
    SelectChoice = None  # type: ignore[assignment,misc]


def choices(pairs: Iterable[tuple[str, Any]]) -> list[Any]:
    """(value, label) pairs in the form this WTForms version wants."""
    return [SelectChoice(v, lbl) if SelectChoice else (v, lbl) for v, lbl in pairs]


def language_choices() -> list[Any]:
    """The deployment's languages (:func:`wellbeing.pages.deployment_languages`), each named in itself."""
    from .languages import LANGUAGE_NAMES
    from .pages import deployment_languages

    return choices((code, LANGUAGE_NAMES[code]) for code in deployment_languages())


class LanguageChoices:
    """Form mixin: the form's ``language`` select offers the deployment's languages only (a language
    left out of ``LANGUAGES`` is neither shown nor accepted)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()  # type: ignore[attr-defined]
