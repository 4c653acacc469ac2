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
