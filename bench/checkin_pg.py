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


if __name__ == "__main__":
    main()
