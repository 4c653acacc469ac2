"""What an analysis shows: plain-language summary, caveats, plots and the HTML/PDF report.

Takes an :class:`wellbeing.services.analysis.Analysis` (already through rule 12) and released group
rows only. A refused model yields the refusal and its reasons, no plot with numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from flask_babel import gettext as _
from matplotlib.figure import Figure
from reportlab.platypus import Flowable, PageBreak

from ..core import model_plots as mp
from ..core.pdf import CELL, H1, H2, build_pdf, image, paragraph, table
from ..core.plots import to_bytes
from .analysis import Analysis, released_group_rows, resolve_waves, software_versions
from .features import EXPOSURES

log = logging.getLogger(__name__)

PLOTS_FIT = ("forest", "means", "bubble")
PLOTS_DID = ("event_study",)


def scale_label(a: Analysis) -> str:
    """E.g. ``cbi.work: Work-related burnout (0–100 points)``."""
    if a.scale is None:
        return str(a.request.get("outcome"))
    sc = a.scale.scale
    name = sc.name.get("en") or next(iter(sc.name.values()), sc.id)
    lo, hi = sc.range
    return f"{a.scale.scale_id}: {name} ({lo:g}–{hi:g} points)"


def _units(a: Analysis) -> str:
    if a.scale is None:
        return "points"
    lo, hi = a.scale.scale.range
    return f"points ({lo:g}–{hi:g})"


def _fmt(v: float, d: int = 1) -> str:
    return f"{v:+.{d}f}" if v else f"{v:.{d}f}"


def exposure_list(a: Analysis) -> list[str]:
    """The request's exposures as a list (one name or several)."""
    e = a.request.get("exposure")
    return [e] if isinstance(e, str) else list(e or [])


def summary(a: Analysis) -> list[str]:
    """Plain-language sentences: effect sizes in scale points with 95 % CIs and adjusted p-values."""
    if not a.released:
        return [_("The model was not released (DESIGN.md rule 12: at least 10 residual degrees of freedom "
                  "and at least K = %(k)s respondents in every level of every factor): %(why)s.",
                  k=a.k, why="; ".join(a.check.problems))]
    out: list[str] = []
    unit = _units(a)
    if a.kind == "fit":
        ref = a.counts.get("reference_level")
        t = a.main.terms
        expos = exposure_list(a)
        pattern = expos == ["shift_pattern"]
        rows = t[t["term"].str.startswith("shift_pattern[")] if pattern else t[t["term"].isin(expos)]
        out.append(_("Model of %(scale)s on %(expo)s with a random intercept per unit pool: %(n)s responses in "
                     "%(g)s unit pools.", scale=scale_label(a), expo=", ".join(e.replace("_", " ") for e in expos),
                     n=f"{a.main.info['n']:,}", g=a.main.info["n_groups"]))
        for _i, r in rows.iterrows():
            e = None if pattern else EXPOSURES.get(r["term"])
            if e is not None:   # a schedule feature: stated per its step (e.g. per 10 night hours a month)
                out.append(_("%(what)s: %(est)s %(unit)s %(per)s (95%% CI %(lo)s to %(hi)s; Holm-adjusted "
                             "p = %(ph)s, Benjamini–Hochberg p = %(pb)s).", what=e.label,
                             est=_fmt(r["estimate"] * e.step), unit=unit, per=e.step_label,
                             lo=_fmt(r["ci_low"] * e.step), hi=_fmt(r["ci_high"] * e.step),
                             ph=f"{r['p_holm']:.2g}", pb=f"{r['p_bh']:.2g}"))
                continue
            what = r["term"].split("[", 1)[1].rstrip("]") if pattern else r["term"]
            out.append(_("%(what)s: %(est)s %(unit)s compared with %(ref)s (95%% CI %(lo)s to %(hi)s; "
                         "Holm-adjusted p = %(ph)s, Benjamini–Hochberg p = %(pb)s).",
                         what=what, est=_fmt(r["estimate"]), unit=unit, ref=ref if pattern else _("one unit less"),
                         lo=_fmt(r["ci_low"]), hi=_fmt(r["ci_high"]), ph=f"{r['p_holm']:.2g}",
                         pb=f"{r['p_bh']:.2g}"))
        if a.main.info.get("inference_note"):
            out.append(_("Schedule features are group-level exposures: every response of a reporting group "
                         "carries its group's released value, so the information about them comes from the "
                         "number of groups, not of responses. The random intercept per unit pool is therefore "
                         "essential: without it the standard errors would treat responses of one group as "
                         "independent and be far too small. Groups under K contribute nothing."))
        icc = a.main.info.get("icc")
        if icc is not None:
            out.append(_("%(pct)s%% of the variance of the score lies between unit pools (ICC of the null model "
                         "= %(icc)s).", pct=f"{100 * icc:.0f}", icc=f"{icc:.3f}"))
        rob = a.robustness.get("ols_cluster")
        if rob is not None and len(rows):
            rt = rob.terms.set_index("term")
            diffs = [abs(rt.loc[r, "estimate"] - e) for r, e in zip(rows["term"], rows["estimate"]) if r in rt.index]
            if diffs:
                out.append(_("Robustness: GEE (exchangeable) and OLS with cluster-robust standard errors give "
                             "estimates within %(d)s points of the mixed model.", d=f"{max(diffs):.1f}"))
    else:
        t = a.main.terms.iloc[0]
        info = a.main.info
        out.append(_("Difference-in-differences of %(scale)s: pilot region(s) %(reg)s vs the other %(r)s "
                     "regions, waves before vs on/after %(start)s (region and wave fixed effects; %(n)s "
                     "responses).", scale=scale_label(a), reg=", ".join(a.counts["pilot_regions"]),
                     r=info["n_units"] - len(a.counts["pilot_regions"]), start=a.counts["pilot_starts"],
                     n=f"{info['n']:,}"))
        out.append(_("Estimated pilot effect: %(est)s %(unit)s (95%% CI %(lo)s to %(hi)s, by inverting the "
                     "studentised permutation test).", est=_fmt(t["estimate"]), unit=unit,
                     # unbounded when 1/R > 5 % (fewer than 20 regions): the test cannot reject
                     lo=_fmt(t["ci_low"]) if t["ci_low"] == t["ci_low"] else "−∞",
                     hi=_fmt(t["ci_high"]) if t["ci_high"] == t["ci_high"] else "+∞"))
        out.append(_("Permutation inference (the pilot reassigned to each of the %(r)s regions): p = %(p)s; "
                     "the smallest possible p-value is 1/%(r)s = %(floor)s.", r=info["n_permutations"],
                     p=f"{info['permutation_p']:.3g}", floor=f"{info['permutation_p_floor']:.3g}"))
    return out


def caveats(a: Analysis) -> list[str]:
    """The caveats every analysis states (observational data, ecology, multiplicity, inference)."""
    out = [_("Observational data: officers were not assigned to shift patterns at random; differences may "
             "reflect who works which pattern, not the pattern itself.")]
    if a.kind == "fit":
        out.append(_("Ecological features: shift pattern and schedule features belong to reporting groups, not "
                     "to the respondent; a group-level association need not hold for each officer."))
        out.append(_("Multiple comparisons: p-values are adjusted over the model's non-intercept terms by Holm "
                     "(family-wise error) and Benjamini–Hochberg (false discovery rate); the method is named "
                     "with each value."))
    else:
        out.append(_("One treated region: cluster-robust standard errors are invalid with a single treated "
                     "cluster (MacKinnon & Webb), so the evidence is the permutation p-value, whose floor is "
                     "1/R with R regions."))
        out.append(_("Parallel trends: the estimate assumes the pilot region would have changed like the others; "
                     "the event study's pre-pilot waves are the only check."))
    if a.kind == "fit":
        out.append(_("Released under disclosure control: at least 10 residual degrees of freedom and at least K "
                     "respondents in every factor level (rule 12); group means in plots are released group rows."))
    else:
        out.append(_("Released under disclosure control: at least 10 residual degrees of freedom and at least K "
                     "respondents in every region, wave and arm (rule 12)."))
    return out


def _period_labels(a: Analysis, es: pd.DataFrame) -> list[str]:
    waves = a.request["waves"]
    first_after = min(waves.index(w) for w in a.counts["after_start"])
    return [waves[first_after + int(k)] if 0 <= first_after + int(k) < len(waves) else "" for k in es["rel_time"]]


def figure(a: Analysis, name: str) -> Figure:
    """One plot of a released analysis by name (``forest``, ``means``, ``bubble``, ``event_study``)."""
    if not a.released:
        raise LookupError("model_refused: no plot")
    ylabel = scale_label(a)
    if name == "forest" and a.kind == "fit":
        return mp.forest_plot(a.main.terms, xlabel=_("difference in score, %(u)s", u=_units(a)),
                              title=_("Model terms, 95% CI"), n=a.main.info["n"])
    if name == "means" and a.kind == "fit" and a.means is not None:
        return mp.means_plot(a.means, level="shift_pattern", ylabel=ylabel,
                             title=_("Estimated means per shift pattern, 95% CI"))
    if name == "bubble" and a.kind == "fit" and a.scale is not None:
        if a.group_rows is None:
            a.group_rows = released_group_rows(resolve_waves(a.request["waves"]), a.scale)
        rows = a.group_rows
        first = exposure_list(a)[0]
        if first in EXPOSURES and first not in rows.columns:
            from .features import group_features

            feats = pd.concat([group_features(w).assign(wave=w.slug)[["wave", "group", first]]
                               for w in resolve_waves(a.request["waves"])], ignore_index=True)
            rows = a.group_rows = rows.merge(feats, on=["wave", "group"], how="inner").dropna(subset=[first])
        x = first if first in rows.columns else "shift_pattern"
        return mp.bubble_plot(rows, x=x, ylabel=ylabel, title=_("Released group means"))
    if name == "event_study" and a.kind == "did":
        es = a.main.tables["event_study"]
        return mp.event_study_plot(es, a.main.tables.get("placebo"), ylabel=_("difference from the other regions, "
                                                                             "points"),
                                   title=_("Event study"), period_labels=_period_labels(a, es),
                                   n=a.main.info["n"], p_value=a.main.info.get("permutation_p"),
                                   p_floor=a.main.info.get("permutation_p_floor"))
    raise LookupError(f"no plot {name!r} for this analysis")


def plot_names(a: Analysis) -> tuple[str, ...]:
    if not a.released:
        return ()
    if a.kind == "did":
        return PLOTS_DID
    return tuple(n for n in PLOTS_FIT if n != "means" or a.means is not None)


def term_rows(a: Analysis) -> list[dict[str, Any]]:
    """Rows of the coefficient table (released numbers or the refusal)."""
    t = a.terms()
    return t.to_dict(orient="records")


def reproduce(a: Analysis) -> dict[str, Any]:
    """What a reader needs to reproduce the analysis: formula, counts, software, date, command."""
    r = a.request
    if a.kind == "fit":
        cmd = (f"flask models fit --wave {','.join(r['waves'])} --outcome {r['outcome']} "
               f"--exposure {','.join(exposure_list(a))}"
               + (f" --covariates {','.join(r['covariates'])}" if r["covariates"] else "") + " --format json")
    else:
        cmd = (f"flask models did --waves {','.join(r['waves'])} --pilot {r['pilot']} --outcome {r['outcome']}"
               " --format json")
    return {"formula": a.main.info.get("formula"), "method": a.main.info.get("method"), "counts": a.counts,
            "n": a.main.info.get("n"), "groups": a.main.info.get("n_groups"), "software": software_versions(),
            "date": a.created.strftime("%Y-%m-%d %H:%M UTC"), "command": cmd, "min_cell": a.k}


def _cell(v: Any) -> str:
    """A number of the coefficient tables as printed (3 decimals, 3 significant digits below 0.001)."""
    if v is None or isinstance(v, float) and v != v:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1e-3 and v else f"{v:.3f}"
    return str(v)


def _table(rows: Sequence[dict[str, Any]], cols: Sequence[str]) -> Flowable:
    """A released table of the report: the first column (a term) wraps, the rest are numbers."""
    data: list[list[Any]] = [list(cols)]
    data += [[paragraph(_cell(r.get(cols[0])), CELL), *[_cell(r.get(c)) for c in cols[1:]]] for r in rows]
    return table(data, font_size=6.5)


def report_pdf(a: Analysis) -> bytes:
    """The report as PDF (:mod:`wellbeing.core.pdf`): summary, caveats, the released tables and the
    reproducibility record, then the plots (PNG), one per page."""
    rep = reproduce(a)
    story: list[Flowable] = [paragraph(_("Analysis report"), H1), paragraph(scale_label(a))]
    if a.scale is not None and len(a.scale.scale.name) > 1:
        story.append(paragraph(" · ".join(f"{lang}: {name}" for lang, name in a.scale.scale.name.items())))
    story.append(paragraph(_("Summary"), H2))
    story += [paragraph(s) for s in summary(a)]
    story.append(paragraph(_("Caveats"), H2))
    story += [paragraph("• " + c) for c in caveats(a)]
    story.append(paragraph(_("Coefficients"), H2))
    cols = ["term", "estimate", "std_err", "ci_low", "ci_high", "p_value"]
    cols += [c for c in ("p_holm", "p_bh", "p_value_permutation") if c in a.terms().columns]
    cols += ["suppressed", "reason"]
    story.append(_table(term_rows(a), cols))
    if a.released and a.means is not None:
        story.append(paragraph(_("Estimated means per shift pattern"), H2))
        story.append(_table(a.means.to_dict(orient="records"), ["shift_pattern", "estimate", "ci_low", "ci_high", "n"]))
    if a.released and "event_study" in a.main.tables:
        story.append(paragraph(_("Event study (waves relative to the first pilot wave; reference -1)"), H2))
        story.append(_table(a.main.tables["event_study"].to_dict(orient="records"),
                            ["rel_time", "term", "estimate", "ci_low", "ci_high"]))
    warns = a.warnings()
    if warns:
        story.append(paragraph(_("Warnings from the fitting software"), H2))
        story += [paragraph("• " + w) for w in warns]
    story.append(paragraph(_("Reproducibility"), H2))
    story += [paragraph(t) for t in (
        _("Formula: %(f)s", f=rep["formula"]), _("Method: %(m)s", m=rep["method"]),
        _("Data: %(n)s responses, %(g)s clusters; per wave: %(w)s; K = %(k)s.", n=rep["n"], g=rep["groups"],
          w=", ".join(f"{k} {v}" for k, v in rep["counts"].get("per_wave", {}).items()), k=rep["min_cell"]),
        _("Software: %(s)s.", s=", ".join(f"{k} {v}" for k, v in rep["software"].items())),
        _("Date: %(d)s. Command: %(c)s", d=rep["date"], c=rep["command"]))]
    for name in plot_names(a):
        story += [PageBreak(), image(to_bytes(figure(a, name), "png"), 178, max_height_mm=250)]
    return build_pdf(story, title=f"wellbeing analysis: {scale_label(a)}")
