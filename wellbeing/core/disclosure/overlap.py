"""Rule 9: two released respondent sets may differ by 0 or at least K members each way."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from itertools import combinations

import pandas as pd

from wellbeing.core.disclosure.rounding import MIN_K, check_k


def overlap_ok(a: Collection[Hashable], b: Collection[Hashable], k: int = MIN_K) -> bool:
    """Whether two released groups may both be shown (rule 9).

    Parameters
    ----------
    a, b : collection of hashable
        Member sets of two filters (e.g. the random response ids each filter selects).
    k : int, default 5
        Minimum cell size (>= 5).

    Returns
    -------
    bool
        True when ``|A \\ B|`` and ``|B \\ A|`` are each 0 or at least ``k``. Otherwise the
        difference of the two released results describes fewer than ``k`` respondents
        (e.g. two equal-size filters that swap one member reveal that member's score change).
    """
    k = check_k(k)
    sa, sb = set(a), set(b)
    only_a, only_b = len(sa - sb), len(sb - sa)
    return (only_a == 0 or only_a >= k) and (only_b == 0 or only_b >= k)


def overlap_conflicts(filters: Mapping[Hashable, Collection[Hashable]], k: int = MIN_K) -> pd.DataFrame:
    """Every pair of filters that breaks the overlap rule (rule 9).

    Parameters
    ----------
    filters : mapping of name -> member collection
        The candidate filters, in order of priority.
    k : int, default 5

    Returns
    -------
    DataFrame
        Columns ``filter_a``, ``filter_b``, ``only_a`` (``|A \\ B|``), ``only_b`` (``|B \\ A|``);
        one row per offending pair, empty when all pairs pass.
    """
    k = check_k(k)
    sets = {name: set(members) for name, members in filters.items()}
    rows = []
    for (na, sa), (nb, sb) in combinations(sets.items(), 2):
        only_a, only_b = len(sa - sb), len(sb - sa)
        if not ((only_a == 0 or only_a >= k) and (only_b == 0 or only_b >= k)):
            rows.append({"filter_a": na, "filter_b": nb, "only_a": only_a, "only_b": only_b})
    return pd.DataFrame(rows, columns=["filter_a", "filter_b", "only_a", "only_b"])


def refuse_overlapping(
    filters: Mapping[Hashable, Collection[Hashable]],
    k: int = MIN_K,
    released: Mapping[Hashable, Collection[Hashable]] | None = None,
) -> pd.DataFrame:
    """Decide which filters may be released under the overlap rule (rule 9).

    Filters are taken in order; a filter is refused (reason ``overlap``) when it conflicts with a
    filter already released (``released``) or accepted earlier in ``filters``.

    Parameters
    ----------
    filters : mapping of name -> member collection
        Filters requested now, in priority order.
    k : int, default 5
    released : mapping of name -> member collection, optional
        Filters already released earlier for the same wave, item and scale.

    Returns
    -------
    DataFrame
        One row per requested filter: ``filter``, ``suppressed`` (bool), ``reason``
        (``""`` or ``"overlap"``), ``conflicts_with`` (name of the first conflicting filter or None).
    """
    k = check_k(k)
    accepted: dict[Hashable, set] = {n: set(m) for n, m in (released or {}).items()}
    rows = []
    for name, members in filters.items():
        s = set(members)
        clash = next((other for other, o in accepted.items() if not overlap_ok(s, o, k)), None)
        if clash is None:
            accepted[name] = s
        rows.append(
            {
                "filter": name,
                "suppressed": clash is not None,
                "reason": "overlap" if clash is not None else "",
                "conflicts_with": clash,
            }
        )
    return pd.DataFrame(rows, columns=["filter", "suppressed", "reason", "conflicts_with"])


# ---------------------------------------------------------------------------------------------
# Rule 12: models
# ---------------------------------------------------------------------------------------------
