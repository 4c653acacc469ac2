"""Forest plot of the "what goes with burnout" screen: one row per schedule feature, the single-feature
model's estimate and the joint model's side by side (matplotlib ``Figure``, no pyplot state)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .model_plots import COLOR, GREY

JOINT_COLOR = "#b35806"


def association_forest(table: pd.DataFrame, *, xlabel: str, title: str, single_label: str,
                       joint_label: str) -> Figure:
    """Estimates with 95 % CIs per feature: circles = one model per feature, squares = joint model.

    ``table`` needs ``label`` (feature and its stated unit), ``model`` (``single``/``joint``),
    ``estimate``, ``ci_low``, ``ci_high`` (released rows only; suppressed rows are not drawn). A
    vertical dashed line marks 0 (no association).
    """
    labels = list(dict.fromkeys(table["label"]))
    fig = Figure(figsize=(7.5, max(2.4, 0.55 * len(labels) + 1.6)), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    y_of = {lab: len(labels) - 1 - i for i, lab in enumerate(labels)}
    for model, offset, marker, color in (("single", 0.14, "o", COLOR), ("joint", -0.14, "s", JOINT_COLOR)):
        part = table[table["model"] == model].dropna(subset=["estimate"])
        if part.empty:
            continue
        y = np.array([y_of[lab] + offset for lab in part["label"]])
        est = part["estimate"].to_numpy(float)
        lo, hi = part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float)
        ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt=marker, color=color, ecolor=color, capsize=3, ms=5)
    ax.axvline(0, color=GREY, lw=1, ls="--")
    ax.set_yticks(list(y_of.values()), list(y_of.keys()))
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=11)
    ax.legend(handles=[Line2D([], [], marker="o", color=COLOR, ls="", label=single_label),
                       Line2D([], [], marker="s", color=JOINT_COLOR, ls="", label=joint_label)],
              loc="best", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig
