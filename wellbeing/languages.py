"""The interface languages (DESIGN.md: Kazakh, Russian, English): the one list. Forms, the page's
language (:mod:`wellbeing.pages`) and the deployment's default ``LANGUAGES`` setting read it."""

from __future__ import annotations

#: Language code -> its name in its own language, in the order forms offer them.
LANGUAGE_NAMES: dict[str, str] = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
LANGUAGES: tuple[str, ...] = tuple(LANGUAGE_NAMES)
