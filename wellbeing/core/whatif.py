"""What a new schedule would change (issue 23), pure: predicted change of a scale from a fitted
feature model, and custom shift patterns for the generator.

Prediction. A linear model ``y = ... + Σ_j β_j x_j`` with group-level schedule features ``x_j`` predicts,
for a change ``Δx`` of the group's features, the change ``Δŷ = Σ_j β_j Δx_j = Δxᵀβ``; its variance from
the coefficients' covariance ``V`` is ``Δxᵀ V Δx`` (exact for a linear combination of the estimates:
the delta method is exact here), and the 95 % interval is ``Δŷ ± z₀.₉₇₅ √(Δxᵀ V Δx)`` with
``z₀.₉₇₅ = 1.959964`` (Wald, as the model's own term intervals). This is **parameter uncertainty only**
and assumes the association is causal: the model was fitted across groups, not on a schedule change.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .patterns import Crew, ShiftPattern, ShiftTemplate

__all__ = ["Prediction", "custom_pattern", "feature_deltas", "parse_shift_spec", "predict_change"]

Z975 = 1.959963984540054
OFF_CODES = {"-", "O", "o", "0"}


@dataclass(frozen=True)
class Prediction:
    """Predicted change of a scale (its units) with a 95 % Wald interval; ``terms``: each feature's part."""

    estimate: float
    std_err: float
    ci_low: float
    ci_high: float
    terms: pd.DataFrame   # feature, delta (feature units), coefficient, contribution


def predict_change(params: Mapping[str, float] | pd.Series, cov: pd.DataFrame,
                   deltas: Mapping[str, float]) -> Prediction:
    """``Δŷ = Σ β_j Δx_j`` with SE ``√(Δxᵀ V Δx)`` over the features in ``deltas``.

    Parameters
    ----------
    params : coefficient per term name (outcome units per feature unit)
    cov : covariance matrix of the coefficients, indexed and columned by term name
    deltas : feature name → change of the group's feature (feature units); every name must be a term

    Raises
    ------
    KeyError
        A feature that is not a term of the model.
    """
    names = list(deltas)
    missing = [n for n in names if n not in params or n not in cov.index]
    if missing:
        raise KeyError(f"not terms of the model: {', '.join(missing)}")
    b = np.array([float(params[n]) for n in names])
    d = np.array([float(deltas[n]) for n in names])
    v = cov.loc[names, names].to_numpy(dtype=float)
    est = float(d @ b)
    se = float(math.sqrt(max(0.0, d @ v @ d)))
    terms = pd.DataFrame({"feature": names, "delta": d, "coefficient": b, "contribution": d * b})
    return Prediction(est, se, est - Z975 * se, est + Z975 * se, terms)


def feature_deltas(current: pd.DataFrame, proposed: pd.DataFrame, features: Sequence[str]) -> dict[str, float]:
    """Change of the group means: ``mean(proposed[f]) - mean(current[f])`` for each feature (NaN skipped)."""
    return {f: float(proposed[f].mean() - current[f].mean()) for f in features}


_SHIFT_RE = __import__("re").compile(r"^\s*([A-Za-z])\s*=\s*(\d{1,2}):(\d{2})\s*\+\s*(\d+(?:\.\d+)?)\s*h?\s*$")


def parse_shift_spec(spec: str) -> tuple[str, ShiftTemplate]:
    """``"D=07:00+12h"`` → ``("D", ShiftTemplate(07:00, 12 h))``. Raises ValueError with the reason."""
    m = _SHIFT_RE.match(spec)
    if not m:
        raise ValueError(f"{spec!r}: write CODE=HH:MM+HOURSh, e.g. D=07:00+12h")
    code, hh, mm, hours = m.group(1), int(m.group(2)), int(m.group(3)), float(m.group(4))
    if hh > 23 or mm > 59 or not 0 < hours <= 36:
        raise ValueError(f"{spec!r}: clock time 00:00-23:59 and 0 < hours <= 36")
    return code, ShiftTemplate(dt.time(hh, mm), hours)


def custom_pattern(sequence: str, shifts: Sequence[str], crews: int | None = None) -> ShiftPattern:
    """A pattern from a day sequence (one character a day; ``O`` or ``-`` = off) and shift specs.

    The crews are staggered evenly: ``crews`` (default: the sequence length divided by the number of
    distinct shift codes, e.g. 8 / 2 = 4 for ``DDNNOOOO``, which covers each day and night once)
    start the cycle ``len // crews`` days apart.

    Raises
    ------
    ValueError
        Empty sequence, a code without a shift spec, a bad spec, or a crew count not dividing the
        sequence.
    """
    seq = sequence.strip()
    if not seq:
        raise ValueError("--sequence is empty")
    templates = dict(parse_shift_spec(s) for s in shifts)
    codes = [c for c in seq if c not in OFF_CODES]
    unknown = sorted(set(codes) - set(templates))
    if unknown:
        raise ValueError(f"--sequence uses {', '.join(unknown)} without a --shift CODE=HH:MM+HOURSh")
    if not codes:
        raise ValueError("--sequence has no working day")
    n = crews or max(1, len(seq) // len(set(codes)))
    if len(seq) % n:
        raise ValueError(f"{n} crews do not divide a {len(seq)}-day sequence")
    cycle = tuple("-" if c in OFF_CODES else c for c in seq)
    step = len(seq) // n
    return ShiftPattern(f"custom:{seq}", f"custom {seq}", templates, tuple(Crew(cycle, i * step) for i in range(n)))
