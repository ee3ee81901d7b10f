"""Keel against a bare Django 5.2 project, side by side in one run (issue #21).

    .venv/bin/python bench/stack.py                 # SQLite
    .venv/bin/python bench/stack.py --postgres      # SQLite, then PostgreSQL (127.0.0.1:5432, trust)

Starts Keel (`keel serve`: gunicorn, gthread, 3 workers x 2 threads) and the bare project of `bench/bare/`
under the same gunicorn command line, each on a fresh database (PostgreSQL: throwaway databases, created and
dropped here), warms both, then measures pairs in rounds, the order inside each pair rotated every round:

    healthz  Keel GET /healthz                      vs bare GET /healthz (one SELECT 1)
    read     Keel GET /api/v1/me with a token       vs bare GET /read/1 (a one-row read)
    audread  Keel GET /api/v1/me with a token       vs bare GET /read-audited/1 (a token read, the row, one
             HMAC-sealed audit row advancing the locked chain head, committed)
    write    Keel POST /api/v1/me/checkins (audited) vs bare POST /insert (a one-row insert)
    audited  Keel POST /api/v1/me/checkins          vs bare POST /insert-audited (a token read, the row and
             one HMAC-sealed audit row whose chain head it locks and advances, in one transaction: the least
             an authenticated, audited write does, written with the stock ORM)

and prints, per pair, Keel's throughput over bare's (min/median/max over the rounds) with each side's p99
and server CPU per request. On a shared machine only the ratios mean anything; the load average is printed.
The load generator is `wrk` when installed (`bench/wrk_load.py`; `make bench-tools`), else
`bench/http_load.py`'s (Python threads in a separate process; `--load python` picks it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_load
import wrk_load
from http_load import KEEL, Request, measure

BENCH = Path(__file__).resolve().parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
PAIRS = ("healthz", "read", "audread", "write", "audited")
BARE_TOKENS = [f"bare-bench-token-{i}" for i in range(http_load.BENCH_PATIENTS)]


def _gunicorn_argv(app: str, port: int, workers: int, threads: int) -> list[str]:
    """The command line `keel serve` execs (src/keel/web/management/commands/serve.py), for another app."""
    return [
        str(GUNICORN),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--graceful-timeout",
        "10",
        "--forwarded-allow-ips",
        "127.0.0.1",
    ]


@contextlib.contextmanager
def _postgres_databases(base_url: str, names: list[str]) -> Iterator[list[str]]:
    import psycopg

    with psycopg.connect(f"{base_url}/postgres", autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield [f"{base_url}/{name}" for name in names]
    finally:
        with psycopg.connect(f"{base_url}/postgres", autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Servers:
    """Keel and bare, each on its own fresh database, served by the same gunicorn configuration."""

    def __init__(self, workers: int, threads: int, keel_url: str | None, bare_url: str | None) -> None:
        self.workers, self.threads = workers, threads
        self.keel_dir = Path(tempfile.mkdtemp(prefix="keel-stack-"))
        self.bare_dir = Path(tempfile.mkdtemp(prefix="bare-stack-"))
        self.keel_env = dict(os.environ, KEEL_DATA_DIR=str(self.keel_dir), KEEL_SCORE_RATE="1000000/s")
        for name in ("KEEL_DATABASE_URL", "KEEL_TESTING", "DJANGO_SETTINGS_MODULE"):
            self.keel_env.pop(name, None)
        # Measure this checkout's Keel, whatever the virtualenv's editable install points at.
        self.keel_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(BENCH.parent / "src"), os.environ.get("PYTHONPATH", "")) if p
        )
        if keel_url:
            self.keel_env["KEEL_DATABASE_URL"] = keel_url
        self.bare_env = dict(
            os.environ,
            BARE_DATA_DIR=str(self.bare_dir),
            DJANGO_SETTINGS_MODULE="bare.settings",
            PYTHONPATH=str(BENCH),
        )
        self.bare_env.pop("BARE_DATABASE_URL", None)
        if bare_url:
            self.bare_env["BARE_DATABASE_URL"] = bare_url
        self.procs: list[subprocess.Popen[bytes]] = []
        self.keel_port = http_load._free_port()
        self.bare_port = http_load._free_port()

    def start(self) -> None:
        run = {"check": True, "capture_output": True}
        subprocess.run([KEEL, "migrate", "--no-input"], env=self.keel_env, **run)  # type: ignore[call-overload]
        subprocess.run([KEEL, "demo", "--json"], env=self.keel_env, **run)  # type: ignore[call-overload]
        subprocess.run([KEEL, "shell", "-c", http_load._SETUP_PATIENTS], env=self.keel_env, **run)  # type: ignore[call-overload]
        django = [sys.executable, "-m", "django"]
        subprocess.run([*django, "migrate", "--no-input"], env=self.bare_env, cwd=BENCH, **run)  # type: ignore[call-overload]
        seed = (
            "import hashlib; from bare.models import ChainHead, Row, Token; "
            "Row.objects.create(name='bench', score=1); ChainHead.objects.create(pk=1, last_hash='0' * 64); "
            f"Token.objects.bulk_create([Token(key_hash=hashlib.sha256(t.encode()).hexdigest(), name=t) "
            f"for t in {BARE_TOKENS!r}])"
        )
        subprocess.run([*django, "shell", "-c", seed], env=self.bare_env, cwd=BENCH, **run)  # type: ignore[call-overload]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.keel = subprocess.Popen(
            [
                KEEL,
                "serve",
                "--port",
                str(self.keel_port),
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
            ],
            env=self.keel_env,
            **quiet,  # type: ignore[call-overload]
        )
        self.procs.append(self.keel)
        argv = _gunicorn_argv("bare.wsgi:application", self.bare_port, self.workers, self.threads)
        self.bare = subprocess.Popen(argv, env=self.bare_env, cwd=BENCH, **quiet)  # type: ignore[call-overload]
        self.procs.append(self.bare)
        http_load._wait_ready(self.keel_port)
        http_load._wait_ready(self.bare_port)

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
        shutil.rmtree(self.keel_dir, ignore_errors=True)
        shutil.rmtree(self.bare_dir, ignore_errors=True)

    def requests(self) -> dict[str, tuple[list[Request], list[Request]]]:
        """Per pair: (Keel's requests, bare's requests); clients take them in turn."""
        tokens = [
            http_load._token(self.keel_port, f"bench.patient{i}") for i in range(http_load.BENCH_PATIENTS)
        ]
        insert = json.dumps({"name": "bench", "score": 4}).encode()
        checkin = http_load.checkin_write(self.keel_port, [])
        return {
            "healthz": ([("GET", "/healthz", {}, None)], [("GET", "/healthz", {}, None)]),
            "read": (
                [("GET", "/api/v1/me", {"Authorization": f"Bearer {t}"}, None) for t in tokens],
                [("GET", "/read/1", {}, None)],
            ),
            "audread": (
                [("GET", "/api/v1/me", {"Authorization": f"Bearer {t}"}, None) for t in tokens],
                [("GET", "/read-audited/1", {"Authorization": f"Bearer {t}"}, None) for t in BARE_TOKENS],
            ),
            "write": (checkin, [("POST", "/insert", {"Content-Type": "application/json"}, insert)]),
            "audited": (
                checkin,
                [
                    (
                        "POST",
                        "/insert-audited",
                        {"Content-Type": "application/json", "Authorization": f"Bearer {t}"},
                        insert,
                    )
                    for t in BARE_TOKENS
                ],
            ),
        }


def _one(
    port: int, requests: list[Request], concurrency: int, seconds: float, pid: int, load: str = "python"
) -> dict[str, float]:
    if load == "wrk":
        return wrk_load.measure(port, requests, concurrency, seconds, pid)
    return measure(port, requests, concurrency, seconds, pid)


def run(
    args: argparse.Namespace, database: str, keel_url: str | None, bare_url: str | None
) -> dict[str, Any]:
    servers = Servers(args.workers, args.threads, keel_url, bare_url)
    try:
        servers.start()
        pairs = servers.requests()
        sides = {"keel": (servers.keel_port, servers.keel.pid), "bare": (servers.bare_port, servers.bare.pid)}
        for name in PAIRS:  # warm every worker of both servers on every path
            for index, side in enumerate(("keel", "bare")):
                port, pid = sides[side]
                _one(port, pairs[name][index], args.concurrency, args.warmup, pid, args.load)
        rows: dict[str, list[dict[str, dict[str, float]]]] = {name: [] for name in PAIRS}
        for round_no in range(args.rounds):
            order = ("keel", "bare") if round_no % 2 == 0 else ("bare", "keel")
            for name in PAIRS:
                result: dict[str, dict[str, float]] = {}
                for side in order:
                    port, pid = sides[side]
                    result[side] = _one(
                        port,
                        pairs[name][0 if side == "keel" else 1],
                        args.concurrency,
                        args.seconds,
                        pid,
                        args.load,
                    )
                rows[name].append(result)
    finally:
        servers.stop()
    return {"database": database, "rows": rows}


def _summary(values: list[float], fmt: str = "{:.2f}") -> str:
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def report(args: argparse.Namespace, results: list[dict[str, Any]], load: tuple[float, float]) -> str:
    lines = [
        f"Keel vs bare Django, same run: gunicorn gthread {args.workers}x{args.threads}, {args.concurrency} "
        f"clients ({args.load}), {args.rounds} rounds of {args.seconds:g}s per side, order rotated; "
        f"load average {load[0]:.1f} before, {load[1]:.1f} after, {os.cpu_count()} cores",
        "figures are min/median/max over the rounds",
        "",
        f"{'database':<11}{'pair':<9}{'Keel ÷ bare (req/s)':>22}{'Keel p99 ms':>18}{'bare p99 ms':>18}"
        f"{'Keel CPU ms/req':>18}{'bare CPU ms/req':>18}{'Keel errors':>12}",
    ]
    for result in results:
        for name in PAIRS:
            rows = result["rows"][name]
            ratio = [r["keel"]["rps"] / r["bare"]["rps"] for r in rows]
            lines.append(
                f"{result['database']:<11}{name:<9}{_summary(ratio):>22}"
                f"{_summary([r['keel']['p99_ms'] for r in rows], '{:.0f}'):>18}"
                f"{_summary([r['bare']['p99_ms'] for r in rows], '{:.0f}'):>18}"
                f"{_summary([r['keel']['server_cpu_ms'] for r in rows], '{:.1f}'):>18}"
                f"{_summary([r['bare']['server_cpu_ms'] for r in rows], '{:.1f}'):>18}"
                f"{sum(int(r['keel']['errors']) for r in rows):>12}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--seconds", type=float, default=3, help="measured seconds per side, per pair, per round"
    )
    parser.add_argument("--warmup", type=float, default=1, help="warm-up seconds per side and pair")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (keel serve's default)")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker (keel serve's default)")
    parser.add_argument("--postgres", action="store_true", help="also measure on PostgreSQL")
    parser.add_argument(
        "--load",
        choices=("wrk", "python"),
        default="wrk" if wrk_load.available() else "python",
        help="the load generator: wrk (C, the default when installed) or http_load's Python threads",
    )
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432",
        help="server URL without a database name; throwaway databases are created there",
    )
    parser.add_argument(
        "--db-prefix", default="keel", help="prefix of the throwaway PostgreSQL databases' names"
    )
    parser.add_argument("--json", action="store_true", help="also print the raw figures as JSON")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    results = [run(args, "SQLite", None, None)]
    if args.postgres:
        suffix = uuid.uuid4().hex[:8]
        names = [f"{args.db_prefix}_keel_stack_{suffix}", f"{args.db_prefix}_bare_stack_{suffix}"]
        with _postgres_databases(args.postgres_url, names) as (keel_url, bare_url):
            results.append(run(args, "PostgreSQL", keel_url, bare_url))
    print(report(args, results, (load_before, os.getloadavg()[0])))
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"({time.perf_counter() - started:.0f}s)")
