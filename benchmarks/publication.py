"""The whole publication of a large wave at close (issue 14, item 5), on a real SQLite file.

Builds a synthetic national structure (20 regions, departments of 4-8 units, unit headcounts drawn so
that some reporting groups fall below K), a web wave with the demo's instruments (CBI, WHO-5, work-family
conflict, context), issues its codes, stores ``--responses`` simulated responses through the one writer
(``services.batches.insert_response``; answers from the demo's model), closes the wave and then times
what close and ``flask cache warm`` compute, each part on its own:

* every scale's standard table (``results.release_scale``),
* the reliability table (``results.wave_reliability``),
* every scale's band distribution (``results.band_distribution``),
* every breakdown of the wave's menu for every scale (the rest of the joint publication),

and then the same pages' numbers read back from the release ledger (what a page costs once released).
Target (issue 14): the whole publication of 100,000 responses in under 5 minutes.

Usage: python benchmarks/publication.py [--responses 100000] [--seed 1] [--no-breakdowns]
Numbers on a shared, loaded machine are noisy: say so when quoting them.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from close_rebuild import migrated_app

log = logging.getLogger("benchmarks.publication")
INSTRUMENTS = ("cbi", "who5", "wfc", "context")


def units_csv(responses: int, rng: np.random.Generator) -> bytes:
    """A units file whose headcounts add up to about ``responses / 0.85`` officers."""
    target = responses / 0.85
    lines = ["unit_id,name,parent_id,level,headcount"]
    total, r = 0, 0
    while total < target:
        region = f"r{r:02d}"
        lines.append(f"{region},Region {r},,region,")
        for d in range(int(rng.integers(8, 16))):
            dept = f"{region}-d{d}"
            lines.append(f"{dept},Department {r}.{d},{region},department,")
            for u in range(int(rng.integers(4, 9))):
                size = int(rng.integers(2, 6)) if rng.random() < 0.1 else int(rng.integers(12, 70))
                lines.append(f"{dept}-u{u},Unit {r}.{d}.{u},{dept},unit,{size}")
                total += size
        r += 1
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--responses", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-breakdowns", action="store_true",
                    help="time what close computes only (standard tables, reliability, band distributions)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    folder = Path(tempfile.mkdtemp(prefix="bench-publication-"))
    try:
        app = migrated_app(folder, log)
        run(app, args.responses, args.seed, breakdowns=not args.no_breakdowns)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(app, responses: int, seed: int, *, breakdowns: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Build the wave, then time its publication and the read back."""
    publish(app, *build(app, responses, seed), breakdowns=breakdowns)


def build(app, responses: int, seed: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """A closed wave of about ``responses`` simulated responses on a synthetic national structure: its id
    and how many responses it holds."""
    from wellbeing.core.instruments import score
    from wellbeing.demo import model
    from wellbeing.extensions import db
    from wellbeing.models import Wave
    from wellbeing.services import batches, waves
    from wellbeing.services.submissions import wave_instruments
    from wellbeing.services.units import import_units

    rng = np.random.default_rng(seed)
    with app.app_context():
        t0 = time.perf_counter()
        import_units(units_csv(responses, rng), imported_by="bench")
        wave = waves.create_wave("national", list(INSTRUMENTS), opens=date(2026, 1, 1), closes=date(2026, 12, 31))
        issued = waves.issue_codes(wave, extra=0.0)
        waves.open_wave(wave)
        wave_id = wave.id
        insts = wave_instruments(wave)
        by_id = {inst.id: inst for inst in insts}
        sizes = {g.id: g.size for g in wave.groups}
        db.session.commit()
        share = responses / sum(sizes.values())
        stored = 0
        with db.engine.begin() as conn:
            for gid, size in sizes.items():
                n = min(size, int(rng.binomial(size, min(1.0, share))))
                b = model.latent_burnout(rng, n, region_intercept=float(rng.normal(0, 4)),
                                         unit_intercept=float(rng.normal(0, 4)), pattern="rotating-8h",
                                         wave="baseline", pilot=False, night_hours=model.NIGHT_HOURS_REF,
                                         quick_returns=model.QUICK_RETURNS_REF)
                for resp in model.simulate(rng, b, "rotating-8h", INSTRUMENTS):
                    answers = resp["answers"]
                    batches.insert_response(conn, wave_id=wave_id, group_id=gid, language=resp["language"],
                                            answers=answers,
                                            scores={iid: score(by_id[iid], a) for iid, a in answers.items()})
                    stored += 1
        db.session.rollback()
        waves.close_wave(db.session.get(Wave, wave_id), warm=False)
        log.info("built: %d reporting groups (%d issued), %d responses, in %.0f s", len(sizes), len(issued),
                 stored, time.perf_counter() - t0)
    return wave_id, stored


def publish(app, wave_id: int, stored: int, *, breakdowns: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Time the whole publication of a closed wave, part by part, then its read back from the ledger."""
    from wellbeing.extensions import db
    from wellbeing.models import Wave
    from wellbeing.services import results as svc

    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        scales = svc.wave_scales(wave)
        menu = svc.breakdown_menu(wave)
        parts: dict[str, float] = {}
        t = time.perf_counter()
        for info in scales:
            svc.release_scale(wave, info)
        parts["standard tables"] = time.perf_counter() - t
        t = time.perf_counter()
        svc.wave_reliability(wave)
        parts["reliability"] = time.perf_counter() - t
        t = time.perf_counter()
        for info in scales:
            svc.band_distribution(wave, info)
        parts["band distributions"] = time.perf_counter() - t
        t = time.perf_counter()
        if not breakdowns:
            menu = []
        svc.warm(wave, breakdowns=bool(menu))  # what `flask cache warm` adds: the rest of the joint publication
        parts[f"breakdowns ({', '.join(menu)})"] = time.perf_counter() - t
        total = sum(parts.values())
        for name, secs in parts.items():
            log.info("  %-40s %7.1f s", name, secs)
        log.info("whole publication of %d responses, %d scales, %d breakdowns: %.1f s (target < 300 s)",
                 stored, len(scales), len(menu), total)

    with app.app_context():  # once released: what a page reads
        wave = db.session.get(Wave, wave_id)
        reads = []
        for info in svc.wave_scales(wave):
            t = time.perf_counter()
            svc.release_scale(wave, info)
            svc.band_distribution(wave, info)
            reads.append(time.perf_counter() - t)
        t = time.perf_counter()
        svc.wave_reliability(wave)
        rel = time.perf_counter() - t
        log.info("read back from the ledger: standard table + bands per scale median %.0f ms (max %.0f ms), "
                 "reliability %.0f ms", 1e3 * float(np.median(reads)), 1e3 * max(reads), 1e3 * rel)


if __name__ == "__main__":
    main()
