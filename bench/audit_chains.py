"""Audited writes across 8 programs against a single program's, at 32 clients on PostgreSQL (issue #21: one
audit chain per program, so that writers of different programs do not wait for each other's chain head).

Each client is a thread with its own database connection that, for the length of a round, commits one
audited write after another: a transaction that appends one event to its program's chain through the one
audit helper (`keel.audit.services.record`: lock the chain head, insert the sealed row, move the head) and
commits. In the "one program" runs every client writes for the same program (one chain head, one lock: the
writes queue); in the "N programs" runs client i writes for program i mod N. Rounds alternate which side
goes first; the chain is verified at the end. Prints throughput (writes/s) of both sides and their ratio,
min/median/max over the rounds.

    .venv/bin/python bench/audit_chains.py                       # a throwaway database at 127.0.0.1:5432
    .venv/bin/python bench/audit_chains.py --clients 32 --programs 8 --seconds 5 --rounds 3
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Iterator

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))


@contextlib.contextmanager
def _throwaway(server: str) -> Iterator[str]:
    import psycopg

    name = f"keel_bench_chains_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _round(programs: list[int], clients: int, seconds: float) -> tuple[float, float]:
    """(audited writes per second, p99 ms) of `clients` threads writing for `programs` in turn."""
    from django.db import connection, transaction

    from keel.audit import services as audit

    start = threading.Barrier(clients + 1)
    stop_at = [0.0]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []

    def client(index: int) -> None:
        program = programs[index % len(programs)]
        mine = latencies[index]
        try:
            connection.ensure_connection()
            start.wait()
            n = 0
            while (began := time.perf_counter()) < stop_at[0]:
                with transaction.atomic():
                    audit.record(
                        actor=None, action="update", program_id=program, target_type="bench", target_id=n
                    )
                mine.append(time.perf_counter() - began)
                n += 1
        except BaseException as error:  # reported after the round
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"{len(errors)} clients failed: {errors[0]!r}")
    every = sorted(t for mine in latencies for t in mine)
    p99 = every[int(len(every) * 0.99) - 1] * 1000 if every else 0.0
    return len(every) / elapsed, p99


def _spread(values: list[float], digits: int = 1) -> str:
    return "/".join(f"{v:.{digits}f}" for v in (min(values), statistics.median(values), max(values)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--programs", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with _throwaway(args.server) as url:
        from bench.directory import _setup

        _setup(url)
        from django.db import connection

        from keel.audit import services as audit

        one, many = [1], list(range(1, args.programs + 1))
        _round(many, args.programs, 0.5)  # every chain's head row exists; warm connections and code
        connection.close()
        single: list[float] = []
        spread: list[float] = []
        single_p99: list[float] = []
        spread_p99: list[float] = []
        ratios: list[float] = []
        load_before = os.getloadavg()[0]
        for r in range(args.rounds):
            order = [(one, single, single_p99), (many, spread, spread_p99)]
            for programs, rates, p99s in order if r % 2 == 0 else order[::-1]:
                rate, p99 = _round(programs, args.clients, args.seconds)
                rates.append(rate)
                p99s.append(p99)
            ratios.append(spread[-1] / single[-1])
        load_after = os.getloadavg()[0]
        report = audit.verify_chain()
        print(
            f"Audited writes on PostgreSQL, {args.clients} clients (threads, one connection each), "
            f"{args.rounds} rounds of {args.seconds:g}s per side, order alternated; load average "
            f"{load_before:.1f} before, {load_after:.1f} after, {os.cpu_count()} cores; min/median/max"
        )
        print(f"{'':28}{'writes/s':>22}{'p99 ms':>22}")
        print(f"{'one program (one chain)':28}{_spread(single):>22}{_spread(single_p99):>22}")
        label = f"{args.programs} programs (a chain each)"
        print(f"{label:28}{_spread(spread):>22}{_spread(spread_p99):>22}")
        print(f"{f'{args.programs} programs ÷ one program':28}{_spread(ratios, 2):>22}")
        print(
            f"chain check after the runs: {'OK' if report.ok else 'BROKEN'}, {report.checked} rows in "
            f"{len(report.heads)} chains" + ("" if report.ok else f" ({report.problem})")
        )
        connection.close()
        if not report.ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
