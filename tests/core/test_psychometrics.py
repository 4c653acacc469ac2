"""Psychometrics pinned to R psych 2.2.9 (tests/reference/reference.R / reference.out)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wellbeing.core import psychometrics as pm

DATA = Path(__file__).resolve().parents[1] / "data"
STRESSORS = [
    "Emergencies", "Lack_of_control", "Sleep_loss", "Coord_other_depts", "Job_pressure",
    "Scanty_Rules", "Mgmt_policies", "Job_Security", "Surges_in_work", "Communication",
    "Inadeq_Staff", "Resp_for_others_safety", "BreakTime", "TimeOff",
]

# psych::alpha(x)$item.stats$r.drop, x = na.omit(stressors)
R_DROP = [0.4100061775, 0.3460636864, 0.5233857859, 0.3793025961, 0.5160063478,
          0.5403857894, 0.5564769038, 0.4800487263, 0.5878859600, 0.5033352667,
          0.5801049473, 0.4919103183, 0.6097166745, 0.5099053298]
# psych::alpha(x)$alpha.drop$raw_alpha
ALPHA_DROP = [0.8509381707, 0.8549885316, 0.8449488261, 0.8525572372, 0.8453095528,
              0.8437402031, 0.8430328301, 0.8473582207, 0.8413516214, 0.8458772226,
              0.8411608447, 0.8465447186, 0.8391522546, 0.8457217182]
# psych::fa(x, nfactors = 1, fm = "ml")
LOADINGS = [0.4405116587, 0.3574658728, 0.5372126124, 0.4374297595, 0.5765767195,
            0.5998316184, 0.6122462053, 0.5062256400, 0.6484622747, 0.5658013320,
            0.6268830070, 0.5406394670, 0.6561818634, 0.5343597426]
MISSING = [1, 3, 1, 2, 1, 1, 1, 1, 2, 1, 1, 1, 2, 1]


@pytest.fixture(scope="module")
def stressors() -> pd.DataFrame:
    return pd.read_csv(DATA / "fra-dispatchers.csv")[STRESSORS]


def test_alpha_and_feldt_ci_match_psych(stressors):
    a = pm.cronbach_alpha(stressors).iloc[0]
    assert a["n"] == 437 and a["k"] == 14
    assert a["alpha"] == pytest.approx(0.8554046771, abs=1e-9)
    assert a["ci_low"] == pytest.approx(0.8347074631, abs=1e-8)
    assert a["ci_high"] == pytest.approx(0.8745500951, abs=1e-8)
    assert a["ci_method"] == "feldt"


def test_omega_total_matches_psych_fa_ml(stressors):
    o = pm.omega_total(stressors).iloc[0]
    assert o["omega"] == pytest.approx(0.8570795958, abs=1e-5)
    assert o["converged"]
    fa = pm.one_factor_ml(stressors)
    np.testing.assert_allclose(fa["loading"], LOADINGS, atol=1e-4)
    np.testing.assert_allclose(fa["uniqueness"], 1 - np.square(LOADINGS), atol=2e-4)


def test_item_total_matches_psych(stressors):
    it = pm.item_total(stressors)
    np.testing.assert_allclose(it["r_drop"], R_DROP, atol=1e-9)
    np.testing.assert_allclose(it["alpha_if_dropped"], ALPHA_DROP, atol=1e-9)
    assert not it["flag"].any()  # all >= .30 (lowest: Lack_of_control .346)
    assert list(pm.item_total(stressors, flag_below=0.35)["flag"]) == [
        r < 0.35 for r in R_DROP]


def test_missingness_and_floor_ceiling(stressors):
    m = pm.missingness(stressors)
    assert list(m["n_missing"]) == MISSING
    assert (m["n"] == 443).all()
    assert m["share_missing"].iloc[1] == pytest.approx(3 / 443)
    fc = pm.floor_ceiling(stressors, 1, 4)
    col = stressors["Emergencies"].dropna()
    assert fc["share_floor"].iloc[0] == pytest.approx((col == 1).mean())
    assert fc["share_ceiling"].iloc[0] == pytest.approx((col == 4).mean())
    assert (fc["n_answered"] == 443 - m["n_missing"]).all()


def test_item_analysis_and_reliability_tables(stressors):
    ia = pm.item_analysis(stressors, 1, 4)
    assert list(ia.columns) == ["item", "n", "n_missing", "share_missing", "share_floor",
                                "share_ceiling", "r_drop", "alpha_if_dropped", "flag"]
    assert len(ia) == 14
    rel = pm.reliability(stressors).iloc[0]
    assert rel["alpha"] == pytest.approx(0.8554046771, abs=1e-9)
    assert rel["omega"] == pytest.approx(0.8570795958, abs=1e-5)
    assert rel["n_flagged"] == 0


def test_flags_a_bad_item_and_orients_loadings():
    rng = np.random.default_rng(1)
    f = rng.normal(size=300)
    x = pd.DataFrame({f"i{j}": f + rng.normal(scale=0.8, size=300) for j in range(4)})
    x["noise"] = rng.normal(size=300)
    it = pm.item_total(x)
    assert it.set_index("item").loc["noise", "flag"]
    assert not it.set_index("item").loc["i0", "flag"]
    fa = pm.one_factor_ml(-x)  # all items reversed: loadings still oriented positive
    assert fa["loading"].sum() > 0


def test_input_validation():
    with pytest.raises(ValueError):
        pm.cronbach_alpha(pd.DataFrame({"a": [1, 2, 3]}))
    with pytest.raises(ValueError):
        pm.omega_total(pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 3, 4]}))
    with pytest.raises(ValueError):
        pm.cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": [1, 2, 3]}), ci=1.5)
    with pytest.raises(TypeError):
        pm.cronbach_alpha(np.ones((5, 3)))


def test_reliability_with_two_items_has_no_omega(stressors):
    rel = pm.reliability(stressors[["Emergencies", "Sleep_loss"]]).iloc[0]
    assert np.isnan(rel["omega"]) and rel["k"] == 2 and 0 < rel["alpha"] < 1
