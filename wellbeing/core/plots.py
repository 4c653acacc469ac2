"""Plots of released results, as matplotlib ``Figure`` objects (no pyplot state).

Every function takes a released table (after disclosure control) and draws only what it shows:
suppressed cells are drawn as hatched, labelled "suppressed", never with a number. Fonts: DejaVu Sans,
which matplotlib ships (covers Kazakh and Russian letters).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .pdf_text import MPL_LITERAL

RC: dict[RcKeyType, Any] = {"font.family": "DejaVu Sans", "svg.fonttype": "none", "pdf.fonttype": 42, **MPL_LITERAL}
SUPPRESSED_LABEL = "suppressed"


def heatmap(table: pd.DataFrame, rows: Sequence[str], scales: Sequence[str],
            scale_labels: Mapping[str, str] | None = None, *, title: str = "", decimal: str = ".") -> Figure:
    """Groups × scales heat map of released means.

    ``decimal`` is the reader's decimal symbol (Babel's ``get_decimal_symbol``: "," in ru and kk).

    Parameters
    ----------
    table : released rows with columns ``row`` (the group label), ``scale``, ``mean``, ``n``,
        ``suppressed``, ``reason``, ``lo``, ``hi`` (the scale's range, for colour scaling to 0–1),
        optional ``decimals`` (the scale's precision), ``higher_is`` and ``reason_text`` (what a hidden
        cell says, in the reader's words; default its reason code).
    Suppressed cells are hatched grey and labelled with their reason.
    """
    scale_labels = dict(scale_labels or {})
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(1.6 + 1.25 * len(scales), 0.9 + 0.42 * len(rows)), layout="constrained")
        ax = fig.add_subplot()
        cmap = matplotlib.colormaps["YlOrRd"]
        for i, r in enumerate(rows):
            for j, s in enumerate(scales):
                cell = table[(table["row"] == r) & (table["scale"] == s)]
                if cell.empty:
                    continue
                c = cell.iloc[0]
                if c["suppressed"] or pd.isna(c["mean"]):
                    ax.add_patch(matplotlib.patches.Rectangle((j, i), 1, 1, facecolor="#eeeeee",
                                                              hatch="///", edgecolor="#999999", lw=0))
                    text = c.get("reason_text") or c["reason"] or SUPPRESSED_LABEL
                    ax.text(j + 0.5, i + 0.5, text, ha="center", va="center",
                            fontsize=7, color="#555555")
                    continue
                frac = (float(c["mean"]) - c["lo"]) / (c["hi"] - c["lo"])
                if c.get("higher_is", "worse") == "better":
                    frac = 1 - frac
                ax.add_patch(matplotlib.patches.Rectangle((j, i), 1, 1, facecolor=cmap(frac), lw=0))
                ax.text(j + 0.5, i + 0.5, f"{_fmt(c['mean'], int(c.get('decimals', 0)), decimal)}\nn={int(c['n'])}",
                        ha="center", va="center",
                        fontsize=8, color="black" if frac < 0.7 else "white")
        ax.set_xlim(0, len(scales))
        ax.set_ylim(len(rows), 0)
        ax.set_xticks(np.arange(len(scales)) + 0.5, [scale_labels.get(s, s) for s in scales], rotation=30,
                      ha="right", fontsize=8)
        ax.set_yticks(np.arange(len(rows)) + 0.5, rows, fontsize=8)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if title:
            ax.set_title(title, fontsize=10)
    return fig


def group_means(table: pd.DataFrame, *, unit: str, title: str = "", threshold: float | None = None,
                lo: float = 0, hi: float = 100, decimal: str = ".") -> Figure:
    """Horizontal bars of released group means with their 95 % CI, ``n`` on every bar.

    ``decimal`` is the reader's decimal symbol, in the labels and on the axis.

    ``table`` columns: ``row``, ``mean``, ``ci_low``, ``ci_high``, ``n``, ``suppressed``, ``reason``,
    optional ``reason_text`` (what a hidden row says, in the reader's words).
    """
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.5, 1.0 + 0.32 * max(len(table), 1)), layout="constrained")
        ax = fig.add_subplot()
        y = np.arange(len(table))
        for i, (_, r) in enumerate(table.iterrows()):
            if r["suppressed"] or pd.isna(r["mean"]):
                text = r.get("reason_text") or f"{SUPPRESSED_LABEL} ({r['reason']})"
                ax.text(lo + 0.01 * (hi - lo), i, text, va="center",
                        fontsize=7.5, color="#666666")
                continue
            m = float(r["mean"])
            ax.barh(i, m - lo, left=lo, color="#4c78a8", height=0.6)
            if not pd.isna(r["ci_low"]):
                ax.errorbar(m, i, xerr=[[m - float(r["ci_low"])], [float(r["ci_high"]) - m]], color="black",
                            capsize=2, lw=0.8)
            ax.text(hi - 0.01 * (hi - lo), i, f"{_fmt(m, None, decimal)} (n={int(r['n'])})", va="center", ha="right",
                    fontsize=7.5)
        if threshold is not None:
            ax.axvline(threshold, color="#b3261e", ls="--", lw=0.8)
        ax.set_yticks(y, list(table["row"]), fontsize=7.5)
        ax.set_ylim(len(table) - 0.5, -0.5)
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_formatter(_ticks(decimal))
        ax.set_xlabel(unit)
        if title:
            ax.set_title(title, fontsize=10)
    return fig


#: At most this many lines share one plot; more become small multiples (one panel per line). Eight is
#: about what a qualitative palette keeps apart (Tableau 10 less the greys; Ware 2013, *Information
#: Visualization*, ch. 4: 5–10 colours can be told apart).
MAX_SERIES = 8


def trend(series: pd.DataFrame, *, unit: str, title: str = "", lo: float = 0, hi: float = 100,
          decimal: str = ".") -> Figure:
    """Released means across waves, one line per level value, with CI bands (``decimal``: the reader's
    decimal symbol on the axis).

    ``series`` columns: ``wave`` (in order), ``row`` (line), ``mean``, ``ci_low``, ``ci_high``, ``n``.
    Suppressed points are simply absent (null ``mean``). Up to :data:`MAX_SERIES` lines share one
    plot; with more, each line gets its own small panel (shared axes, four per row).
    """
    waves = list(dict.fromkeys(series["wave"]))
    x = {w: i for i, w in enumerate(waves)}
    lines = [(str(name), g[g["mean"].notna()]) for name, g in series.groupby("row", sort=True)]
    lines = [(n, g) for n, g in lines if not g.empty]

    def draw(ax: Any, name: str, g: pd.DataFrame, color: object = None) -> None:
        xs = [x[w] for w in g["wave"]]
        (line,) = ax.plot(xs, g["mean"].astype(float), marker="o", label=name, color=color)
        if g["ci_low"].notna().all():  # the band in its line's colour (not the next colour of the cycle)
            ax.fill_between(xs, g["ci_low"].astype(float), g["ci_high"].astype(float), alpha=0.15,
                            color=line.get_color())

    with matplotlib.rc_context(RC):
        if len(lines) <= MAX_SERIES:
            fig = Figure(figsize=(7.5, 4), layout="constrained")
            ax = fig.add_subplot()
            for name, g in lines:
                draw(ax, name, g)
            ax.set_xticks(range(len(waves)), waves)
            ax.set_ylim(lo, hi)
            ax.yaxis.set_major_formatter(_ticks(decimal))
            ax.set_ylabel(unit)
            if lines:
                ax.legend(fontsize=7, ncols=2)
        else:
            cols = 4
            rows = -(-len(lines) // cols)
            fig = Figure(figsize=(9, 1.9 * rows + 0.6), layout="constrained")
            axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)
            for i, ax in enumerate(axes.flat):
                if i >= len(lines):
                    ax.set_visible(False)
                    continue
                name, g = lines[i]
                draw(ax, name, g, color="#1f77b4")
                ax.set_title(name, fontsize=8)
                ax.set_ylim(lo, hi)
                ax.yaxis.set_major_formatter(_ticks(decimal))
                ax.set_xticks(range(len(waves)), waves, fontsize=6, rotation=30)
                ax.tick_params(labelsize=6)
            fig.supylabel(unit, fontsize=8)
        if title:
            fig.suptitle(title, fontsize=10)
    return fig


def group_rows_figure(n: int, base_height: float = 1.5) -> tuple[Figure, Any]:
    """A figure 7.5 in wide with one horizontal row (0.24 in) per group, and its axes; without groups the
    axes say so. Rows are drawn top to bottom by the caller (``ax.invert_yaxis()``)."""
    fig = Figure(figsize=(7.5, base_height + 0.24 * max(n, 1)), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    if not n:
        ax.text(0.5, 0.5, "no group to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
    return fig, ax


def reference_line(ax: Any, x: float | None, label: str, color: str) -> None:
    """A dashed vertical threshold (e.g. 48 h/week) labelled at the top of the axes."""
    if x is None:
        return
    ax.axvline(x, color=color, linestyle="--", linewidth=1)
    if label:
        ax.annotate(label, (x, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -10),
                    textcoords="offset points", fontsize=8, color=color)


def finish_group_rows(fig: Figure, ax: Any, *, title: str, xlabel: str, note: str) -> Figure:
    """Title, x label, a light grid behind the rows and the ``note`` (e.g. groups not shown) below."""
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=11, loc="left")
    ax.grid(axis="x", color="#e5e5e5")
    ax.set_axisbelow(True)
    if note:
        fig.text(0.01, 0.002, note, fontsize=8, color="#555555", ha="left", va="bottom")
    return fig


def to_bytes(fig: Figure, fmt: str = "png") -> bytes:
    """Render a Figure to PNG (150 dpi) or SVG bytes: the one image renderer (pages, PDFs, exports).

    Raises ValueError for another format."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"format {fmt!r}: png or svg")
    buf = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format=fmt, dpi=150)
    return buf.getvalue()


def _fmt(v: float, decimals: int | None = None, decimal: str = ".") -> str:
    """A released (already rounded) number as text, at ``decimals`` when given, with the reader's
    decimal symbol."""
    v = float(v)
    if decimals is not None:
        return f"{v:.{decimals}f}".replace(".", decimal)
    return str(int(v)) if v.is_integer() else f"{v:.1f}".replace(".", decimal)


def _ticks(decimal: str) -> FuncFormatter:
    """Axis tick labels with the reader's decimal symbol (matplotlib's own use a point in every locale)."""
    return FuncFormatter(lambda x, _pos: f"{x:g}".replace(".", decimal).replace("-", "\N{MINUS SIGN}"))
