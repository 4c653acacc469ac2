"""Seeding the demonstration pilot through the platform's own services.

Units go through :func:`wellbeing.services.units.import_units`, waves through ``create_wave`` /
``issue_codes`` / ``open_wave`` / ``close_wave``, responses through
:func:`wellbeing.services.submissions.insert_response`, each consuming (marking used) one code of its
group from the ledger, so the ledger's used count equals the responses. One transaction per wave.

The roster (every officer of every unit on the unit's shift pattern) goes through
:func:`wellbeing.services.roster.import_roster` before the waves, so the waves' reporting groups are
pooled units × roster shift pattern; three months of shift records are generated from the pattern
catalogue with overtime and call-backs (:func:`demo_shifts`) and stored in one bulk insert.

Later issues extend it (more waves, languages): add a ``seed_*`` step and call it from :func:`seed_demo`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from flask import current_app
from sqlalchemy import bindparam, update

from ..core.codes import format_code, hmac_code
from ..core.instruments import Instrument, score
from ..extensions import db
from ..models import AccessCode, Unit, Wave
from ..services import waves as wave_service
from ..services.catalogue import get_catalogue, instrument_from_snapshot
from ..services.submissions import insert_response
from ..services.users import authenticate, create_user, get_user
from . import model
from .structure import Structure, build, units_csv

log = logging.getLogger(__name__)

DEFAULT_SEED = 1
DEMO_USERS: tuple[tuple[str, str], ...] = (("admin", "admin"), ("psychologist", "psychologist"),
                                          ("analyst", "analyst"))
CODES_FILE = "demo-codes.txt"
CODES_IN_FILE = 20
INSTRUMENTS = ("cbi", "who5", "wfc", "context")


def demo_password(role: str) -> str:
    """The documented demo password of a role (``demo-<role>``): for the demonstration only."""
    return f"demo-{role}"


@dataclass
class WaveSpec:
    """One simulated wave: its slug, model wave key, dates, and whether it ends closed."""

    slug: str
    title: str
    model_wave: str            # key of model.WAVE_EFFECT
    opens: date
    closes: date
    closed: bool
    rate: float
    minimum: int = 0           # at least this many responses per group
    instruments: tuple[str, ...] = INSTRUMENTS


@dataclass
class SeededWave:
    slug: str
    responses: int
    unused_codes: dict[str, list[str]] = field(default_factory=dict)   # open waves only


def wave_specs(today: date | None = None) -> list[WaveSpec]:
    """The demo's waves: a closed baseline before the pilot, two closed follow-ups after its start
    (months 1 and 2) and an open wave three months in."""
    t = today or date.today()
    k = wave_service.MIN_K     # the demo's waves use the default K
    return [
        WaveSpec("baseline", "Baseline survey", "baseline", t - timedelta(days=120), t - timedelta(days=91),
                 closed=True, rate=model.RESPONSE_RATE_CLOSED),
        WaveSpec("month-1", "Pilot month 1", "month-1", t - timedelta(days=65), t - timedelta(days=51),
                 closed=True, rate=model.RESPONSE_RATE_FOLLOW_UP),
        WaveSpec("month-2", "Pilot month 2", "month-2", t - timedelta(days=38), t - timedelta(days=24),
                 closed=True, rate=model.RESPONSE_RATE_FOLLOW_UP),
        WaveSpec("month-3", "Pilot month 3", "month-3", t - timedelta(days=10), t + timedelta(days=20),
                 closed=False, rate=model.RESPONSE_RATE_OPEN, minimum=k + 1),
    ]


def is_empty() -> bool:
    """No unit and no wave stored yet."""
    return (db.session.execute(db.select(Unit.id).limit(1)).first() is None
            and db.session.execute(db.select(Wave.id).limit(1)).first() is None)


def seed_units(structure: Structure) -> int:
    """Import the structure as a units file (the same path as ``flask units import``)."""
    from ..services.units import import_units

    return import_units(units_csv(structure), imported_by="demo-seed")


def seed_users() -> list[tuple[str, str, str]]:
    """Create the demo staff accounts (name, role, password) that do not exist yet; returns those made."""
    made = []
    for name, role in DEMO_USERS:
        if get_user(name) is None:
            create_user(name, role, demo_password(role))
            made.append((name, role, demo_password(role)))
    if made:
        log.warning("demo staff accounts created with documented passwords (demo-<role>): "
                    "never use them on real data")
    return made


def _scored(catalogue: dict[str, Instrument], answers: dict[str, dict[str, float | None]]) -> dict:
    return {iid: score(catalogue[iid], values) for iid, values in answers.items()}


def assign_demo_patterns(wave: Wave, issued: list[wave_service.IssuedGroup],
                         structure: Structure) -> list[wave_service.IssuedGroup]:
    """Give the demo's reporting groups their unit's shift pattern (until the demo roster lands).

    Without a roster, groups are formed with pattern ``all`` (slug ``<unit>--all``). Each demo unit works
    one pattern (``structure.py``) and is its own group, so before any code is used the seed names the
    group ``<unit>--<pattern>`` and records the pattern, as the roster would have. Groups already formed
    with a pattern, or pooling units of several patterns, are left alone.
    """
    units = structure.by_slug()
    renamed: dict[str, str] = {}
    for g in wave.groups:
        if g.shift_pattern != "all":
            continue
        pats = {units[s].pattern for s in g.unit_slugs.split(",") if s in units and units[s].pattern}
        if len(pats) != 1:
            continue
        pattern = pats.pop()
        new = f"{g.slug.rsplit('--', 1)[0]}--{pattern}"
        renamed[g.slug] = new
        g.slug, g.shift_pattern = new, pattern
        g.label = g.label.replace("· all", f"· {pattern}")
    db.session.commit()
    return [replace(i, slug=renamed.get(i.slug, i.slug),
                    label=i.label.replace("· all", f"· {renamed[i.slug].rsplit('--', 1)[1]}")
                    if i.slug in renamed else i.label) for i in issued]


def seed_wave(spec: WaveSpec, structure: Structure, seed: int, wave_index: int,
              features: dict[str, tuple[float, float]] | None = None) -> SeededWave:
    """Create, issue, open, fill and (if ``spec.closed``) close one wave.

    ``features``: unit slug -> (night hours, quick returns) a month over the wave's reference window
    (:func:`unit_features`), the per-feature terms of the latent burnout; missing -> the references.

    Each reporting group gets ``round(rate × size)`` responses (at least ``spec.minimum``); for the
    closed wave the counts are topped up until the total reaches ``model.MIN_CLOSED_RESPONSES``.
    Responses use the group's first codes; the rest stay unused.
    """
    rng = np.random.default_rng([seed, wave_index + 1])
    wave = wave_service.create_wave(spec.slug, list(spec.instruments), opens=spec.opens, closes=spec.closes,
                                    title=spec.title)
    issued = assign_demo_patterns(wave, wave_service.issue_codes(wave), structure)
    wave_service.open_wave(wave)
    wave_id = wave.id
    groups = {g.slug: g.id for g in wave.groups}
    counts = model.response_counts({g.slug: g.size for g in issued}, spec.rate, minimum=spec.minimum)
    if spec.closed:   # top up, one response per group in turn, to the documented minimum
        order = sorted(issued, key=lambda g: g.slug)
        i = 0
        while sum(counts.values()) < model.MIN_CLOSED_RESPONSES and i < 100 * len(order):
            g = order[i % len(order)]
            if counts[g.slug] < g.size:
                counts[g.slug] += 1
            i += 1
    catalogue = {wi.snapshot.instrument_id: instrument_from_snapshot(wi.snapshot) for wi in wave.instruments}
    group_units = {g.slug: [s for s in g.unit_slugs.split(",") if s] for g in wave.groups}
    units = structure.by_slug()
    key = current_app.config["CODE_HMAC_KEY"]
    db.session.commit()   # end the session's transaction: the wave is written on its own connection
    total = 0
    unused: dict[str, list[str]] = {}
    mark = update(AccessCode.__table__).where(AccessCode.__table__.c.code_hmac == bindparam("h")).values(used=True)
    with db.engine.begin() as conn:
        for g in issued:
            n = counts[g.slug]
            members = [units[s] for s in group_units[g.slug]]
            sizes = np.array([u.headcount or 0 for u in members], dtype=float)
            which = rng.choice(len(members), size=n, p=sizes / sizes.sum())
            for m_idx in sorted(set(which.tolist())):
                unit = members[m_idx]
                k = int((which == m_idx).sum())
                region = units[unit.region] if unit.region else None
                nh, qr = (features or {}).get(unit.slug, (model.NIGHT_HOURS_REF, model.QUICK_RETURNS_REF))
                b = model.latent_burnout(
                    rng, k, region_intercept=region.intercept if region else 0.0,
                    unit_intercept=unit.intercept, pattern=unit.pattern or "rotating-8h",
                    wave=spec.model_wave,
                    pilot=(unit.region == model.PILOT_REGION and spec.model_wave != "baseline"),
                    night_hours=nh, quick_returns=qr)
                for resp in model.simulate(rng, b, unit.pattern or "rotating-8h", spec.instruments):
                    insert_response(conn, wave_id=wave_id, group_id=groups[g.slug], language=resp["language"],
                                    answers=resp["answers"], scores=_scored(catalogue, resp["answers"]))
            if n:
                conn.execute(mark, [{"h": hmac_code(key, c)} for c in g.codes[:n]])
            total += n
            unused[g.slug] = list(g.codes[n:])
    if spec.closed:
        wave_service.close_wave(db.session.get(Wave, wave_id), warm=False)  # `flask cache warm` does it
    log.info("demo wave %s: %d responses", spec.slug, total)
    return SeededWave(spec.slug, total, {} if spec.closed else unused)


def write_codes_file(unused: dict[str, list[str]], wave_slug: str, n: int = CODES_IN_FILE) -> Path:
    """Write a few unused codes of the open wave to ``<instance>/demo-codes.txt`` (demo only)."""
    path = Path(current_app.instance_path) / CODES_FILE
    picked = []
    slugs = sorted(unused)
    i = 0
    while len(picked) < n and any(unused.values()) and i < n * max(len(slugs), 1):
        g = slugs[i % len(slugs)]
        j = i // len(slugs)
        if j < len(unused[g]):
            picked.append((g, unused[g][j]))
        i += 1
    lines = ["# DEMONSTRATION ONLY. Plain codes are never stored by the platform; this file exists only",
             "# so that `make demo` can show codes to try. A real deployment has no such file.",
             f"# wave={wave_slug}"]
    lines += [f"{g}\t{format_code(c)}" for g, c in picked]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_unused_codes(limit: int = 5) -> list[tuple[str, str]]:
    """Codes from ``demo-codes.txt`` that are still unused in the ledger: (group, formatted code)."""
    from ..core.codes import CodeError, normalise

    path = Path(current_app.instance_path) / CODES_FILE
    if not path.exists():
        return []
    key = current_app.config["CODE_HMAC_KEY"]
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        group, code = line.split("\t", 1)
        try:
            h = hmac_code(key, normalise(code))
        except CodeError:
            continue
        used = db.session.execute(db.select(AccessCode.used).filter_by(code_hmac=h)).scalar_one_or_none()
        if used is False:
            out.append((group, code))
        if len(out) >= limit:
            break
    return out


def working_demo_logins() -> list[tuple[str, str, str]]:
    """Demo accounts that still log in with their documented password."""
    return [(name, role, demo_password(role)) for name, role in DEMO_USERS
            if authenticate(name, demo_password(role)) is not None]


def seed_pilot(today: date | None = None) -> None:
    """Declare the demo pilot: Karaganda (``model.PILOT_REGION``) from 90 days before today."""
    from ..services.pilots import create_pilot

    t = today or date.today()
    create_pilot(model.PILOT_SLUG, [model.PILOT_REGION], t - timedelta(days=model.PILOT_START_DAYS_AGO),
                 title="Working Time Schedule pilot (Karaganda)")


@dataclass
class SeedReport:
    units: int
    waves: list[SeededWave]
    users: list[tuple[str, str, str]]
    codes_file: Path | None


def seed_demo(seed: int = DEFAULT_SEED, today: date | None = None) -> SeedReport:
    """Seed the whole demonstration pilot into an empty database."""
    if not is_empty():
        raise ValueError("the database is not empty: the demo seeds only an empty database")
    get_catalogue()  # fail early on an invalid catalogue
    structure = build(seed)
    n_units = seed_units(structure)
    specs = wave_specs(today)
    t = today or date.today()
    seed_roster(structure, t - timedelta(days=model.ROSTER_AS_OF_DAYS))
    first_open, last_open = min(s.opens for s in specs), max(s.opens for s in specs)
    frame = seed_shifts(structure, seed, first_open - timedelta(days=model.SHIFT_DAYS),
                        last_open - timedelta(days=1))
    feats = {s.slug: unit_features(frame, structure, s.opens - timedelta(days=model.SHIFT_DAYS), s.opens)
             for s in specs}
    del frame
    seeded = [seed_wave(spec, structure, seed, i, feats[spec.slug]) for i, spec in enumerate(specs)]
    users = seed_users()
    seed_pilot(today)
    codes_file = None
    for sw in seeded:
        if sw.unused_codes:
            codes_file = write_codes_file(sw.unused_codes, sw.slug)
    return SeedReport(n_units, seeded, users, codes_file)


# ------------------------------------------------------------------------------ roster and shifts


def roster_csv(structure: Structure) -> bytes:
    """The demo roster as a roster file: every officer of every unit (its headcount) on the unit's
    shift pattern, ids ``P000001``... in unit order (``model.PERSON_ID_FORMAT``)."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["person_id", "unit_id", "shift_pattern", "position", "contract_hours_week"])
    i = 0
    for u in structure.leaves():
        for _ in range(u.headcount or 0):
            i += 1
            w.writerow([model.PERSON_ID_FORMAT.format(i), u.slug, u.pattern or "", u.name,
                        f"{model.CONTRACT_HOURS_WEEK:g}"])
    return buf.getvalue().encode("utf-8")


def seed_roster(structure: Structure, as_of: date) -> int:
    """Import the demo roster as of ``as_of`` through the service of ``flask roster import``."""
    from ..services.roster import import_roster

    return import_roster(roster_csv(structure), imported_by="demo-seed", as_of=as_of).rows


def demo_shifts(structure: Structure, seed: int, start: date, end: date):  # type: ignore[no-untyped-def]
    """Shift records of the demo roster, ``start``..``end`` (inclusive local dates): planned shifts of
    each unit's pattern plus overtime extensions and call-backs (constants in :mod:`.model`)."""
    import pandas as pd

    from ..core.shifts.generate import generate_shifts

    rng = np.random.default_rng([seed, 99])
    parts, ext_p, cb_rate = [], {}, {}
    i = 0
    for u in structure.leaves():
        n = u.headcount or 0
        ids = [model.PERSON_ID_FORMAT.format(i + k + 1) for k in range(n)]
        i += n
        if not n or not u.pattern:
            continue
        parts.append(generate_shifts(ids, u.pattern, start, end))
        e, c = rng.uniform(*model.OVERTIME_EXTENSION_P), rng.uniform(*model.CALLBACK_PER_MONTH)
        ext_p.update(dict.fromkeys(ids, e))
        cb_rate.update(dict.fromkeys(ids, c))
    plan = pd.concat(parts, ignore_index=True)
    person = plan["person_id"].astype(str)
    s = plan["start"].astype("datetime64[us, UTC]")
    e = plan["end"].astype("datetime64[us, UTC]")
    nxt = s.shift(-1).where(person.shift(-1) == person)   # next planned start of the same person
    worked = plan["duty_type"].isin(("regular", "training")).to_numpy()
    r = rng.random(len(plan))
    hour = pd.Timedelta(hours=1)
    ext_end = e + model.OVERTIME_EXTENSION_H * hour
    extend = worked & (r < person.map(ext_p).to_numpy()) & (nxt.isna() | (nxt >= ext_end)).to_numpy()
    cb_start = e + model.CALLBACK_AFTER_H * hour
    cb_end = cb_start + model.CALLBACK_H * hour
    # eligible: the next planned shift starts >= 11 h after the call-back ends (exactly one quick return)
    eligible = worked & ~extend & (nxt.isna() | (nxt >= cb_end + 11 * hour)).to_numpy()
    days = (end - start).days + 1
    per_month = pd.Series(eligible).groupby(person.to_numpy()).sum() / days * 30.4375
    p_cb = (person.map(cb_rate) / person.map(per_month).clip(lower=1e-9)).clip(upper=1.0).to_numpy()
    r2 = rng.random(len(plan))
    callback = eligible & (r2 < p_cb)
    extra = pd.concat([
        pd.DataFrame({"person_id": person[extend], "start": e[extend], "end": ext_end[extend]}),
        pd.DataFrame({"person_id": person[callback], "start": cb_start[callback], "end": cb_end[callback]}),
    ], ignore_index=True)
    extra["break_min"] = 0
    extra["duty_type"] = "overtime"
    extra["shift_code"] = "OT"
    out = pd.concat([plan, extra], ignore_index=True)
    out["start"] = out["start"].astype("datetime64[us, UTC]")
    out["end"] = out["end"].astype("datetime64[us, UTC]")
    order = np.lexsort((out["start"].array.asi8, pd.factorize(out["person_id"], sort=True)[0]))
    return out.iloc[order].reset_index(drop=True)


def unit_ids_of(structure: Structure) -> dict[str, str]:
    """person_id -> unit slug of the demo roster (ids in unit order, as :func:`roster_csv`)."""
    out: dict[str, str] = {}
    i = 0
    for u in structure.leaves():
        for _ in range(u.headcount or 0):
            i += 1
            out[model.PERSON_ID_FORMAT.format(i)] = u.slug
    return out


def unit_features(frame, structure: Structure, start: date, end: date) -> dict[str, tuple[float, float]]:  # type: ignore[no-untyped-def]
    """Unit slug -> (night hours, quick returns) a month over ``[start, end)``: the mean over the unit's
    officers of ``core.schedules.features.compute_features`` × 30.4375 / window days (what the released group
    features give, before rounding), for the latent burnout's per-feature terms."""
    from ..core.schedules.definitions import MONTH_DAYS
    from ..core.schedules.features import compute_features

    unit_of = unit_ids_of(structure)
    f = compute_features(frame, start, end, persons=list(unit_of))
    per = MONTH_DAYS / (end - start).days
    g = f[["night_hours", "quick_returns"]].groupby(f.index.map(unit_of)).mean() * per
    return {u: (float(r.night_hours), float(r.quick_returns)) for u, r in g.iterrows()}


def seed_shifts(structure: Structure, seed: int, start: date, end: date):  # type: ignore[no-untyped-def]
    """Validate the demo's shift records (core rules: no overlap, ...) and store them in one bulk
    insert with one import record, as ``flask shifts generate`` does. Returns the stored frame."""
    from ..core.shifts.records import validate_shift_frame
    from ..services.roster import file_hash, record_import, store_shifts

    frame = demo_shifts(structure, seed, start, end)
    blank = np.full(len(frame), "", dtype=object)
    frame = validate_shift_frame(frame, texts=(blank, blank))
    try:
        rec = record_import("shifts-generated", file_hash(b"demo-seed", seed, start, end), len(frame), "demo-seed")
        n = store_shifts(frame, rec.id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("demo shifts %s..%s: %d records", start, end, n)
    return frame
