"""`/healthz` on PostgreSQL: Keel at another checkout, this Keel and bare, side by side (issue #21).

    git archive <commit> src | tar -x -C /tmp/keel-base      # the Keel to compare with
    .venv/bin/python bench/healthz_pg.py --base /tmp/keel-base --rounds 6

Starts the three under `bench/stack.py`'s gunicorn line (`Servers`), each on its own throwaway PostgreSQL
database, and drives `GET /healthz` with `wrk` at 32 connections, order rotated every round. Prints, per
side, req/s, the server's CPU per request, the PostgreSQL backends' CPU per request (their `/proc` times: a
backend that exits during a round takes its time with it, so read the medians) and p99, then the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import psycopg  # noqa: E402

import stack  # noqa: E402
import wrk_load  # noqa: E402

REQUEST = [("GET", "/healthz", {}, None)]
Results = dict[str, list[dict[str, float]]]


def _backend_cpu(base_url: str, database: str) -> float:
    with psycopg.connect(f"{base_url}/postgres", autocommit=True) as conn:
        pids = [
            row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
        ]
    ticks = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _summary(values: list[float]) -> str:
    return "/".join(f"{v:.3f}" for v in (min(values), statistics.median(values), max(values)))


def _rounds(
    args: argparse.Namespace, sides: dict[str, tuple[int, int, str]]
) -> dict[str, list[dict[str, float]]]:
    for port, pid, _db in sides.values():  # warm every worker
        wrk_load.measure(port, REQUEST, args.concurrency, 2, pid)
    results: Results = {side: [] for side in sides}
    names = list(sides)
    for round_no in range(args.rounds):
        for side in names[round_no % 3 :] + names[: round_no % 3]:
            port, pid, database = sides[side]
            before = _backend_cpu(args.postgres_url, database)
            row = wrk_load.measure(port, REQUEST, args.concurrency, args.seconds, pid)
            row["backend_ms"] = (_backend_cpu(args.postgres_url, database) - before) / row["requests"] * 1000
            results[side].append(row)
    return results


def _print(results: Results) -> None:
    for side, rows in results.items():
        print(
            f"{side:5s} req/s {_summary([r['rps'] for r in rows])}  server CPU ms/req "
            f"{_summary([r['server_cpu_ms'] for r in rows])}  backend CPU ms/req "
            f"{_summary([r['backend_ms'] for r in rows])}  p99 ms {_summary([r['p99_ms'] for r in rows])}"
        )

    def ratio(a: str, b: str, key: str) -> str:
        return _summary([x[key] / y[key] for x, y in zip(results[a], results[b], strict=True)])

    print(
        f"new ÷ base: req/s {ratio('new', 'base', 'rps')}, server CPU {ratio('new', 'base', 'server_cpu_ms')}"
    )
    print(f"Keel ÷ bare req/s: base {ratio('base', 'bare', 'rps')}, new {ratio('new', 'bare', 'rps')}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", type=Path, required=True, help="a checkout's directory holding src/keel")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--db-prefix", default="healthz_pg")
    args = parser.parse_args()
    names = [f"{args.db_prefix}_base", f"{args.db_prefix}_new", f"{args.db_prefix}_bare"]
    here = Path.cwd()
    with stack._postgres_databases(args.postgres_url, names) as (base_url, new_url, bare_url):
        os.chdir(args.base)  # the virtualenv puts the working directory's src first on the path
        base = stack.Servers(3, 2, base_url, None)
        base.keel_env["PYTHONPATH"] = str(args.base.resolve() / "src")
        new = stack.Servers(3, 2, new_url, bare_url)
        try:
            base.start()
            os.chdir(here)
            new.start()
            sides = {
                "base": (base.keel_port, base.keel.pid, names[0]),
                "new": (new.keel_port, new.keel.pid, names[1]),
                "bare": (new.bare_port, new.bare.pid, names[2]),
            }
            print(f"load average before {os.getloadavg()[0]:.1f}")
            results = _rounds(args, sides)
            print(f"load average after {os.getloadavg()[0]:.1f}")
        finally:
            os.chdir(here)
            base.stop()
            new.stop()
    _print(results)


if __name__ == "__main__":
    main()
