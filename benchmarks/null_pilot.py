"""Null-pilot calibration of the pilot evaluation (``flask models did``), unequal region sizes.

Simulates repeated cross-sections with **no** pilot effect: R regions whose sizes (responses per
wave) are spread evenly from ``--min-size`` to ``--max-size`` (default 40-600), the pilot being the
smallest region, W waves (the second half after the pilot start), region and wave fixed effects,
a region x wave shock (SD ``--cell-sd``) and individual noise (SD ``--sd``). Each data set goes
through :func:`wellbeing.core.stats.did.did_cross_sections` and three tests are scored at 5 % and 10 %:

* studentised permutation (the reported ``p_value``; :mod:`wellbeing.core.pilot_inference`),
* permutation of the raw estimate (the former method, placebo-in-space),
* cluster-robust CR1 t-test (the robustness table; on the first ``--cluster-reps`` data sets
  only, as its dummy regression on ~38,000 rows dominates the run time).

Both permutation p-values come from one :func:`wellbeing.core.stats.permutation.permutation_did` call (the
engine of ``did_cross_sections``), the CR1 one from :func:`wellbeing.core.stats.did.did_twfe`.

A valid test rejects about 5 % / 10 % of these true nulls; the acceptance band at 5 % is
3.5-6.5 % (about +-2.2 binomial SE at 1,000 replications). With 20 regions the permutation p is a
multiple of 1/20, so "p <= 0.05" means "the pilot is the most extreme of the 20".

Usage: python benchmarks/null_pilot.py [--reps 1000] [--seed S] [--regions 20] [--waves 6]
                                       [--equal]   (all regions the mean size, for comparison)
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

import numpy as np
import pandas as pd

from wellbeing.core.stats.did import did_twfe
from wellbeing.core.stats.permutation import permutation_did

log = logging.getLogger("null_pilot")


def simulate(rng: np.random.Generator, sizes: np.ndarray, n_waves: int, sd: float,
             cell_sd: float) -> pd.DataFrame:
    """One null data set: one row per response (region, wave, score, treated)."""
    R = len(sizes)
    pilot = int(np.argmin(sizes))
    region_fx = rng.normal(0, 3, R)
    wave_fx = rng.normal(0, 2, n_waves)
    reg, wav, y = [], [], []
    for r in range(R):
        for w in range(n_waves):
            n = int(sizes[r])
            reg.append(np.full(n, r))
            wav.append(np.full(n, w))
            y.append(50 + region_fx[r] + wave_fx[w] + rng.normal(0, cell_sd) + rng.normal(0, sd, n))
    region = np.concatenate(reg)
    wave = np.concatenate(wav)
    return pd.DataFrame({"region": [f"r{r:02d}" for r in region], "wave": wave,
                         "score": np.concatenate(y),
                         "treated": ((region == pilot) & (wave >= n_waves // 2)).astype(int)})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--regions", type=int, default=20)
    ap.add_argument("--waves", type=int, default=6)
    ap.add_argument("--min-size", type=int, default=40)
    ap.add_argument("--max-size", type=int, default=600)
    ap.add_argument("--sd", type=float, default=10.0)
    ap.add_argument("--cell-sd", type=float, default=1.5)
    ap.add_argument("--equal", action="store_true", help="every region the mean size")
    ap.add_argument("--cluster-reps", type=int, default=200)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    sizes = np.linspace(args.min_size, args.max_size, args.regions).round()
    if args.equal:
        sizes = np.full(args.regions, round(sizes.mean()))
    print(f"seed {args.seed}; {args.reps} null pilots; {args.regions} regions of "
          f"{int(sizes.min())}-{int(sizes.max())} responses per wave (pilot the smallest), "
          f"{args.waves} waves; individual SD {args.sd}, region x wave SD {args.cell_sd}")
    rng = np.random.default_rng(args.seed)
    rej = {k: np.zeros(2) for k in ("studentised", "estimate", "cluster")}
    reps = {"studentised": args.reps, "estimate": args.reps,
            "cluster": min(args.cluster_reps, args.reps)}
    t0 = time.perf_counter()
    for i in range(args.reps):
        data = simulate(rng, sizes, args.waves, args.sd, args.cell_sd)
        _, summ = permutation_did(data, "score", "region", "wave", "treated")
        ps = {"studentised": summ["p_value"], "estimate": summ["p_value_estimate"]}
        if i < reps["cluster"]:
            ps["cluster"] = float(did_twfe(data, "score", "region", "wave", "treated").terms["p_value"].iloc[0])
        for k, p in ps.items():
            rej[k] += [p <= 0.05 + 1e-12, p <= 0.10 + 1e-12]
        if (i + 1) % 100 == 0:
            log.warning("%d/%d", i + 1, args.reps)
    secs = time.perf_counter() - t0
    se = np.sqrt(0.05 * 0.95 / args.reps)
    names = {"studentised": "studentised permutation (reported p_value)",
             "estimate": "permutation of the estimate (former method)",
             "cluster": "cluster-robust CR1 t (robustness table)"}
    ok = True
    for k, (r5, r10) in rej.items():
        share5, share10 = r5 / reps[k], r10 / reps[k]
        flag = ""
        if k == "studentised":
            ok = 0.035 <= share5 <= 0.065
            flag = "  OK (accept 3.5-6.5 %)" if ok else "  OUT OF RANGE (accept 3.5-6.5 %)"
        print(f"{names[k]:46s} rejects {share5:6.1%} at 5 %, {share10:6.1%} at 10 % "
              f"({reps[k]} data sets){flag}")
    print(f"binomial SE at 5 %: {se:.1%}; {secs:.0f} s ({secs / args.reps * 1000:.0f} ms per data set)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
