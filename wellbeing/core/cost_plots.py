"""Plots of the released costs tables (matplotlib ``Figure`` objects, no pyplot state).

Pure: released rows in (numbers already through :func:`wellbeing.services.costs.release_costs`), a
Figure out. Suppressed groups are not drawn; the caller says how many in ``note``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from .plots import finish_group_rows, group_rows_figure, reference_line

__all__ = ["group_bars"]


def group_bars(labels: Sequence[str], values: Sequence[float], *, title: str, xlabel: str,
               reference: float | None = None, reference_label: str = "", note: str = "",
               second: Sequence[float | None] | None = None, second_label: str = "") -> Figure:
    """Horizontal bars, one per released group (top to bottom in ``labels`` order).

    ``reference`` draws a dashed vertical line (e.g. 12 h/month, KZ Labour Code art. 78). ``second``
    adds a marker per group on a twin axis (e.g. the survey's share answering "half of the time or
    more", %); None values are not drawn.
    """
    labels = list(labels)
    n = len(labels)
    fig, ax = group_rows_figure(n, 1.5)
    y = np.arange(n)
    if n:
        ax.barh(y, [float(v) for v in values], color="#9cc3e4", edgecolor="#2c5d8a", height=0.65)
        ax.set_yticks(y, labels=labels, fontsize=7 if n > 30 else 9)
        ax.invert_yaxis()
    reference_line(ax, reference, reference_label, "#b03a2e")
    if second is not None and n and any(v is not None for v in second):
        tw = ax.twiny()
        pts = [(v, i) for i, v in enumerate(second) if v is not None]
        tw.plot([p[0] for p in pts], [p[1] for p in pts], "D", color="#7d3c98", markersize=4, label=second_label)
        tw.set_xlim(0, 100)
        tw.set_xlabel(second_label, color="#7d3c98", fontsize=9)
        tw.tick_params(axis="x", colors="#7d3c98")
        ax.set_ylim(n - 0.5, -0.5)   # the twin's points must not stretch the shared y axis
    return finish_group_rows(fig, ax, title=title, xlabel=xlabel, note=note)
