"""Client-side binding against server-side binding and psycopg's prepared statements on PostgreSQL, side by
side in one process (issue #21, lane perf29).

    createdb -h 127.0.0.1 -U postgres perf_bench       # an empty, throwaway database (never `postgres`)
    .venv/bin/python bench/pg_binding.py --database-url postgresql://postgres@127.0.0.1:5432/perf_bench

Keel's connections bind parameters on the client (Django's default for psycopg 3): every statement reaches
PostgreSQL as text with its values written in, and the server parses and plans it afresh on every call. With
Django's `OPTIONS: {"server_side_binding": True}` the values travel apart from the statement, and psycopg then
prepares a statement on the connection once it has run `prepare_threshold` times (Django sets the threshold
to None, i.e. never, unless OPTIONS gives one). Three variants, switched in this process by reconnecting with
other OPTIONS, rotated round by round:

- `client`:   the OPTIONS Keel runs with (client-side binding);
- `server`:   `server_side_binding: True`, no prepared statements (`prepare_threshold: None`);
- `prepared`: `server_side_binding: True, prepare_threshold: 5` (psycopg's own default threshold).

Measured, on the database of `bench/death_check.py` (its bench patient with a token and a session, 30 days of
check-ins, `--people` other people with an ended episode): the two own-record statements alone,
`user_for_token` (every token request) and `own_patient_or_404` (a session's own read), each with the death
check as written and patched out (`(%s::text IS NULL)`: the same parameter and column, no subquery; the cast
because a server-bound text parameter needs a type), and three requests through Keel's WSGI application
(`GET /api/v1/me` by token and by session, `GET /api/v1/me/checkins` by token).

Per call: this process's CPU plus the connection's server process's CPU (/proc of a local server), ms,
min/median/max over the rounds, and each variant ÷ `client` (median of the per-round ratios). The load
average is printed. A measurement tool only: no test asserts a time.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import death_check  # noqa: E402

WITHOUT = "(%s::text IS NULL)"
BY_HAND = "perf29_by_hand"
VARIANTS: dict[str, dict[str, object]] = {
    "client": {},
    "server": {"server_side_binding": True},
    "prepared": {"server_side_binding": True, "prepare_threshold": 5},
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=600, help="calls per item, variant and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--people", type=int, default=2000, help="other people, an ended episode each")
    parser.add_argument("--database-url", required=True, help="postgresql://... of an empty database")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    _pk, token, session_key = death_check._setup(args.database_url, args.people)
    import logging

    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    from keel.access import policy
    from keel.access.policy import fetch
    from keel.accounts import services
    from keel.accounts.models import User
    from keel.patients import models

    logging.disable(logging.WARNING)
    original = models.DEATH_RECORDED_SQL
    base_options = dict(connection.settings_dict.get("OPTIONS") or {})
    application = get_wsgi_application()
    user = User.objects.get(username="bench.patient")
    backend = death_check._backend_cpu(connection)

    def death(on: bool) -> None:
        sql = original if on else WITHOUT
        models.DEATH_RECORDED_SQL = sql
        fetch.DEATH_RECORDED_SQL = sql  # imported by name into the policy's fetch module

    def request(headers: dict[str, str], path: str) -> Callable[[], object]:
        def call() -> object:
            environ: dict[str, Any] = {
                "REQUEST_METHOD": "GET",
                "PATH_INFO": path,
                "QUERY_STRING": "",
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "8000",
                "REMOTE_ADDR": "127.0.0.1",
                "HTTP_HOST": "127.0.0.1:8000",
                "wsgi.url_scheme": "http",
                "wsgi.input": io.BytesIO(b""),
                "wsgi.errors": io.StringIO(),
                **headers,
            }
            status: list[str] = []
            body = application(environ, lambda s, h, e=None: status.append(s))
            b"".join(body)
            body.close()
            assert status[0].startswith("200"), (path, status[0])
            return status

        return call

    token_h = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    session_h = {"HTTP_COOKIE": f"sessionid={session_key}"}
    # (name, death check on?, the call)
    items: list[tuple[str, bool, Callable[[], object]]] = [
        ("user_for_token, death check", True, lambda: services.user_for_token(token)),
        ("user_for_token, no death check", False, lambda: services.user_for_token(token)),
        (
            "own_patient_or_404, death check",
            True,
            lambda: policy.own_patient_or_404(user, audit_success=False),
        ),
        (
            "own_patient_or_404, no death check",
            False,
            lambda: policy.own_patient_or_404(user, audit_success=False),
        ),
        ("token GET /api/v1/me", True, request(token_h, "/api/v1/me")),
        ("session GET /api/v1/me", True, request(session_h, "/api/v1/me")),
        ("token GET /api/v1/me/checkins", True, request(token_h, "/api/v1/me/checkins")),
    ]

    def use(variant: str) -> None:
        connection.close()
        connection.settings_dict["OPTIONS"] = {**base_options, **VARIANTS[variant]}
        connection.ensure_connection()

    spent: dict[tuple[str, str], list[float]] = {(n, v): [] for n, _, _ in items for v in VARIANTS}
    names = list(VARIANTS)
    for round_no in range(args.rounds):
        order = names[round_no % len(names) :] + names[: round_no % len(names)]
        for variant in order:
            use(variant)
            for name, on, fn in items:
                death(on)
                for _ in range(20):  # past the prepare threshold; the requests' other statements too
                    fn()
                started, server_started = time.process_time(), backend()
                for _ in range(args.calls if "GET" not in name else args.calls // 3):
                    fn()
                n = args.calls if "GET" not in name else args.calls // 3
                cpu = time.process_time() - started + death_check._spent(server_started, backend())
                spent[(name, variant)].append(cpu / n * 1000)
    death(True)
    prepared = _prepared_count(connection, use, items)

    def mmm(values: list[float]) -> str:
        values = [v for v in values if v == v] or [float("nan")]
        return "/".join(f"{v:.3f}" for v in (min(values), statistics.median(values), max(values)))

    print(
        f"PostgreSQL, client vs server-side binding vs prepared, {args.calls} calls per statement "
        f"({args.calls // 3} per request) x {args.rounds} rounds per variant (rotated), {args.people} other "
        f"people; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after; CPU ms per call "
        "(this process + the server's), min/median/max"
    )
    head = f"{'':<36}" + "".join(f"{v:>22}" for v in VARIANTS)
    print(head + f"{'server ÷ client':>22}{'prepared ÷ client':>22}")
    for name, _, _ in items:
        line = f"{name:<36}" + "".join(f"{mmm(spent[(name, v)]):>22}" for v in VARIANTS)
        for v in ("server", "prepared"):
            ratios = [
                a / b
                for a, b in zip(spent[(name, v)], spent[(name, "client")], strict=True)
                if a == a and b == b
            ]
            line += f"{mmm(ratios):>22}"
        print(line)
    print(f"statements prepared on the connection after the `prepared` warm-up: {prepared}")


def _prepared_count(connection: Any, use: Callable[[str], None], items: list[Any]) -> str:
    """What `pg_prepared_statements` holds after each item ran 20 times on a fresh `prepared` connection (and
    one prepared by name in SQL), how many of its executions ran a generic plan (the planner
    skipped), and what is left after one transaction that rolls back: psycopg answers every rollback of a
    connection holding its prepared statements with DEALLOCATE ALL (a statement prepared by name in SQL, as
    /healthz's probe is, goes with them)."""
    from django.db import transaction

    use("prepared")
    with connection.cursor() as cursor:  # a statement prepared by name in SQL, as /healthz's probe is
        cursor.execute(f"PREPARE {BY_HAND} AS SELECT 1")
    for _name, _on, fn in items:
        for _ in range(20):
            fn()
    sql = (
        "SELECT count(*), coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0), "
        "count(*) FILTER (WHERE name = %s) FROM pg_prepared_statements"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [BY_HAND])
        count, generic, custom, probe = cursor.fetchone()

    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            items[0][2]()
            raise Undo
    except Undo:
        pass
    with connection.cursor() as cursor:
        cursor.execute(sql, [BY_HAND])
        after, _, _, probe_after = cursor.fetchone()
    return (
        f"{count} (one prepared by name in SQL: {probe}; executions on a generic plan {generic}, on a "
        f"custom plan {custom}); after one rolled-back transaction: {after} (the one by name: {probe_after})"
    )


if __name__ == "__main__":
    main()
