"""What sealed submissions and the close-time rebuild cost (issue 15), on a real SQLite file.

Measures, in one run on the same machine:
1. per answer: sealed store in its own transaction plus the batch-release check after it (and one
   release of K per K answers: unseal, shuffle, insert, delete), against the baseline of one plain
   insert transaction per answer (what a submit did before);
2. ``close``: closing a wave of N readable responses — release of nothing, random-order rewrite of the
   wave's rows and WAL truncation — against the baseline of flipping the wave's status only.

Usage: python benchmarks/close_rebuild.py [--responses N] [--k K]
Numbers on a loaded, shared machine are noisy: compare the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

from wellbeing import create_app

log = logging.getLogger("benchmarks.close_rebuild")
REPO = Path(__file__).resolve().parent.parent
UNITS = REPO / "tests" / "data" / "units-small.csv"


def migrated_app(folder: Path, logger: logging.Logger):  # type: ignore[no-untyped-def]
    """An app on a new SQLite file in ``folder``, migrated; ``logger`` printing again afterwards
    (Alembic's logging setup disables loggers created before it). Also used by publication.py."""
    os.environ["WELLBEING_INSTANCE_PATH"] = str(folder)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "CODE_HMAC_KEY": "bench", "SEAL_KEY": "ab" * 32,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}"})
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
    logger.disabled = False
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.StreamHandler())
    logger.propagate = False
    return app


def _wave(app, slug: str):  # type: ignore[no-untyped-def]
    from datetime import date

    from wellbeing.services import waves
    from wellbeing.services.units import import_units

    with app.app_context():
        if not waves.list_waves():
            import_units(UNITS.read_bytes(), imported_by="bench")
        w = waves.create_wave(slug, ["cbi", "who5"], opens=date(2026, 1, 1), closes=date(2026, 12, 31))
        waves.issue_codes(w)
        waves.open_wave(w)
        return w.id, w.groups[0].id


def _answers(insts, i: int) -> dict:  # type: ignore[no-untyped-def]
    return {inst.id: {it.id: float(inst.response_sets[it.response_set].values[(i + n) % 5])
                      for n, it in enumerate(inst.items)} for inst in insts}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--responses", type=int, default=2000)
    ap.add_argument("--k", type=int, default=5)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    folder = Path(tempfile.mkdtemp(prefix="bench-close-"))
    try:
        app = migrated_app(folder, log)
        from wellbeing.core.instruments import score
        from wellbeing.extensions import db
        from wellbeing.models import Wave, WaveStatus
        from wellbeing.services import batches
        from wellbeing.services.submissions import wave_instruments

        # 1. release of K sealed answers vs K plain inserts
        wave_id, group_id = _wave(app, "rel")
        with app.app_context():
            insts = wave_instruments(db.session.get(Wave, wave_id))
            reps = 40
            t0 = time.perf_counter()
            for r in range(reps):
                for i in range(args.k):  # one transaction per submit, as a submit did before
                    with db.engine.begin() as conn:
                        a = _answers(insts, r * args.k + i)
                        batches.insert_response(conn, wave_id=wave_id, group_id=group_id, language="ru", answers=a,
                                                scores={inst.id: score(inst, a[inst.id]) for inst in insts})
            plain = (time.perf_counter() - t0) / (reps * args.k)
            t0 = time.perf_counter()
            for r in range(reps):
                for i in range(2 * args.k if r == 0 else args.k):  # one transaction per submit
                    with db.engine.begin() as conn:
                        batches.store_pending(conn, wave_id=wave_id, group_id=group_id, language="ru",
                                              answers=_answers(insts, i))
                    batches.release_due(wave_id, group_id)
            sealed = (time.perf_counter() - t0) / (reps * args.k)
        log.info("per answer: plain insert %.2f ms, seal + batch release %.2f ms (ratio %.2f)",
                 plain * 1e3, sealed * 1e3, sealed / plain)

        # 2. close of a wave with N readable responses: rebuild vs status flip only
        results = {}
        for mode in ("status-only", "close+rebuild"):
            wid, gid = _wave(app, "c-" + mode.replace("+", "-"))
            with app.app_context():
                insts = wave_instruments(db.session.get(Wave, wid))
                with db.engine.begin() as conn:
                    for i in range(args.responses):
                        a = _answers(insts, i)
                        batches.insert_response(conn, wave_id=wid, group_id=gid, language="ru", answers=a,
                                                scores={inst.id: score(inst, a[inst.id]) for inst in insts})
                db.session.rollback()  # a read snapshot older than the inserts could not write (SQLite)
                w = db.session.get(Wave, wid)
                t0 = time.perf_counter()
                if mode == "status-only":
                    w.status = WaveStatus.closed
                    db.session.commit()
                else:
                    batches.close(w)
                results[mode] = time.perf_counter() - t0
        log.info("close of %d responses: status only %.3f s, release + random rewrite + WAL truncate %.3f s "
                 "(ratio %.0f)", args.responses, results["status-only"], results["close+rebuild"],
                 results["close+rebuild"] / max(results["status-only"], 1e-9))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
