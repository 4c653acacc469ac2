"""Thresholds on the features, each with its source, and the features per reporting group.

:func:`aggregate_features` gives per reporting group and feature: n, mean, median and the share of
persons above each threshold of :data:`THRESHOLDS` (no disclosure control: the caller's job).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Threshold:
    """A threshold on a feature: persons with ``feature > value`` (or ``>=``) count as above."""

    feature: str
    value: float
    label: str
    source: str
    inclusive: bool = False

    def above(self, x: pd.Series) -> pd.Series:
        return x >= self.value if self.inclusive else x > self.value


#: Thresholds with their sources (DESIGN.md section 5).
THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("weekly_hours_mean", 40, "more than 40 h/week",
              "Labour Code of the Republic of Kazakhstan, art. 68 (normal working time 40 h/week)"),
    Threshold("weekly_hours_mean", 48, "more than 48 h/week incl. overtime",
              "EU Directive 2003/88/EC, art. 6 (maximum average weekly working time)"),
    Threshold("weeks_over_48h", 0, "any week over 48 h", "EU Directive 2003/88/EC, art. 6"),
    Threshold("overtime_record_max_day_h", 2, "overtime over 2 h on a day",
              "Labour Code of the Republic of Kazakhstan, art. 78 (2 h/day)"),
    Threshold("overtime_hours_per_month", 12, "overtime over 12 h/month",
              "Labour Code of the Republic of Kazakhstan, art. 78 (12 h/month)"),
    Threshold("overtime_hours_per_month", 10, "overtime over 120 h/year (pro rata 10 h/month)",
              "Labour Code of the Republic of Kazakhstan, art. 78 (120 h/year)"),
    Threshold("night_shifts", 0, "works nights (>= 3 h in 22:00-06:00)",
              "EU Directive 2003/88/EC, art. 2 (night time, night worker)"),
    Threshold("long_shifts_12h", 0, "any shift of 12 h or more",
              "HSE HSG256 Managing shift work (avoid shifts over 12 h)"),
    Threshold("duties_24h", 0, "any 24-h duty",
              "Labour Code of the Republic of Kazakhstan, art. 73 (daily work duration); HSE HSG256"),
    Threshold("quick_returns", 0, "any rest under 11 h between shifts",
              "EU Directive 2003/88/EC, art. 3 (11 h daily rest)"),
    Threshold("weekly_rest_short_windows", 0, "any 7 days without 35 h of rest",
              "EU Directive 2003/88/EC, art. 5 (24 h + 11 h weekly rest)"),
    Threshold("max_consecutive_nights", 3, "more than 3 consecutive nights",
              "HSE HSG256 Managing shift work (limit consecutive nights to 3-4)"),
    Threshold("max_consecutive_nights", 4, "more than 4 consecutive nights",
              "HSE HSG256 Managing shift work (limit consecutive nights to 3-4)"),
    Threshold("early_starts", 0, "any start 04:00-07:00", "HSE HSG256 Managing shift work"),
    Threshold("weekends_worked", 0, "any weekend work", "HSE HSG256 Managing shift work"),
)


def aggregate_features(
    features: pd.DataFrame,
    groups: Mapping[str, str] | pd.Series,
    *,
    thresholds: Sequence[Threshold] = THRESHOLDS,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Aggregate per-person features per reporting group (no disclosure control: the caller's job).

    Parameters
    ----------
    features : DataFrame
        Output of :func:`compute_features` (index ``person_id``).
    groups : mapping or Series
        person_id -> reporting-group slug; persons without a group are left out (logged).
    thresholds : sequence of Threshold
        Default :data:`THRESHOLDS` (each with its source).
    columns : sequence of str, optional
        Features to report (default: all numeric columns).

    Returns
    -------
    DataFrame
        One row per group × feature × threshold (a feature without threshold has one row with
        ``threshold`` NaN): ``group``, ``feature``, ``n`` (persons with a value), ``mean``,
        ``median``, ``threshold``, ``threshold_label``, ``n_above``, ``share_above`` (0-1),
        ``source``.
    """
    g = pd.Series(groups, dtype="str") if not isinstance(groups, pd.Series) else groups.astype("str")
    grp = g.reindex(features.index)
    missing = int(grp.isna().sum())
    if missing:
        logger.info("%d persons without a reporting group left out", missing)
    f = features.loc[grp.notna()]
    grp = grp[grp.notna()]
    cols = list(columns) if columns is not None else [
        c for c in f.columns if pd.api.types.is_numeric_dtype(f[c])]
    key = grp.rename("group")
    by = f[cols].groupby(key)
    stats = pd.concat({"n": by.count(), "mean": by.mean(), "median": by.median()}, axis=1)
    long = stats.stack(level=1, future_stack=True).rename_axis(["group", "feature"]).reset_index()
    parts = []
    with_threshold = set()
    for t in thresholds:
        if t.feature not in cols:
            continue
        with_threshold.add(t.feature)
        x = f[t.feature]
        above = t.above(x).where(x.notna()).astype(float).groupby(key).sum()
        parts.append(pd.DataFrame({
            "group": above.index, "feature": t.feature, "threshold": float(t.value),
            "threshold_label": t.label, "n_above": above.to_numpy().astype(np.int64),
            "source": t.source}))
    th = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["group", "feature", "threshold", "threshold_label", "n_above", "source"])
    out = long.merge(th, on=["group", "feature"], how="left")
    out["n"] = out["n"].astype(np.int64)
    out["n_above"] = out["n_above"].astype("Int64")
    out["share_above"] = (out["n_above"] / out["n"].where(out["n"] > 0)).astype(float)
    order = {c: i for i, c in enumerate(cols)}
    out = out.sort_values(["group", "feature", "threshold"],
                          key=lambda c: c.map(order) if c.name == "feature" else c,
                          kind="stable").reset_index(drop=True)
    return out[["group", "feature", "n", "mean", "median", "threshold", "threshold_label",
                "n_above", "share_above", "source"]]
