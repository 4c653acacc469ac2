"""Rounding (rule 10), overlap (rule 9), model release (rule 12), K (rule 7)."""

from decimal import Decimal

import pytest

from wellbeing.core.disclosure import (
    ScaleSpec,
    check_k,
    check_model_release,
    overlap_conflicts,
    overlap_ok,
    refuse_overlapping,
    round_half_away,
)


@pytest.mark.parametrize(
    ("x", "d", "expected"),
    [
        (2.5, 0, 3.0),  # round() gives 2
        (3.5, 0, 4.0),
        (-2.5, 0, -3.0),
        (0.5, 0, 1.0),  # round() gives 0
        (2.675, 2, 2.68),  # binary 2.67499999... -> round() gives 2.67
        (1.25, 1, 1.3),  # round() gives 1.2
        (1.35, 1, 1.4),
        (49.5, 0, 50.0),  # the CBI "high" threshold: 49.5 is shown as 50
        (Decimal("0.45"), 1, 0.5),
        (7, 1, 7.0),
    ],
)
def test_round_half_away(x, d, expected):
    assert round_half_away(x, d) == expected


def test_round_half_away_null():
    assert round_half_away(None) is None
    assert round_half_away(float("nan")) is None


@pytest.mark.parametrize("k", [4, 0, -1, 4.5, True])
def test_k_below_five_refused(k):
    with pytest.raises(ValueError):
        check_k(k)


def test_k_can_be_raised():
    assert check_k(5) == 5 and check_k(10) == 10


def test_scale_spec():
    s = ScaleSpec(1, 7, 1)
    assert s.half_unit == pytest.approx(0.05)
    assert s.quarter == pytest.approx(1.5)
    with pytest.raises(ValueError):
        ScaleSpec(5, 5)


def test_two_overlapping_filters():
    a = set(range(20))  # e.g. "department D1"
    b = set(range(3, 40))  # e.g. "shift 24-72": A \ B has 3 members
    assert not overlap_ok(a, b)
    assert overlap_ok(set(range(20)), set(range(5, 40)))  # 5 and 20 outside each other: fine
    assert overlap_ok(set(range(20)), set(range(30)))  # nested: A \ B empty, B \ A = 10
    conflicts = overlap_conflicts({"D1": a, "24-72": b, "all": range(100)})
    assert conflicts.to_dict("records") == [{"filter_a": "D1", "filter_b": "24-72", "only_a": 3, "only_b": 20}]


def test_equal_size_filters_differing_by_one_member():
    a = set(range(10))
    b = (a - {0}) | {99}
    assert len(a) == len(b)
    assert not overlap_ok(a, b)
    out = refuse_overlapping({"A": a, "B": b})
    assert out["suppressed"].tolist() == [False, True]
    assert out["reason"].tolist() == ["", "overlap"]
    assert out["conflicts_with"].tolist()[1] == "A"


def test_overlap_against_already_released():
    out = refuse_overlapping({"B": set(range(1, 11))}, released={"A": set(range(10))})
    assert out.loc[0, "reason"] == "overlap"


def test_overlap_respects_k():
    a, b = set(range(30)), set(range(6, 36))
    assert overlap_ok(a, b, k=5)
    assert not overlap_ok(a, b, k=10)


def test_model_release():
    assert check_model_release(10, {"shift_pattern": {"24-72": 5, "fixed-8h": 40}}).released
    refused = check_model_release(9, {})
    assert (refused.released, refused.reason) == (False, "model_refused")
    small_level = check_model_release(50, {"shift_pattern": {"24-72": 4, "fixed-8h": 40}})
    assert small_level.reason == "model_refused"
    assert "24-72" in small_level.problems[0]
    assert not check_model_release(50, {"x": {"a": 6}}, k=7).released


def test_docstring_examples():
    import doctest

    from wellbeing.core.disclosure import rounding, tables

    for mod in (rounding, tables):
        result = doctest.testmod(mod)
        assert result.failed == 0 and result.attempted > 0, mod.__name__
