from __future__ import annotations

import pytest

from wellbeing.core.groups import UnitCell, form_groups


def cells(*rows):
    return [UnitCell(u, d, r, p, n) for u, d, r, p, n in rows]


def test_large_units_stand_alone_and_small_ones_pool_within_department():
    groups = form_groups(cells(("u1", "d1", "r1", "all", 30), ("u2", "d1", "r1", "all", 6),
                               ("u3", "d1", "r1", "all", 5), ("u4", "d2", "r1", "all", 12)), k=5)
    assert [(g.slug, g.units, g.size) for g in groups] == [
        ("d1-other--all", ("u2", "u3"), 11), ("u1--all", ("u1",), 30), ("u4--all", ("u4",), 12)]


def test_pooling_goes_up_to_the_region_but_never_across_it():
    groups = form_groups(cells(("u1", "d1", "r1", "all", 4), ("u2", "d2", "r1", "all", 4),
                               ("u3", "d3", "r1", "all", 4), ("v1", "e1", "r2", "all", 3)), k=5)
    assert [(g.slug, g.size, g.region) for g in groups] == [("e1--all", 3, "r2"), ("r1-other--all", 12, "r1")]


def test_a_small_regional_remainder_joins_the_smallest_group():
    groups = form_groups(cells(("u1", "d1", "r1", "all", 40), ("u2", "d1", "r1", "all", 20),
                               ("u3", "d2", "r1", "all", 3)), k=5)
    sizes = {g.slug: g.size for g in groups}
    assert sizes == {"u1--all": 40, "u2-plus--all": 23}
    assert all(g.size >= 10 for g in groups)


def test_shift_patterns_form_separate_groups():
    groups = form_groups(cells(("u1", "d1", "r1", "24-72", 12), ("u1", "d1", "r1", "fixed-8h", 15)), k=5)
    assert [g.slug for g in groups] == ["u1--24-72", "u1--fixed-8h"]


def test_k_below_five_is_refused():
    with pytest.raises(ValueError, match="at least 5"):
        form_groups([], k=4)
