"""Release benchmark: the joint publication (standard table + 2 breakdowns) on synthetic waves.

Synthetic waves of G reporting groups (~20 regions, departments of 2-8 groups, 2-4 shift patterns,
group sizes drawn so that about 15 % are below K), each respondent with a language (3 values) and one
context item (4 values). Prints seconds per scale for the standard table alone (the algorithm before
issue 14, measured in the same run as the baseline) and for the joint publication, and the growth
exponent log(t2/t1)/log(G2/G1) between consecutive sizes. Also the time to read a released table
back from JSON (the ledger's content) -- what a page costs once released.

The same run also times the whole-program baseline (every protected set solved on the whole LP, the
algorithm before the local proofs) at ``--baseline-groups`` and prints the speed-up and whether the
tables are the same.

Usage: python benchmarks/release.py [--groups 160 1500 5000] [--baseline-groups 160] [--seed 1] [--no-alone]
The machine is shared while this is developed: figures are noisy (say so when quoting them).
"""

from __future__ import annotations

import argparse
import logging
import math
import time

import numpy as np
import pandas as pd

from wellbeing.core.disclosure import ScaleSpec, lp, release_table
from wellbeing.core.disclosure.joint import TableSpec, release_publication

log = logging.getLogger("benchmarks.release")

K = 5
SCALE = ScaleSpec(0, 100, 0)
STD = ("region", "department", "group", "shift_pattern")
MARGINS = (("region", "department"), ("region",), ("shift_pattern",), ("region", "shift_pattern"), ())


def synthetic_wave(groups: int, rng: np.random.Generator) -> pd.DataFrame:
    """One row per respondent: standard dimensions, ``language``, ``years``, ``score`` (0-100)."""
    patterns = ["fixed-8h", "24-72", "pitman-12h", "dupont-12h"]
    rows = []
    g = 0
    region = 0
    while g < groups:
        region_name = f"r{region % 20}"
        for d in range(int(rng.integers(3, 8))):
            for _ in range(int(rng.integers(2, 9))):
                if g >= groups:
                    break
                size = int(rng.integers(1, 5)) if rng.random() < 0.15 else int(rng.integers(5, 40))
                shift = patterns[int(rng.integers(0, 2 + region % 3))]
                base = rng.normal(50, 8)
                for _ in range(size):
                    rows.append((region_name, f"{region_name}-d{region // 20}-{d}", f"g{g}", shift,
                                 rng.choice(["ru", "kk", "en"], p=[0.6, 0.35, 0.05]),
                                 rng.choice(["1", "2", "3", "4"]),
                                 float(np.clip(round(rng.normal(base, 18) / 4) * 4, 0, 100))))
                g += 1
        region += 1
    return pd.DataFrame(rows, columns=[*STD, "language", "years", "score"])


def publication_tables(menu: list[str]) -> list[TableSpec]:
    out = [TableSpec("standard", STD, MARGINS)]
    for d in menu:
        out.append(TableSpec(d, (*STD, d), (STD, *MARGINS, (d,), ("region", d), ("shift_pattern", d))))
    return out


def run(groups: int, seed: int, *, local: bool = True, alone_table: bool = True) -> dict[str, float]:
    """One synthetic wave: time the standard table alone and the joint publication (one scale).

    ``local=False`` switches the local proofs of :mod:`wellbeing.core.disclosure.local` off: every
    protected set is solved on the whole program (the algorithm before the decomposition).
    """
    people = synthetic_wave(groups, np.random.default_rng(seed))
    people["hi"] = people["score"] >= 50
    menu = ["language", "years"]
    joint = (people.groupby([*STD, *menu]).agg(n=("score", "size"), sum=("score", "sum"), n_high=("hi", "sum"))
             .reset_index())
    std = people.groupby(list(STD)).agg(n=("score", "size"), sum=("score", "sum"), n_high=("hi", "sum")).reset_index()
    saved = lp.classify
    if not local:
        lp.classify = _no_proof
    try:
        t0 = time.perf_counter()
        alone = release_table(std, STD, SCALE, [list(m) for m in MARGINS], K) if alone_table else None
        t1 = time.perf_counter()
        tables, _facts = release_publication(joint, publication_tables(menu), SCALE, K, standard_cells=std)
        t2 = time.perf_counter()
    finally:
        lp.classify = saved
    from wellbeing.services.ledger import decode, encode  # JSON round trip of the ledger's content

    text = encode(tables["years"])
    t3 = time.perf_counter()
    decode(text)
    t4 = time.perf_counter()
    shown = int((~alone["suppressed"]).sum()) if alone is not None else -1
    shown_joint = {name: int((~t["suppressed"]).sum()) for name, t in tables.items()}
    return {"groups": groups, "responses": len(people), "standard_alone_s": t1 - t0, "publication_s": t2 - t1,
            "read_ms": 1000 * (t4 - t3), "shown_alone": shown, "shown_joint": shown_joint}


def _no_proof(lo, hi, a_ub, b_ub, truth, targets, *rest):  # type: ignore[no-untyped-def]
    return np.zeros(len(targets), dtype=np.int8), np.zeros((len(targets), 2))


def exponent(t1: float, t2: float, g1: int, g2: int) -> float:
    """Growth exponent ``log(t2/t1) / log(g2/g1)`` (1 = linear, 2 = quadratic)."""
    return math.log(t2 / t1) / math.log(g2 / g1)


def report(r: dict, label: str) -> None:
    log.info("%-9s %5d groups, %6d responses: standard alone %7.1f s, joint publication %7.1f s "
             "(standard + 2 breakdowns, one scale), read back %.1f ms; cells shown: standard alone %d, "
             "joint %s", label, r["groups"], r["responses"], r["standard_alone_s"], r["publication_s"],
             r["read_ms"], r["shown_alone"], r["shown_joint"])


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--groups", type=int, nargs="+", default=[160, 1500, 5000],
                    help="wave sizes in reporting groups (default 160 1500 5000)")
    ap.add_argument("--baseline-groups", type=int, default=160,
                    help="size at which the whole-program baseline (no local proofs) is run; 0 = none")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-alone", action="store_true",
                    help="skip timing the standard table alone (it is also inside the publication)")
    args = ap.parse_args()
    if args.baseline_groups:
        base = run(args.baseline_groups, args.seed, local=False)
        report(base, "baseline")
    results = []
    for g in args.groups:
        r = run(g, args.seed, alone_table=not args.no_alone)
        report(r, "local")
        if args.baseline_groups == g:
            log.info("          speed-up over the whole-program baseline at %d groups: %.1fx (same tables: %s)",
                     g, base["publication_s"] / r["publication_s"],
                     r["shown_joint"] == base["shown_joint"] and r["shown_alone"] == base["shown_alone"])
        results.append(r)
    for a, b in zip(results, results[1:]):
        if args.no_alone:
            log.info("growth exponent %d -> %d groups: joint publication %.2f", a["groups"], b["groups"],
                     exponent(a["publication_s"], b["publication_s"], a["groups"], b["groups"]))
            continue
        log.info("growth exponent %d -> %d groups: joint publication %.2f, standard alone %.2f, "
                 "publication + standard %.2f", a["groups"], b["groups"],
                 exponent(a["publication_s"], b["publication_s"], a["groups"], b["groups"]),
                 exponent(a["standard_alone_s"], b["standard_alone_s"], a["groups"], b["groups"]),
                 exponent(a["publication_s"] + a["standard_alone_s"], b["publication_s"] + b["standard_alone_s"],
                          a["groups"], b["groups"]))


if __name__ == "__main__":
    main()
