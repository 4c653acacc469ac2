"""What a new schedule would change for a unit (issue 23): ``flask schedules what-if`` and the what-if page.

1. The unit's officers (the wave's roster snapshot) get the proposed pattern from the generator
   (:func:`wellbeing.core.shifts.generate.generate_shifts`) over the wave's reference window.
2. Their features (:func:`wellbeing.core.schedules.features.compute_features`), fatigue index
   (:func:`wellbeing.core.fatigue.fatigue_features`) and overtime (:func:`wellbeing.core.economics.
   legal_overtime`) are computed for the roster they work now and for the proposed one; the change of
   the reporting group's means, on the exposures' scale (:data:`wellbeing.services.features.EXPOSURES`),
   is the change ``Δx`` of the group-level exposures.
3. The fitted feature model (:func:`wellbeing.services.analysis.fit_platform`: the scale on those
   exposures, random intercept per unit pool, closed waves) predicts ``Δŷ = Δxᵀβ`` with a 95 % interval
   from the coefficients' covariance (:func:`wellbeing.core.whatif.predict_change`). **This assumes the
   association is causal** (the model compares groups; it has not seen a schedule change).
4. For a declared pilot covering the unit's region, its difference-in-differences estimate
   (:func:`~wellbeing.services.analysis.did_platform`) is shown beside the prediction once waves on both
   sides of its start are closed.

Every number leaves through :func:`release_what_if`, the one place where this screen's numbers are
suppressed and rounded.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core import economics as ec
from ..core.disclosure import round_half_away
from ..core.fatigue import FATIGUE_COLUMNS, fatigue_features
from ..core.patterns import ShiftPattern, get_pattern
from ..core.schedules.features import compute_features
from ..core.shifts.generate import generate_shifts
from ..core.timeparse import DEFAULT_TIMEZONE
from ..core.whatif import Prediction, predict_change
from ..extensions import db
from ..models import RosterEntry, Unit, Wave
from .roster import load_shifts
from .schedules import FeaturesError, released_wave_features

if TYPE_CHECKING:
    from .analysis import Analysis

log = logging.getLogger(__name__)

#: Exposures of the default what-if model (issue 18's names): night work, quick returns, 24-h duties.
DEFAULT_EXPOSURES = ("night_hours", "quick_returns", "duties_24h")
MONTH_DAYS = 365.25 / 12
CAUSAL_NOTE = ("The predicted change assumes that the association between these schedule features and the "
               "scale, estimated across reporting groups, is causal; the interval covers the uncertainty of "
               "the model's coefficients only, not that assumption.")


class WhatIfError(ValueError):
    """The what-if cannot be computed (unknown unit, no features service, no closed waves; message says why)."""


@dataclass
class WhatIf:
    """Unreleased what-if of one unit (internal; only :func:`release_what_if` output is shown)."""

    wave: Wave
    unit: str
    group: str
    pattern: str
    window: tuple[dt.date, dt.date]
    unit_officers: int
    group_officers: int
    outcome: str
    model_waves: list[str]
    exposures: list[str]
    current: dict[str, float]          # group-level exposure and fatigue values now
    proposed: dict[str, float]         # ... with the unit on the proposed pattern
    overtime: dict[str, float]         # unit: overtime h per officer-month now / proposed, premium cost / year
    analysis: object | None = None     # services.analysis.Analysis of the feature model
    prediction: Prediction | None = None
    did: object | None = None          # services.analysis.Analysis of the pilot, if any
    notes: list[str] = field(default_factory=list)


def _roster(wave_snapshot) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    rows = db.session.execute(
        db.select(RosterEntry.person_id, Unit.slug, RosterEntry.position, RosterEntry.contract_hours_week)
        .join(Unit, Unit.id == RosterEntry.unit_id).where(RosterEntry.snapshot_id == wave_snapshot.id)).all()
    columns = ["person_id", "unit_id", "position", "contract_hours_week"]
    return pd.DataFrame(rows, columns=columns).set_index("person_id")


def _utc(d: dt.date) -> int:
    from zoneinfo import ZoneInfo

    return int(dt.datetime.combine(d, dt.time(0), tzinfo=ZoneInfo(DEFAULT_TIMEZONE)).timestamp())


def _exposure_values(feats: pd.DataFrame, exposures: Sequence[str], days: int) -> dict[str, float]:
    """Group means on the exposures' scale (as :func:`wellbeing.services.features.group_features`)."""
    from .fatigue import FATIGUE_EXPOSURES
    from .features import EXPOSURES

    out = {}
    for name in exposures:
        if name in FATIGUE_EXPOSURES:
            col, factor, _unit = FATIGUE_EXPOSURES[name]
            out[name] = float(feats[col].mean()) * factor
            continue
        e = EXPOSURES[name]
        v = float(feats[e.feature].mean())
        out[name] = v * MONTH_DAYS / days if e.per == "month" else v
    return out


_FITS: dict[tuple, object] = {}
_FITS_SIZE = 8


def feature_model_key(model_waves: Sequence[str], outcome: str, exposures: Sequence[str]) -> tuple:
    """Everything the feature model and its rule-12 decision depend on: the database, the request, each
    wave's data state (status, K, response count, instruments: :func:`wellbeing.services.ledger.
    data_state`), the last roster/shift import (the group features) and the release ledger's entries of
    these waves (the audit weighs the model against every table released for them so far)."""
    from flask import current_app

    from ..models import ImportRecord, ReleaseEntry
    from .ledger import data_state
    from .waves import get_wave

    waves = [get_wave(w) for w in model_waves]
    imports = db.session.execute(db.select(db.func.max(ImportRecord.id))).scalar_one()
    with db.engine.connect() as conn:  # the ledger commits on its own connections: read the latest
        ledger = conn.execute(
            db.select(db.func.max(ReleaseEntry.id), db.func.count(ReleaseEntry.id),
                      db.func.count(ReleaseEntry.content_hash))
            .where(ReleaseEntry.wave_id.in_([w.id for w in waves]))).one()
    return (str(db.engine.url), tuple(model_waves), outcome, tuple(exposures),
            tuple(data_state(w) for w in waves), imports, tuple(ledger),
            bool(current_app.config.get("SCHEDULE_FATIGUE_EXPOSURES")))


def feature_model(model_waves: Sequence[str], outcome: str, exposures: Sequence[str]) -> Analysis:
    """The fitted feature model (:func:`~wellbeing.services.analysis.fit_platform`, no robustness fits),
    kept per process under :func:`feature_model_key`: a page reload or a second what-if on the same data
    reuses the fit and its rule-12 decision instead of refitting (about 8 of the 10 s of a warm what-if
    on the demo). The key is taken again after a fit, since the fit's audit may release the waves'
    standard tables. Raises :class:`~wellbeing.services.analysis.AnalysisError` as ``fit_platform``."""
    from .analysis import fit_platform

    hit = _FITS.get(feature_model_key(model_waves, outcome, exposures))
    if hit is not None:
        return hit
    analysis = fit_platform(model_waves, outcome, ",".join(exposures), robustness=False)
    if len(_FITS) >= _FITS_SIZE:
        _FITS.pop(next(iter(_FITS)))
    _FITS[feature_model_key(model_waves, outcome, exposures)] = analysis
    return analysis


def what_if(unit: str, pattern: str | ShiftPattern, wave: Wave, outcome: str, *, group: str | None = None,
            model_waves: Sequence[str] | None = None, exposures: Sequence[str] = DEFAULT_EXPOSURES,
            with_did: bool = True) -> WhatIf:
    """Compute the what-if of ``unit`` moving to ``pattern`` (unreleased; see the module docstring).

    Raises :class:`WhatIfError`.
    """
    try:
        from . import features as feat_service
    except ImportError as exc:  # pragma: no cover - before the features service is installed
        raise WhatIfError("schedule features are not available as model exposures on this installation") from exc
    from .analysis import AnalysisError, closed_waves, feature_names
    from .fatigue import FATIGUE_EXPOSURES

    unknown = [e for e in exposures if e not in feat_service.EXPOSURES and e not in FATIGUE_EXPOSURES]
    if unknown:
        raise WhatIfError(f"--exposures: unknown {', '.join(unknown)}; choose from "
                          f"{', '.join(feat_service.EXPOSURES)}")
    try:
        pat = get_pattern(pattern)
    except KeyError as exc:
        raise WhatIfError(str(exc.args[0])) from exc
    try:
        wf, _rel = released_wave_features(wave)
    except FeaturesError as exc:
        raise WhatIfError(str(exc)) from exc
    start, end = wf.window
    days = (end - start).days
    roster = _roster(wf.snapshot)
    officers = [p for p in roster.index[roster["unit_id"] == unit] if p in wf.persons.index]
    if not officers:
        raise WhatIfError(f"--unit: {unit!r} has no officer in wave {wave.slug!r}'s reporting groups")
    groups = sorted(set(wf.persons.loc[officers, "group"].dropna()))
    if group is None:
        if len(groups) != 1:
            raise WhatIfError(f"--group: the unit's officers are in {', '.join(groups)}; name one")
        group = groups[0]
    elif group not in groups:
        raise WhatIfError(f"--group: {group!r} has no officer of unit {unit!r} (they are in {', '.join(groups)})")
    officers = [p for p in officers if wf.persons.at[p, "group"] == group]
    members = list(wf.persons.index[wf.persons["group"] == group])
    hours = dict(zip(roster.index, roster["contract_hours_week"].astype(float)))
    # proposed roster: the generator over the reference window (inclusive dates), crews in person order
    plan = generate_shifts(officers, pat, start, end - dt.timedelta(days=1))
    proposed_feats = compute_features(plan, start, end, contract_hours=hours, persons=officers)
    now_shifts = load_shifts(members, _utc(start) - 8 * 86400, _utc(end))
    now_feats = wf.persons.loc[members]
    new_feats = now_feats.copy()
    new_feats.loc[officers, proposed_feats.columns] = proposed_feats.loc[officers].to_numpy()
    fat_now = fatigue_features(now_shifts, start, end, persons=members)
    fat_new = pd.concat([fat_now.drop(index=officers),
                         fatigue_features(plan, start, end, persons=officers)])
    current = _exposure_values(now_feats.join(fat_now), exposures, days)
    proposed = _exposure_values(new_feats.join(fat_new), exposures, days)
    for c in FATIGUE_COLUMNS:
        current[c] = float(fat_now[c].mean())
        proposed[c] = float(fat_new[c].mean())
    # overtime and its cost for the unit's officers
    ot_now = ec.legal_overtime(now_shifts, start, end, contract_hours=hours, persons=officers)
    ot_new = ec.legal_overtime(plan, start, end, contract_hours=hours, persons=officers)
    overtime = {"now": float(ot_now["overtime_hours"].mean() * MONTH_DAYS / days),
                "proposed": float(ot_new["overtime_hours"].mean() * MONTH_DAYS / days)}
    from .costs import current_rates

    rates, _f = current_rates()
    if rates:
        try:
            pos = roster["position"].reindex(officers)
            c_now = ec.person_costs(ot_now.assign(position=pos.values), rates, days)["premium_cost"].sum()
            c_new = ec.person_costs(ot_new.assign(position=pos.values), rates, days)["premium_cost"].sum()
            overtime.update(cost_now_year=float(c_now * 365.25 / days), cost_new_year=float(c_new * 365.25 / days),
                            currency=next(iter(rates.values())).currency)
        except KeyError as exc:
            log.info("what-if: no cost: %s", exc)
    # the feature model
    if model_waves is None:
        model_waves = [w.slug for w in closed_waves() if set(exposures) <= set(feature_names([w]))]
    if not model_waves:
        raise WhatIfError("no closed wave has these schedule features: nothing to fit the model on")
    try:
        analysis = feature_model(model_waves, outcome, exposures)
    except AnalysisError as exc:
        raise WhatIfError(str(exc)) from exc
    res = WhatIf(wave, unit, group, pat.slug, (start, end), len(officers), len(members), outcome, list(model_waves),
                 list(exposures), current, proposed, overtime, analysis)
    # today's records must cover the window as the proposed roster does, or the change is biased
    mine = now_shifts[now_shifts["person_id"].isin(officers)]
    if len(mine):
        first = mine["start"].min().tz_convert(DEFAULT_TIMEZONE).date()
        last = mine["start"].max().tz_convert(DEFAULT_TIMEZONE).date()
        covered = (min(last + dt.timedelta(days=1), end) - max(first, start)).days
    else:
        covered = 0
    if covered < days - 7:
        res.notes.append(f"the unit's shift records cover {max(covered, 0)} of the window's {days} days: today's "
                         "values are understated and the change overstated")
    if analysis.released:
        fit = analysis.main.fit
        deltas = {e: proposed[e] - current[e] for e in exposures}
        res.prediction = predict_change(pd.Series(fit.params), pd.DataFrame(fit.cov_params()), deltas)
    if with_did:
        res.did = _pilot_did(unit, outcome)
    return res


def _pilot_did(unit: str, outcome: str):  # type: ignore[no-untyped-def]
    """The DiD of a declared pilot covering the unit's region, once closed waves lie on both sides."""
    from .analysis import AnalysisError, closed_waves, did_platform
    from .pilots import list_pilots

    u = db.session.execute(db.select(Unit).filter_by(slug=unit)).scalar_one_or_none()
    region = u
    while region is not None and region.parent is not None:
        region = region.parent
    for p in list_pilots():
        if region is None or region.slug not in p.region_slugs:
            continue
        waves = [w.slug for w in closed_waves() if w.opens]
        try:
            return did_platform(waves, p.slug, outcome)
        except AnalysisError as exc:
            log.info("pilot %s: no DiD yet: %s", p.slug, exc)
    return None


def release_what_if(r: WhatIf) -> dict:
    """The released what-if: the one place its numbers are disclosed.

    * The unit and the group must each have at least K officers (the wave's ``min_cell``): with fewer,
      the change of the group's means would give the unit's officers' current values (the proposed
      roster is public), so nothing but the refusal is returned.
    * The group's officers outside the unit must be none or at least K (reason ``complement``): their
      features do not change, so ``group·proposed − (the unit's proposed sum, public from the generator)``
      is their sum, and with 1 to K−1 of them it is the mean of fewer than K officers.
    * The prediction is shown only when the model passes rule 12 (``analysis.released``); the pilot's
      DiD likewise.
    * Rounding once, half away from zero: exposures and hours to 0.1, fatigue KSS to 0.01, shares to
      whole percent, predicted change and interval to 0.1 scale point, money to whole units.
    """
    k = r.wave.min_cell
    out: dict = {"unit": r.unit, "group": r.group, "pattern": r.pattern, "wave": r.wave.slug,
                 "window": [r.window[0].isoformat(), r.window[1].isoformat()], "outcome": r.outcome,
                 "model_waves": r.model_waves, "exposures": r.exposures, "causal_note": CAUSAL_NOTE,
                 "released": True, "reason": "", "notes": list(r.notes)}
    if r.unit_officers < k or r.group_officers < k:
        out.update(released=False, reason="below_k")
        return out
    if 0 < r.group_officers - r.unit_officers < k:
        out.update(released=False, reason="complement")
        return out

    def rnd(v: float | None, d: int) -> float | None:
        return None if v is None or not np.isfinite(v) else round_half_away(float(v), d)

    feats = []
    for name in [*r.exposures, *FATIGUE_COLUMNS]:
        d = 2 if name.startswith("fatigue_kss") else 0 if name == "fatigue_share_kss7" else 1
        scale = 100.0 if name == "fatigue_share_kss7" else 1.0
        now, new = r.current[name] * scale, r.proposed[name] * scale
        feats.append({"feature": name, "now": rnd(now, d), "proposed": rnd(new, d), "change": rnd(new - now, d)})
    out["features"] = feats
    out["unit_officers"], out["group_officers"] = r.unit_officers, r.group_officers
    ot = r.overtime
    out["overtime"] = {"h_per_officer_month_now": rnd(ot["now"], 1),
                       "h_per_officer_month_proposed": rnd(ot["proposed"], 1),
                       "change": rnd(ot["proposed"] - ot["now"], 1)}
    if "cost_now_year" in ot:
        out["overtime"].update(premium_cost_year_now=rnd(ot["cost_now_year"], 0),
                               premium_cost_year_proposed=rnd(ot["cost_new_year"], 0),
                               premium_cost_year_change=rnd(ot["cost_new_year"] - ot["cost_now_year"], 0),
                               currency=ot["currency"])
    a = r.analysis
    out["model"] = {"released": bool(a is not None and a.released),
                    "reason": "" if a is None else a.check.reason,
                    "formula": None if a is None else a.main.info.get("formula")}
    if r.prediction is not None and out["model"]["released"]:
        p = r.prediction
        out["prediction"] = {"change": rnd(p.estimate, 1), "ci_low": rnd(p.ci_low, 1), "ci_high": rnd(p.ci_high, 1),
                             "std_err": rnd(p.std_err, 2),
                             "terms": [{"feature": t.feature, "delta": rnd(t.delta, 1),
                                        "coefficient": rnd(t.coefficient, 3), "contribution": rnd(t.contribution, 1)}
                                       for t in p.terms.itertuples()]}
    else:
        out["prediction"] = None
    out["did"] = None
    if r.did is not None and r.did.released:
        t = r.did.main.terms
        row = t[t["term"] == "treated"]
        if len(row):
            row = row.iloc[0]
            out["did"] = {"pilot": r.did.request.get("pilot"), "waves": r.did.request.get("waves"),
                          "estimate": rnd(row["estimate"], 1), "ci_low": rnd(row["ci_low"], 1),
                          "ci_high": rnd(row["ci_high"], 1),
                          "permutation_p": rnd(r.did.main.info.get("permutation_p"), 3)}
    return out
