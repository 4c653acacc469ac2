"""Bands of schedule features for storing them as banded context answers (DESIGN.md section 7)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Band:
    """A labelled range: values above the previous band's ``upper`` and up to this ``upper``."""

    label: str
    upper: float


#: Night hours per week: 0 / 1-8 / 9-16 / > 16 (DESIGN.md section 7).
NIGHT_HOURS_BANDS = (Band("0", 0), Band("1–8", 8), Band("9–16", 16), Band(">16", math.inf))


#: Weekly hours: up to 40 (KZ art. 68) / 41-48 (EU 2003/88 art. 6) / 49-60 / > 60.
WEEKLY_HOURS_BANDS = (Band("≤40", 40), Band("41–48", 48), Band("49–60", 60), Band(">60", math.inf))


#: Quick returns per week: 0 / 1 / 2 or more.
QUICK_RETURNS_BANDS = (Band("0", 0), Band("1", 1), Band("2+", math.inf))


#: Mean shift length: up to 8 h / 8-10 / 10-12 / over 12 h (HSE HSG256: > 12 h is long).
SHIFT_LENGTH_BANDS = (Band("≤8", 8), Band("8–10", 10), Band("10–12", 12), Band(">12", math.inf))


def band(values: Sequence[float] | pd.Series, bands: Sequence[Band]) -> pd.Series:
    """Map values to band labels: the first band whose ``upper`` the value does not exceed.

    Returns an ordered categorical Series (NaN stays missing). Example: with
    :data:`NIGHT_HOURS_BANDS`, 0 -> "0", 0.5 -> "1–8", 8 -> "1–8", 8.5 -> "9–16", 17 -> ">16".
    """
    v = pd.Series(values, dtype=float)
    uppers = np.array([b.upper for b in bands])
    labels = [b.label for b in bands]
    idx = np.searchsorted(uppers, v.to_numpy(), side="left")
    codes = np.where(v.isna().to_numpy(), -1, np.minimum(idx, len(bands) - 1)).astype(np.int64)
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(labels), ordered=True),
                     index=v.index)
