"""Staff pages benchmark (issue 20): every staff page of the seeded demo, first load against the next
ones (released numbers from the ledger, plots and PDFs from the renderings kept per release and locale).

Usage:
    WELLBEING_INSTANCE_PATH=/path/to/demo-instance python benchmarks/staff_pages.py [--loads 3]

The instance must hold the seeded demo (``flask demo seed``); the demo logins are used. For each page
it prints the first load and the median of the following loads, and the ratio to the login page
(a page that reads nothing released) measured in the same run. Target: every page < 1 s after release.
Numbers on a shared, loaded machine are noisy.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time

from wellbeing import create_app

log = logging.getLogger("benchmarks.staff_pages")

PAGES = {
    "psychologist": [
        "/results/", "/results/{w}?by=group", "/results/{w}?by=region", "/results/{w}?by=department&in=abai",
        "/results/{w}?by=shift_pattern", "/results/{w}?by=language", "/results/{w}/heatmap.png?by=group",
        "/results/{w}/means/cbi.work.png?by=region", "/results/{w}/means/cbi.work.svg?by=group",
        "/results/trend/cbi.work.png?level=region", "/results/{w}.pdf?by=region", "/results/{w}.csv?by=group",
    ],
    "admin": ["/admin/", "/admin/waves", "/admin/instruments"],
    "analyst": ["/schedules/", "/schedules/waves/{w}"],
}


def timed(client, url: str) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    r = client.get(url)
    elapsed = time.perf_counter() - t
    if r.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {r.status_code}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wave", default="baseline")
    ap.add_argument("--loads", type=int, default=3)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    app = create_app({"WTF_CSRF_ENABLED": False})
    worst = 0.0
    for role, pages in PAGES.items():
        client = app.test_client()
        baseline = statistics.median(timed(client, "/auth/login") for _ in range(5))
        r = client.post("/auth/login", data={"name": role, "password": f"demo-{role}"})
        if r.status_code != 302:
            log.error("cannot log in as the demo %s: is WELLBEING_INSTANCE_PATH a seeded demo?", role)
            return 1
        log.info("%s (login page, same run: %.3f s)", role, baseline)
        for page in pages:
            url = page.format(w=args.wave)
            first = timed(client, url)
            after = statistics.median(timed(client, url) for _ in range(args.loads))
            worst = max(worst, after)
            log.info("  %-48s first %6.2f s   then %6.3f s   (%4.0f x login)", url, first, after, after / baseline)
    log.info("slowest page after release: %.3f s; target < 1 s: %s", worst, "met" if worst < 1.0 else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
