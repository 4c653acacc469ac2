"""Released tables: minimum K, shares, complementary suppression, auditor, open wave (rules 7, 8, 11)."""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from wellbeing.core.disclosure import ALL, ScaleSpec, audit_release, release_table

CBI = ScaleSpec(0, 100, 0)
K = 5


def cell(out, **where):
    """The one released row matching ``where`` (unnamed dimensions must be "*")."""
    mask = np.ones(len(out), dtype=bool)
    numbers = ("level", "n", "mean", "share_high", "suppressed", "reason", "share_reason")
    for d in [c for c in out.columns if c not in numbers]:
        mask &= out[d].astype(str) == str(where.get(d, ALL))
    rows = out[mask]
    assert len(rows) == 1, (where, rows)
    return rows.iloc[0]


def sum_range(out, cells, dims, target, scale=CBI):
    """Independent tiny LP: bounds of a finest cell's mean given the released rows and true counts."""
    cells = cells.reset_index(drop=True)
    n = cells["n"].to_numpy(float)
    a_ub, b_ub = [], []
    for _, row in out[~out["suppressed"] & out["mean"].notna()].iterrows():
        member = np.ones(len(cells), dtype=bool)
        for d in dims:
            if str(row[d]) != ALL:
                member &= cells[d].astype(str).to_numpy() == str(row[d])
        tot = member @ n
        a_ub += [member.astype(float), -member.astype(float)]
        b_ub += [(row["mean"] + scale.half_unit) * tot, -(row["mean"] - scale.half_unit) * tot]
    bounds = [(scale.lo * x, scale.hi * x) for x in n]
    c = np.zeros(len(cells))
    c[target] = 1
    lo = linprog(c, A_ub=a_ub or None, b_ub=b_ub or None, bounds=bounds).fun
    hi = -linprog(-c, A_ub=a_ub or None, b_ub=b_ub or None, bounds=bounds).fun
    return lo / n[target], hi / n[target]


def test_parent_minus_children():
    # A region of 3 groups, one below K: region total minus the two shown groups would reveal it.
    cells = pd.DataFrame(
        {"region": ["R1"] * 3, "group": ["a", "b", "c"], "n": [3, 8, 9], "sum": [270.0, 400.0, 430.0]}
    )
    out = release_table(cells, ["region", "group"], CBI, margins=[["region"]])
    a, b, c = (cell(out, region="R1", group=g) for g in "abc")
    region = cell(out, region="R1")
    assert (a.suppressed, a.reason) == (True, "below_k")
    assert pd.isna(a.n) and pd.isna(a["mean"])  # no count for fewer than K
    assert (b.suppressed, b.reason) == (True, "complementary")  # smallest shown sibling
    assert not c.suppressed and c["mean"] == 48 and c.n == 9
    assert not region.suppressed and region.n == 20 and region["mean"] == 55
    lo, hi = sum_range(out, cells, ["region", "group"], 0)
    assert hi - lo >= 25


def test_below_k_margin_shows_nothing():
    cells = pd.DataFrame({"region": ["R1", "R1"], "group": ["a", "b"], "n": [2, 2], "sum": [100.0, 120.0]})
    out = release_table(cells, ["region", "group"], CBI, margins=[["region"]])
    assert out["suppressed"].all() and set(out["reason"]) == {"below_k"}
    assert out[["n", "mean", "share_high"]].isna().all().all()


def test_crossed_margins_unit_against_shift_pattern():
    # Units (region) x shift pattern; margins by region, by shift pattern and the grand total.
    cells = pd.DataFrame(
        {
            "region": ["R1", "R1", "R2", "R2"],
            "shift_pattern": ["24-72", "fixed-8h", "24-72", "fixed-8h"],
            "n": [2, 12, 15, 20],
            "sum": [190.0, 600.0, 800.0, 1000.0],
        }
    )
    dims = ["region", "shift_pattern"]
    out = release_table(cells, dims, CBI, margins=[["region"], ["shift_pattern"], []])
    small = cell(out, region="R1", shift_pattern="24-72")
    assert small.reason == "below_k"
    # Hidden in its row (region R1) and in its column (24-72) -- and then the rectangle closes.
    assert cell(out, region="R1", shift_pattern="fixed-8h").suppressed
    assert cell(out, region="R2", shift_pattern="24-72").suppressed
    assert cell(out, region="R2", shift_pattern="fixed-8h").suppressed
    lo, hi = sum_range(out, cells, dims, 0)
    assert hi - lo >= 25 - 1e-6
    assert not cell(out).suppressed  # the grand total stays
    assert not cell(out, region="R2").suppressed and not cell(out, shift_pattern="fixed-8h").suppressed
    assert audit_release(out, cells, dims, CBI).empty
    # The complementary cell R1 x fixed-8h can be narrowed (R1 minus a 2-person cell): harmless, it
    # has 12 respondents -- unless every withheld cell is to be protected.
    lo, hi = sum_range(out, cells, dims, 1)
    assert hi - lo < 25
    strict = release_table(cells, dims, CBI, margins=[["region"], ["shift_pattern"], []], protect_complementary=True)
    for g in range(4):
        lo, hi = sum_range(strict, cells, dims, g)
        assert hi - lo >= 25 - 1e-6
    assert audit_release(strict, cells, dims, CBI, protect_complementary=True).empty
    assert not audit_release(out, cells, dims, CBI, protect_complementary=True).empty


def test_shares_together_with_counts():
    # Shown counts and rounded percentages give the number of "high" scores exactly:
    # region 7/16 high, group b 5/10 high -> group a (whose share is withheld) has 2/6.
    cells = pd.DataFrame(
        {
            "region": ["R1", "R1"],
            "group": ["a", "b"],
            "n": [6, 10],
            "sum": [300.0, 480.0],
            "n_high": [2, 5],
        }
    )
    out = release_table(cells, ["region", "group"], CBI, margins=[["region"]])
    a, b, region = cell(out, region="R1", group="a"), cell(out, region="R1", group="b"), cell(out, region="R1")
    assert not a.suppressed and a.n == 6 and a["mean"] == 50  # the mean and count stay
    assert pd.isna(a.share_high) and a.share_reason == "share_below_k" and a.reason == "share_below_k"
    # Without complementary suppression of a share, region - b would give a's share.
    assert pd.isna(b.share_high) or pd.isna(region.share_high)
    assert not region.suppressed and region.n == 16
    assert audit_release(out, cells, ["region", "group"], CBI).empty


def test_group_of_five_all_high():
    cells = pd.DataFrame(
        {
            "group": ["a", "b", "c"],
            "n": [5, 5, 12],
            "sum": [500.0, 350.0, 500.0],  # a: all five at 100; b: all five "high" (>= 50)
            "n_high": [5, 5, 6],
        }
    )
    out = release_table(cells, ["group"], CBI)
    a, b, c = (cell(out, group=g) for g in "abc")
    assert a.suppressed and a.reason == "auditor"  # the mean 100 itself reveals all five
    assert pd.isna(a["mean"]) and pd.isna(a.share_high)
    assert not b.suppressed and b["mean"] == 70  # the mean alone does not pin anyone
    assert pd.isna(b.share_high) and b.share_reason == "share_below_k"  # 100 % "high" would
    assert c.share_high == 50 and c.reason == ""


def test_mean_proves_everyone_high():
    # Five scores averaging 92 are each >= 60: all five are "high" (>= 50) although the share
    # is withheld -- known only when the band is declared.
    cells = pd.DataFrame({"group": ["a", "b"], "n": [5, 40], "sum": [460.0, 40 * 92.0], "n_high": [5, 35]})
    banded = release_table(cells, ["group"], ScaleSpec(0, 100, 0, high_from=50))
    assert cell(banded, group="a").reason == "auditor" and cell(banded, group="a").suppressed
    assert cell(banded, group="b")["mean"] == 92  # 40 scores averaging 92 need not all be high
    assert cell(banded, group="b").share_high == 88
    plain = release_table(cells, ["group"], CBI)
    assert cell(plain, group="a")["mean"] == 92 and cell(plain, group="a").reason == "share_below_k"
    low = pd.DataFrame({"group": ["a"], "n": [5], "sum": [40.0], "n_high": [0]})
    assert release_table(low, ["group"], ScaleSpec(0, 100, 0, high_from=50)).loc[0, "reason"] == "auditor"


def test_mean_narrows_a_withheld_share():
    # 20 scores averaging 90 with "high" from 50: at least 16 of the 20 are high, so the withheld
    # share (complement 1 < K) would be known to lie in 80-100 %: with the band declared, the mean
    # is withheld as well.
    cells = pd.DataFrame({"group": ["a", "b"], "n": [20, 30], "sum": [1800.0, 1500.0], "n_high": [19, 15]})
    banded = release_table(cells, ["group"], ScaleSpec(0, 100, 0, high_from=50))
    a = cell(banded, group="a")
    assert a.suppressed and a.reason == "auditor" and a.share_reason == "share_below_k"
    assert cell(banded, group="b")["mean"] == 50 and cell(banded, group="b").share_high == 50
    assert audit_release(banded, cells, ["group"], ScaleSpec(0, 100, 0, high_from=50)).empty
    plain = release_table(cells, ["group"], CBI)  # band unknown to the platform: mean shown
    assert cell(plain, group="a")["mean"] == 90 and pd.isna(cell(plain, group="a").share_high)
    flagged = audit_release(plain, cells, ["group"], ScaleSpec(0, 100, 0, high_from=50))
    assert flagged[["group", "kind"]].values.tolist() == [["a", "share"]]
    assert flagged.loc[0, "low"] == pytest.approx(80) and flagged.loc[0, "high"] == pytest.approx(100)


def test_band_counts_must_agree_with_sums():
    cells = pd.DataFrame({"group": ["a"], "n": [10], "sum": [900.0], "n_high": [2]})
    with pytest.raises(ValueError, match="n_high"):
        release_table(cells, ["group"], ScaleSpec(0, 100, 0, high_from=50))


def test_mean_near_ceiling_pins_members():
    # Five scores with mean 97 are each >= 85: as revealing as a share of 100 %.
    cells = pd.DataFrame({"group": ["a", "b"], "n": [5, 200], "sum": [485.0, 200 * 97.0]})
    out = release_table(cells, ["group"], CBI)
    assert cell(out, group="a").reason == "auditor"
    assert cell(out, group="b")["mean"] == 97  # 200 scores averaging 97 pin no one


def test_margin_at_floor_is_suppressed():
    # The region's mean rounds to 0: it would pin every group under it near 0.
    cells = pd.DataFrame(
        {"region": ["R1"] * 3, "group": ["a", "b", "c"], "n": [20, 20, 20], "sum": [0.0, 0.0, 29.0]}
    )
    out = release_table(cells, ["region", "group"], CBI, margins=[["region"]])
    region = cell(out, region="R1")
    assert region.suppressed and region.reason == "auditor"
    assert cell(out, region="R1", group="a").reason == "auditor"  # at the floor itself
    assert audit_release(out, cells, ["region", "group"], CBI).empty


def test_auditor_catches_what_counting_misses():
    # Two hidden cells with 4 + 10 respondents satisfy the counting rule, but b sits at the
    # ceiling, so region - c bounds a's sum from below: a's mean would be known to lie in
    # [80.75, 100] (region 65 of 44 -> [2838, 2882]; c 50 of 30 -> [1485, 1515]; b <= 1000).
    cells = pd.DataFrame(
        {"region": ["R1"] * 3, "group": ["a", "b", "c"], "n": [4, 10, 30], "sum": [380.0, 1000.0, 1500.0]}
    )
    dims = ["region", "group"]
    out = release_table(cells, dims, CBI, margins=[["region"]])
    assert cell(out, region="R1", group="a").reason == "below_k"
    assert cell(out, region="R1", group="b").reason == "auditor"
    # Something else had to go: the region or c.
    assert cell(out, region="R1").suppressed or cell(out, region="R1", group="c").suppressed
    lo, hi = sum_range(out, cells, dims, 0)
    assert hi - lo >= 25
    # The auditor flags the naive pattern (only a and b hidden).
    naive = out.copy()
    naive["suppressed"] = [True, True, False, False]
    naive.loc[2, "mean"] = 50.0
    naive.loc[3, "mean"] = 65.0
    flagged = audit_release(naive, cells, dims, CBI)
    flagged = flagged.set_index("group")
    assert flagged.loc["a", "low"] == pytest.approx(80.75, abs=1e-4)
    assert flagged.loc["a", "high"] == pytest.approx(100)


def test_scale_with_fewer_than_k_answers():
    # Group b had 10 respondents, but only 3 answered enough items to score this scale.
    cells = pd.DataFrame(
        {"department": ["D1"] * 3, "group": ["a", "b", "c"], "n": [11, 3, 14], "sum": [550.0, 150.0, 560.0]}
    )
    out = release_table(cells, ["department", "group"], CBI, margins=[["department"]])
    assert cell(out, department="D1", group="b").reason == "below_k"
    assert cell(out, department="D1", group="a").reason == "complementary"
    assert cell(out, department="D1", group="c")["mean"] == 40


def test_open_wave_releases_only_the_total_count():
    cells = pd.DataFrame(
        {"region": ["R1", "R1", "R2"], "group": ["a", "b", "c"], "n": [30, 40, 50], "sum": [1500.0, 1600.0, 2000.0],
         "n_high": [10, 12, 20]}
    )
    out = release_table(cells, ["region", "group"], CBI, margins=[["region"]], wave_open=True)
    total = cell(out, region=ALL, group=ALL)
    assert total.n == 120 and pd.isna(total["mean"]) and pd.isna(total.share_high)
    others = out[out["level"] != "total"]
    assert others["suppressed"].all() and (others["reason"] == "wave_open").all()
    assert others[["n", "mean", "share_high"]].isna().all().all()
    assert out["mean"].isna().all()


def test_rounding_half_away_in_release():
    # 2 groups with means 62.5 and 37.5: shown as 63 and 38 (round() would give 62 and 38).
    cells = pd.DataFrame({"group": ["a", "b"], "n": [10, 10], "sum": [625.0, 375.0]})
    out = release_table(cells, ["group"], CBI, margins=[[]])
    assert out["mean"].tolist() == [63.0, 38.0, 50.0]
    short = ScaleSpec(1, 7, 1)
    out = release_table(pd.DataFrame({"g": ["a"], "n": [8], "sum": [8 * 3.45]}), ["g"], short)
    assert out.loc[0, "mean"] == pytest.approx(3.5)


def test_margin_mean_summed_exactly():
    # 6.2 + 6.85 + 153.0 = 166.05 over 41 respondents is exactly 4.05 -> 4.1; float addition
    # gives 166.04999999999998 -> 4.0 (found by the property test).
    cells = pd.DataFrame({"g": ["a", "b", "c"], "n": [1, 1, 39], "sum": [6.2, 6.85, 153.0]})
    out = release_table(cells, ["g"], ScaleSpec(1, 7, 1), margins=[[]])
    assert out.loc[3, "mean"] == pytest.approx(4.1)


def test_k_raised_and_never_below_five():
    cells = pd.DataFrame({"group": ["a", "b"], "n": [6, 30], "sum": [300.0, 1500.0]})
    with pytest.raises(ValueError):
        release_table(cells, ["group"], CBI, k=4)
    out = release_table(cells, ["group"], CBI, k=7)
    assert out.loc[0, "reason"] == "below_k"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sum": [700.0, 10.0]}, "sum"),
        ({"n": [-1, 3]}, "n must"),
        ({"group": ["*", "b"]}, "reserved"),
        ({"group": ["a", "a"]}, "unique"),
        ({"sum": [None, 100.0]}, "sum must be given"),
        ({"roster": [5, 10]}, "roster"),
        ({"n_high": [7, 0]}, "n_high"),
    ],
)
def test_bad_input_refused(change, message):
    cells = pd.DataFrame({"group": ["a", "b"], "n": [6, 3], "sum": [300.0, 100.0]})
    for col, values in change.items():
        cells[col] = values
    with pytest.raises(ValueError, match=message):
        release_table(cells, ["group"], CBI)


def test_margin_shorthand_and_row_layout():
    cells = pd.DataFrame({"region": ["R1", "R1"], "group": ["a", "b"], "n": [10, 12], "sum": [500.0, 480.0]})
    out = release_table(cells, ["region", "group"], CBI, margins=["region", []])
    assert out["level"].tolist() == ["region+group", "region+group", "region", "total"]
    assert out.columns.tolist() == [
        "level", "region", "group", "n", "mean", "share_high", "suppressed", "reason", "share_reason"
    ]
    assert str(out["n"].dtype) == "Int64" and str(out["mean"].dtype) == "Float64"
    assert out["share_high"].isna().all() and (out["reason"] == "").all()


def test_unknown_margin_dimension():
    cells = pd.DataFrame({"group": ["a"], "n": [6], "sum": [300.0]})
    with pytest.raises(ValueError, match="margin"):
        release_table(cells, ["group"], CBI, margins=[["region"]])
