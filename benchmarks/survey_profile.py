"""Profile whole officer submissions through the app, in process (Flask test client, CSRF on).

Prepares the same wave as ``benchmarks/load.py`` (SQLite file in a temporary folder), then runs
``--submissions`` officer submissions (start page, code, every page GET + POST, submit) and prints the
process CPU time per request kind (``time.process_time``, ms) and, with ``--profile``, cProfile's top
functions by cumulative time for each kind.

Usage::

    python benchmarks/survey_profile.py [--submissions 40] [--profile] [--top 25] [--sort tottime]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402  (benchmarks/load.py: the deployment and page parsing)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--submissions", type=int, default=40)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--sort", default="cumulative", help="pstats order: cumulative or tottime")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wb-prof-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        dep = load.prepare(Path(tmp) / "instance", url, args.submissions + 20)
        from wellbeing import create_app

        app = create_app({"SECRET_KEY": load.SECRET, "CODE_HMAC_KEY": load.HMAC_KEY, "SEAL_KEY": load.SEAL_KEY,
                          "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(Path(tmp) / "instance"),
                          "WTF_CSRF_ENABLED": True, "DEFAULT_LANGUAGE": "en",
                          "CODE_ENTRY_LIMIT_GLOBAL": "100000/minute", "CODE_ENTRY_LIMIT_PER_WAVE": "100000/minute"})
        rng = random.Random(1)
        cpu: dict[str, list[float]] = defaultdict(list)
        # CPU time, not wall time: waits on fsync and locks are not the work being profiled.
        profiles: dict[str, cProfile.Profile] = defaultdict(lambda: cProfile.Profile(time.process_time))

        def timed(kind: str, call):  # type: ignore[no-untyped-def]
            prof = profiles[kind] if args.profile else None
            t = time.process_time()
            if prof:
                prof.enable()
            r = call()
            if prof:
                prof.disable()
            cpu[kind].append(time.process_time() - t)
            return r

        for code in dep.codes[:args.submissions]:
            c = app.test_client()
            r = timed("start GET", lambda c=c: c.get("/survey/"))
            token = load.csrf(r.text)
            r = timed("code POST", lambda c=c, code=code, token=token: c.post(
                "/survey/", data={"code": code, "language": "en", "csrf_token": token}))
            assert r.status_code == 303, r.status_code
            path = r.headers["location"]
            while True:
                page = timed("page GET", lambda c=c, path=path: c.get(path))
                assert page.status_code == 200, page.status_code
                data = {**load.page_answers(page.text, rng), "csrf_token": load.csrf(page.text)}
                last = "Send my answers" in page.text
                r = timed("submit POST" if last else "page POST",
                          lambda c=c, path=path, data=data: c.post(path, data=data))
                if last:
                    assert r.status_code == 200 and "your answers were sent" in r.text, r.status_code
                    break
                assert r.status_code == 303, r.status_code
                path = r.headers["location"]
        warm = {k: v[len(v) // 4:] for k, v in cpu.items()}  # the first quarter warms the caches
        total = 0.0
        print(f"# CPU ms per request ({args.submissions} submissions, first quarter dropped)")
        for kind, v in warm.items():
            per = 1000 * sum(v) / len(v)
            n_per_sub = len(cpu[kind]) / args.submissions
            total += per * n_per_sub
            print(f"  {kind:12s} {per:6.2f} ms  x {n_per_sub:.0f} per submission")
        print(f"  whole submission {total:.1f} ms ({total / sum(len(v) for v in cpu.values()) * args.submissions:.2f}"
              " ms per request)")
        if args.profile:
            for kind, prof in profiles.items():
                s = io.StringIO()
                pstats.Stats(prof, stream=s).sort_stats(args.sort).print_stats(args.top)
                print(f"\n## {kind}\n" + s.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
