"""Plot of a released what-if (matplotlib ``Figure``, no pyplot state): each exposure's contribution to the
predicted change and the total with its 95 % interval. Pure: the released dictionary of
:func:`wellbeing.services.whatif.release_what_if` in, a Figure out."""

from __future__ import annotations

from matplotlib.figure import Figure

__all__ = ["prediction_plot"]


def prediction_plot(released: dict, *, title: str | None = None, xlabel: str | None = None,
                    total_label: str = "total", empty_label: str = "no released prediction") -> Figure:
    """Horizontal bars: contribution of each exposure (change × coefficient) and the total with its interval.

    ``title``, ``xlabel``, ``total_label`` and ``empty_label`` are the figure's words (the page passes
    them in its language; the defaults are English). Without a released prediction, a figure saying so.
    """
    fig = Figure(figsize=(7.5, 2.6), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    p = released.get("prediction")
    if not p:
        ax.text(0.5, 0.5, empty_label, ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    labels = [t["feature"] for t in p["terms"]] + [total_label]
    vals = [t["contribution"] or 0.0 for t in p["terms"]] + [p["change"]]
    colors = ["#9cc3e4"] * len(p["terms"]) + ["#2c5d8a"]
    y = list(range(len(labels)))
    ax.barh(y, vals, color=colors, edgecolor="#2c5d8a", height=0.6)
    total = len(labels) - 1
    ax.errorbar([p["change"]], [total], xerr=[[p["change"] - p["ci_low"]], [p["ci_high"] - p["change"]]],
                fmt="none", ecolor="#b03a2e", capsize=4, linewidth=1.5)
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.set_yticks(y, labels=labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel or f"predicted change of {released['outcome']} (points; bar on total: 95 % interval)")
    ax.set_title(title or f"{released['unit']}: {released['pattern']} instead of today's roster", fontsize=11,
                 loc="left")
    ax.grid(axis="x", color="#e5e5e5")
    ax.set_axisbelow(True)
    return fig
