"""`flask demo seed`: the demonstration pilot and its planted, documented effects."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from flask import Flask

from wellbeing.core.codes import normalise
from wellbeing.demo import model
from wellbeing.demo.structure import REGIONS, build
from wellbeing.extensions import db
from wellbeing.models import (
    AccessCode,
    ReportingGroup,
    Response,
    Score,
    ShiftRecord,
    Unit,
    User,
    Wave,
    WaveRoster,
    WaveStatus,
)

SEED = 7


def _count(stmt) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(stmt).scalar_one()


def test_demo_seed_builds_the_pilot_with_planted_effects(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    res = runner.invoke(args=["demo", "seed", "--seed", str(SEED)])
    assert res.exit_code == 0, res.output
    assert "DEMO CREDENTIALS" in res.output and "demo-admin" in res.output
    printed = re.findall(r"^  ([0-9A-Z]{4}(?:-[0-9A-Z]{1,4}){6})   \(", res.output, re.M)
    assert len(printed) == 5

    with app.app_context():
        regions = db.session.execute(db.select(Unit.slug).filter_by(level="region")).scalars().all()
        assert sorted(regions) == sorted(r[0] for r in REGIONS) and len(regions) == 20
        assert 140 <= _count(db.select(db.func.count()).select_from(Unit).filter_by(level="unit")) <= 170
        assert {u.name for u in db.session.execute(db.select(User)).scalars()} == {"admin", "psychologist", "analyst"}

        closed = db.session.execute(db.select(Wave).filter_by(status=WaveStatus.closed, slug="baseline")).scalar_one()
        open_ = db.session.execute(db.select(Wave).filter_by(status=WaveStatus.open)).scalar_one()
        for wave in (closed, open_):
            assert [wi.snapshot.instrument_id for wi in wave.instruments] == ["cbi", "who5", "wfc", "context"]
            responses = _count(db.select(db.func.count()).select_from(Response).filter_by(wave_id=wave.id))
            used = _count(db.select(db.func.count()).select_from(AccessCode).filter_by(wave_id=wave.id, used=True))
            assert used == responses, wave.slug        # every response consumed one code
        assert _count(db.select(db.func.count()).select_from(Response).filter_by(wave_id=closed.id)) >= 5000

        per_group = dict(db.session.execute(
            db.select(Response.group_id, db.func.count()).filter_by(wave_id=open_.id)
            .group_by(Response.group_id)).all())
        assert {g.id for g in open_.groups} == set(per_group)
        assert min(per_group.values()) > open_.min_cell
        unused = _count(db.select(db.func.count()).select_from(AccessCode).filter_by(wave_id=open_.id, used=False))
        assert unused > 1000

        # The printed codes are unused codes of the open wave (checked through the ledger's HMAC).
        from wellbeing.core.codes import hmac_code

        for code in printed:
            row = db.session.get(AccessCode, hmac_code(app.config["CODE_HMAC_KEY"], normalise(code)))
            assert row is not None and row.wave_id == open_.id and not row.used

        # Reporting groups come from the demo roster: pooled units × the roster's shift pattern.
        pattern = {u.slug: u.pattern for u in build(SEED).leaves()}
        for wave in (closed, open_):
            assert db.session.get(WaveRoster, wave.id) is not None
            for g in wave.groups:
                assert g.slug.endswith(f"--{g.shift_pattern}") and g.shift_pattern != "all"
                assert {pattern[u] for u in g.unit_slugs.split(",")} == {g.shift_pattern}
        assert _count(db.select(db.func.count()).select_from(ShiftRecord)) > 100_000

        # The planted shift-pattern effect shows in the reporting groups' means (direction).
        means = db.session.execute(
            db.select(ReportingGroup.unit_slugs, db.func.avg(Score.value))
            .join(Response, Response.group_id == ReportingGroup.id)
            .join(Score, Score.response_id == Response.id)
            .where(Response.wave_id == closed.id, Score.scale_id == "cbi.work")
            .group_by(ReportingGroup.id)).all()
        by_pattern: dict[str, list[float]] = defaultdict(list)
        for units, mean in means:
            pats = {pattern[u] for u in units.split(",")}
            if len(pats) == 1:
                by_pattern[pats.pop()].append(mean)
        avg = {p: float(np.mean(v)) for p, v in by_pattern.items()}
        assert avg["24-72"] > avg["rotating-8h"] > avg["fixed-8h"]
        planted = model.planted_pattern_total("24-72") - model.planted_pattern_total("fixed-8h")
        assert avg["24-72"] - avg["fixed-8h"] > 0.5 * planted

    codes_file = Path(app.instance_path) / "demo-codes.txt"
    assert "DEMONSTRATION ONLY" in codes_file.read_text()
    # A second run changes nothing but shows the logins and codes again.
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert again.exit_code == 0 and "demo-admin" in again.output
    assert re.findall(r"^  ([0-9A-Z]{4}(?:-[0-9A-Z]{1,4}){6})   \(", again.output, re.M) == printed
    assert runner.invoke(args=["demo", "seed"]).exit_code == 1
    with app.app_context():
        assert _count(db.select(db.func.count()).select_from(Wave)) == 4


def test_structure_is_deterministic_and_every_unit_forms_its_own_group() -> None:
    a, b = build(3), build(3)
    assert a == b and build(4) != a
    leaves = a.leaves()
    assert all(u.headcount and u.headcount >= 2 * 5 for u in leaves)
    assert {u.pattern for u in leaves} <= set(model.SHIFT_EFFECT)
    assert sum(u.headcount for u in leaves) * model.RESPONSE_RATE_CLOSED > model.MIN_CLOSED_RESPONSES


def test_model_items_follow_the_latent_burnout() -> None:
    """With a fixed B the simulated CBI work and family scores centre on B (snapping aside)."""
    from wellbeing.core.instruments import load_instrument

    repo = Path(__file__).resolve().parent.parent
    cbi = load_instrument(repo / "surveys" / "cbi.toml")
    from wellbeing.core.instruments import score

    rng = np.random.default_rng(0)
    for level in (30.0, 60.0):
        sims = model.simulate(rng, np.full(3000, level), "fixed-8h", ("cbi",))
        work = np.mean([score(cbi, s["answers"]["cbi"])["work"].value for s in sims])
        family = np.mean([score(cbi, s["answers"]["cbi"])["family"].value for s in sims])
        assert abs(work - level) < 3 and abs(family - level) < 4, (level, work, family)


def test_demo_roster_and_shifts_follow_the_structure() -> None:
    """Every officer of every unit on the unit's pattern; planned shifts plus documented overtime and
    call-backs (quick returns), with no overlap."""
    import datetime as dt

    import pandas as pd

    from wellbeing.core.roster import parse_roster
    from wellbeing.core.schedules.features import compute_features
    from wellbeing.core.shifts.records import validate_shift_frame
    from wellbeing.demo.seed import demo_shifts, roster_csv

    structure = build(SEED)
    roster = parse_roster(roster_csv(structure))
    leaves = structure.leaves()
    assert len(roster) == sum(u.headcount for u in leaves)
    assert roster["person_id"].str.fullmatch(r"P\d{6}").all()
    by_unit = roster.groupby("unit_id")["shift_pattern"].agg(set)
    assert all(by_unit[u.slug] == {u.pattern} for u in leaves)
    start, end = dt.date(2024, 4, 1), dt.date(2024, 4, 28)
    shifts = demo_shifts(structure, SEED, start, end)
    blank = pd.Series([""] * len(shifts)).to_numpy(dtype=object)
    validate_shift_frame(shifts, texts=(blank, blank))          # raises on any overlap
    assert set(shifts["person_id"]) == set(roster["person_id"])
    ot = shifts[shifts["duty_type"] == "overtime"]
    hours = (ot["end"] - ot["start"]).dt.total_seconds() / 3600
    assert set(hours.round(6)) == {model.OVERTIME_EXTENSION_H, model.CALLBACK_H}
    feats = compute_features(shifts, start, end + dt.timedelta(days=1))
    planned = compute_features(shifts[shifts["duty_type"] != "overtime"], start, end + dt.timedelta(days=1))
    assert feats["quick_returns"].sum() > planned["quick_returns"].sum()


def test_planned_night_hours_of_the_patterns_are_the_documented_ones() -> None:
    """model.PLANNED_NIGHT_HOURS (used for the planted pattern totals) = night hours a month of the
    catalogue's planned schedules over whole cycles."""
    from wellbeing.core.schedules.definitions import MONTH_DAYS
    from wellbeing.core.schedules.features import compute_features
    from wellbeing.core.shifts.generate import generate_shifts

    for pattern, want in model.PLANNED_NIGHT_HOURS.items():
        g = generate_shifts([f"p{i}" for i in range(24)], pattern, "2024-01-01", "2024-05-31")
        f = compute_features(g, "2024-01-15", "2024-04-14")     # 90 days
        assert f["night_hours"].mean() * MONTH_DAYS / 90 == pytest.approx(want, abs=0.1), pattern
