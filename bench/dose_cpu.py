"""A dose at the window against a check-in, side by side in one process (issue #21's "server CPU per dose
<= 2x a check-in"), in figures that do not move with the machine's load as well as in CPU time.

    .venv/bin/python bench/dose_cpu.py                      # API dose vs API check-in, SQLite
    .venv/bin/python bench/dose_cpu.py --hold               # and a held dose (sedated: its flag, its plans)
    .venv/bin/python bench/dose_cpu.py --sql                # and the statements of one of each, in order
    .venv/bin/python bench/dose_cpu.py --database-url postgresql://...   # an empty PostgreSQL database

`bench/profile_request.py`'s setup (the demo programs; methadone patients on day 21 with 20 days of doses, a
nurse with a token; the bench patient's check-in, an edit of today's with a fresh Idempotency-Key), every
request through Django's `BaseHandler` with the whole MIDDLEWARE list. Prints, per request of each route:

- CPU ms (`time.process_time` of this process around the requests; rounds alternated dose / check-in;
  min/median/max over the rounds) and the dose / check-in ratio of each round, min/median/max;
- SQL statements of one request (CaptureQueriesContext; SQLite's BEGIN IMMEDIATE is counted);
- Python function calls (cProfile's count over a batch) and JSON documents decoded (`JSONDecoder.decode`).

The last two do not move with the load: compare changes by them on a shared machine. Runs the Keel of the
tree it sits in (its `src` first on the path), not the one installed in the virtualenv: copy it with
`profile_request.py` beside another tree's `src` (a `git archive`) to measure that tree.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent


def _mmm(values: list[float]) -> str:
    return "/".join(f"{v:.2f}" for v in (min(values), statistics.median(values), max(values)))


def _json_decodes(stats: pstats.Stats) -> int:
    """JSON documents decoded (`json.decoder.JSONDecoder.decode`: every `json.loads`, Django's JSONField)."""
    table: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    return sum(
        row[1]
        for (filename, _line, name), row in table.items()
        if name == "decode" and filename.replace("\\", "/").endswith("json/decoder.py")
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=150, help="requests per round, per route")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--hold", action="store_true", help="also a held dose (sedated), per request")
    parser.add_argument("--sql", action="store_true", help="print the statements of one request of each")
    parser.add_argument("--top", type=int, default=0, help="and the N first lines of each route's cProfile")
    parser.add_argument("--sort", default="cumulative", help="the cProfile's order (tottime, cumulative)")
    parser.add_argument("--callers", default="", help="and who calls the functions matching this (cProfile)")
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database (default SQLite)")
    args = parser.parse_args()
    sys.path[:0] = [str(BENCH.parent / "src"), str(BENCH)]  # this tree's Keel, not the one installed
    import profile_request  # type: ignore[import-not-found]

    profile_request._setup(args.database_url)
    import logging

    from django.core.handlers.base import BaseHandler
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    handler = BaseHandler()
    handler.load_middleware()
    factory = RequestFactory()
    # a dose takes its person's slot 1 of today once: one person per dose
    per_route = args.warm + args.requests * (args.rounds + 1) + 1

    def held(total: int) -> Callable[[int], tuple[str, str, dict[str, Any], bytes]]:
        token, ids = profile_request._dose_setup(total, tag="-hold")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        body = b'{"sedated": true, "sequence": 1}'
        return lambda i: ("POST", f"/api/v1/patients/{ids[i]}/doses", auth, body)

    makers = {
        "dose": profile_request._requests(["dose"], per_route),
        "check-in": profile_request._requests(["checkin"], 0),
    }
    if args.hold:
        makers["held dose"] = held(per_route)
    once = {"dose", "held dose"}

    def runner(name: str) -> Callable[[int], None]:
        make = makers[name]
        counter = iter(range(10**9))

        def run(n: int) -> None:
            for _ in range(n):
                method, path, headers, body = make(next(counter) if name in once else 0)
                request = factory.generic(
                    method, path, body, content_type="application/json", REMOTE_ADDR="127.0.0.1", **headers
                )
                response = handler.get_response(request)
                assert 200 <= response.status_code < 300, (name, response.status_code, response.content[:300])
                response.close()

        return run

    runs = {name: runner(name) for name in makers}
    logging.disable(logging.WARNING)
    for run in runs.values():
        run(args.warm)
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, run in runs.items():
            started = time.process_time()
            run(args.requests)
            cpu[name].append((time.process_time() - started) / args.requests * 1000)
    statements: dict[str, list[str]] = {}
    for name, run in runs.items():
        with CaptureQueriesContext(connection) as queries:
            run(1)
        statements[name] = [" ".join(q["sql"].split()) for q in queries.captured_queries]
    calls: dict[str, tuple[float, float]] = {}
    profiles: dict[str, pstats.Stats] = {}
    for name, run in runs.items():
        profiler = cProfile.Profile()
        profiler.enable()
        run(args.requests)
        profiler.disable()
        stats = pstats.Stats(profiler)
        total = stats.total_calls  # type: ignore[attr-defined]
        calls[name] = (total / args.requests, _json_decodes(stats) / args.requests)
        profiles[name] = stats

    print(
        f"{connection.vendor}, {args.requests} requests x {args.rounds} rounds per route (rounds "
        f"alternated), load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'route':<10} {'CPU ms min/median/max':>24} {'statements':>10} {'calls':>8} {'JSON decodes':>13}")
    for name in runs:
        print(
            f"{name:<10} {_mmm(cpu[name]):>24} {len(statements[name]):>10} {calls[name][0]:>8.0f} "
            f"{calls[name][1]:>13.1f}"
        )
    for name in runs:
        if name == "check-in":
            continue
        ratios = [a / b for a, b in zip(cpu[name], cpu["check-in"], strict=True)]
        print(f"{name} / check-in CPU, per round: min/median/max {_mmm(ratios)}")
    if args.sql:
        for name, said in statements.items():
            print(f"\n{name}: {len(said)} statements")
            for n, sql in enumerate(said, 1):
                print(f"{n:3} {sql[:200]}")
    for name, stats in profiles.items() if args.top else ():
        print(f"\n{name}: cProfile of {args.requests} requests")
        stats.stream = sys.stdout  # type: ignore[attr-defined]
        stats.sort_stats(args.sort).print_stats(args.top)
    for name, stats in profiles.items() if args.callers else ():
        print(f"\n{name}: callers of {args.callers}")
        stats.stream = sys.stdout  # type: ignore[attr-defined]
        stats.print_callers(args.callers)


if __name__ == "__main__":
    main()
