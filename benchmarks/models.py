"""Speed and agreement of :func:`wellbeing.core.stats.mixed.fit_mixed` with lme4 at national size.

Simulates 100,000 responses in 500 groups with 3 predictors (two continuous, one binary; x2
correlated with the group effect), writes them to a CSV in a temporary directory, and fits

1. the random-intercept model ``y ~ x1 + x2 + x3 + (1 | g)`` (REML),
2. the same with a random slope of x1, ``(1 + x1 | g)``,

with ``fit_mixed(..., icc=False)`` (one model, as lme4 fits one) and, when ``Rscript`` with lme4
is installed, with ``lme4::lmer`` on the same file in the same run (R's time is the ``lmer`` call
alone, measured inside R, not R's start-up or the CSV read). Prints both times, their ratio
(target <= 2) and the largest absolute difference of the fixed effects and of their SEs
(target 1e-4). The machine may be shared: run it more than once and report the spread.

Usage: python benchmarks/models.py [--n 100000] [--groups 500] [--seed S] [--no-slope]
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from wellbeing.core.stats.mixed import fit_mixed

R_SCRIPT = r"""
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
out <- list()
for (f in strsplit(args[2], ";")[[1]]) {
  t <- system.time(m <- lmer(as.formula(f), data = d, REML = TRUE))[["elapsed"]]
  s <- summary(m)$coefficients
  out[[f]] <- list(seconds = t, estimate = as.list(s[, 1]), se = as.list(s[, 2]),
                   singular = isSingular(m), messages = m@optinfo$conv$lme4$messages)
}
cat(sprintf('{"%s": {"seconds": %.6f, "estimate": [%s], "se": [%s]}}\n', names(out),
    sapply(out, `[[`, "seconds"),
    sapply(out, function(o) paste(sprintf("%.12g", unlist(o$estimate)), collapse = ",")),
    sapply(out, function(o) paste(sprintf("%.12g", unlist(o$se)), collapse = ","))))
"""


def simulate(n: int, groups: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, n)
    u0 = rng.normal(0, 5, groups)
    u1 = rng.normal(0, 0.3, groups)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n) + 0.06 * u0[g]
    x3 = rng.binomial(1, 0.4, n)
    y = 10 + (0.5 + u1[g]) * x1 - 1.5 * x2 + 2 * x3 + u0[g] + rng.normal(0, 10, n)
    return pd.DataFrame({"g": [f"g{k:03d}" for k in g], "x1": x1.round(6), "x2": x2.round(6),
                         "x3": x3, "y": y.round(6)})


def run_r(csv: Path, formulas: list[str]) -> dict | None:
    rscript = shutil.which("Rscript")
    if not rscript:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(R_SCRIPT)
    proc = subprocess.run([rscript, fh.name, str(csv), ";".join(formulas)], capture_output=True,
                          text=True, check=False)
    Path(fh.name).unlink()
    if proc.returncode != 0:
        logging.error("R failed: %s", proc.stderr.strip().splitlines()[-1:] or proc.returncode)
        return None
    out = {}
    for line in proc.stdout.splitlines():
        out.update(json.loads(line))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--groups", type=int, default=500)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--no-slope", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    print(f"seed {args.seed}; {args.n:,} responses in {args.groups} groups, 3 predictors")
    data = simulate(args.n, args.groups, args.seed)
    models = [("random intercept", None, "y ~ x1 + x2 + x3 + (1 | g)")]
    if not args.no_slope:
        models.append(("random slope of x1", "~x1", "y ~ x1 + x2 + x3 + (1 + x1 | g)"))
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "national.csv"
        data.to_csv(csv, index=False)
        data = pd.read_csv(csv)  # both programs read the same rounded numbers
        r = run_r(csv, [m[2] for m in models])
        for label, re_formula, rformula in models:
            t0 = time.perf_counter()
            res = fit_mixed(data, "y", "x1 + x2 + x3", "g", re_formula=re_formula, icc=False)
            secs = time.perf_counter() - t0
            t = res.terms
            line = (f"{label}: wellbeing {secs:.2f} s (optimiser {res.info['optimiser']}, converged "
                    f"{res.info['converged']}, singular {res.info['singular']})")
            if r and rformula in r:
                rr = r[rformula]
                d_est = float(np.max(np.abs(t["estimate"].to_numpy() - np.array(rr["estimate"]))))
                d_se = float(np.max(np.abs(t["std_err"].to_numpy() - np.array(rr["se"]))))
                ratio = secs / rr["seconds"]
                good = ratio <= 2 and d_est <= 1e-4 and res.info["converged"]
                ok &= good
                line += (f"; lme4 {rr['seconds']:.2f} s; ratio {ratio:.2f} (target <= 2); largest "
                         f"|difference| estimate {d_est:.2g}, SE {d_se:.2g} (target 1e-4) "
                         f"{'OK' if good else 'NOT MET'}")
            else:
                line += "; lme4 not available (Rscript with lme4 not installed)"
            print(line)
            print("  " + ", ".join(f"{a} {b:.6f} ({c:.6f})" for a, b, c in
                                   zip(t["term"], t["estimate"], t["std_err"])))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
