"""Audit chain stripes within a program, side by side in one run (issue #21, session 33).

    .venv/bin/python bench/audit_stripes.py --postgres --rounds 3 --db-prefix <lane>

Starts two Keels (`keel serve`: gunicorn gthread, 3 workers x 2 threads), the same checkout and the same
database server, each on its own fresh database, one with `KEEL_AUDIT_STRIPES=1` (one chain per program: 32
writers of one program queue on its one head row) and one with `KEEL_AUDIT_STRIPES=8` (or `--stripes`), warms
both, then drives `stack.py`'s audited check-in (32 patients of one program, POST /api/v1/me/checkins with a
token, one client each) at 32 connections, the order rotated every round. Prints each side's req/s and p99
(min/median/max over the rounds), the ratio striped ÷ one chain in each round, and the load average. Then
verifies both databases' chains (`keel audit verify`). SQLite first (one writer anyway: the writer queue),
then PostgreSQL with `--postgres`.
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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_load
import stack
import wrk_load
from http_load import KEEL, Request

BENCH = Path(__file__).resolve().parent


class Keel:
    """One Keel server on a fresh database (SQLite in a temporary directory, or `url`), N audit stripes."""

    def __init__(self, stripes: int, url: str | None, workers: int, threads: int) -> None:
        self.stripes, self.workers, self.threads = stripes, workers, threads
        self.dir = Path(tempfile.mkdtemp(prefix=f"keel-stripes{stripes}-"))
        env = dict(os.environ, KEEL_DATA_DIR=str(self.dir), KEEL_SCORE_RATE="1000000/s")
        for name in ("KEEL_DATABASE_URL", "KEEL_TESTING", "DJANGO_SETTINGS_MODULE"):
            env.pop(name, None)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(BENCH.parent / "src"), os.environ.get("PYTHONPATH", "")) if p
        )
        env["KEEL_AUDIT_STRIPES"] = str(stripes)
        if url:
            env["KEEL_DATABASE_URL"] = url
        self.env = env
        self.port = http_load._free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        for argv in (
            ["migrate", "--no-input"],
            ["demo", "--json"],
            ["shell", "-c", http_load._SETUP_PATIENTS],
        ):
            subprocess.run([KEEL, *argv], env=self.env, check=True, capture_output=True)
        serve = [
            "serve",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
        ]
        self.proc = subprocess.Popen(
            [KEEL, *serve], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        http_load._wait_ready(self.port)

    def verify(self) -> str:
        done = subprocess.run([KEEL, "audit", "verify"], env=self.env, capture_output=True, text=True)
        return (
            (done.stdout + done.stderr).strip().splitlines()[-1]
            if (done.stdout + done.stderr).strip()
            else ""
        )

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def _measure(
    keel: Keel, requests: list[Request], args: argparse.Namespace, seconds: float
) -> dict[str, float]:
    assert keel.proc is not None
    if args.load == "wrk":
        return wrk_load.measure(keel.port, requests, args.concurrency, seconds, keel.proc.pid)
    return http_load.measure(keel.port, requests, args.concurrency, seconds, keel.proc.pid)


def run(args: argparse.Namespace, database: str, urls: list[str | None]) -> dict[str, Any]:
    sides = [
        Keel(1, urls[0], args.workers, args.threads),
        Keel(args.stripes, urls[1], args.workers, args.threads),
    ]
    rows: list[dict[str, dict[str, float]]] = []
    try:
        for keel in sides:
            keel.start()
        requests = {keel.stripes: http_load.checkin_write(keel.port, []) for keel in sides}
        for keel in sides:
            _measure(keel, requests[keel.stripes], args, args.warmup)
        for round_no in range(args.rounds):
            order = sides if round_no % 2 == 0 else sides[::-1]
            rows.append({str(k.stripes): _measure(k, requests[k.stripes], args, args.seconds) for k in order})
        verified = {str(keel.stripes): keel.verify() for keel in sides}
    finally:
        for keel in sides:
            keel.stop()
    return {"database": database, "rows": rows, "verified": verified}


def _mmm(values: list[float], fmt: str) -> str:
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def report(args: argparse.Namespace, results: list[dict[str, Any]], load: tuple[float, float]) -> str:
    one, many = "1", str(args.stripes)
    lines = [
        f"audited check-in, {args.concurrency} clients ({args.load}), gunicorn "
        f"{args.workers}x{args.threads}, {args.rounds} rounds of {args.seconds:g}s per side, order rotated; "
        f"load average {load[0]:.1f} before, {load[1]:.1f} after, {os.cpu_count()} cores; min / median / max",
    ]
    for result in results:
        rows = result["rows"]
        lines.append(f"{result['database']}:")
        for side in (one, many):
            lines.append(
                f"  stripes {side:>2}: req/s {_mmm([r[side]['rps'] for r in rows], '{:.0f}')}, "
                f"p99 {_mmm([r[side]['p99_ms'] for r in rows], '{:.0f}')} ms, "
                f"p50 {_mmm([r[side]['p50_ms'] for r in rows], '{:.0f}')} ms, "
                f"errors {sum(int(r[side]['errors']) for r in rows)}; verify: {result['verified'][side]}"
            )
        ratio = [r[many]["rps"] / r[one]["rps"] for r in rows]
        p99 = [r[many]["p99_ms"] / r[one]["p99_ms"] for r in rows]
        lines.append(f"  stripes {many} ÷ 1: req/s {_mmm(ratio, '{:.2f}')}, p99 {_mmm(p99, '{:.2f}')}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5, help="measured seconds per side and round")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds per side")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--stripes", type=int, default=8, help="the striped side's KEEL_AUDIT_STRIPES")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--postgres", action="store_true", help="also measure on PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--load", choices=("wrk", "python"), default="wrk" if wrk_load.available() else "python"
    )
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--db-prefix", default="keel", help="prefix of the throwaway PostgreSQL databases")
    parser.add_argument("--json", action="store_true", help="also print the raw figures as JSON")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    results = [] if args.no_sqlite else [run(args, "SQLite", [None, None])]
    if args.postgres:
        suffix = uuid.uuid4().hex[:8]
        names = [f"{args.db_prefix}_stripes1_{suffix}", f"{args.db_prefix}_stripes{args.stripes}_{suffix}"]
        with stack._postgres_databases(args.postgres_url, names) as urls:
            results.append(run(args, "PostgreSQL", list(urls)))
    print(report(args, results, (load_before, os.getloadavg()[0])))
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"({time.perf_counter() - started:.0f}s)")
