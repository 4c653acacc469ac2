"""Issue 18: released schedule features as model exposures, joined to responses by reporting group.

A crafted wave on the small units file: three groups of 12 officers (24-72, fixed 8 h, rotating 8 h)
and one region-wide group of 4 officers on 24-48 (below K = 5: its features are suppressed; 5 responses), with
planned shifts over the reference window [2025-10-03, 2026-01-01) and simulated responses.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from wellbeing.services import waves as wave_service

from .helpers import DATA, close, fill_wave

OPENS = date(2026, 1, 1)          # reference window: the 90 days before, 2025-10-03 .. 2025-12-31
UNITS = {"akm-d1-u1": ("24-72", 12), "akm-d2-u1": ("fixed-8h", 12), "akm-d1-u3": ("rotating-8h", 12),
         "akm-d1-u2": ("24-48", 4)}


@pytest.fixture
def crafted(app: Flask, runner, tmp_path: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Units, roster, shifts, a closed wave with responses; returns group slug per pattern."""
    from wellbeing.services.units import import_units

    with app.app_context():
        import_units((DATA / "units-small.csv").read_bytes(), imported_by="test")
    rows = ["person_id,unit_id,shift_pattern,position,contract_hours_week"]
    i = 0
    for unit, (pattern, n) in UNITS.items():
        for _ in range(n):
            i += 1
            rows.append(f"P{i:06d},{unit},{pattern},,40")
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert runner.invoke(args=["roster", "import", str(roster), "--as-of", "2025-09-01"]).exit_code == 0
    for unit, (pattern, _n) in UNITS.items():
        res = runner.invoke(args=["shifts", "generate", "--unit", unit, "--pattern", pattern,
                                  "--from", "2025-09-20", "--to", "2026-01-10"])
        assert res.exit_code == 0, res.stderr
    with app.app_context():
        wave = wave_service.create_wave("w1", ["cbi"], opens=OPENS, closes=date(2026, 1, 31))
        issued = wave_service.issue_codes(wave)
        wave_service.open_wave(wave)
        by_pattern = {g.shift_pattern: g.slug for g in wave.groups}
        assert len(issued) == 4
    # The 24-48 group has 4 officers on the roster (its features are withheld) but 5 responses (an
    # officer joined after the roster snapshot; 120 % of slips were printed): its scores are published
    # (5 = K), so no complementary suppression hides another group, and only the features are withheld.
    counts = {by_pattern[p]: (12 if n == 12 else 5) for p, n in UNITS.values()}
    fill_wave(app, "w1", counts)
    close(app, "w1")
    return by_pattern


def test_group_features_are_the_released_numbers_and_a_group_under_k_has_none(app: Flask, runner, crafted) -> None:  # type: ignore[no-untyped-def]
    from wellbeing.services.features import EXPOSURES, group_features

    res = runner.invoke(args=["schedules", "features", "w1", "--format", "json"])
    assert res.exit_code == 0, res.stderr
    released = json.loads(res.stdout)
    rel = released["rows"] if isinstance(released, dict) else released
    mean_of = {(r["group"], r["feature"]): r["mean"] for r in rel}
    with app.app_context():
        gf = group_features(wave_service.get_wave("w1")).set_index("group")
    small = crafted["24-48"]
    assert not gf.loc[small, "released"]
    assert gf.loc[small, list(EXPOSURES)].isna().all()
    # 24-72: 12 officers in 4 crews; in 90 days the crews have 23, 23, 22, 22 duties of 09:00-09:00,
    # each with 8 h in 22:00-06:00: 22.5 x 8 = 180 night hours per officer over the window on average,
    # = 180 x 30.4375 / 90 = 60.875 h a month.
    g24 = crafted["24-72"]
    assert mean_of[(g24, "night_hours")] == 180.0
    assert gf.loc[g24, "night_hours"] == pytest.approx(180.0 * 30.4375 / 90)
    assert gf.loc[g24, "duties_24h"] == pytest.approx(22.5 * 30.4375 / 90)
    assert gf.loc[crafted["fixed-8h"], "night_hours"] == 0.0
    for g in (crafted["rotating-8h"], g24):
        assert gf.loc[g, "quick_returns"] == pytest.approx(mean_of[(g, "quick_returns")] * 30.4375 / 90)
        assert gf.loc[g, "weekly_hours"] == mean_of[(g, "weekly_hours_mean")]


def test_exposure_joined_by_reporting_group_and_small_group_contributes_nothing(app: Flask, runner, crafted) -> None:  # type: ignore[no-untyped-def]
    from wellbeing.services.analysis import platform_data, resolve_waves, scale_of
    from wellbeing.services.features import group_features

    with app.app_context():
        waves = resolve_waves(["w1"])
        gf = group_features(waves[0]).set_index("group")
        data = platform_data(waves, scale_of(waves, "cbi.work"), ["night_hours"])
        # every response carries its own group's released value
        for g, part in data.groupby("group"):
            want = gf.loc[g, "night_hours"]
            if g == crafted["24-48"]:
                assert part["night_hours"].isna().all() and len(part) == 5
            else:
                assert (part["night_hours"] == want).all() and len(part) == 12
    res = runner.invoke(args=["models", "fit", "--wave", "w1", "--outcome", "cbi.work", "--exposure", "night_hours",
                              "--format", "json"])
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["model"]["released"] is True, doc["model"]["problems"]
    assert doc["model"]["n"] == 36                   # the 5 responses of the group under K are left out
    assert doc["model"]["counts"]["responses_without_released_features"] == 5
    assert doc["model"]["n_groups"] == 3
    assert "random intercept per unit pool is therefore essential" in doc["model"]["inference_note"]
    assert [t["term"] for t in doc["terms"]] == ["Intercept", "night_hours"]
    table = runner.invoke(args=["models", "fit", "--wave", "w1", "--outcome", "cbi.work", "--exposure", "night_hours"])
    assert "essential" in table.stdout
    bad = runner.invoke(args=["models", "fit", "--wave", "w1", "--outcome", "cbi.work", "--exposure",
                              "night_hours,moon_phase"])
    assert bad.exit_code == 1 and "'moon_phase' not offered" in bad.stderr


def test_associations_screen_standardises_adjusts_and_explains_every_dash(app: Flask, runner, client, crafted) -> None:  # type: ignore[no-untyped-def]
    from wellbeing.services.analysis import fit_platform
    from wellbeing.services.associations import ASSOCIATION_COLUMNS, REASONS, associations
    from wellbeing.services.features import EXPOSURES
    from wellbeing.services.users import create_user

    with app.app_context():
        res = associations(["w1"], "cbi.work")
        single = fit_platform(["w1"], "cbi.work", "night_hours", robustness=False)
    t = res.table
    assert list(t.columns) == ASSOCIATION_COLUMNS
    assert len(t) == 2 * len(EXPOSURES) and set(t["model"]) == {"single", "joint"}
    row = t[(t["feature"] == "night_hours") & (t["model"] == "single")].iloc[0]
    coef = single.main.terms.set_index("term").loc["night_hours"]
    # standardised per 10 night hours a month: 10 x the per-hour coefficient of the same model
    assert row["per"] == "per 10 night hours a month"
    assert row["estimate"] == pytest.approx(10 * coef["estimate"])
    assert row["ci_low"] == pytest.approx(10 * coef["ci_low"]) and row["n"] == 36
    # every row without a number says why, in the documented words
    dashes = t[t["suppressed"]]
    assert dashes["reason"].isin(list(REASONS)).all() and (dashes["estimate"].isna()).all()
    # the crafted groups have no quick return at all: no variation, said so
    assert t.loc[t["feature"] == "quick_returns", "reason"].eq("no_variation").all()
    single_p = t[(t["model"] == "single") & ~t["suppressed"]]
    assert (single_p["p_holm"] >= single_p["p_value"] - 1e-12).all()
    assert (single_p["p_bh"] <= single_p["p_holm"] + 1e-12).all()
    with app.app_context():
        create_user("ana", "analyst", "a-long-pass-1")
    assert client.post("/auth/login", data={"name": "ana", "password": "a-long-pass-1"}).status_code == 302
    page = client.get("/analysis/associations?waves=w1&outcome=cbi.work")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Association, not proof of cause" in html
    assert "every released group has the same value of this feature" in html
    png = client.get("/analysis/associations/forest.png?waves=w1&outcome=cbi.work")
    assert png.status_code == 200 and png.data[:4] == b"\x89PNG"
    csv_ = client.get("/analysis/associations.csv?waves=w1&outcome=cbi.work").get_data(as_text=True).splitlines()
    assert csv_[0] == ",".join(ASSOCIATION_COLUMNS) and len(csv_) == 1 + len(t)


def test_features_page_explains_every_dash_caches_plots_and_downloads_the_cli_csv(  # type: ignore[no-untyped-def]
        app: Flask, runner, client, crafted) -> None:
    import re

    from wellbeing.services.schedules import released_wave_features
    from wellbeing.services.users import create_user

    with app.app_context():
        create_user("ana", "analyst", "a-long-pass-1")
    assert client.post("/auth/login", data={"name": "ana", "password": "a-long-pass-1"}).status_code == 302
    html = client.get("/schedules/waves/w1").get_data(as_text=True)
    # the group of 4 officers (below K) and shares with fewer than K officers above (nobody works over
    # 48 h a week) show "–" with a numbered reason in plain words
    dashes = re.findall(r"–<sup>(\d+)</sup>", html)
    assert dashes
    legend = dict(re.findall(r'<li value="(\d+)">– ([^<]+)</li>', html))
    assert set(dashes) <= set(legend)
    assert any("fewer than K officers on the roster" in w for w in legend.values())
    assert any("Fewer than K officers are above this threshold" in w for w in legend.values())
    # plots are drawn once per release and then served from the cache
    first = client.get("/schedules/waves/w1/plots/night_shifts.png")
    assert first.status_code == 200 and first.data[:4] == b"\x89PNG"
    with app.app_context():
        wf, _ = released_wave_features(wave_service.get_wave("w1"))
        assert ("night_shifts", "en") in wf.plots
        wf.plots[("night_shifts", "en")] = b"cached"
    assert client.get("/schedules/waves/w1/plots/night_shifts.png").data == b"cached"
    # the CSV download is the CLI's CSV, byte for byte
    csv_page = client.get("/schedules/waves/w1.csv")
    assert csv_page.status_code == 200 and csv_page.mimetype == "text/csv"
    cli = runner.invoke(args=["schedules", "features", "w1", "--format", "csv"])
    assert cli.exit_code == 0 and csv_page.get_data(as_text=True) == cli.stdout
