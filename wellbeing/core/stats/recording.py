"""Warnings raised while fitting: recorded into a model's ``info["warnings"]`` and logged.

Every warning raised while fitting is recorded — none is swallowed: :class:`WarningRecorder` catches
the warnings of a block into a list, :func:`add_warning` adds one message (each message once).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

logger = logging.getLogger(__name__)


class WarningRecorder:
    """Record every warning raised inside the block into a list (and the log)."""

    def __init__(self, sink: list[str], prefix: str = "") -> None:
        self.sink = sink
        self.prefix = prefix
        self._cm = warnings.catch_warnings(record=True)

    def __enter__(self) -> WarningRecorder:
        self._caught = self._cm.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc: Any) -> None:
        self._cm.__exit__(*exc)
        for w in self._caught:
            msg = f"{self.prefix}{w.category.__name__}: {w.message}"
            if msg not in self.sink:
                self.sink.append(msg)
                logger.warning(msg)


def add_warning(sink: list[str], msg: str) -> None:
    """Append ``msg`` to ``sink`` (a model's ``info["warnings"]``) unless it is there, and log it."""
    if msg not in sink:
        sink.append(msg)
        logger.warning(msg)
