"""Load benchmark: virtual officers answering the survey against `make serve`'s gunicorn on loopback.

Each virtual officer (an ``httpx.AsyncClient`` of its own, so its own cookies and connection) takes the
next printed code and does what a browser does: GET the start page, POST its code (CSRF token parsed
from the page), then for every questionnaire page GET it and POST valid answers (the radio names and
values parsed from the page, a random option per item), the last POST being the submit. It starts the
next submission at once, until the run's duration is over. In the same run the same server settings
serve a bare Flask route that inserts one row (``benchmarks/bare_app.py``): the baseline.

Printed per database and concurrency: completed (acknowledged) submissions/s; p50/p95/p99 latency per
request kind and per whole submission; errors; acknowledged vs stored (responses, plus the
``pending_response`` rows: the sealed submits of issue 15 not yet released in a batch); the gunicorn processes'
CPU per request
(from /proc: user + system time of the master, its workers and reaped workers, over the run); the
ratio of that to the bare route's.

The server is pinned with ``taskset`` to ``--server-cpus`` (and a throw-away PostgreSQL cluster with
it); the client pins itself to ``--client-cpus``. On a shared machine figures are noisy: say so.

Usage::

    python benchmarks/load.py [--db sqlite postgresql] [--concurrency 50 200] [--duration 30]
                              [--server-cpus 0] [--client-cpus 1] [--pg-url URL] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import os
import random
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
log = logging.getLogger("load")

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
RADIO_RE = re.compile(r'<input[^>]*type="radio"[^>]*>')
NAME_RE = re.compile(r'name="([^"]+)"')
VALUE_RE = re.compile(r'value="([^"]*)"')
INSTRUMENTS = ("cbi", "who5", "wfc", "context")  # 4 pages (36 items): 10 requests per submission
SECRET, HMAC_KEY = "bench-secret", "bench-hmac-key"
SEAL_KEY = "5e" * 32  # 256-bit sealing key (benchmark only)
TICK = os.sysconf("SC_CLK_TCK")
CODE_ENTRY_LIMIT = "6000 per minute"
#: One TLS context for every virtual officer's client: ``httpx.AsyncClient()`` otherwise builds one per
#: client (loading the CA bundle, ~20 ms of the load client's CPU per submission), although the server
#: is plain HTTP on loopback.
@functools.cache
def _ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid``, its live descendants and its reaped children."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    # fields[11..14] = utime, stime, cutime, cstime (proc(5), counted from the state field)
    total += sum(int(x) for x in fields[11:15]) / TICK
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:
            continue
        total += sum(cpu_seconds(int(c)) for c in children)
    return total


# ------------------------------------------------------------------------------------ the deployment

@dataclass
class Deployment:
    """An instance folder and database with one open wave and its plain codes."""

    folder: Path
    url: str
    codes: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {**os.environ, "WELLBEING_INSTANCE_PATH": str(self.folder), "WELLBEING_DATABASE_URL": self.url,
                "WELLBEING_SECRET_KEY": SECRET, "WELLBEING_CODE_HMAC_KEY": HMAC_KEY,
                "WELLBEING_SEAL_KEY": json.dumps(SEAL_KEY),
                "WELLBEING_DEFAULT_LANGUAGE": "en", "WELLBEING_ACCESS_LOG": "", "PYTHONPATH": str(REPO),
                # The defaults (300 code entries a minute per wave) are sized for one unit's wave; this
                # benchmark puts every officer in one wave at up to 30+ entries a second.
                "WELLBEING_CODE_ENTRY_LIMIT_GLOBAL": CODE_ENTRY_LIMIT,
                "WELLBEING_CODE_ENTRY_LIMIT_PER_WAVE": CODE_ENTRY_LIMIT}


def prepare(folder: Path, url: str, n_codes: int) -> Deployment:
    """Migrate the database, import one unit sized for ``n_codes`` codes, create, issue and open a wave."""
    os.environ.update({"WELLBEING_INSTANCE_PATH": str(folder)})
    from flask_migrate import upgrade

    from wellbeing import create_app
    from wellbeing.extensions import db
    from wellbeing.services import waves
    from wellbeing.services.units import import_units

    folder.mkdir(parents=True, exist_ok=True)
    app = create_app({"SECRET_KEY": SECRET, "CODE_HMAC_KEY": HMAC_KEY, "SEAL_KEY": SEAL_KEY,
                      "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(folder)})
    headcount = int(n_codes / 1.2) + 1
    units = ("unit_id,name,parent_id,level,headcount\nbench,Bench region,,region,\n"
             "bench-d1,Bench department,bench,department,\n"
             f"bench-d1-u1,Bench unit,bench-d1,unit,{headcount}\n")
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        import_units(units.encode(), imported_by="benchmark")
        wave = waves.create_wave("bench", list(INSTRUMENTS), opens=date(2026, 1, 1), closes=date(2026, 12, 31))
        issued = waves.issue_codes(wave)
        waves.open_wave(wave)
        codes = [c for g in issued for c in g.codes]
        db.engine.dispose()
    random.Random(1).shuffle(codes)
    return Deployment(folder, url, codes)


def counts(url: str) -> dict[str, int]:
    """Stored responses (+ pending, if that table exists) and used codes."""
    from sqlalchemy import create_engine, inspect, text

    eng = create_engine(url)
    try:
        with eng.connect() as c:
            tables = set(inspect(c).get_table_names())
            out = {"responses": c.execute(text("select count(*) from response")).scalar_one(),
                   "used_codes": c.execute(text("select count(*) from code_ledger where used")).scalar_one()}
            out["pending"] = (c.execute(text("select count(*) from pending_response")).scalar_one()
                              if "pending_response" in tables else 0)
            out["bare_rows"] = (c.execute(text("select count(*) from bench_bare")).scalar_one()
                                if "bench_bare" in tables else 0)
            return out
    finally:
        eng.dispose()


# ---------------------------------------------------------------------------------------- the server

class Server:
    """gunicorn with wellbeing/gunicorn_conf.py (what `make serve` runs), pinned with taskset."""

    def __init__(self, app_spec: str, env: dict[str, str], cpus: str, *, workers: int | None = None,
                 threads: int | None = None, extra_path: Path | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**env, "WELLBEING_BIND": f"127.0.0.1:{self.port}", "WELLBEING_ERROR_LOG": "-",
               "WELLBEING_LOG_LEVEL": "warning"}
        if workers:
            env["WELLBEING_WORKERS"] = str(workers)
        if threads:
            env["WELLBEING_THREADS"] = str(threads)
        cmd = [sys.executable, "-m", "gunicorn", "-c", "python:wellbeing.gunicorn_conf"]
        if extra_path:
            cmd += ["--pythonpath", str(extra_path)]
        cmd.append(app_spec)
        if shutil.which("taskset") and cpus:
            cmd = ["taskset", "-c", cpus, *cmd]
        self.cmd, self.env = cmd, env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90) -> None:
        self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=REPO, start_new_session=True,
                                     stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(self.base + "/", timeout=5)
                return
            except httpx.TransportError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()

    def kill9(self) -> None:
        """SIGKILL the master and every worker at once (its process group)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(timeout=30)


# ---------------------------------------------------------------------------------- virtual officers

@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    submissions: list[float] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    in_flight: set[str] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)  # officers start no new submission

    def add(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.requests += 1


class Failed(Exception):
    pass


async def timed(tally: Tally, kind: str, coro):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    r = await coro
    tally.add(kind, time.perf_counter() - t)
    return r


def page_answers(html: str, rng: random.Random) -> dict[str, str]:
    options: dict[str, list[str]] = {}
    for m in RADIO_RE.finditer(html):
        tag = m.group(0)
        options.setdefault(NAME_RE.search(tag).group(1), []).append(VALUE_RE.search(tag).group(1))  # type: ignore[union-attr]
    return {name: rng.choice(values) for name, values in options.items()}


def csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    if not m:
        raise Failed("no CSRF token")
    return m.group(1)


async def one_submission(client: httpx.AsyncClient, code: str, tally: Tally, rng: random.Random) -> None:
    r = await timed(tally, "start GET", client.get("/survey/"))
    if r.status_code != 200:
        raise Failed(f"start {r.status_code}")
    r = await timed(tally, "code POST", client.post("/survey/", data={"code": code, "language": "en",
                                                                     "csrf_token": csrf(r.text)}))
    if r.status_code != 303:
        raise Failed(f"code {r.status_code}")
    path = httpx.URL(r.headers["location"]).path
    tally.in_flight.add(code)
    while True:
        page = await timed(tally, "page GET", client.get(path))
        if page.status_code != 200:
            raise Failed(f"page GET {page.status_code}")
        data = {**page_answers(page.text, rng), "csrf_token": csrf(page.text)}
        last = "Send my answers" in page.text
        r = await timed(tally, "submit POST" if last else "page POST", client.post(path, data=data))
        if last:
            if r.status_code != 200 or "your answers were sent" not in r.text:
                raise Failed(f"submit {r.status_code}")
            tally.acknowledged.append(code)
            tally.in_flight.discard(code)
            return
        if r.status_code != 303:
            raise Failed(f"page POST {r.status_code}")
        path = httpx.URL(r.headers["location"]).path


async def officer(base: str, codes: Iterator[str], tally: Tally, deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline and not tally.stop.is_set():
        code = next(codes, None)
        if code is None:
            tally.errors["out of codes"] += 1
            return
        async with httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=120,
                                     verify=_ssl_context()) as client:
            t = time.perf_counter()
            try:
                await one_submission(client, code, tally, rng)
                tally.submissions.append(time.perf_counter() - t)
            except (Failed, httpx.HTTPError) as exc:
                tally.errors[type(exc).__name__ + ": " + str(exc)[:60]] += 1
                await asyncio.sleep(0.2)


async def bare_client(base: str, tally: Tally, deadline: float) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=120, verify=_ssl_context()) as client:
        while time.monotonic() < deadline:
            try:
                r = await timed(tally, "bare POST", client.post("/insert"))
                if r.status_code != 200:
                    tally.errors[f"bare {r.status_code}"] += 1
                else:
                    tally.acknowledged.append("")
            except httpx.HTTPError as exc:
                tally.errors[type(exc).__name__] += 1


def run_survey(base: str, codes: Iterator[str], concurrency: int, duration: float, tally: Tally | None = None) -> Tally:
    tally = tally or Tally()
    deadline = time.monotonic() + duration

    async def main() -> None:
        await asyncio.gather(*(officer(base, codes, tally, deadline, i) for i in range(concurrency)))

    asyncio.run(main())
    return tally


def run_bare(base: str, concurrency: int, duration: float) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + duration

    async def main() -> None:
        await asyncio.gather(*(bare_client(base, tally, deadline) for _ in range(concurrency)))

    asyncio.run(main())
    return tally


# ----------------------------------------------------------------------------------------- reporting

def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))] * 1000


def summary(tally: Tally, wall: float, cpu: float) -> dict[str, object]:
    return {
        "wall_s": round(wall, 1),
        "requests": tally.requests,
        "requests_per_s": round(tally.requests / wall, 1),
        "submissions_per_s": round(len(tally.submissions) / wall, 2),
        "acknowledged": len(tally.acknowledged),
        "errors": dict(tally.errors),
        "server_cpu_ms_per_request": round(cpu / max(1, tally.requests) * 1000, 2),
        "latency_ms": {k: {"p50": round(pct(v, 50), 1), "p95": round(pct(v, 95), 1), "p99": round(pct(v, 99), 1),
                           "n": len(v)} for k, v in sorted(tally.latencies.items())},
        "submission_ms": ({"p50": round(pct(tally.submissions, 50)), "p95": round(pct(tally.submissions, 95)),
                           "p99": round(pct(tally.submissions, 99))} if tally.submissions else None),
    }


def measure(server: Server, run) -> tuple[Tally, dict[str, object]]:  # type: ignore[no-untyped-def]
    cpu0, t0, client0 = server.cpu(), time.monotonic(), time.process_time()
    tally = run()
    wall, cpu = time.monotonic() - t0, server.cpu() - cpu0
    s = summary(tally, wall, cpu)
    # Share of one CPU used by the server and by this client: near 100 % for the client means the
    # latencies are the client's, not the server's.
    s["server_cpu_share"] = round(cpu / wall, 2)
    s["client_cpu_share"] = round((time.process_time() - client0) / wall, 2)
    return tally, s


@contextmanager
def database(kind: str, work: Path, pg_url: str | None, server_cpus: str) -> Iterator[str]:
    """A fresh database: a SQLite file, or a new database on PostgreSQL (``pg_url`` or a throw-away cluster
    started by scripts/pg_throwaway.sh, pinned to the server's CPUs)."""
    if kind == "sqlite":
        yield f"sqlite:///{work / 'bench.sqlite'}"
        return
    cluster = None
    if not pg_url:
        cluster = work / "pg"
        cmd = ["bash", str(REPO / "scripts" / "pg_throwaway.sh"), "start", str(cluster)]
        if shutil.which("taskset") and server_cpus:
            cmd = ["taskset", "-c", server_cpus, *cmd]
        pg_url = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()
    import psycopg

    name = f"wb_bench_{os.getpid()}"
    libpq = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(libpq, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name}")
        c.execute(f"CREATE DATABASE {name}")
    try:
        yield pg_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(libpq, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if cluster is not None:
            subprocess.run(["bash", str(REPO / "scripts" / "pg_throwaway.sh"), "stop", str(cluster)], check=False)


def print_run(label: str, s: dict[str, object]) -> None:
    print(f"\n## {label}")
    print(f"  {s['submissions_per_s']} submissions/s, {s['requests_per_s']} requests/s over {s['wall_s']} s; "
          f"acknowledged {s['acknowledged']}; errors {s['errors'] or 0}")
    print(f"  server CPU per request: {s['server_cpu_ms_per_request']} ms; CPU used: server "
          f"{s['server_cpu_share']:.0%}, load client {s['client_cpu_share']:.0%} of one core")
    for kind, q in s["latency_ms"].items():  # type: ignore[union-attr]
        print(f"  {kind:12s} p50 {q['p50']:8.1f}  p95 {q['p95']:8.1f}  p99 {q['p99']:8.1f} ms  (n={q['n']})")
    q = s["submission_ms"]
    if q:
        print(f"  whole submission p50 {q['p50']} p95 {q['p95']} p99 {q['p99']} ms")  # type: ignore[index]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    ap.add_argument("--concurrency", nargs="+", type=int, default=[50, 200])
    ap.add_argument("--duration", type=float, default=30.0, help="seconds per run")
    ap.add_argument("--server-cpus", default="0", help="taskset CPU list for gunicorn (and PostgreSQL)")
    ap.add_argument("--client-cpus", default="1", help="CPU list for this load client")
    ap.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: its config's)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--pg-url", default=os.environ.get("WELLBEING_BENCH_PG_URL"),
                    help="a PostgreSQL maintenance database URL (default: a throw-away cluster)")
    ap.add_argument("--codes", type=int, default=12000)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.client_cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(c) for c in args.client_cpus.split(",")})
    results: dict[str, object] = {"config": vars(args) | {"json": str(args.json)}, "runs": {}}
    print(f"# load benchmark: {args.duration:.0f} s per run, server on CPUs {args.server_cpus}, "
          f"client on CPUs {args.client_cpus}, load average before: {os.getloadavg()[0]:.1f}")
    for kind in args.db:
        with tempfile.TemporaryDirectory(prefix="wb-load-") as tmp, \
                database(kind, Path(tmp), args.pg_url, args.server_cpus) as url:
            dep = prepare(Path(tmp) / "instance", url, args.codes)
            codes = iter(dep.codes)
            server = Server("wellbeing:create_app()", dep.env(), args.server_cpus,
                            workers=args.workers, threads=args.threads)
            server.start()
            survey_runs = {}
            try:
                for c in args.concurrency:
                    before = counts(url)
                    tally, s = measure(server, lambda c=c, server=server, codes=codes:
                                       run_survey(server.base, codes, c, args.duration))
                    after = counts(url)
                    s["stored"] = (after["responses"] + after["pending"]) - (before["responses"] + before["pending"])
                    s["used_codes"] = after["used_codes"] - before["used_codes"]
                    survey_runs[c] = s
            finally:
                server.stop()
            bare = Server("bare_app:create_app()", dep.env(), args.server_cpus, workers=args.workers,
                          threads=args.threads, extra_path=REPO / "benchmarks")
            bare.start()
            bare_runs = {}
            try:
                for c in args.concurrency:
                    before = counts(url)["bare_rows"]
                    tally, s = measure(bare, lambda c=c, bare=bare: run_bare(bare.base, c, args.duration))
                    s["stored"] = counts(url)["bare_rows"] - before
                    bare_runs[c] = s
            finally:
                bare.stop()
        for c in args.concurrency:
            s, b = survey_runs[c], bare_runs[c]
            s["ratio_cpu_to_bare"] = round(s["server_cpu_ms_per_request"]
                                           / max(1e-9, b["server_cpu_ms_per_request"]), 2)
            print_run(f"{kind}, survey, {c} concurrent officers", s)
            print(f"  acknowledged {s['acknowledged']} vs stored {s['stored']} (codes used {s['used_codes']}); "
                  f"CPU per request {s['ratio_cpu_to_bare']}x the bare route's")
            print_run(f"{kind}, bare insert route, {c} concurrent clients", b)
            print(f"  acknowledged {b['acknowledged']} vs stored {b['stored']}")
        results["runs"][kind] = {"survey": survey_runs, "bare": bare_runs}  # type: ignore[index]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
