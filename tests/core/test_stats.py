"""Models pinned to R lme4 1.1-31 (tests/reference/reference.R / reference.out) and to the
organ-donation difference-in-differences example (causaldata, Kessler & Roth 2014)."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wellbeing.core.stats import mixed
from wellbeing.core.stats.did import did, did_cross_sections, did_twfe
from wellbeing.core.stats.formula import design
from wellbeing.core.stats.marginal import marginal_means
from wellbeing.core.stats.mixed import fit_mixed, icc_null
from wellbeing.core.stats.mixed_strategy import OPTIMISERS, ModelRefused
from wellbeing.core.stats.multitest import adjust_pvalues, adjust_terms
from wellbeing.core.stats.permutation import ONE_TREATED_CLUSTER_NOTE, permutation_did
from wellbeing.core.stats.result import TERM_COLUMNS
from wellbeing.core.stats.robust import fit_gee, fit_ols_cluster

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def sleep() -> pd.DataFrame:
    return pd.read_csv(DATA / "sleepstudy.csv")


@pytest.fixture(scope="module")
def pools() -> pd.DataFrame:
    return pd.read_csv(DATA / "pools-sim.csv")


@pytest.fixture(scope="module")
def organ() -> pd.DataFrame:
    causaldata = pytest.importorskip("causaldata")
    d = causaldata.organ_donations.load_pandas().data
    return d.assign(treated=((d.State == "California") & (d.Quarter_Num >= 4)).astype(int))


# ------------------------------------------------------------------ mixed models vs lme4


def test_sleepstudy_random_slopes_reml_matches_lme4(sleep):
    r = fit_mixed(sleep, "Reaction", "Days", "Subject", re_formula="~Days", icc=False)
    t = r.terms.set_index("term")
    assert t.loc["Intercept", "estimate"] == pytest.approx(251.40510485, abs=0.01)
    assert t.loc["Days", "estimate"] == pytest.approx(10.46728596, abs=0.01)
    assert t.loc["Intercept", "std_err"] == pytest.approx(6.824596695, rel=1e-3)
    assert t.loc["Days", "std_err"] == pytest.approx(1.545789644, rel=1e-3)
    vc = r.info["variance_components"]
    assert vc["residual"] == pytest.approx(654.940008260, rel=1e-3)
    assert vc["group:Group"] == pytest.approx(612.100158025, rel=1e-3)
    assert vc["group:Days"] == pytest.approx(35.071714451, rel=1e-3)
    assert vc["group:Group:Days"] == pytest.approx(9.604408951, rel=1e-2)
    assert r.info["n"] == 180 and r.info["n_groups"] == 18
    assert r.info["converged"] and r.info["method"] == "mixedlm-reml"
    assert np.isnan(r.info["aic"])  # undefined under REML
    assert r.info["df_resid"] == 178


def test_sleepstudy_ml_gives_lme4_loglik_and_aic(sleep):
    r = fit_mixed(sleep, "Reaction", "Days", "Subject", re_formula="~Days", reml=False,
                  icc=False)
    assert r.info["method"] == "mixedlm-ml"
    assert r.info["llf"] == pytest.approx(-875.969672, abs=1e-3)
    assert r.info["aic"] == pytest.approx(1763.939344, abs=1e-3)
    assert r.info["bic"] == pytest.approx(1783.097086, abs=1e-3)
    t = r.terms.set_index("term")
    assert t.loc["Intercept", "std_err"] == pytest.approx(6.632122742, rel=1e-3)


def test_random_intercept_pools_matches_lme4(pools):
    r = fit_mixed(pools, "score", "C(shift_pattern) + night_share + C(wave)", "pool")
    t = r.terms.set_index("term")
    lme4 = {  # estimate, SE from summary(lmer(...))$coefficients
        "Intercept": (53.780842155, 1.5772949746),
        "shift_pattern[night]": (5.259766676, 1.6172144612),
        "shift_pattern[rotating]": (1.533226139, 1.6976172831),
        "night_share": (-1.318703992, 3.9363870249),
        "wave[w2]": (3.208563062, 0.7421421148),
    }
    # lme4's SEs, sigma^2 (X'V^-1 X)^-1 (statsmodels' Hessian-based ones differ by up to 0.15 %)
    for term, (est, se) in lme4.items():
        assert t.loc[term, "estimate"] == pytest.approx(est, abs=1e-4), term
        assert t.loc[term, "std_err"] == pytest.approx(se, rel=1e-4), term
    vc = r.info["variance_components"]
    assert vc["group:Group"] == pytest.approx(12.08661268, rel=1e-3)
    assert vc["residual"] == pytest.approx(107.36628433, rel=1e-4)
    assert r.info["icc"] == pytest.approx(0.12980892, abs=1e-4)
    assert r.info["n"] == 805 and r.info["n_groups"] == 40
    assert r.info["factor_levels"]["shift_pattern"] == {
        k: int(v) for k, v in pools["shift_pattern"].value_counts().items()}
    assert r.info["df_resid"] == 800
    # t intervals, between-within df: wave varies within pools (805 - 40 - 1), the pool-level
    # terms and the intercept get G - 1 - 3 = 36
    from scipy import stats as sps
    assert t.loc["wave[w2]", "df"] == 764 and t.loc["night_share", "df"] == 36  # whole numbers
    assert t.loc["Intercept", "df"] == 36
    row = t.loc["wave[w2]"]
    assert row["ci_low"] == pytest.approx(row["estimate"] - sps.t.ppf(0.975, 764) * row["std_err"],
                                          rel=1e-9)
    row = t.loc["night_share"]
    assert row["ci_high"] == pytest.approx(row["estimate"] + sps.t.ppf(0.975, 36) * row["std_err"],
                                           rel=1e-9)
    assert list(r.terms.columns) == TERM_COLUMNS + ["df"]


def test_pools_ml_fit_matches_lme4(pools):
    r = fit_mixed(pools, "score", "C(shift_pattern) + night_share + C(wave)", "pool",
                  reml=False, icc=False)
    assert r.info["llf"] == pytest.approx(-3045.364595, abs=1e-3)
    assert r.info["aic"] == pytest.approx(6104.729191, abs=2e-3)
    t = r.terms.set_index("term")
    assert t.loc["shift_pattern[night]", "estimate"] == pytest.approx(5.262520552, abs=1e-3)


def test_marginal_means_match_emmeans_style_computation_in_r(pools):
    r = fit_mixed(pools, "score", "C(shift_pattern) + night_share + C(wave)", "pool",
                  icc=False)
    mm = marginal_means(r, pools, "shift_pattern").set_index("level")
    ref = {"day": (54.95625166, 1.12877532), "night": (60.21601834, 1.16800396),
           "rotating": (56.48947780, 1.21133825)}
    for lev, (est, se) in ref.items():
        assert mm.loc[lev, "estimate"] == pytest.approx(est, abs=1e-3)
        assert mm.loc[lev, "std_err"] == pytest.approx(se, rel=1e-3)
    assert mm["n"].sum() == len(pools)
    assert (mm["ci_low"] < mm["estimate"]).all() and (mm["estimate"] < mm["ci_high"]).all()


def test_to_json_has_cli_shape(pools):
    r = fit_mixed(pools, "score", "C(shift_pattern) + night_share", "pool")
    doc = json.loads(r.to_json())
    assert {"n", "n_groups", "icc", "converged", "warnings", "formula", "method"} <= set(doc["model"])
    assert doc["model"]["aic"] is None  # NaN -> null
    assert set(doc["terms"][0]) >= set(TERM_COLUMNS)
    assert isinstance(doc["model"]["warnings"], list)


# ------------------------------------------------------------------ statsmodels pitfalls


def _collapsed_re_data(seed: int = 52) -> pd.DataFrame:
    """No between-group variance and a between-group regressor: triggers issue 10239."""
    rng = np.random.default_rng(seed)
    G = 20
    g = np.repeat(np.arange(G), 6)
    x = np.repeat(rng.normal(size=G), 6)
    return pd.DataFrame({"g": g, "x": x, "w": rng.normal(size=G * 6),
                         "y": 1 + 2 * x + rng.normal(size=G * 6)})


def test_issue_10239_is_detected_and_avoided(monkeypatch):
    import statsmodels.regression.mixed_linear_model as mlm

    d = _collapsed_re_data()
    orig = mlm.MixedLM.fit

    def lbfgs_fit(self, *a, **k):  # statsmodels' lbfgs from its own start shows the bug
        if k.get("start_params") is None:
            k["method"] = ["lbfgs"]
        return orig(self, *a, **k)

    monkeypatch.setattr(mlm.MixedLM, "fit", lbfgs_fit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = mlm.MixedLM.from_formula("y ~ x + w", d, groups=d["g"]).fit()
    assert raw.converged and raw.fe_params["Intercept"] == 0.0  # the bug itself
    # detected only where statsmodels took its pseudo-inverse branch (relative variance ~ 0)
    assert mixed._sm_zero_variance(raw) and mixed._issue_10239(raw, "y ~ x + w", d)
    # started at lme4's profiled optimum, statsmodels gives GLS at tau^2 = 0, i.e. OLS
    r = fit_mixed(d, "y", "x + w", "g", icc=False)
    assert r.info["singular"] and r.info["method"] == "mixedlm-reml"
    assert any("singular fit" in w for w in r.info["warnings"])
    t = r.terms.set_index("term")
    ols = fit_ols_cluster(d, "y", "x + w", "g").terms.set_index("term")
    for term in ("Intercept", "x", "w"):
        assert t.loc[term, "estimate"] == pytest.approx(ols.loc[term, "estimate"], abs=1e-6)
    assert t.loc["x", "estimate"] == pytest.approx(2, abs=0.3)
    assert abs(r.info["deviance_increase_at_zero_variance"]) < 1e-5  # the profile is flat at 0


def test_warnings_are_recorded_not_swallowed():
    d = _collapsed_re_data()
    r = fit_mixed(d, "y", "x + w", "g", icc=False)
    # default optimisers: statsmodels warns about the boundary; we record it
    assert r.info["singular"]
    assert any("boundary" in w.lower() or "singular" in w.lower() for w in r.info["warnings"])
    assert r.terms.set_index("term").loc["Intercept", "estimate"] != 0.0


def test_gee_and_cluster_ols_robustness(pools):
    g = fit_gee(pools, "score", "C(shift_pattern) + night_share + C(wave)", "pool")
    o = fit_ols_cluster(pools, "score", "C(shift_pattern) + night_share + C(wave)", "pool")
    m = fit_mixed(pools, "score", "C(shift_pattern) + night_share + C(wave)", "pool", icc=False)
    for r in (g, o):
        t = r.terms.set_index("term")
        assert t.loc["shift_pattern[night]", "estimate"] == pytest.approx(
            m.terms.set_index("term").loc["shift_pattern[night]", "estimate"], abs=1.0)
    assert g.info["method"] == "gee-exchangeable"
    assert 0 < g.info["working_correlation"] < 0.5
    assert o.info["method"] == "ols-cluster-cr1" and "CR1" in o.info["se_convention"]
    # use_t=True: t quantile with G-1 = 39 df, not normal
    t = o.terms.set_index("term").loc["wave[w2]"]
    from scipy import stats as sps
    q = sps.t.ppf(0.975, 39)
    assert t["ci_high"] - t["estimate"] == pytest.approx(q * t["std_err"], rel=1e-6)


# ------------------------------------------------------------------ multiple comparisons


P = [0.001, 0.008, 0.012, 0.030, 0.041, 0.20, 0.74]


def test_holm_and_bh_match_r_p_adjust():
    h = adjust_pvalues(P, method="holm")
    np.testing.assert_allclose(h["p_adjusted"], [0.007, 0.048, 0.06, 0.12, 0.123, 0.4, 0.74])
    assert (h["method"] == "holm").all()
    b = adjust_pvalues(P, method="bh")
    np.testing.assert_allclose(b["p_adjusted"],
                               [0.007, 0.028, 0.028, 0.0525, 0.0574, 0.2333333333, 0.74])
    assert (b["method"] == "fdr_bh").all()
    with pytest.raises(TypeError):
        adjust_pvalues(P)  # method is required
    with pytest.raises(ValueError):
        adjust_pvalues(P, method="hs")


def test_adjust_terms_skips_intercept(pools):
    r = fit_mixed(pools, "score", "C(shift_pattern) + night_share", "pool", icc=False)
    a = adjust_terms(r.terms, "holm")
    assert np.isnan(a.loc[a.term == "Intercept", "p_adjusted"]).all()
    assert (a["p_adjust_method"] == "holm").all()
    fam = a[a.term != "Intercept"]
    assert (fam["p_adjusted"] >= fam["p_value"]).all()


# ------------------------------------------------------------------ difference-in-differences


def test_organ_donation_twfe_and_cr1(organ):
    r = did_twfe(organ, "Rate", "State", "Quarter", "treated")
    t = r.terms.set_index("term").loc["treated"]
    assert t["estimate"] == pytest.approx(-0.02246, abs=1e-4)
    assert t["std_err"] == pytest.approx(0.00672, abs=5e-6)
    assert "every regressor" in r.info["se_convention"]
    assert r.info["n"] == 162 and r.info["n_units"] == 27 and r.info["n_periods"] == 6
    assert r.info["n_treated_units"] == 1
    assert ONE_TREATED_CLUSTER_NOTE in r.info["warnings"]
    assert r.info["df_resid"] == 162 - 1 - 26 - 5 - 1


def test_organ_donation_permutation_p_is_5_of_27(organ):
    placebo, s = permutation_did(organ, "Rate", "State", "Quarter", "treated")
    assert s["p_value"] == pytest.approx(5 / 27)
    assert s["n_permutations"] == 27 and s["p_floor"] == pytest.approx(1 / 27)
    assert "1/27" in s["note"] and "MacKinnon" in s["note"]
    assert s["estimate"] == pytest.approx(-0.022458974, abs=1e-8)
    assert placebo["is_actual"].sum() == 1
    assert placebo.iloc[0]["assignment"] == "Michigan"


def test_organ_donation_did_report_and_event_study(organ):
    r = did(organ, "Rate", "State", "Quarter_Num", "treated")
    assert r.info["permutation_p"] == pytest.approx(5 / 27)
    assert r.info["permutation_p_floor"] == pytest.approx(1 / 27)
    es = r.tables["event_study"].set_index("rel_time")
    assert list(es.index) == [-3, -2, -1, 0, 1, 2]
    assert es.loc[-1, "estimate"] == 0.0 and np.isnan(es.loc[-1, "std_err"])
    # with one treated unit each lag is California's deviation from its Q2 2011 value,
    # net of the other states' change: check one directly
    d = organ.pivot(index="State", columns="Quarter_Num", values="Rate")
    ca, rest = d.loc["California"], d.drop(index="California").mean()
    assert es.loc[0, "estimate"] == pytest.approx((ca[4] - ca[3]) - (rest[4] - rest[3]), abs=1e-10)
    doc = json.loads(r.to_json())
    assert "event_study" in doc and "placebo" in doc and doc["model"]["permutation_p"] > 0


def test_did_cross_sections_individual_level():
    rng = np.random.default_rng(3)
    rows = []
    for reg in range(8):
        for w in range(4):
            n = 12
            treated = int(reg == 0 and w >= 2)
            y = 50 + reg + 2 * w + 5 * treated + rng.normal(0, 3, n)
            rows += [{"region": f"r{reg}", "wave": f"2026-{w}", "score": v, "treated": treated}
                     for v in y]
    d = pd.DataFrame(rows)
    r = did_cross_sections(d, "score")
    t = r.terms.set_index("term").loc["treated"]
    assert t["estimate"] == pytest.approx(5, abs=2)
    assert r.info["cell_sizes"] == {"min": 12, "max": 12, "n_cells": 32}
    assert r.info["n_permutations"] == 8 and r.info["permutation_p"] == pytest.approx(1 / 8)
    assert r.info["method"].startswith("did-repeated-cross-sections")


def test_permutation_refuses_staggered_adoption(organ):
    d = organ.copy()
    d.loc[(d.State == "Alaska") & (d.Quarter_Num >= 5), "treated"] = 1
    with pytest.raises(ValueError, match="staggered"):
        permutation_did(d, "Rate", "State", "Quarter", "treated")


def test_singular_check_does_not_depend_on_outcome_units(pools):
    d = _collapsed_re_data()
    for factor in (1e-3, 1.0, 1e3):
        r = fit_mixed(d.assign(y=d.y * factor), "y", "x + w", "g", icc=False)
        assert r.info["singular"], factor
        assert r.terms.set_index("term").loc["x", "estimate"] == pytest.approx(
            2.0 * factor, rel=0.15)
    for factor in (1e-3, 1e3):
        r = fit_mixed(pools.assign(score=pools.score * factor), "score", "night_share",
                      "pool", icc=False)
        assert not r.info["singular"], factor


def test_icc_null_direct(pools):
    sink: list[str] = []
    assert icc_null(pools, "score", "pool", sink) == pytest.approx(0.12980892, abs=1e-4)


# ------------------------------------------------------------------ issue 19: fitting strategy vs lme4
# numbers from tests/reference/models.R -> models.out (lme4 1.1-31)

SLOPES_LME4_REML = {  # estimate, SE
    "Intercept": (5.34298981506, 0.326494780682),
    "HRS.c": (-0.04762980157, 0.003874701493),
    "G.HRS": (-0.12929294610, 0.029055851460),
}


@pytest.fixture(scope="module")
def slopes() -> pd.DataFrame:
    return pd.read_csv(DATA / "slopes-sim.csv")


def test_small_slope_variance_defeats_statsmodels_default_chain(slopes):
    """The case that matters: statsmodels says 'converged' and prints a wrong slope SE."""
    import statsmodels.formula.api as smf

    d = slopes.rename(columns={"HRS.c": "HRSc", "G.HRS": "GHRS"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raw = smf.mixedlm("WBEING ~ HRSc + GHRS", d, groups=d["GRP"], re_formula="~HRSc").fit()
    assert any("Hessian" in str(w.message) for w in caught)
    assert raw.cov_re.iloc[1, 1] > 100 * 4.186676264e-05     # slope variance 0.12 vs lme4 4.2e-5
    assert raw.bse_fe["HRSc"] > 5 * 0.003874701493           # SE 0.035 vs lme4 0.0039


def test_random_slopes_match_lme4_through_csv_engine_with_dotted_names():
    from wellbeing.services.analysis import fit_csv

    r = fit_csv(str(DATA / "slopes-sim.csv"), "WBEING", "HRS.c + G.HRS", "GRP", re_formula="~HRS.c")
    t = r.terms.set_index("term")
    assert list(t.index) == ["Intercept", "HRS.c", "G.HRS"]   # Q("...") not shown
    for term, (est, se) in SLOPES_LME4_REML.items():
        assert t.loc[term, "estimate"] == pytest.approx(est, rel=1e-4, abs=1e-6), term
        assert t.loc[term, "std_err"] == pytest.approx(se, rel=5e-3), term   # acceptance: 0.5 %
    vc = r.info["variance_components"]
    assert vc["residual"] == pytest.approx(7.263521636e-01, rel=1e-4)
    assert vc["group:Group"] == pytest.approx(5.286494582e-02, rel=1e-2)
    assert vc['group:Q("HRS.c")'] == pytest.approx(4.186676264e-05, rel=2e-2)
    assert r.info["deviance"] == pytest.approx(18400.616434, abs=1e-3)
    assert r.info["singular"]  # lme4: isSingular TRUE (correlation 1)
    assert r.info["converged"] and r.info["optimiser"] in OPTIMISERS


def test_random_slopes_ml_match_lme4(slopes):
    d = slopes.rename(columns={"HRS.c": "HRSc", "G.HRS": "GHRS"})
    r = fit_mixed(d, "WBEING", "HRSc + GHRS", "GRP", re_formula="~HRSc", reml=False, icc=False)
    t = r.terms.set_index("term")
    assert t.loc["HRSc", "estimate"] == pytest.approx(-0.04763036868, abs=1e-6)
    assert t.loc["HRSc", "std_err"] == pytest.approx(0.003874785886, rel=5e-3)
    assert t.loc["GHRS", "std_err"] == pytest.approx(0.028743696160, rel=5e-3)
    assert r.info["llf"] == pytest.approx(-18380.573178 / 2, abs=1e-3)


def test_random_intercept_ses_are_lme4s_and_t_is_unit_free(slopes):
    d = slopes.rename(columns={"HRS.c": "HRSc", "G.HRS": "GHRS"})
    ref = {"Intercept": (5.3464458086, 0.33159459419), "HRSc": (-0.0475938794, 0.00381716414),
           "GHRS": (-0.1296054154, 0.02951318991)}
    r = fit_mixed(d, "WBEING", "HRSc + GHRS", "GRP", icc=False)
    t = r.terms.set_index("term")
    for term, (est, se) in ref.items():
        assert t.loc[term, "estimate"] == pytest.approx(est, rel=1e-6), term
        assert t.loc[term, "std_err"] == pytest.approx(se, rel=1e-4), term
    assert not r.info["singular"]
    # outcome in units 1e4 times larger: tau^2 = 5.3e-10, the same t statistics (lme4: 16.12343673,
    # -12.46838695, -4.39143930) and no singular-fit or OLS artefact
    r4 = fit_mixed(d.assign(WBEING=d.WBEING * 1e-4), "WBEING", "HRSc + GHRS", "GRP", icc=False)
    t4 = r4.terms.set_index("term")
    assert r4.info["method"] == "mixedlm-reml" and not r4.info["singular"]
    assert r4.info["variance_components"]["group:Group"] == pytest.approx(5.317404992e-10, rel=1e-4)
    for term, tval in (("Intercept", 16.12343673), ("HRSc", -12.46838695), ("GHRS", -4.39143930)):
        assert t4.loc[term, "estimate"] / t4.loc[term, "std_err"] == pytest.approx(tval, rel=1e-4)
        assert (t4.loc[term, "estimate"] / t4.loc[term, "std_err"]
                == pytest.approx(t.loc[term, "estimate"] / t.loc[term, "std_err"], rel=1e-5))


def test_sleepstudy_random_intercept_ses_match_lme4(sleep):
    r = fit_mixed(sleep, "Reaction", "Days", "Subject", icc=False)
    t = r.terms.set_index("term")
    assert t.loc["Intercept", "std_err"] == pytest.approx(9.7467162692, rel=1e-4)
    assert t.loc["Days", "std_err"] == pytest.approx(0.8042214289, rel=1e-4)
    assert r.info["variance_components"]["group:Group"] == pytest.approx(1378.1785138, rel=1e-4)


def test_fra_null_model_matches_lme4_not_singular():
    fra = pd.read_csv(DATA / "fra-dispatchers.csv").dropna(subset=["Mentally_Drained", "job_schedule"])
    sink: list[str] = []
    assert icc_null(fra, "Mentally_Drained", "job_schedule", sink) == pytest.approx(0.00196120, abs=2e-6)
    r = fit_mixed(fra, "Mentally_Drained", "1", "job_schedule", icc=False)
    assert r.info["variance_components"]["group:Group"] == pytest.approx(0.00103855253, rel=1e-3)
    assert not r.info["singular"] and r.info["method"] == "mixedlm-reml"
    t = r.terms.set_index("term").loc["Intercept"]
    assert t["estimate"] == pytest.approx(2.770983817, abs=1e-6)
    assert t["std_err"] == pytest.approx(0.03754742999, rel=1e-4)
    assert t["df"] == 4  # G - 1 with 5 job schedules


def test_no_converging_optimiser_refuses_with_reasons(monkeypatch, pools):
    """statsmodels run for one iteration from its own start: every attempt fails -> refusal."""
    import statsmodels.regression.mixed_linear_model as mlm

    orig = mlm.MixedLM.fit

    def one_step(self, *a, **k):
        k["start_params"] = None
        k["maxiter"] = 1
        return orig(self, *a, **k)

    monkeypatch.setattr(mlm.MixedLM, "fit", one_step)
    with pytest.raises(ModelRefused) as exc:
        fit_mixed(pools, "score", "night_share", "pool", icc=False)
    assert [r.split(":")[0] for r in exc.value.reasons] == list(OPTIMISERS)
    assert all("did not converge" in r or "optimum" in r for r in exc.value.reasons)


def test_a_random_intercept_confounded_with_the_exposure_is_fitted_with_a_warning() -> None:
    """Regression: three pools, each its own shift pattern. The pool intercept and the pattern
    effects span the same space, so the REML deviance is flat in the pool variance and its Hessian
    is 0. Every optimiser was rejected for it ("Hessian not positive definite") although any θ is an
    optimum; now the fit is accepted, the variance is said to be not identified and the pattern
    terms get no interval (0 between-pool df, as below)."""
    rng = np.random.default_rng(3)
    rows = [{"pool": f"p{i}", "pattern": pat, "score": float(s)}
            for i, (pat, n) in enumerate((("fixed-8h", 14), ("rotating-8h", 14), ("24-72", 6)))
            for s in rng.normal(50, 15, n)]
    data = pd.DataFrame(rows)
    r = fit_mixed(data, "score", "C(pattern)", "pool", icc=False)
    assert any("not identified" in w for w in r.info["warnings"])
    t = r.terms.set_index("term")
    means = data.groupby("pattern")["score"].mean()
    assert t.loc["pattern[fixed-8h]", "estimate"] == pytest.approx(means["fixed-8h"] - means["24-72"], abs=1e-6)
    assert np.isnan(t.loc["pattern[fixed-8h]", "ci_low"])


def test_design_gives_rule_12_inputs_without_fitting() -> None:
    data = pd.DataFrame({"pool": list("aabbcc") * 3, "pattern": ["x", "y"] * 9,
                         "score": np.arange(18.0)})
    d = design(data, "score", "C(pattern)", "pool")
    assert d.info["n"] == 18 and d.info["df_resid"] == 16 and d.info["n_groups"] == 3
    assert d.info["factor_levels"] == {"pattern": {"x": 9, "y": 9}}
    assert list(d.terms["term"]) == ["Intercept", "pattern[y]"] and d.terms["estimate"].isna().all()


# ------------------------------------------------------------------ issue 19: studentised permutation


def _unequal_null_pilot(seed: int = 12) -> pd.DataFrame:
    """10 regions, the pilot (r0) tiny, the others large; no pilot effect."""
    rng = np.random.default_rng(seed)
    rows = []
    for reg in range(10):
        n = 4 if reg == 0 else 300
        for w in range(4):
            y = 50 + reg + w + rng.normal(0, 0.3) + rng.normal(0, 10, n)
            rows.append(pd.DataFrame({"region": f"r{reg}", "wave": w, "score": y,
                                      "treated": int(reg == 0 and w >= 2)}))
    return pd.concat(rows, ignore_index=True)


def test_small_pilot_region_is_not_an_effect_once_studentised():
    d = _unequal_null_pilot()
    placebo, s = permutation_did(d, "score", "region", "wave", "treated")
    # the raw estimate of a 4-response region is the most extreme of the 10 by noise alone
    assert s["p_value_estimate"] == pytest.approx(0.1)
    assert placebo.set_index("assignment").loc["r0", "std_err"] > 5 * placebo["std_err"].median()
    assert s["p_value"] >= 0.3 and s["statistic"] == "t"
    # the SE is the model one: sigma^2/S + tau^2 sum(n^2 d~^2)/S^2, sigma^2 the within-cell variance
    assert s["sigma2"] == pytest.approx(100, rel=0.1)
    raw = permutation_did(d, "score", "region", "wave", "treated", statistic="estimate")[1]
    assert raw["p_value"] == pytest.approx(0.1)


def test_did_reports_permutation_inference_and_keeps_cr1_aside():
    d = _unequal_null_pilot()
    d.loc[d.treated == 1, "score"] += 0.0
    r = did_cross_sections(d, "score", with_event_study=False)
    t = r.terms.set_index("term").loc["treated"]
    assert t["p_value"] == r.info["permutation_p"] == t["p_value_permutation"]
    cr1 = r.tables["cluster_robust"].set_index("term").loc["treated"]
    assert cr1["p_value"] != t["p_value"] and cr1["estimate"] == pytest.approx(t["estimate"])
    assert "robustness table" in r.info["cluster_robust_warning"]
    # R = 10 assignments: a 95 % interval by inversion is unbounded, and said so
    assert np.isnan(t["ci_low"]) and any("unbounded" in w for w in r.info["warnings"])


def test_permutation_interval_covers_a_planted_effect_with_20_regions():
    rng = np.random.default_rng(5)
    rows = []
    for reg in range(20):
        n = 40 + 30 * reg
        for w in range(6):
            eff = 4.0 if (reg == 0 and w >= 3) else 0.0
            y = 50 + reg + w + eff + rng.normal(0, 1.0) + rng.normal(0, 10, n)
            rows.append(pd.DataFrame({"region": f"r{reg:02d}", "wave": w, "score": y,
                                      "treated": int(reg == 0 and w >= 3)}))
    d = pd.concat(rows, ignore_index=True)
    _, s = permutation_did(d, "score", "region", "wave", "treated")
    assert s["ci_low"] < 4.0 < s["ci_high"]
    assert s["ci_low"] < s["estimate"] < s["ci_high"]
    # inverting at a bound gives p just above 5 %: the bound is where the pilot stops being extreme
    assert s["n_permutations"] == 20 and s["p_floor"] == pytest.approx(0.05)


def test_organ_donation_fixest_convention_on_request(organ):
    """fixest's default (fixef.K = 'nested') 0.00613, statsmodels' CR1 with every dummy 0.00672."""
    r = did_twfe(organ, "Rate", "State", "Quarter", "treated", k_convention="nested")
    t = r.terms.set_index("term").loc["treated"]
    assert t["std_err"] == pytest.approx(0.00613, abs=5e-6)
    assert t["estimate"] == pytest.approx(-0.022459, abs=1e-6)
    assert "fixest" in r.info["se_convention"]
    with pytest.raises(ValueError, match="nested"):
        did_twfe(organ.assign(region=np.arange(len(organ)) % 3), "Rate", "State", "Quarter",
                 "treated", cluster="region", k_convention="nested")


def test_group_level_factor_with_no_between_group_df_gets_no_interval():
    """3 pools, a 3-level pool-level factor: G - 1 - 2 = 0 df, so no t interval (not t with 1 df)."""
    rng = np.random.default_rng(4)
    g = np.repeat(np.arange(3), 30)
    d = pd.DataFrame({"g": g, "pattern": np.array(["a", "b", "c"])[g],
                      "w": rng.normal(size=90), "y": 50 + rng.normal(0, 2, 3)[g] + rng.normal(0, 5, 90)})
    r = fit_mixed(d, "y", "C(pattern) + w", "g", icc=False)
    t = r.terms.set_index("term")
    assert t.loc["pattern[b]", "df"] == 0 and np.isnan(t.loc["pattern[b]", "ci_low"])
    assert np.isnan(t.loc["pattern[b]", "p_value"]) and np.isfinite(t.loc["pattern[b]", "estimate"])
    assert t.loc["w", "df"] == 90 - 3 - 1 and np.isfinite(t.loc["w", "ci_low"])
    assert any("no degrees of freedom left" in w for w in r.info["warnings"])
