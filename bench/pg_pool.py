"""Django 5.2's psycopg pool against persistent connections, PostgreSQL, side by side in one run (issue #21).

    .venv/bin/python bench/pg_pool.py --rounds 5 --db-prefix perf31

Starts four servers under `bench/stack.py`'s gunicorn line (3 workers x 2 threads), each on its own throwaway
database: Keel and bare as configured (`CONN_MAX_AGE` 60 + `CONN_HEALTH_CHECKS`: a `SELECT 1` per request),
and Keel and bare with the pool (`CONN_MAX_AGE` 0, `OPTIONS["pool"]` of 2 connections per worker, one per
thread; `CONN_HEALTH_CHECKS` kept, so the pool checks each connection it hands out with an empty query).
Keel's pooled settings are `bench/pool_settings.py`; bare's are `BARE_DATABASE_POOL=1`. Per round, order
rotated, it measures `/healthz` on all four and Keel's audited check-in on both Keel servers, and prints
pool ÷ persistent and Keel ÷ bare (min/median/max of the rounds' req/s ratios) with p99 and server CPU.
Needs `psycopg_pool` (a dev dependency for this bench only: Keel does not use the pool, bench/README.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_load
import stack
import wrk_load

BENCH = Path(__file__).resolve().parent
SIDES = ("keel", "keel_pool", "bare", "bare_pool")


def _servers(args: argparse.Namespace, urls: list[str]) -> tuple[stack.Servers, stack.Servers]:
    plain = stack.Servers(args.workers, args.threads, urls[0], urls[2])
    pooled = stack.Servers(args.workers, args.threads, urls[1], urls[3])
    pooled.keel_env["DJANGO_SETTINGS_MODULE"] = "pool_settings"
    pooled.keel_env["PYTHONPATH"] = os.pathsep.join((str(BENCH), pooled.keel_env["PYTHONPATH"]))
    pooled.bare_env["BARE_DATABASE_POOL"] = "1"
    return plain, pooled


def _ratios(rows: list[dict[str, dict[str, float]]], top: str, bottom: str) -> str:
    return stack._summary([r[top]["rps"] / r[bottom]["rps"] for r in rows])


def measure(args: argparse.Namespace, plain: stack.Servers, pooled: stack.Servers) -> dict[str, list]:
    ports = {
        "keel": (plain.keel_port, plain.keel.pid),
        "keel_pool": (pooled.keel_port, pooled.keel.pid),
        "bare": (plain.bare_port, plain.bare.pid),
        "bare_pool": (pooled.bare_port, pooled.bare.pid),
    }
    health = [("GET", "/healthz", {}, None)]
    checkins = {
        "keel": http_load.checkin_write(plain.keel_port, []),
        "keel_pool": http_load.checkin_write(pooled.keel_port, []),
    }
    plans = {"healthz": {side: health for side in SIDES}, "checkin": checkins}
    for plan in plans.values():  # warm every worker
        for side, requests in plan.items():
            port, pid = ports[side]
            stack._one(port, requests, args.concurrency, args.warmup, pid, args.load)
    rows: dict[str, list] = {name: [] for name in plans}
    for round_no in range(args.rounds):
        for name, plan in plans.items():
            sides = list(plan)
            shift = round_no % len(sides)
            result = {}
            for side in sides[shift:] + sides[:shift]:
                port, pid = ports[side]
                result[side] = stack._one(port, plan[side], args.concurrency, args.seconds, pid, args.load)
            rows[name].append(result)
    return rows


def report(rows: dict[str, list], load: tuple[float, float], args: argparse.Namespace) -> str:
    lines = [
        f"PostgreSQL, gunicorn gthread {args.workers}x{args.threads}, "
        f"{args.concurrency} clients ({args.load}), "
        f"{args.rounds} rounds of {args.seconds:g}s per side, order rotated; load average "
        f"{load[0]:.1f} before, {load[1]:.1f} after",
        f"{'route':<9}{'side':<11}{'req/s':>18}{'p99 ms':>18}{'CPU ms/req':>16}",
    ]
    for name, runs in rows.items():
        for side in runs[0]:
            values = [r[side] for r in runs]
            lines.append(
                f"{name:<9}{side:<11}{stack._summary([v['rps'] for v in values], '{:.0f}'):>18}"
                f"{stack._summary([v['p99_ms'] for v in values], '{:.0f}'):>18}"
                f"{stack._summary([v['server_cpu_ms'] for v in values], '{:.1f}'):>16}"
            )
    health, checkin = rows["healthz"], rows["checkin"]
    lines += [
        f"healthz  Keel pool ÷ Keel persistent   {_ratios(health, 'keel_pool', 'keel')}",
        f"healthz  bare pool ÷ bare persistent   {_ratios(health, 'bare_pool', 'bare')}",
        f"healthz  Keel ÷ bare, persistent       {_ratios(health, 'keel', 'bare')}",
        f"healthz  Keel ÷ bare, pool             {_ratios(health, 'keel_pool', 'bare_pool')}",
        f"checkin  Keel pool ÷ Keel persistent   {_ratios(checkin, 'keel_pool', 'keel')}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--load", choices=("wrk", "python"), default="wrk" if wrk_load.available() else "python"
    )
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--db-prefix", default="keel")
    args = parser.parse_args()
    suffix = uuid.uuid4().hex[:8]
    names = [f"{args.db_prefix}_pool_{side}_{suffix}" for side in ("keel", "keel_pool", "bare", "bare_pool")]
    load_before = os.getloadavg()[0]
    with stack._postgres_databases(args.postgres_url, names) as urls:
        plain, pooled = _servers(args, urls)
        try:
            plain.start()
            pooled.start()
            rows = measure(args, plain, pooled)
        finally:
            plain.stop()
            pooled.stop()
    print(report(rows, (load_before, os.getloadavg()[0]), args))


if __name__ == "__main__":
    main()
