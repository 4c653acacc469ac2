"""Models on platform data and on CSV files: the ``flask models`` engine and the analysis pages.

Platform data are response-level scale scores with the attributes of their reporting group (from
:func:`wellbeing.services.results.score_rows`): region, department, group, shift pattern, language and
the **unit pool** (the group slug's unit part, before ``--``), which carries the random intercept
(DESIGN.md section 6). The statistics are :mod:`wellbeing.core.stats`; every platform model passes
:func:`wellbeing.core.disclosure.check_model_release` (rule 12: ≥ 10 residual degrees of freedom and
every factor level ≥ the wave's K) before a number leaves this module. A refused model keeps its
formula, counts, warnings and the reasons, never an estimate.

Only closed waves are modelled (rule 11: nothing but a count while a wave is open). Microdata never
leave this module: callers get term tables, marginal means, released group rows and plots.
"""

from __future__ import annotations

import logging
import os
import platform
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.disclosure import ModelCheck, check_model_release
from ..core.stats.did import did, did_cross_sections
from ..core.stats.formula import design, quote_name
from ..core.stats.marginal import marginal_means
from ..core.stats.mixed import fit_mixed
from ..core.stats.mixed_strategy import ModelRefused
from ..core.stats.multitest import adjust_terms
from ..core.stats.result import ModelResult, json_safe
from ..core.stats.robust import fit_gee, fit_ols_cluster
from ..extensions import db
from ..models import Pilot, Response, Wave, WaveStatus
from .model_audit import CONTEXT_SUFFIX, audit_model
from .results import ScaleInfo, breakdown_menu, release_scale, score_rows, view, wave_scales
from .waves import WaveError, get_wave

log = logging.getLogger(__name__)

#: Exposures always offered; group-level schedule features are added when the features service exists.
BASE_EXPOSURES = ("shift_pattern",)
#: Categorical covariates a user may add (choices, never free formula text).
BASE_COVARIATES = ("wave", "language", "region")
#: Reference shift pattern when present (else the most common pattern).
PREFERRED_REFERENCE = "fixed-8h"
#: Multiple-comparison adjustments reported with every model (method named, DESIGN.md section 6).
ADJUST_METHODS = ("holm", "bh")
TERM_OUT = ["term", "estimate", "std_err", "ci_low", "ci_high", "p_value"]


class AnalysisError(ValueError):
    """A model request was refused (unknown wave, scale, exposure, column or an open wave)."""


# ------------------------------------------------------------------------------------ data loading


def pool_of(group_slug: str) -> str:
    """The unit pool of a reporting group: its slug's unit part (``akm-d3--24-72`` → ``akm-d3``)."""
    return group_slug.split("--", 1)[0]


def feature_provider() -> Callable[[Wave], pd.DataFrame]:
    """The group-level schedule features of a wave: :func:`wellbeing.services.features.group_features`.

    It returns a DataFrame with a ``group`` column (reporting-group slug), ``officers``, ``released``
    and one numeric column per exposure of :data:`wellbeing.services.features.EXPOSURES` (released
    values, in the exposure's unit; NaN for a group under K).
    """
    from .features import group_features

    return group_features


def waves_signature(slugs: list[str]) -> tuple[tuple[str, str, int], ...]:
    """The waves' state: status and response count (a closed wave's data no longer change)."""
    rows = db.session.execute(db.select(Wave.slug, Wave.status, db.func.count(Response.id))
                              .outerjoin(Response, Response.wave_id == Wave.id)
                              .where(Wave.slug.in_(slugs)).group_by(Wave.id)).all()
    return tuple(sorted((s, str(st), n) for s, st, n in rows))


def closed_waves() -> list[Wave]:
    """Waves whose results may be modelled (closed), oldest first."""
    from ..extensions import db

    return list(db.session.execute(db.select(Wave).filter_by(status=WaveStatus.closed)
                                   .order_by(Wave.opens, Wave.slug)).scalars())


def resolve_waves(slugs: Sequence[str]) -> list[Wave]:
    """Waves by slug, oldest first; refuses unknown and not-yet-closed waves (rule 11)."""
    if not slugs:
        raise AnalysisError("--wave: name at least one wave")
    waves, problems = [], []
    for s in slugs:
        try:
            w = get_wave(s)
        except WaveError as exc:
            problems.append(str(exc))
            continue
        if w.status != WaveStatus.closed:
            problems.append(f"wave {s!r} is {w.status}: models use closed waves only (DESIGN.md rule 11)")
        waves.append(w)
    if problems:
        raise AnalysisError("; ".join(problems))
    return sorted(waves, key=lambda w: (w.opens or date.min, w.slug))


def scale_of(waves: Sequence[Wave], scale_id: str) -> ScaleInfo:
    """The scale ``scale_id`` (``<instrument>.<scale>``), which every wave must carry."""
    for w in waves:
        infos = {s.scale_id: s for s in wave_scales(w)}
        if scale_id not in infos:
            raise AnalysisError(f"--outcome: wave {w.slug!r} has no scale {scale_id!r} "
                                f"(it has {', '.join(sorted(infos)) or 'none'})")
    return {s.scale_id: s for s in wave_scales(waves[0])}[scale_id]


def common_scales(waves: Sequence[Wave]) -> list[str]:
    """Scale ids carried by every one of ``waves`` (questionnaire order of the first)."""
    if not waves:
        return []
    ids = [s.scale_id for s in wave_scales(waves[0])]
    for w in waves[1:]:
        have = {s.scale_id for s in wave_scales(w)}
        ids = [i for i in ids if i in have]
    return ids


def feature_names(waves: Sequence[Wave]) -> list[str]:
    """Group-level schedule features available for every one of ``waves`` (documented order).

    A wave whose features cannot be computed (no roster snapshot, no shift records in its reference
    window) offers none, and then neither does the set."""
    from .features import exposure_names
    from .schedules import FeaturesError

    if not waves:
        return []
    prov = feature_provider()
    for w in waves:
        try:
            prov(w)
        except FeaturesError as exc:
            log.info("no schedule features for wave %s: %s", w.slug, exc)
            return []
    return exposure_names()


def parse_exposures(exposure: str | Sequence[str]) -> list[str]:
    """``"night_hours,quick_returns"`` or a list -> names, in order, without repeats or blanks."""
    items = exposure.split(",") if isinstance(exposure, str) else list(exposure)
    out: list[str] = []
    for x in (i.strip() for i in items):
        if x and x not in out:
            out.append(x)
    return out


def platform_data(waves: Sequence[Wave], scale: ScaleInfo, features: Sequence[str] = ()) -> pd.DataFrame:
    """Response-level scores of ``scale`` over ``waves`` (internal: never shown or exported).

    Columns: ``score`` (scale points), ``wave``, ``region``, ``department``, ``group``, ``pool``,
    ``shift_pattern``, ``language`` and each requested group-level feature.
    """
    frames = []
    prov = feature_provider() if features else None
    for w in waves:
        # The wave's breakdown columns come along so that the joint auditor can place every row in a
        # published cell (services.model_audit); they are not offered as predictors.
        d = score_rows(w, scale, [c for c in breakdown_menu(w) if c != "language"])
        d = d.assign(wave=w.slug, pool=d["group"].map(pool_of)).rename(columns={"value": "score"})
        if features and prov is not None:
            # joined by reporting group: each response carries its group's released value; a group
            # under K has none (NaN), so its responses leave every model that uses a feature
            f = prov(w)
            # a context item may share a feature's name (quick_returns): the feature keeps the name
            d = d.merge(f[["group", *features]], on="group", how="left", validate="many_to_one",
                        suffixes=(CONTEXT_SUFFIX, ""))
        frames.append(d.drop(columns=["concern"], errors="ignore"))
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return data


def reference_level(values: pd.Series) -> str:
    """``fixed-8h`` when present, else the most common level (ties: alphabetical)."""
    levels = values.dropna().astype(str)
    if PREFERRED_REFERENCE in set(levels):
        return PREFERRED_REFERENCE
    counts = levels.value_counts()
    return sorted(counts[counts == counts.max()].index)[0]


def _q(v: str) -> str:
    return v.replace("'", "")


_TREATMENT_TERM = re.compile(r"C\((\w+), Treatment\(reference='[^']*'\)\)\[(?:T\.)?")


def tidy_terms(terms: pd.DataFrame) -> pd.DataFrame:
    """``C(x, Treatment(reference='r'))[T.l]`` → ``x[l]`` (the reference is in the formula)."""
    return terms.assign(term=terms["term"].map(lambda t: _TREATMENT_TERM.sub(r"\1[", t)))


# ------------------------------------------------------------------------------------ results


@dataclass
class Analysis:
    """A platform model and its release decision.

    ``main`` is the mixed model (random intercept per unit pool); ``robustness`` the GEE and
    cluster-robust OLS fits; ``means`` the estimated marginal means per shift pattern (scale points);
    ``check`` the rule-12 decision. When ``check.released`` is false no estimate may be shown.
    """

    kind: str                      # "fit" or "did"
    request: dict[str, Any]
    main: ModelResult
    check: ModelCheck
    k: int
    scale: ScaleInfo | None = None
    means: pd.DataFrame | None = None
    robustness: dict[str, ModelResult] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    group_rows: pd.DataFrame | None = None     # released group rows, filled on first use (bubble plot)
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def released(self) -> bool:
        return self.check.released

    def terms(self) -> pd.DataFrame:
        """The term table with ``suppressed``/``reason`` (numbers empty when refused)."""
        return released_terms(self.main.terms, self.check)

    def to_dict(self) -> dict[str, Any]:
        """The ``--format json`` document (CLI.md: ``model`` and ``terms``, plus extras)."""
        model = {k: v for k, v in self.main.info.items()
                 if k in ("n", "n_groups", "icc", "converged", "warnings", "formula", "method",
                          "reml", "df_resid", "n_units", "n_periods", "permutation_p",
                          "permutation_p_floor", "n_permutations", "inference_note", "cluster",
                          "treated_units", "cell_sizes", "aic_note", "singular", "optimiser",
                          "se_convention", "intervals", "permutation_statistic",
                          "cluster_robust_warning")}
        model.update({"released": self.released, "reason": self.check.reason,
                      "problems": list(self.check.problems), "min_cell": self.k,
                      "request": self.request, "counts": self.counts})
        if not self.released:
            for key in ("icc", "permutation_p", "df_resid"):
                if key in model:
                    model[key] = None
        out: dict[str, Any] = {"model": json_safe(model),
                               "terms": json_safe(self.terms())}
        if self.released:
            if self.means is not None:
                out["marginal_means"] = json_safe(self.means)
            for name, r in self.robustness.items():
                out.setdefault("robustness", {})[name] = {
                    "method": r.info["method"], "warnings": r.info["warnings"],
                    "terms": json_safe(r.terms[TERM_OUT])}
            for name, t in self.main.tables.items():
                out[name] = json_safe(t)
        return out

    def warnings(self) -> list[str]:
        """Every warning of every fit, main model first (shown with the result, never swallowed)."""
        out = list(self.main.info.get("warnings", []))
        for name, r in self.robustness.items():
            out += [f"{name}: {w}" for w in r.info.get("warnings", []) if f"{name}: {w}" not in out]
        return out


def released_terms(terms: pd.DataFrame, check: ModelCheck) -> pd.DataFrame:
    """Term table plus ``suppressed``/``reason``; every number blanked when the model is refused."""
    out = terms.copy()
    out["suppressed"] = not check.released
    out["reason"] = check.reason
    if not check.released:
        num = [c for c in out.columns if c not in ("term", "suppressed", "reason", "p_adjust_method")]
        out[num] = np.nan
        out[num] = out[num].astype(object).where(pd.notna(out[num]), None)
    return out


def _adjust(terms: pd.DataFrame, exclude: Sequence[str]) -> pd.DataFrame:
    out = terms.copy()
    for method in ADJUST_METHODS:
        adj = adjust_terms(terms, method, exclude=exclude)
        out[f"p_{method}"] = adj["p_adjusted"]
    return out


# ---------------------------------------------------------------------------- models on platform data


def build_formula(data: pd.DataFrame, exposure: str, covariates: Sequence[str]) -> tuple[str, str | None]:
    """Right-hand side for ``exposure`` and ``covariates``; returns (predictors, reference level)."""
    parts: list[str] = []
    ref = None
    for v in [exposure, *[c for c in covariates if c != exposure]]:
        if pd.api.types.is_numeric_dtype(data[v]) and v not in BASE_COVARIATES:
            parts.append(v)
        elif v == "shift_pattern":
            ref = reference_level(data[v])
            parts.append(f"C(shift_pattern, Treatment(reference='{_q(ref)}'))")
        else:
            r = reference_level(data[v]) if v != "wave" else None
            parts.append(f"C({v}, Treatment(reference='{_q(r)}'))" if r else f"C({v})")
    return " + ".join(parts), ref


def offered(waves: Sequence[Wave]) -> dict[str, list[str]]:
    """What the pages offer for ``waves``: exposures, covariates, outcomes (choices only)."""
    feats = feature_names(waves)
    covs = [c for c in BASE_COVARIATES if c != "wave" or len(waves) > 1]
    if feats:
        covs.append("shift_pattern")    # a feature's association with or without the pattern
    return {"exposures": [*BASE_EXPOSURES, *feats], "covariates": [*covs, *feats],
            "outcomes": common_scales(waves)}


#: Said with every model whose exposure or covariate is a group-level schedule feature.
GROUP_LEVEL_NOTE = ("Schedule features are group-level exposures: every response of a reporting group "
                    "carries its group's released value, so the information about them comes from the "
                    "number of groups, not of responses. The random intercept per unit pool is therefore "
                    "essential: without it the standard errors would treat responses of one group as "
                    "independent and be far too small. Groups under K contribute nothing.")


def fit_platform(wave_slugs: Sequence[str], outcome: str, exposure: str | Sequence[str],
                 covariates: Sequence[str] = (), robustness: bool = True) -> Analysis:
    """Mixed model of a scale on one or several exposures (+ covariates), random intercept per unit pool.

    Parameters
    ----------
    wave_slugs : closed waves (slugs)
    outcome : scale id, e.g. ``cbi.work`` (0–100 points)
    exposure : ``shift_pattern`` (categorical; reference ``fixed-8h`` or the most common pattern) or
        group-level schedule features (numeric, in the unit of
        :data:`wellbeing.services.features.EXPOSURES`: e.g. ``night_hours`` in h/month); several as a
        list or comma-separated (``"night_hours,quick_returns"``), fitted jointly
    covariates : from :data:`BASE_COVARIATES`, ``shift_pattern`` (when features are offered) and the
        features

    The model is ``score ~ exposure + covariates + (1 | pool)`` (REML,
    :func:`~wellbeing.core.stats.mixed.fit_mixed`), with
    the ICC of the null model, marginal means per shift pattern, GEE (exchangeable) and cluster-robust
    OLS as robustness checks, and Holm and Benjamini–Hochberg adjusted p-values of the non-intercept
    terms. Released only when rule 12 holds (K = the largest ``min_cell`` of the waves).
    """
    waves = resolve_waves(wave_slugs)
    scale = scale_of(waves, outcome)
    opts = offered(waves)
    exposures = parse_exposures(exposure)
    if not exposures:
        raise AnalysisError("--exposure: name at least one exposure")
    bad = [e for e in exposures if e not in opts["exposures"]]
    if bad:
        raise AnalysisError(f"--exposure: {', '.join(map(repr, bad))} not offered; choose from "
                            f"{', '.join(opts['exposures'])}")
    if "shift_pattern" in exposures and len(exposures) > 1:
        raise AnalysisError("--exposure: shift_pattern goes alone; add it to --covariates to adjust "
                            "features for it")
    covariates = [c for c in covariates if c not in exposures]
    bad = [c for c in covariates if c not in opts["covariates"]]
    if bad:
        raise AnalysisError(f"--covariates: {', '.join(bad)} not offered; choose from "
                            f"{', '.join(opts['covariates'])}")
    terms_in = [*exposures, *covariates]
    feats = [v for v in terms_in if v not in BASE_COVARIATES and v not in BASE_EXPOSURES]
    data = platform_data(waves, scale, feats)
    k = max(w.min_cell for w in waves)
    request = {"waves": [w.slug for w in waves], "outcome": outcome,
               "exposure": exposures[0] if len(exposures) == 1 else exposures,
               "covariates": list(covariates)}
    if len(data) == 0:
        raise AnalysisError(f"no {outcome} scores in wave(s) {', '.join(request['waves'])}")
    predictors, ref = build_formula(data, exposures[0], [*exposures[1:], *covariates])
    n_before = len(data)
    data = data.dropna(subset=["score", "pool", *terms_in]).reset_index(drop=True)
    if feats and len(data) == 0:
        raise AnalysisError("no response belongs to a reporting group with released schedule features")
    counts = {"responses": int(len(data)), "unit_pools": int(data["pool"].nunique()),
              "groups": int(data["group"].nunique()), "regions": int(data["region"].nunique()),
              "per_wave": {str(w): int(n) for w, n in data["wave"].value_counts().sort_index().items()},
              "reference_level": ref}
    if feats:
        counts["responses_without_released_features"] = int(n_before - len(data))
    pre = design(data, "score", predictors, "pool")
    check = check_model_release(pre.info["df_resid"], pre.info["factor_levels"], k)
    if not check.released:             # judged on the design: a model that may not be shown is not fitted
        pre.info["formula"] = f"score[{outcome}] ~ {predictors} + (1 | pool)"
        log.info("model refused (rule 12): %s", "; ".join(check.problems))
        return Analysis("fit", request, pre, check, k, scale, counts=counts)
    try:
        main = fit_mixed(data, "score", predictors, "pool")
    except ModelRefused as exc:
        raise AnalysisError(f"{exc} — no estimate is shown") from exc
    main.info["formula"] = f"score[{outcome}] ~ {predictors} + (1 | pool)"
    if feats:
        main.info["inference_note"] = GROUP_LEVEL_NOTE
    check = check_model_release(main.info["df_resid"], main.info.get("factor_levels"), k)
    adj_terms = _adjust(tidy_terms(main.terms), ["Intercept"])
    main = ModelResult(adj_terms, main.info, main.tables, main.fit, vcov=main.vcov)
    analysis = Analysis("fit", request, main, check, k, scale, counts=counts)
    if not check.released:
        log.info("model refused (rule 12): %s", "; ".join(check.problems))
        return analysis
    if "shift_pattern" in terms_in:
        try:
            mm = marginal_means(main, data, "shift_pattern")
            analysis.means = mm.rename(columns={"level": "shift_pattern"})
        except (ValueError, RuntimeError) as exc:
            main.info["warnings"].append(f"marginal means: {exc}")
    if robustness:
        for name, fn in (("gee", fit_gee), ("ols_cluster", fit_ols_cluster)):
            r = fn(data, "score", predictors, "pool")
            analysis.robustness[name] = ModelResult(tidy_terms(r.terms), r.info, r.tables, r.fit)
    joint = audit_model([main.fit, *(r.fit for r in analysis.robustness.values())], data, waves, scale)
    if not joint.released:
        log.info("model refused (joint auditor): %s", "; ".join(joint.problems))
        return Analysis("fit", request, main, joint, k, scale, counts=counts)
    return analysis


def did_platform(wave_slugs: Sequence[str], pilot_slug: str, outcome: str) -> Analysis:
    """Difference-in-differences of a pilot on repeated cross-sections (region and wave fixed effects).

    Treated = a response from a pilot region in a wave opening on or after the pilot start. Event
    study around the first treated wave; permutation inference over regions (p floor 1/R, stated).
    Released only with ≥ 10 residual df and every region, wave and arm count ≥ K (rule 12).
    """
    from .pilots import PilotError, get_pilot

    try:
        pilot: Pilot = get_pilot(pilot_slug)
    except PilotError as exc:
        raise AnalysisError(str(exc)) from exc
    waves = resolve_waves(wave_slugs)
    scale = scale_of(waves, outcome)
    after = {w.slug: bool(w.opens and w.opens >= pilot.starts) for w in waves}
    if all(after.values()) or not any(after.values()):
        sides = ", ".join(f"{s}: {'after' if a else 'before'}" for s, a in after.items())
        raise AnalysisError(f"--waves: need waves before and after the pilot start {pilot.starts} ({sides})")
    data = platform_data(waves, scale).dropna(subset=["score"])
    regions = set(pilot.region_slugs)
    missing = regions - set(data["region"])
    if missing:
        raise AnalysisError(f"pilot region(s) {', '.join(sorted(missing))} have no responses in these waves")
    data["treated"] = (data["region"].isin(regions) & data["wave"].map(after)).astype(int)
    order = [w.slug for w in waves]
    k = max(w.min_cell for w in waves)
    main = did_cross_sections(data, "score", region="region", wave="wave", treated="treated",
                              wave_order=order)
    main.info["formula"] = f"score[{outcome}] ~ treated + C(region) + C(wave)"
    levels = dict(main.info.get("factor_levels") or {})
    levels["treated"] = {str(k_): int(v) for k_, v in data["treated"].value_counts().sort_index().items()}
    check = check_model_release(main.info["df_resid"], levels, k)
    counts = {"responses": int(len(data)), "regions": int(data["region"].nunique()),
              "per_wave": {str(w): int(n) for w, n in data["wave"].value_counts().sort_index().items()},
              "treated_responses": int(data["treated"].sum()), "pilot_regions": sorted(regions),
              "pilot_starts": pilot.starts.isoformat(),
              "after_start": [s for s, a in after.items() if a]}
    request = {"waves": order, "pilot": pilot.slug, "outcome": outcome}
    return Analysis("did", request, main, check, k, scale, counts=counts)


# ------------------------------------------------------------------------------------ CSV engine

_FORMULA_OK = re.compile(r"^[A-Za-z0-9_.+*:()\s-]*$")
_FUNCTIONS = {"C"}


def _csv_frame(path: str) -> pd.DataFrame:
    """A data file for ``models ... --csv``: decoded by the one rule of :func:`wellbeing.core.tables.decode`
    (UTF-8 with or without BOM), delimiter detected, columns typed by pandas (formulas need numbers)."""
    import csv
    import io

    from ..core.tables import ImportRejected, detect_delimiter, read_text

    if os.path.isfile(path) and os.path.getsize(path) == 0:
        raise AnalysisError(f"{path}: the file is empty")
    try:
        text = read_text(Path(path))
        return pd.read_csv(io.StringIO(text), sep=detect_delimiter(text))
    except ImportRejected as exc:
        raise AnalysisError(f"{path}: {exc.errors[0]}") from exc
    except (OSError, ValueError, pd.errors.ParserError, csv.Error) as exc:
        raise AnalysisError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from exc


def check_formula(text: str, columns: Sequence[str], option: str) -> list[str]:
    """Names of ``text`` (a patsy right-hand side) that are not columns of the file → problems.

    Only column names, ``C(...)``, ``+ * : - ( )``, numbers and spaces are allowed: no function
    calls, no Python.
    """
    problems = []
    if not _FORMULA_OK.match(text):
        problems.append(f"{option}: {text!r}: only column names, C(...), + * : - ( ) and numbers are allowed")
        return problems
    for name in re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", text):
        if name in columns or name in _FUNCTIONS and re.search(rf"\b{name}\(", text):
            continue
        problems.append(f"{option}: {name!r} is not a column of the file")
    return problems


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def quote_columns(text: str, columns: Sequence[str]) -> str:
    """``text`` with every column name that is not a Python identifier quoted for patsy.

    ``G.HRS + x`` → ``Q("G.HRS") + x`` (patsy would read ``G.HRS`` as attribute access).
    """
    cols = set(columns)
    return _NAME.sub(lambda m: quote_name(m.group(0)) if m.group(0) in cols else m.group(0), text)


def fit_csv(path: str, outcome: str, predictors: str, group: str, re_formula: str | None = None) -> ModelResult:
    """The mixed-model engine on any CSV (for checking against other software; no release check).

    Column names with dots are quoted for patsy (``Q("G.HRS")``); a formula naming a column with a
    space (or another character formulas cannot hold) is refused in one line. A model no optimiser
    fits (:class:`stats.ModelRefused`) is refused with the reasons: no estimate.
    """
    data = _csv_frame(path)
    cols = list(data.columns)
    problems = [f"--{o}: {v!r} is not a column of the file" for o, v in (("outcome", outcome), ("group", group))
                if v not in cols]
    odd = [c for c in cols if not _NAME.fullmatch(str(c))]
    for option, text in (("--predictors", predictors), ("--re-formula", re_formula or "")):
        for c in odd:
            if str(c) in text:
                problems.append(f"{option}: column {str(c)!r} cannot be named in a formula "
                                f"(only letters, digits, _ and .): rename it in the file")
    if problems:
        raise AnalysisError("; ".join(problems))
    problems += check_formula(predictors, cols, "--predictors")
    if re_formula:
        problems += check_formula(re_formula.lstrip().lstrip("~"), cols, "--re-formula")
    if problems:
        raise AnalysisError("; ".join(problems))
    try:
        return fit_mixed(data, outcome, quote_columns(predictors, cols), group,
                         re_formula=quote_columns(re_formula, cols) if re_formula else None)
    except ModelRefused as exc:
        raise AnalysisError(str(exc)) from exc
    except ValueError as exc:
        raise AnalysisError(str(exc)) from exc


def did_csv(path: str, unit: str, time: str, treated: str, outcome: str, cluster: str | None = None) -> ModelResult:
    """The difference-in-differences engine on any panel or repeated cross-section CSV."""
    data = _csv_frame(path)
    problems = [f"--{o}: {v!r} is not a column of the file"
                for o, v in (("unit", unit), ("time", time), ("treated", treated), ("outcome", outcome),
                             ("cluster", cluster)) if v and v not in data.columns]
    if problems:
        raise AnalysisError("; ".join(problems))
    try:
        return did(data, outcome, unit, time, treated, cluster=cluster)
    except (ValueError, KeyError) as exc:
        raise AnalysisError(str(exc)) from exc


# ------------------------------------------------------------------------- released group rows


def released_group_rows(waves: Sequence[Wave], scale: ScaleInfo) -> pd.DataFrame:
    """Released (not suppressed) reporting-group rows of ``scale`` per wave, for the bubble plot.

    From :func:`wellbeing.services.results.release_scale` — never raw group means. Columns
    ``wave, group, region, shift_pattern, n, mean``.
    """
    frames = []
    for w in waves:
        rel = view(release_scale(w, scale), ["group"])
        rel = rel[~rel["suppressed"].astype(bool)]
        frames.append(rel.assign(wave=w.slug)[["wave", "group", "region", "shift_pattern", "n", "mean"]])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["wave", "group", "region", "shift_pattern", "n", "mean"])


def software_versions() -> dict[str, str]:
    """Versions for the report's reproducibility block."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("wellbeing", "statsmodels", "scipy", "pandas", "numpy", "matplotlib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "?"
    return out
