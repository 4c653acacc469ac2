"""Plots readable at a glance: no more than MAX_SERIES lines share one plot (issue 20)."""

from __future__ import annotations

import pandas as pd

from wellbeing.core import plots


def _series(n: int) -> pd.DataFrame:
    return pd.DataFrame([{"wave": w, "row": f"region {i:02d}", "mean": 40.0 + i + j, "ci_low": 38.0 + i,
                          "ci_high": 45.0 + i + j, "n": 30}
                         for i in range(n) for j, w in enumerate(("baseline", "month-1", "month-2"))])


def test_few_series_share_one_plot() -> None:
    fig = plots.trend(_series(3), unit="points")
    axes = [a for a in fig.axes if a.get_visible()]
    assert len(axes) == 1 and len(axes[0].get_lines()) == 3


def test_twenty_series_become_small_multiples_with_one_line_each() -> None:
    """Regression: the trend by region drew 20 lines in a 10-colour cycle (two regions per colour)."""
    fig = plots.trend(_series(20), unit="points", title="by region")
    axes = [a for a in fig.axes if a.get_visible()]
    assert len(axes) == 20 and all(len(a.get_lines()) == 1 for a in axes)
    assert [a.get_title() for a in axes] == [f"region {i:02d}" for i in range(20)]
    assert plots.to_bytes(fig, "png")[:8] == b"\x89PNG\r\n\x1a\n"
