"""Plots of schedule features per reporting group (matplotlib ``Figure`` objects, no pyplot state).

Pure: per-person features and the list of groups allowed to be shown in, a Figure out. The caller
passes only groups released under the minimum-cell rule; the plot never shows an individual value:
boxes are the 25th–75th percentiles with the median, whiskers the 10th and 90th percentiles, and no
outlier points are drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .plots import finish_group_rows, group_rows_figure, reference_line

WHISKERS = (10, 90)   # percentiles of the whiskers (no min/max: those are one officer's values)


def feature_boxplot(persons: pd.DataFrame, feature: str, groups: Sequence[str], *, title: str,
                    xlabel: str, reference: float | None = None, reference_label: str = "",
                    note: str = "") -> Figure:
    """Horizontal box plot of ``persons[feature]`` per group, one row per group in ``groups``.

    Parameters
    ----------
    persons : DataFrame
        Per-person features with a ``group`` column (e.g. :func:`wellbeing.core.schedules.features.compute_features`
        plus the person's reporting group).
    feature : str
        Column to plot (its unit goes in ``xlabel``).
    groups : sequence of str
        Groups to draw, top to bottom (only released groups).
    reference : float, optional
        A threshold drawn as a vertical dashed line (e.g. 48 h/week, EU Directive 2003/88/EC art. 6).
    note : str
        Text under the plot (e.g. how many groups were suppressed).
    """
    groups = list(groups)
    data = [persons.loc[persons["group"] == g, feature].dropna().to_numpy(dtype=float) for g in groups]
    fig, ax = group_rows_figure(len(groups), 1.4)
    if groups:
        ax.boxplot(data, orientation="horizontal", whis=WHISKERS, showfliers=False, widths=0.6,
                   medianprops={"color": "#b03a2e"}, patch_artist=True,
                   boxprops={"facecolor": "#d6e4f0", "edgecolor": "#2c5d8a"})
        ax.set_yticks(np.arange(1, len(groups) + 1), labels=groups, fontsize=7 if len(groups) > 30 else 9)
        ax.invert_yaxis()
    reference_line(ax, reference, reference_label, "#555555")
    if len(groups) > 30:   # a tall plot: the scale on top too
        ax.tick_params(axis="x", labeltop=True)
    return finish_group_rows(fig, ax, title=title, xlabel=xlabel, note=note)

