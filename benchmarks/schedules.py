"""Benchmark: parse + validate shift records and compute schedule features at scale.

Generates ``--officers`` officers (default 100,000) x ``--days`` days (default 90, across the
2024-03-01 Kazakhstan time-zone change) of planned shifts from the pattern catalogue, writes them as
a CSV of local times into a temporary directory, then measures, each in a fresh child process:

* **baseline** — ``pandas.read_csv`` of the same file plus ``pandas.to_datetime`` of ``start`` and
  ``end`` (explicit format);
* **pipeline** — :func:`wellbeing.core.shifts.records.parse_shifts` (reading, every validation rule,
  local time -> UTC) + :func:`wellbeing.core.schedules.features.compute_features` over the 90-day window +
  :func:`wellbeing.core.schedules.thresholds.aggregate_features` over 1,000 groups.

Each measurement runs ``--repeat`` times (default 2, interleaved) and the fastest run counts, as
usual for timings on a shared machine. Reports seconds, peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the child)
and the pipeline/baseline time ratio. Targets: < 60 s, < 4 GB, ratio <= 5.

Usage::

    python benchmarks/schedules.py [--officers N] [--days D] [--repeat R] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

logger = logging.getLogger("benchmarks.schedules")

START = dt.date(2024, 1, 15)
MIX = ["rotating-8h", "pitman-12h", "dupont-12h", "24-72", "4on4off-12h", "continental-12h",
       "fixed-8h", "4-10", "24-48", "on-call"]


def generate_csv(path: Path, officers: int, days: int) -> int:
    import numpy as np
    import pandas as pd

    from wellbeing.core.shifts.generate import generate_shifts

    end = START + dt.timedelta(days=days - 1)
    parts = []
    ids = np.array([f"off{i:06d}" for i in range(officers)], dtype=object)
    for k, slug in enumerate(MIX):
        members = ids[k::len(MIX)]
        if len(members):
            parts.append(generate_shifts(members, slug, START, end))
    df = pd.concat(parts, ignore_index=True)
    # some overtime, some breaks, like a real export
    rng = np.random.default_rng(1)
    ot = rng.random(len(df)) < 0.03
    df.loc[ot & (df["duty_type"] == "regular"), "duty_type"] = "overtime"
    df.loc[rng.random(len(df)) < 0.5, "break_min"] = 30
    df = df.sample(frac=1.0, random_state=2).reset_index(drop=True)  # file order is not sorted

    def local(col: str) -> np.ndarray:
        idx = pd.DatetimeIndex(df[col]).tz_convert("Asia/Almaty").tz_localize(None)
        s = np.datetime_as_string(idx.to_numpy().astype("datetime64[m]"), unit="m")
        return np.char.replace(s, "T", " ")

    out = pd.DataFrame({
        "person_id": df["person_id"], "start": local("start"), "end": local("end"),
        "break_min": df["break_min"], "duty_type": df["duty_type"],
        "shift_code": df["shift_code"],
    })
    out.to_csv(path, index=False)
    return len(out)


def run_baseline(path: str) -> dict:
    import pandas as pd

    t = time.perf_counter()
    df = pd.read_csv(path)
    df["start"] = pd.to_datetime(df["start"], format="%Y-%m-%d %H:%M")
    df["end"] = pd.to_datetime(df["end"], format="%Y-%m-%d %H:%M")
    return {"seconds": time.perf_counter() - t, "rows": len(df)}


def run_pipeline(path: str, days: int) -> dict:
    import pandas as pd

    from wellbeing.core.schedules.features import compute_features
    from wellbeing.core.schedules.thresholds import aggregate_features
    from wellbeing.core.shifts.records import parse_shifts

    t = time.perf_counter()
    shifts = parse_shifts(Path(path))
    t_parse = time.perf_counter() - t
    f = compute_features(shifts, START, START + dt.timedelta(days=days))
    t_feat = time.perf_counter() - t - t_parse
    groups = pd.Series([f"g{i % 1000}" for i in range(len(f))], index=f.index)
    agg = aggregate_features(f, groups)
    total = time.perf_counter() - t
    return {"seconds": total, "parse_seconds": t_parse, "features_seconds": t_feat,
            "aggregate_seconds": total - t_parse - t_feat, "rows": len(shifts),
            "persons": len(f), "aggregate_rows": len(agg)}


def child(mode: str, path: str, days: int, officers: int) -> None:
    if mode == "generate":
        t = time.perf_counter()
        res = {"rows": generate_csv(Path(path), officers, days)}
        res["seconds"] = time.perf_counter() - t
    elif mode == "baseline":
        res = run_baseline(path)
    else:
        res = run_pipeline(path, days)
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps(res))


def spawn(mode: str, path: Path, days: int, officers: int = 0) -> dict:
    # a fresh process per phase: ru_maxrss survives fork and exec, so the parent stays small
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--csv", str(path), "--days", str(days),
         "--officers", str(officers)],
        check=True, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--officers", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--keep", help="write the CSV into this directory and keep it")
    ap.add_argument("--repeat", type=int, default=2,
                    help="runs of each measurement; the fastest counts (default 2)")
    ap.add_argument("--child", choices=["generate", "baseline", "pipeline"], help=argparse.SUPPRESS)
    ap.add_argument("--csv", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.csv, args.days, args.officers)
        return 0
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "shifts.csv"
        gen = spawn("generate", path, args.days, args.officers)
        rows = gen["rows"]
        logger.info("generated %d officers x %d days = %d shift rows (%.0f MB) in %.1f s",
                    args.officers, args.days, rows, path.stat().st_size / 1e6, gen["seconds"])
        base_runs, pipe_runs = [], []
        for _ in range(max(1, args.repeat)):  # interleaved, so load changes hit both alike
            base_runs.append(spawn("baseline", path, args.days))
            pipe_runs.append(spawn("pipeline", path, args.days))
        base = min(base_runs, key=lambda r: r["seconds"])
        pipe = min(pipe_runs, key=lambda r: r["seconds"])
        base["peak_rss_mb"] = max(r["peak_rss_mb"] for r in base_runs)
        pipe["peak_rss_mb"] = max(r["peak_rss_mb"] for r in pipe_runs)
        logger.info("all runs (s): baseline %s, pipeline %s",
                    [round(r["seconds"], 2) for r in base_runs],
                    [round(r["seconds"], 2) for r in pipe_runs])
    ratio = pipe["seconds"] / base["seconds"]
    logger.info("baseline (read_csv + to_datetime): %.2f s, peak RSS %.0f MB",
                base["seconds"], base["peak_rss_mb"])
    logger.info("pipeline (parse+validate %.2f s, features %.2f s, aggregate %.2f s): %.2f s, "
                "peak RSS %.0f MB", pipe["parse_seconds"], pipe["features_seconds"],
                pipe["aggregate_seconds"], pipe["seconds"], pipe["peak_rss_mb"])
    logger.info("ratio pipeline/baseline: %.2f  (targets: < 60 s, < 4096 MB, ratio <= 5)", ratio)
    ok = pipe["seconds"] < 60 and pipe["peak_rss_mb"] < 4096 and ratio <= 5
    logger.info("targets %s", "met" if ok else "NOT met")
    print(json.dumps({"rows": rows, "baseline": base, "pipeline": pipe, "ratio": ratio}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
