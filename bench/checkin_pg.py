"""Where an audited check-in's time goes on PostgreSQL, by measures a loaded machine blurs little (issue #21).

    .venv/bin/python bench/checkin_pg.py --database-url postgresql://postgres@127.0.0.1:5432/<empty db>

In one process, `POST /api/v1/me/checkins` with a token through Django's handler and its request signals (as
gunicorn's worker runs it: `request_started` closes an old connection and re-arms the health check), one
request at a time, per connection setting side by side in rotated rounds:

- statements Django sends, and the round trips around them (the health check's `SELECT 1`, BEGIN, COMMIT);
- CPU ms per request of this process, and of the PostgreSQL backend serving it (its /proc stat);
- how long the program's audit chain head stays locked per check-in (from the locking statement to the end
  of the commit): with every check-in of one program queued on that lock, its inverse is the most check-ins
  a program can commit per second, whatever the number of servers;
- the commit alone (the WAL flush: synchronous_commit stays on).

Settings compared: Keel's (`CONN_HEALTH_CHECKS`, client-side binding), and `server_side_binding` (psycopg
prepares a statement run 5 times on a connection: the backend stops parsing and planning it).

Side by side with another Keel (session 38: the hot statements prepared once per connection,
`keel.db.prepared`):

    git archive <commit> src | tar -x -C /tmp/keel-base      # the Keel to compare with
    .venv/bin/python bench/checkin_pg.py --database-url postgresql://postgres@127.0.0.1:5432/<name> \
        --base /tmp/keel-base --rounds 5

Two processes, one per Keel (this checkout's and `--base`'s `src`), each on its own fresh database
(`<name>_base`, `<name>_new`), take turns, order alternated every round: per check-in this process's CPU
(its request thread only), the PostgreSQL backend's CPU, the round trips (`pg_trips.RoundTrips`, a proxy in
other threads) and the statements Django logs; then the Python calls per check-in (cProfile, once). Prints
min/median/max of each and of the per-round ratio new ÷ base.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _backend_cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import profile_request

    profile_request._setup(args.database_url)
    import logging

    from django.core import signals
    from django.core.handlers.base import BaseHandler
    from django.db import connection
    from django.test import RequestFactory

    from keel.audit.services import sealing as audit_services

    logging.disable(logging.WARNING)
    handler = BaseHandler()
    handler.load_middleware()
    factory = RequestFactory()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {profile_request._patient_token()}"}
    body = json.dumps(
        {"craving": 4, "mood": 3, "used": False, "medication": "taken", "meeting": True, "note": "ok day"}
    ).encode()
    held: list[float] = []
    commits: list[float] = []
    lock_head = audit_services._lock_head
    locked_at: list[float] = []

    def timed_lock(chain_id: int, cursor: Any) -> str:
        locked_at.append(time.perf_counter())
        return lock_head(chain_id, cursor)

    audit_services._lock_head = timed_lock  # type: ignore[assignment]
    statements: list[int] = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements[0] += 1
        return execute(sql, params, many, context)

    def one() -> None:
        signals.request_started.send(sender=None, environ={})
        request = factory.post(
            "/api/v1/me/checkins",
            body,
            content_type="application/json",
            REMOTE_ADDR="127.0.0.1",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            **auth,
        )
        commit = connection.commit

        def timed_commit() -> None:
            started = time.perf_counter()
            commit()
            ended = time.perf_counter()
            commits.append(ended - started)
            if locked_at:
                held.append(ended - locked_at.pop())

        connection.commit = timed_commit  # type: ignore[method-assign]
        try:
            with connection.execute_wrapper(count):
                response = handler.get_response(request)
        finally:
            del connection.commit
        assert response.status_code in (200, 201), response.content[:200]
        response.close()
        signals.request_finished.send(sender=None)

    variants: dict[str, dict[str, Any]] = {
        "Keel's settings (client-side binding, health checks)": {},
        "server_side_binding (prepared after 5 runs)": {"server_side_binding": True},
        "no health check (CONN_HEALTH_CHECKS off)": {},
        "without the audit table's two redundant indexes": {},
    }
    redundant = ("audit_auditevent_hash_d0c402da_like", "audit_auditevent_program_id_53a2d032")
    ddl = {
        name: (
            [f'DROP INDEX IF EXISTS "{index}"' for index in redundant],
            [  # put back as Django made them
                'CREATE INDEX IF NOT EXISTS "audit_auditevent_hash_d0c402da_like" ON "audit_auditevent" '
                '("hash" varchar_pattern_ops)',
                'CREATE INDEX IF NOT EXISTS "audit_auditevent_program_id_53a2d032" ON "audit_auditevent" '
                '("program_id")',
            ],
        )
        for name in list(variants)[3:]
    }
    base = dict(connection.settings_dict["OPTIONS"])
    figures: dict[str, dict[str, list[float]]] = {v: {} for v in variants}
    for round_ in range(args.rounds):
        shift = round_ % len(variants)
        order = list(variants)[shift:] + list(variants)[:shift]
        for name in order:
            connection.close()
            connection.settings_dict["OPTIONS"] = {**base, **variants[name]}
            connection.settings_dict["CONN_HEALTH_CHECKS"] = not name.startswith("no health")
            with connection.cursor() as cursor:
                for sql in ddl[name][0] if name in ddl else ():
                    cursor.execute(sql)
            for _ in range(10):  # warm: a connection, its prepared statements
                one()
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
                cursor.execute("SELECT pg_current_wal_insert_lsn()")
                lsn = cursor.fetchone()[0]
            held.clear(), commits.clear()
            statements[0] = 0
            backend, cpu = _backend_cpu_ms(pid), time.process_time()
            for _ in range(args.requests):
                one()
            backend_after = _backend_cpu_ms(pid)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", [lsn])
                wal = float(cursor.fetchone()[0]) / args.requests
                for sql in ddl[name][1] if name in ddl else ():
                    cursor.execute(sql)
            out = figures[name]
            out.setdefault("client CPU ms", []).append((time.process_time() - cpu) / args.requests * 1000)
            out.setdefault("backend CPU ms", []).append((backend_after - backend) / args.requests)
            out.setdefault("WAL bytes", []).append(wal)
            out.setdefault("chain head held ms (median)", []).append(statistics.median(held) * 1000)
            out.setdefault("commit ms (median)", []).append(statistics.median(commits) * 1000)
            out.setdefault("statements", []).append(statements[0] / args.requests)
    print(
        f"POST /api/v1/me/checkins on PostgreSQL, {args.requests} requests x {args.rounds} rounds, one at a "
        f"time, variants rotated; load average {os.getloadavg()[0]:.1f}; min/median/max"
    )
    for name, out in figures.items():
        print(name)
        for measure, values in out.items():
            print(
                f"  {measure:30} "
                + "/".join(f"{v:.2f}" for v in (min(values), statistics.median(values), max(values)))
            )


def _checkin_sender() -> Any:
    """One `POST /api/v1/me/checkins` through Django's handler and request signals, as `main` sends it."""
    from django.core import signals
    from django.core.handlers.base import BaseHandler
    from django.test import RequestFactory

    import profile_request

    handler, factory = BaseHandler(), RequestFactory()
    handler.load_middleware()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {profile_request._patient_token()}"}
    body = json.dumps({"craving": 4, "mood": 3, "used": False, "medication": "taken", "note": "ok"}).encode()

    def one() -> None:
        signals.request_started.send(sender=None, environ={})
        request = factory.post(
            "/api/v1/me/checkins",
            body,
            content_type="application/json",
            REMOTE_ADDR="127.0.0.1",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            **auth,
        )
        response = handler.get_response(request)
        assert response.status_code in (200, 201), response.content[:200]
        response.close()
        signals.request_finished.send(sender=None)

    return one


def _serve(database_url: str) -> None:
    """A side of `--base`: set up on `database_url` (through a round-trip counting proxy), then per line
    `<n>` on stdin, n check-ins measured, one JSON line of figures per check-in on stdout."""
    import cProfile
    import logging
    import pstats

    import profile_request
    from pg_trips import RoundTrips  # type: ignore[import-not-found]

    trips = RoundTrips(database_url).__enter__()
    profile_request._setup(trips.url)
    from django.db import connection

    logging.disable(logging.WARNING)
    # One backend for the whole run (Keel's CONN_MAX_AGE would replace it mid-round, its CPU gone with it).
    connection.settings_dict["CONN_MAX_AGE"] = None
    connection.close()
    one = _checkin_sender()
    for _ in range(20):  # warm: imports, the connection, its prepared statements
        one()
    statements = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements[0] += 1
        return execute(sql, params, many, context)

    for line in sys.stdin:
        requests, statements[0] = int(line), 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        backend, cpu, sent = _backend_cpu_ms(pid), time.thread_time(), trips.total()
        with connection.execute_wrapper(count):
            for _ in range(requests):
                one()
        figures = {
            "client CPU ms": (time.thread_time() - cpu) / requests * 1000,
            "backend CPU ms": (_backend_cpu_ms(pid) - backend) / requests,
            "round trips": (trips.total() - sent) / requests,
            "statements": statements[0] / requests,
        }
        profiler = cProfile.Profile()
        profiler.runcall(one)
        figures["Python calls"] = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
        print(json.dumps(figures), flush=True)


def _side_by_side(database_url: str, base: Path, requests: int, rounds: int) -> None:
    """This checkout's Keel ("new") and `base`'s, each in its own process and database, in turns."""
    import subprocess

    import stack  # type: ignore[import-not-found]

    server, name = database_url.rsplit("/", 1)
    here = Path(__file__).resolve().parent.parent
    sides = {"base": base.resolve(), "new": here}
    names = [f"{name}_base", f"{name}_new"]
    figures: dict[str, dict[str, list[float]]] = {"base": {}, "new": {}}
    with stack._postgres_databases(server, names) as urls:
        procs = {
            side: subprocess.Popen(  # nosec B603: this interpreter, this file
                [sys.executable, __file__, "--serve", "--database-url", url],
                cwd=sides[side],
                env={**os.environ, "PYTHONPATH": str(sides[side] / "src")},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for side, url in zip(sides, urls, strict=True)
        }
        try:
            for round_ in range(rounds):
                for side in ("base", "new") if round_ % 2 == 0 else ("new", "base"):
                    proc = procs[side]
                    assert proc.stdin is not None and proc.stdout is not None
                    proc.stdin.write(f"{requests}\n")
                    proc.stdin.flush()
                    for measure, value in json.loads(proc.stdout.readline()).items():
                        figures[side].setdefault(measure, []).append(value)
        finally:
            for proc in procs.values():
                assert proc.stdin is not None
                proc.stdin.close()
                proc.wait()
    _print_side_by_side(figures, requests, rounds)


def _print_side_by_side(figures: dict[str, dict[str, list[float]]], requests: int, rounds: int) -> None:
    def three(values: list[float]) -> str:
        return "/".join(f"{v:.3f}" for v in (min(values), statistics.median(values), max(values)))

    print(
        f"POST /api/v1/me/checkins on PostgreSQL, base and new side by side: {requests} check-ins x {rounds} "
        f"rounds, order alternated; load average {os.getloadavg()[0]:.1f}; min/median/max per check-in"
    )
    for measure in figures["new"]:
        base, new = figures["base"][measure], figures["new"][measure]
        ratios = [n / b for n, b in zip(new, base, strict=True) if b]
        print(f"  {measure:15} base {three(base)}  new {three(new)}  new ÷ base {three(ratios or [0.0])}")


if __name__ == "__main__":
    if "--serve" in sys.argv:
        _serve(sys.argv[sys.argv.index("--database-url") + 1])
    elif "--base" in sys.argv:
        side_parser = argparse.ArgumentParser()
        side_parser.add_argument("--database-url", required=True)
        side_parser.add_argument("--base", type=Path, required=True)
        side_parser.add_argument("--requests", type=int, default=200)
        side_parser.add_argument("--rounds", type=int, default=5)
        options = side_parser.parse_args()
        _side_by_side(options.database_url, options.base, options.requests, options.rounds)
    else:
        main()
