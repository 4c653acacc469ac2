"""Fatigue index benchmark: seconds to simulate N officers on a 24/72 roster over a 90-day window with the
closed form per run of sleep or wake (``wellbeing.core.fatigue``), against stepping the recursion every
15 minutes (the first implementation, kept here as the baseline), in the same run. Also checks that both
give the same alertness.

Usage:  python benchmarks/fatigue.py [--officers 500]

Numbers on a shared, loaded machine are noisy; the ratio is what to read.
"""

from __future__ import annotations

import argparse
import logging
import math
import time

import numpy as np

from wellbeing.core import fatigue as fz
from wellbeing.core.shifts.generate import generate_shifts

log = logging.getLogger("benchmarks.fatigue")


def stepped(asleep: np.ndarray, clock_h: np.ndarray) -> np.ndarray:
    """Baseline: the recursion stepped every 15 minutes, vectorised over persons."""
    n, t_n = asleep.shape
    ed, eg = math.exp(-fz.D * fz.STEP_H), math.exp(-fz.G * fz.STEP_H)
    s = np.full(n, fz.S_START)
    awake_h = np.zeros(n)
    out = np.empty((n, t_n))
    for k in range(t_n):
        sl = asleep[:, k]
        out[:, k] = np.where(sl, np.nan, s + fz.CA * math.cos(2 * math.pi * (clock_h[k] - fz.P) / 24)
                             + fz.WC * np.exp(-fz.WD * awake_h))
        s = np.where(sl, fz.HA - (fz.HA - s) * eg, fz.LA + (s - fz.LA) * ed)
        awake_h = np.where(sl, 0.0, awake_h + fz.STEP_H)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--officers", type=int, default=500)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ids = [f"P{i:06d}" for i in range(args.officers)]
    shifts = generate_shifts(ids, "24-72", "2024-01-01", "2024-03-31")
    t0 = time.perf_counter()
    full = fz.simulate(shifts, "2024-01-08", "2024-03-31")
    t_sim = time.perf_counter() - t0
    asleep, clock = full["asleep"], full["clock_h"]
    t0 = time.perf_counter()
    a = fz._alertness(asleep, clock)  # noqa: SLF001 - benchmark of the module's own kernel
    t_closed = time.perf_counter() - t0
    t0 = time.perf_counter()
    b = stepped(asleep, clock)
    t_step = time.perf_counter() - t0
    same = np.allclose(np.nan_to_num(a), np.nan_to_num(b), atol=1e-9)
    log.info("officers %d, steps %d: simulate (masks + closed form) %.2f s; recursion kernel: closed form "
             "%.2f s, stepped baseline %.2f s, ratio %.1fx; identical: %s", args.officers, asleep.shape[1],
             t_sim, t_closed, t_step, t_step / t_closed, same)


if __name__ == "__main__":
    main()
