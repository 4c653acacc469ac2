"""Feldt's test of two independent alphas and the language-equivalence screen."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from wellbeing.core.psychometrics import feldt_two_alphas, language_equivalence


def test_feldt_statistic_and_two_sided_p():
    w, p = feldt_two_alphas(0.80, 101, 0.90, 101)
    assert w == pytest.approx(2.0)
    assert p == pytest.approx(2 * stats.f(100, 100).sf(2.0))
    w2, p2 = feldt_two_alphas(0.90, 101, 0.80, 101)      # symmetric
    assert w2 == pytest.approx(0.5) and p2 == pytest.approx(p)
    assert feldt_two_alphas(0.85, 50, 0.85, 500)[1] > 0.9
    with pytest.raises(ValueError):
        feldt_two_alphas(1.0, 10, 0.8, 10)


def _items(rng, n, loadings):  # type: ignore[no-untyped-def]
    f = rng.normal(size=n)
    return pd.DataFrame({f"i{j + 1}": lam * f + rng.normal(size=n) * np.sqrt(1 - lam ** 2)
                         for j, lam in enumerate(loadings)})


def test_equal_versions_are_consistent_and_a_broken_item_is_flagged():
    rng = np.random.default_rng(5)
    same = [0.7, 0.7, 0.7, 0.7, 0.7]
    ok = language_equivalence({"ru": _items(rng, 800, same), "kk": _items(rng, 500, same),
                               "en": _items(rng, 200, same)}).set_index("language")
    assert not ok["flag"].any()
    # Item i3 of the Kazakh version does not measure the construct (a mistranslation, say).
    broken = language_equivalence({"ru": _items(rng, 800, same), "kk": _items(rng, 500, [0.7, 0.7, 0.0, 0.7, 0.7]),
                                   "en": _items(rng, 200, same)}).set_index("language")
    assert broken.loc["kk", "flag"] and broken.loc["kk", "items_flagged"] == ["i3"]
    assert broken.loc["kk", "alpha"] < broken.loc["kk", "alpha_rest"]
    assert not broken.loc["ru", "flag"] and not broken.loc["en", "flag"]   # the odd one out only


def test_alpha_difference_needs_significance_and_size():
    rng = np.random.default_rng(6)
    low = language_equivalence({"ru": _items(rng, 1000, [0.8] * 6), "en": _items(rng, 1000, [0.45] * 6)})
    assert low["alpha_flag"].all() and (low["p_holm"] < 0.05).all()
