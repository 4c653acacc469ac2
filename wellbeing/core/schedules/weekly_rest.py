"""Weekly rest: the longest uninterrupted rest in each rolling 7-day window (EU 2003/88/EC art. 5)."""

from __future__ import annotations

import numpy as np

from .definitions import DAY, WEEKLY_REST_H, H


def weekly_rest(c: np.ndarray, s: np.ndarray, e: np.ndarray, P: int, midnight: np.ndarray, k_first: int,
                k_end: int) -> tuple[np.ndarray, np.ndarray]:
    """Longest uninterrupted rest overlapping each rolling 7-day window, counted whole (EU Directive
    2003/88/EC art. 5: 24 h + 11 h = 35 h of uninterrupted rest per 7-day period). A rest is the time
    between two worked records of a person; before the first and after the last known record the
    rest is open-ended (nothing is known, nothing is flagged).

    Parameters
    ----------
    c, s, e : int arrays of the worked records, sorted by (person, start): person code (0..P-1), start
        and end as UTC seconds since the epoch
    P : number of persons
    midnight : int array, UTC seconds of the local midnights of the day table
    k_first, k_end : indices into ``midnight`` of the window's first day and of its end (exclusive);
        the 7-day windows start at each midnight from ``k_first`` with all 7 days before ``k_end``

    Returns
    -------
    (min over windows of the longest rest (h; NaN if the window is shorter than 7 days),
    windows whose longest rest is below :data:`~wellbeing.core.schedules.definitions.WEEKLY_REST_H`
    (count)), two arrays of shape (P,)
    """
    n_windows = k_end - k_first - 6
    if n_windows <= 0:
        return np.full(P, np.nan), np.zeros(P, np.int64)
    lo = int(midnight[k_first]) - 40 * DAY
    R = int(midnight[k_end]) + 40 * DAY - lo
    sr = np.clip(s - lo, 0, R)
    er = np.clip(e - lo, 0, R)
    first = np.ones(len(c), bool)
    first[1:] = c[1:] != c[:-1]
    last = np.ones(len(c), bool)
    last[:-1] = c[1:] != c[:-1]
    # gaps, in (person, time) order without sorting: before each shift (from the previous end, or
    # from the far past), then after each person's last shift (to the far future)
    prev_end = np.zeros(len(c), np.int64)
    prev_end[1:] = er[:-1]
    prev_end[first] = 0
    n_before = np.cumsum(last) - last  # trailing gaps inserted before shift i
    pos_gap = np.arange(len(c)) + n_before
    pos_tail = pos_gap[last] + 1
    size = len(c) + int(last.sum())
    g_c = np.empty(size, np.int64)
    g_s = np.empty(size, np.int64)
    g_e = np.empty(size, np.int64)
    g_c[pos_gap], g_s[pos_gap], g_e[pos_gap] = c, prev_end, sr
    # after a person's last record nothing is known: that rest runs on (to the far future), so data
    # that end early flag no short weekly rest
    g_c[pos_tail], g_s[pos_tail], g_e[pos_tail] = c[last], er[last], np.maximum(er[last], R)
    # overlapping shifts (not validated) could make g_e < g_s: treat as no rest
    g_e = np.maximum(g_e, g_s)
    length = np.append(g_e - g_s, 0)
    ws = np.array([int(midnight[k_first + j]) - lo for j in range(n_windows)], np.int64)
    we = np.array([int(midnight[k_first + j + 7]) - lo for j in range(n_windows)], np.int64)
    # persons without worked shifts rest through every window
    whole = (we - ws) / H
    best_min = np.full(P, whole.min())
    short = np.full(P, int((whole < WEEKLY_REST_H).sum()), np.int64)
    persons = np.unique(c) if len(c) else np.array([], np.int64)
    # index of each person's first gap; per window, how many of a person's gaps end at or before
    # the window's start (-> first overlapping gap i0) and start before its end (-> last, i1),
    # by bucketing gap ends/starts between window bounds (small searches, no search in 5M rows)
    ng = np.bincount(g_c, minlength=P)
    off = np.cumsum(ng) - ng
    q_e = np.searchsorted(ws, g_e, side="left")   # gap ends at/before ws[j]  <=>  j >= q_e
    q_s = np.searchsorted(we, g_s, side="right")  # gap starts before we[j]  <=>  j >= q_s
    W1 = n_windows + 1
    chunk = max(1, 1_500_000 // n_windows)
    for q0 in range(0, len(persons), chunk):
        sel = persons[q0:q0 + chunk]
        m = len(sel)
        g0, g1 = off[sel[0]], off[sel[-1]] + ng[sel[-1]]
        rank = np.searchsorted(sel, g_c[g0:g1])
        cnt_e = np.bincount(rank * W1 + q_e[g0:g1], minlength=m * W1).reshape(m, W1)
        cnt_s = np.bincount(rank * W1 + q_s[g0:g1], minlength=m * W1).reshape(m, W1)
        base = off[sel][:, None]
        i0 = (base + np.cumsum(cnt_e, axis=1)[:, :n_windows]).ravel()
        i1 = (base + np.cumsum(cnt_s, axis=1)[:, :n_windows] - 1).ravel()
        a = np.tile(ws, m)
        b = np.tile(we, m)
        # Every rest that overlaps the window counts whole (gaps i0..i1 all overlap it): a leave or a
        # weekend rest running across the window's edges is one uninterrupted rest. (Counting only
        # rests that *start* in the window gave 0 h to windows inside a long leave; clipping rests to
        # the window flagged every Monday-Friday worker.)
        ov0 = (g_e[i0] > a) & (g_s[i0] < b)
        ov1 = (g_e[i1] > a) & (g_s[i1] < b)
        first_len = np.where(ov0, g_e[i0] - g_s[i0], 0)
        last_len = np.where(ov1, g_e[i1] - g_s[i1], 0)
        lo_i, hi_i = i0 + 1, i1
        has_inner = hi_i > lo_i
        longest = np.maximum(first_len, last_len)
        if has_inner.any():
            idx = np.empty(2 * len(i0), np.int64)
            idx[0::2] = lo_i
            idx[1::2] = np.maximum(hi_i, lo_i)
            red = np.maximum.reduceat(length, idx)[0::2]
            longest = np.maximum(longest, np.where(has_inner, red, 0))
        longest_h = (longest / H).reshape(m, n_windows)
        best_min[sel] = longest_h.min(axis=1)
        short[sel] = (longest_h < WEEKLY_REST_H).sum(axis=1)
    return best_min, short
