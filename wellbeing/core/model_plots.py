"""Plots of model results: forest plot, estimated means, feature-vs-score bubbles, event study.

Pure matplotlib (``Figure`` objects, no pyplot state), DejaVu Sans (shipped with matplotlib, covers
Cyrillic and Kazakh letters), so no output depends on fonts the machine happens to have (DESIGN.md
section 8). Every plot takes released numbers only (term tables, marginal means, released group rows);
axes carry labels with units, and n is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import rcParams
from matplotlib.figure import Figure

FONT = "DejaVu Sans"
COLOR = "#0b5cad"
TREATED = "#b3261e"
GREY = "#8c959f"
rcParams["pdf.fonttype"] = 42       # embed TrueType (DejaVu Sans) in PDFs: text stays text
rcParams["svg.fonttype"] = "none"


def _figure(width: float = 7.0, height: float = 4.0) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=9)
    for item in [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels(), *ax.get_yticklabels()]:
        item.set_fontfamily(FONT)


def forest_plot(terms: pd.DataFrame, *, xlabel: str, title: str, n: int | None = None,
                exclude: Sequence[str] = ("Intercept",)) -> Figure:
    """Estimates with confidence intervals, one row per term, a vertical line at 0.

    ``terms`` needs ``term, estimate, ci_low, ci_high``; ``xlabel`` names the unit (e.g. "difference
    in CBI work burnout, points (0–100)").
    """
    t = terms[~terms["term"].isin(list(exclude))].dropna(subset=["estimate"]).iloc[::-1]
    fig = _figure(7.0, max(2.2, 0.45 * len(t) + 1.4))
    ax = fig.add_subplot()
    y = np.arange(len(t))
    est = t["estimate"].to_numpy(float)
    lo, hi = t["ci_low"].to_numpy(float), t["ci_high"].to_numpy(float)
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", color=COLOR, ecolor=COLOR, capsize=3)
    ax.axvline(0, color=GREY, lw=1, ls="--")
    ax.set_yticks(y, list(t["term"]))
    ax.set_xlabel(xlabel)
    ax.set_title(title + (f" (n = {n:,})" if n is not None else ""), fontsize=11)
    _style(ax)
    return fig


def means_plot(means: pd.DataFrame, *, level: str, ylabel: str, title: str) -> Figure:
    """Estimated marginal means with 95 % CIs per level (``level`` column), n under each label."""
    m = means.reset_index(drop=True)
    fig = _figure(7.0, 4.0)
    ax = fig.add_subplot()
    x = np.arange(len(m))
    est = m["estimate"].to_numpy(float)
    ax.errorbar(x, est, yerr=[est - m["ci_low"].to_numpy(float), m["ci_high"].to_numpy(float) - est],
                fmt="o", color=COLOR, capsize=4)
    ax.set_xticks(x, [f"{lv}\nn = {int(n):,}" for lv, n in zip(m[level], m["n"])])
    ax.set_ylabel(ylabel)
    ax.set_xlabel(level.replace("_", " "))
    ax.set_title(title, fontsize=11)
    _style(ax)
    return fig


def bubble_plot(rows: pd.DataFrame, *, x: str, ylabel: str, title: str, xlabel: str | None = None,
                seed: int = 0) -> Figure:
    """Released group means (``mean``) against a group attribute ``x``; bubble area ∝ n.

    ``x`` numeric (a schedule feature) → scatter; categorical (shift pattern) → one column per
    level with a small deterministic horizontal spread. Only released (not suppressed) rows may be
    passed.
    """
    fig = _figure(7.0, 4.2)
    ax = fig.add_subplot()
    r = rows.dropna(subset=["mean"])
    size = 8 + 0.9 * r["n"].to_numpy(float)
    if len(r) and pd.api.types.is_numeric_dtype(r[x]):
        ax.scatter(r[x], r["mean"], s=size, alpha=0.45, color=COLOR, edgecolor="white")
        ax.set_xlabel(xlabel or x)
    else:
        levels = sorted(r[x].astype(str).unique())
        pos = {lv: i for i, lv in enumerate(levels)}
        rng = np.random.default_rng(seed)
        xs = r[x].astype(str).map(pos).to_numpy(float) + rng.uniform(-0.25, 0.25, len(r))
        ax.scatter(xs, r["mean"], s=size, alpha=0.45, color=COLOR, edgecolor="white")
        counts = r.groupby(r[x].astype(str))["n"].agg(["size", "sum"])
        ax.set_xticks(range(len(levels)), [
            f"{lv}\n{int(counts.loc[lv, 'size'])} groups\nn = {int(counts.loc[lv, 'sum']):,}" for lv in levels])
        ax.set_xlabel(xlabel or x.replace("_", " "))
    for n_ref in (20, 80):
        ax.scatter([], [], s=8 + 0.9 * n_ref, color=COLOR, alpha=0.45, label=f"n = {n_ref}")
    ax.legend(title="bubble = respondents", fontsize=8, title_fontsize=8, loc="best", frameon=False)
    ax.set_ylabel(ylabel)
    ax.set_title(title + f" ({len(r)} released group rows, n = {int(r['n'].sum()):,})", fontsize=11)
    _style(ax)
    return fig


def event_study_plot(es: pd.DataFrame, placebo: pd.DataFrame | None, *, ylabel: str, title: str,
                     period_labels: Sequence[str] | None = None, n: int | None = None,
                     p_value: float | None = None, p_floor: float | None = None) -> Figure:
    """Event study (left: estimate per period relative to the last pre-pilot one, 95 % CI) and the
    placebo distribution (right: the DiD estimate with the pilot reassigned to each region)."""
    fig = _figure(9.0, 4.0)
    ax = fig.add_subplot(1, 2 if placebo is not None else 1, 1)
    e = es.sort_values("rel_time")
    x = e["rel_time"].to_numpy(int)
    est = e["estimate"].to_numpy(float)
    lo = np.where(np.isnan(e["ci_low"].to_numpy(float)), est, e["ci_low"].to_numpy(float))
    hi = np.where(np.isnan(e["ci_high"].to_numpy(float)), est, e["ci_high"].to_numpy(float))
    ax.errorbar(x, est, yerr=[est - lo, hi - est], fmt="o-", color=TREATED, capsize=4)
    ax.axhline(0, color=GREY, lw=1, ls="--")
    ax.axvline(-0.5, color=GREY, lw=1)
    ax.text(-0.45, ax.get_ylim()[1], "pilot starts", fontsize=8, va="top", color=GREY, fontfamily=FONT)
    labels = [str(v) for v in x]
    if period_labels is not None and len(period_labels) == len(x):
        labels = [f"{k:+d}\n{lab}" if k else f"0\n{lab}" for k, lab in zip(x, period_labels)]
    ax.set_xticks(x, labels)
    ax.set_xlabel("waves relative to the first pilot wave")
    ax.set_ylabel(ylabel)
    ax.set_title(title + (f" (n = {n:,})" if n else ""), fontsize=11)
    _style(ax)
    if placebo is not None:
        ax2 = fig.add_subplot(1, 2, 2)
        p = placebo.sort_values("estimate").reset_index(drop=True)
        colors = [TREATED if a else GREY for a in p["is_actual"]]
        ax2.barh(np.arange(len(p)), p["estimate"], color=colors)
        ax2.set_yticks(np.arange(len(p)), list(p["assignment"]), fontsize=7)
        ax2.axvline(0, color=GREY, lw=1)
        ax2.set_xlabel("DiD estimate with the pilot placed here, points")
        sub = ""
        if p_value is not None and p_floor is not None:
            sub = f"\npermutation p = {p_value:.3g} (smallest possible 1/{len(p)} = {p_floor:.3g})"
        ax2.set_title("placebo regions (red: actual pilot)" + sub, fontsize=10)
        _style(ax2)
    return fig

