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


def _svg_texts(fig) -> list[str]:  # type: ignore[no-untyped-def]
    import re

    svg = plots.to_bytes(fig, "svg").decode()
    return [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg) if t.strip()]


def test_plot_numbers_use_the_readers_decimal_symbol() -> None:
    """Regression (issue 20 leftover): Russian and Kazakh plots printed "3.5" where the page prints "3,5"."""
    table = pd.DataFrame([{"row": "group A", "mean": 3.5, "ci_low": 3.1, "ci_high": 3.9, "n": 12,
                           "suppressed": False, "reason": ""},
                          {"row": "group B", "mean": 4.2, "ci_low": 3.8, "ci_high": 4.6, "n": 15,
                           "suppressed": False, "reason": ""}])
    ru = _svg_texts(plots.group_means(table, unit="WFC (1–5)", lo=1, hi=5, decimal=","))
    en = _svg_texts(plots.group_means(table, unit="WFC (1–5)", lo=1, hi=5))
    assert "3,5 (n=12)" in ru and "4,2 (n=15)" in ru and "3.5 (n=12)" in en
    assert "1,5" in ru and "1.5" in en                       # the axis ticks too (1, 1.5, 2, ...)
    assert not any("." in t for t in ru if any(ch.isdigit() for ch in t))
    heat = table.assign(scale="wfc", lo=1, hi=5, decimals=1)
    ru_heat = _svg_texts(plots.heatmap(heat, ["group A", "group B"], ["wfc"], decimal=","))
    assert "3,5" in ru_heat and "4,2" in ru_heat
    series = pd.DataFrame([{"wave": w, "row": "all", "mean": m, "ci_low": m - 0.3, "ci_high": m + 0.3, "n": 40}
                           for w, m in (("baseline", 3.5), ("month-1", 3.2))])
    ru_trend = _svg_texts(plots.trend(series, unit="WFC", lo=1, hi=5, decimal=","))
    assert "1,5" in ru_trend and not any("." in t for t in ru_trend if any(ch.isdigit() for ch in t))


def test_each_trend_band_has_its_lines_colour() -> None:
    """Regression: the CI bands took the colour cycle's next colour, so two regions' bands looked alike."""
    from matplotlib.colors import to_rgb

    fig = plots.trend(_series(3), unit="points")
    ax = fig.axes[0]
    lines = [to_rgb(line.get_color()) for line in ax.get_lines()]
    bands = [tuple(c.get_facecolor()[0][:3]) for c in ax.collections]
    assert len(bands) == 3 and bands == lines
