"""Issue 9: pilots, ``flask models fit|did`` on platform data and CSV files, rule 12, analysis pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask

from wellbeing.demo import model
from wellbeing.extensions import db

from .helpers import DATA, SMALL_UNIT_PATTERNS, close, fill_wave, open_wave


def _json(res) -> dict:  # type: ignore[no-untyped-def]
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


# ------------------------------------------------------------------------------------ CSV engine


def test_models_fit_csv_reproduces_lme4_sleepstudy(runner) -> None:  # type: ignore[no-untyped-def]
    res = runner.invoke(args=["models", "fit", "--csv", str(DATA / "sleepstudy.csv"), "--outcome", "Reaction",
                              "--predictors", "Days", "--group", "Subject", "--re-formula", "~Days",
                              "--format", "json"])
    doc = _json(res)
    assert set(doc) >= {"model", "terms"}
    assert {"n", "n_groups", "icc", "converged", "warnings", "formula", "method"} <= set(doc["model"])
    assert doc["model"]["n"] == 180 and doc["model"]["n_groups"] == 18
    terms = {t["term"]: t for t in doc["terms"]}
    for t in terms.values():
        assert {"term", "estimate", "std_err", "ci_low", "ci_high", "p_value"} <= set(t)
    assert terms["Intercept"]["estimate"] == pytest.approx(251.405, abs=1e-3)
    assert terms["Days"]["estimate"] == pytest.approx(10.467, abs=1e-3)
    table = runner.invoke(args=["models", "fit", "--csv", str(DATA / "sleepstudy.csv"), "--outcome", "Reaction",
                                "--predictors", "Days", "--group", "Subject"])
    assert table.exit_code == 0 and "Reaction ~ Days" in table.stdout


def test_models_fit_csv_refuses_names_not_in_the_file(runner) -> None:  # type: ignore[no-untyped-def]
    for pred in ("Days + Sleep", "np.log(Days)", "__import__('os')"):
        res = runner.invoke(args=["models", "fit", "--csv", str(DATA / "sleepstudy.csv"), "--outcome", "Reaction",
                                  "--predictors", pred, "--group", "Subject"])
        assert res.exit_code == 1, pred
        assert "error: --predictors" in res.stderr


def test_models_fit_csv_random_slopes_with_dotted_names_match_lme4(runner) -> None:  # type: ignore[no-untyped-def]
    """Issue 19: the case statsmodels' default chain gets wrong; names with dots quoted for patsy."""
    doc = _json(runner.invoke(args=["models", "fit", "--csv", str(DATA / "slopes-sim.csv"), "--outcome", "WBEING",
                                    "--predictors", "HRS.c + G.HRS", "--group", "GRP", "--re-formula", "~HRS.c",
                                    "--format", "json"]))
    terms = {t["term"]: t for t in doc["terms"]}
    assert terms["HRS.c"]["estimate"] == pytest.approx(-0.04762980157, abs=1e-6)   # lme4 1.1-31
    assert terms["HRS.c"]["std_err"] == pytest.approx(0.003874701493, rel=5e-3)
    assert terms["G.HRS"]["std_err"] == pytest.approx(0.029055851460, rel=5e-3)
    assert terms["HRS.c"]["df"] == 96 and doc["model"]["converged"] is True


def test_models_fit_csv_refuses_a_column_with_a_space_in_one_line(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "space.csv"
    path.write_text("g,night share,y\n" + "".join(f"g{i % 5},{i % 7},{i % 11}\n" for i in range(60)))
    res = runner.invoke(args=["models", "fit", "--csv", str(path), "--outcome", "y",
                              "--predictors", "night share", "--group", "g"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    lines = [ln for ln in res.stderr.splitlines() if "night share" in ln]
    assert len(lines) == 1 and "rename it" in lines[0]


def test_models_fit_csv_refusal_prints_no_estimate_and_exits_1(runner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """No optimiser converges (statsmodels held to one iteration from its own start): exit 1, no numbers."""
    import statsmodels.regression.mixed_linear_model as mlm

    orig = mlm.MixedLM.fit

    def one_step(self, *a, **k):  # type: ignore[no-untyped-def]
        k["start_params"], k["maxiter"] = None, 1
        return orig(self, *a, **k)

    monkeypatch.setattr(mlm.MixedLM, "fit", one_step)
    res = runner.invoke(args=["models", "fit", "--csv", str(DATA / "sleepstudy.csv"), "--outcome", "Reaction",
                              "--predictors", "Days", "--group", "Subject", "--format", "json"])
    assert res.exit_code == 1
    assert "mixed model not fitted" in res.stderr and "lbfgs" in res.stderr
    assert res.stdout == "" and "251.4" not in res.output


def test_models_did_csv_organ_donation(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    causaldata = pytest.importorskip("causaldata")
    d = causaldata.organ_donations.load_pandas().data
    d = d.assign(treated=((d.State == "California") & (d.Quarter_Num >= 4)).astype(int))
    path = tmp_path / "organ.csv"
    d.to_csv(path, index=False)
    doc = _json(runner.invoke(args=["models", "did", "--csv", str(path), "--unit", "State", "--time",
                                    "Quarter_Num", "--treated", "treated", "--outcome", "Rate", "--format", "json"]))
    t = doc["terms"][0]
    assert t["term"] == "treated" and t["estimate"] == pytest.approx(-0.02246, abs=1e-5)
    assert doc["model"]["permutation_p"] == pytest.approx(5 / 27)
    assert doc["model"]["permutation_p_floor"] == pytest.approx(1 / 27)
    assert [r["rel_time"] for r in doc["event_study"]] == [-3, -2, -1, 0, 1, 2]
    csv_out = runner.invoke(args=["models", "did", "--csv", str(path), "--unit", "State", "--time", "Quarter_Num",
                                  "--treated", "treated", "--outcome", "Rate", "--format", "csv"])
    assert csv_out.exit_code == 0 and csv_out.stdout.splitlines()[0].startswith("term,estimate,std_err")


# ------------------------------------------------------------------------------------ platform data


def test_platform_model_refused_when_a_level_is_below_k(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    """units-small has few groups; one wave with a group of fewer than K respondents → model_refused."""
    codes = open_wave(app, "w1", patterns=SMALL_UNIT_PATTERNS)
    groups = sorted(codes)
    counts = {g: 12 for g in groups}
    counts[groups[-1]] = 3                      # below K = 5
    fill_wave(app, "w1", counts)
    close(app, "w1")
    doc = _json(runner.invoke(args=["models", "fit", "--wave", "w1", "--outcome", "cbi.work", "--exposure",
                                    "shift_pattern", "--format", "json"]))
    assert doc["model"]["released"] is False and doc["model"]["reason"] == "model_refused"
    assert any("24-72" in p and "< K=5" in p for p in doc["model"]["problems"])
    assert doc["terms"] and all(t["suppressed"] and t["reason"] == "model_refused" for t in doc["terms"])
    assert all(t["estimate"] is None and t["p_value"] is None and t["ci_low"] is None for t in doc["terms"])
    assert "marginal_means" not in doc and "robustness" not in doc and doc["model"]["icc"] is None
    csv_out = runner.invoke(args=["models", "fit", "--wave", "w1", "--outcome", "cbi.work", "--exposure",
                                  "shift_pattern", "--format", "csv"])
    assert csv_out.exit_code == 0
    lines = csv_out.stdout.splitlines()
    assert lines[0].endswith("suppressed,reason") and all(line.endswith(",true,model_refused") for line in lines[1:])
    table = runner.invoke(args=["models", "fit", "--wave", "w1", "--outcome", "cbi.work", "--exposure",
                                "shift_pattern"])
    assert table.exit_code == 0 and table.stdout.startswith("model_refused:") and len(table.stdout.splitlines()) == 1


def test_platform_model_refuses_open_waves(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    open_wave(app, "w1")
    res = runner.invoke(args=["models", "fit", "--wave", "w1", "--outcome", "cbi.work", "--exposure", "shift_pattern"])
    assert res.exit_code == 1 and "closed waves only" in res.stderr


def test_pilots_create_and_list(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    open_wave(app, "w1")    # imports units-small
    bad = runner.invoke(args=["pilots", "create", "p1", "--regions", "nowhere", "--starts", "2026-02-01"])
    assert bad.exit_code == 1 and "unknown unit 'nowhere'" in bad.stderr
    with app.app_context():
        from wellbeing.models import Unit

        region = db.session.execute(db.select(Unit.slug).filter_by(level="region")).scalars().first()
        dept = db.session.execute(db.select(Unit.slug).filter_by(level="department")).scalars().first()
    notregion = runner.invoke(args=["pilots", "create", "p1", "--regions", dept, "--starts", "2026-02-01"])
    assert notregion.exit_code == 1 and "not a region" in notregion.stderr
    ok = runner.invoke(args=["pilots", "create", "p1", "--regions", region, "--starts", "2026-02-01"])
    assert ok.exit_code == 0, ok.output
    listed = json.loads(runner.invoke(args=["pilots", "list", "--format", "json"]).stdout)
    assert listed == [{"slug": "p1", "regions": region, "starts": "2026-02-01", "title": ""}]


def test_demo_planted_effects_recovered(demo_app: Flask) -> None:
    """On the seeded demo (seed 1) models fit recovers the planted shift-pattern order, models did the
    pilot effect."""
    runner = demo_app.test_cli_runner()
    doc = _json(runner.invoke(args=["models", "fit", "--wave", "baseline,month-1,month-2", "--outcome", "cbi.work",
                                    "--exposure", "shift_pattern", "--covariates", "wave", "--format", "json"]))
    assert doc["model"]["released"] is True and doc["model"]["counts"]["reference_level"] == "fixed-8h"
    est = {t["term"]: t["estimate"] for t in doc["terms"]}
    sp = {p: est.get(f"shift_pattern[{p}]", 0.0) for p in model.SHIFT_EFFECT}
    assert sp["24-72"] > sp["24-48"] > sp["rotating-8h"] > sp["fixed-8h"] == 0.0
    assert sp["24-72"] > 0.5 * (model.planted_pattern_total("24-72") - model.planted_pattern_total("fixed-8h"))
    assert {m["shift_pattern"] for m in doc["marginal_means"]} == set(model.SHIFT_EFFECT)
    assert set(doc["robustness"]) == {"gee", "ols_cluster"}
    did = _json(runner.invoke(args=["models", "did", "--waves", "baseline,month-1,month-2", "--pilot",
                                    model.PILOT_SLUG, "--outcome", "cbi.work", "--format", "json"]))
    t = did["terms"][0]
    assert did["model"]["released"] is True
    # about 300 Karaganda responses per wave, residual SD ~17: the estimate's sampling SD is ~1.3 points
    assert t["estimate"] < 0 and abs(t["estimate"] - model.PILOT_EFFECT) < 3
    assert did["model"]["permutation_p"] == pytest.approx(1 / 20)    # the floor, 1/R with 20 regions
    assert did["model"]["permutation_p_floor"] == pytest.approx(1 / 20)
    # Issue 18's acceptance: the night-hours exposure alone recovers the planted effect within its 95 % CI
    # (scale points per night hour a month; snapping the items to 0/25/.../100 attenuates it by ~4 %).
    nh = _json(runner.invoke(args=["models", "fit", "--wave", "baseline,month-1,month-2", "--outcome", "cbi.work",
                                   "--exposure", "night_hours", "--format", "json"]))
    t = {x["term"]: x for x in nh["terms"]}["night_hours"]
    assert nh["model"]["released"] is True and nh["model"]["n_groups"] == 159
    assert t["ci_low"] < model.NIGHT_HOURS_EFFECT < t["ci_high"]
    assert t["estimate"] == pytest.approx(0.189, abs=0.005)           # seed 1
    client = demo_app.test_client()
    assert client.post("/auth/login", data={"name": "analyst", "password": "demo-analyst"}).status_code == 302
    page = client.get("/analysis/?waves=baseline&waves=month-1&waves=month-2&outcome=cbi.work&exposure=night_hours")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "random intercept per unit pool is therefore essential" in html
    assert f"{10 * t['estimate']:+.1f} points" in html and "per 10 night hours a month" in html
    both = _json(runner.invoke(args=["models", "fit", "--wave", "baseline,month-1,month-2", "--outcome", "cbi.work",
                                     "--exposure", "night_hours,quick_returns", "--format", "json"]))
    q = {x["term"]: x for x in both["terms"]}["quick_returns"]
    assert q["ci_low"] < model.QUICK_RETURN_EFFECT < q["ci_high"]
    open_ = runner.invoke(args=["models", "did", "--waves", "baseline,month-3", "--pilot", model.PILOT_SLUG,
                                "--outcome", "cbi.work"])
    assert open_.exit_code == 1       # month-3 is still open
