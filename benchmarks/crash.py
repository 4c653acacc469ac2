"""Crash benchmark: kill -9 the whole server in the middle of load, restart it, close the wave, check.

One run: start `make serve`'s gunicorn on a fresh database with an open wave; virtual officers (those
of benchmarks/load.py) answer; once ``--kill-after`` submissions are acknowledged every gunicorn
process (master and workers, one process group) gets SIGKILL in the middle of the others' requests,
and the server is started again on the same port ``--down`` seconds later; once ``--after`` more are
acknowledged no new submission starts, the last ones finish, the server stops and the wave is closed
(``services.waves.close_wave``). Then, with the officers' own record of which codes were acknowledged:

- every acknowledged code is marked used in the ledger;
- stored responses (+ pending, while the storage issue's sealed submits wait for a batch) = used codes:
  no code used without its response and no response without its code (no half-write);
- acknowledged ≤ stored ≤ acknowledged + submits cut off by the kill: nothing acknowledged lost, nothing
  stored twice;
- every stored response has its answers and scores.

Repeated ``--runs`` times (default 5) on each database; exits non-zero if any run loses anything.

Usage: python benchmarks/crash.py [--db sqlite postgresql] [--runs 5] [--concurrency 30] [--kill-after 20]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import HMAC_KEY, SEAL_KEY, Server, Tally, counts, database, prepare, run_survey  # noqa: E402

log = logging.getLogger("crash")


def check(url: str, tally: Tally) -> dict[str, object]:
    """The run's invariants on the closed wave (see the module docstring)."""
    from sqlalchemy import create_engine, text

    from wellbeing.core.codes import hmac_code, normalise

    c = counts(url)
    stored = c["responses"] + c["pending"]
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            used = {h for (h,) in conn.execute(text("select code_hmac from code_ledger where used"))}
            without_answers = conn.execute(text(
                "select count(*) from response r where not exists (select 1 from answer a where a.response_id = r.id)"
                " or not exists (select 1 from score s where s.response_id = r.id)")).scalar_one()
    finally:
        eng.dispose()
    acked = [hmac_code(HMAC_KEY, normalise(code)) for code in tally.acknowledged]
    cut_off = sum(n for kind, n in tally.errors.items() if "submit" in kind or "Error" in kind)
    ok = (all(h in used for h in acked) and stored == len(used) and len(acked) <= stored
          and stored - len(acked) <= cut_off + len(tally.in_flight) and without_answers == 0
          and len(set(acked)) == len(acked))
    return {"ok": ok, "acknowledged": len(acked), "stored": stored, "used_codes": len(used),
            "acknowledged_not_used": sum(1 for h in acked if h not in used),
            "unacknowledged_stored": stored - len(acked), "cut_off_requests": cut_off,
            "responses_without_answers": without_answers}


def wait_for(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def one_run(kind: str, args: argparse.Namespace, n: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="wb-crash-") as tmp, \
            database(kind, Path(tmp), args.pg_url, args.server_cpus) as url:
        dep = prepare(Path(tmp) / "instance", url, args.codes)
        codes = iter(dep.codes)
        server = Server("wellbeing:create_app()", dep.env(), args.server_cpus)
        server.start()
        tally = Tally()
        load = threading.Thread(target=run_survey, args=(server.base, codes, args.concurrency, args.timeout, tally))
        load.start()
        wait_for(lambda: len(tally.acknowledged) >= args.kill_after, args.timeout / 2)
        acked_at_kill = len(tally.acknowledged)
        server.kill9()
        time.sleep(args.down)
        server.start()
        wait_for(lambda: len(tally.acknowledged) >= acked_at_kill + args.after, args.timeout / 2)
        tally.stop.set()  # in-flight submissions finish; no new ones start
        load.join()
        server.stop()
        from wellbeing import create_app
        from wellbeing.extensions import db
        from wellbeing.services import waves

        app = create_app({"SECRET_KEY": "x", "CODE_HMAC_KEY": HMAC_KEY, "SEAL_KEY": SEAL_KEY,
                          "SQLALCHEMY_DATABASE_URI": url,
                          "INSTANCE_PATH": str(dep.folder)})
        with app.app_context():
            waves.close_wave(waves.get_wave("bench"), warm=False)
            db.engine.dispose()
        result = check(url, tally)
        result["acknowledged_before_kill"] = acked_at_kill
        result["errors"] = dict(tally.errors)
        print(f"{kind} run {n}: {'OK' if result['ok'] else 'LOST OR DOUBLED'} — acknowledged {result['acknowledged']} "
              f"({acked_at_kill} before the kill), stored {result['stored']}, codes used {result['used_codes']}, "
              f"stored but unacknowledged {result['unacknowledged_stored']} (cut off: {result['cut_off_requests']}), "
              f"responses without answers {result['responses_without_answers']}", flush=True)
        return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=30)
    ap.add_argument("--kill-after", type=int, default=20, help="kill once this many submissions are acknowledged")
    ap.add_argument("--after", type=int, default=20, help="then run until this many more are acknowledged")
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds at most per run")
    ap.add_argument("--down", type=float, default=1.0, help="seconds between the kill and the restart")
    ap.add_argument("--server-cpus", default="0")
    ap.add_argument("--client-cpus", default="1")
    ap.add_argument("--pg-url", default=os.environ.get("WELLBEING_BENCH_PG_URL"))
    ap.add_argument("--codes", type=int, default=3000)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.client_cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(c) for c in args.client_cpus.split(",")})
    failed = 0
    for kind in args.db:
        results = [one_run(kind, args, i + 1) for i in range(args.runs)]
        bad = sum(1 for r in results if not r["ok"])
        failed += bad
        print(f"{kind}: {args.runs - bad} of {args.runs} runs lost nothing")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
