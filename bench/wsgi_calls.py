"""Keel and the bare project of `bench/bare/`, one WSGI request at a time in one process (issue #21).

    .venv/bin/python bench/wsgi_calls.py keel /healthz
    .venv/bin/python bench/wsgi_calls.py bare /healthz
    .venv/bin/python bench/wsgi_calls.py keel /api/v1/me     # bench/profile_request.py's patient, a token
    .venv/bin/python bench/wsgi_calls.py bare /read/1
    .venv/bin/python bench/wsgi_calls.py keel /healthz --top 40 --sort tottime   # and a cProfile
    .venv/bin/python bench/wsgi_calls.py keel /api/v1/me/checkins --database-url ...  # POST, audited check-in
    .venv/bin/python bench/wsgi_calls.py bare /insert-audited --database-url ...  # POST, bare's audited write
    .venv/bin/python bench/wsgi_calls.py keel /healthz --database-url ... --round-trips  # PostgreSQL waits

Calls the project's WSGI application (`get_wsgi_application()`: Django's handler, the whole MIDDLEWARE
list, the view) with a plain WSGI environ, on a fresh SQLite database (or `--database-url postgresql://...`,
an empty database), as gunicorn would minus the socket.
Prints the CPU ms per request (min/median/max over 5 rounds), the Python function calls per request (from
cProfile: unlike CPU time, the same on a loaded machine) and the SQL statements of one request. Run each
side in its own process (the two projects' settings cannot share one).

`--round-trips` (PostgreSQL) runs the database connection through `bench/pg_trips.py`'s counting proxy and
prints the round trips per request (the health check's `SELECT 1`, BEGIN, COMMIT and savepoints included,
which Django's query log leaves out) and the text of one request's, instead of the CPU figures (the proxy's
threads would be counted in them).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent


def _setup(side: str, path: str, database_url: str | None) -> dict[str, str]:
    """Settings, a migrated database and the request's headers."""
    sys.path.insert(0, str(BENCH))
    import profile_request  # type: ignore[import-not-found]

    if side == "keel":
        profile_request.keel_settings(database_url, "keel-wsgi-")
        os.environ["KEEL_WARM_WORKERS"] = "0"
    else:
        os.environ["BARE_DATA_DIR"] = tempfile.mkdtemp(prefix="bare-wsgi-")
        os.environ.pop("BARE_DATABASE_URL", None)
        if database_url:
            os.environ["BARE_DATABASE_URL"] = database_url
        os.environ["DJANGO_SETTINGS_MODULE"] = "bare.settings"
    profile_request.migrated()
    if side == "keel" and path.startswith("/api/"):
        from keel import demo

        demo.load(patients_per_program=2)
        return {"HTTP_AUTHORIZATION": f"Bearer {profile_request._patient_token()}"}
    if side == "bare" and path.startswith(("/read", "/insert")):
        import hashlib

        from bare.models import ChainHead, Row, Token  # type: ignore[import-not-found]

        Row.objects.create(name="bench", score=1)
        ChainHead.objects.create(pk=1, last_hash="0" * 64)
        Token.objects.create(key_hash=hashlib.sha256(b"bench-token").hexdigest(), name="bench-token")
        return {"HTTP_AUTHORIZATION": "Bearer bench-token"}
    return {}


POSTS = {
    "/api/v1/me/checkins": {"craving": 4, "mood": 3, "used": False, "medication": "taken", "meeting": True},
    "/insert": {"name": "bench", "score": 4},
    "/insert-audited": {"name": "bench", "score": 4},
}


def wsgi_environ(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> dict[str, Any]:
    """A plain WSGI environ for one request to 127.0.0.1:8000 (as gunicorn passes it, minus the socket)."""
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        **headers,
    }


def wsgi_status(application: Any, environ: dict[str, Any]) -> str:
    """Call a WSGI application with `environ`, read and close its whole body; its status line."""
    status: list[str] = []
    body = application(environ, lambda s, h, e=None: status.append(s))
    b"".join(body)
    body.close()
    return status[0]


def _backend_cpu(connection: Any) -> Any:
    """CPU seconds of this connection's PostgreSQL server process so far (a local server: /proc), or 0; NaN
    once the connection was replaced (CONN_MAX_AGE: a round that spans a reconnection is not counted)."""
    if connection.vendor != "postgresql":
        return lambda: 0.0
    tick = os.sysconf("SC_CLK_TCK")
    first = connection.connection.info.backend_pid

    def seconds() -> float:
        if connection.connection is None or connection.connection.info.backend_pid != first:
            return float("nan")
        fields = Path(f"/proc/{first}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime, stime

    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("side", choices=["keel", "bare"])
    parser.add_argument("path")
    parser.add_argument("--requests", type=int, default=500, help="requests per round")
    parser.add_argument("--top", type=int, default=0, help="print the N first lines of a cProfile")
    parser.add_argument("--sort", default="cumulative", help="the cProfile's order (tottime, cumulative)")
    parser.add_argument(
        "--database-url", help="postgresql://... of an empty database (default: a fresh SQLite file)"
    )
    parser.add_argument(
        "--round-trips",
        action="store_true",
        help="PostgreSQL: count the round trips per request through a proxy (no CPU figures)",
    )
    args = parser.parse_args()
    trips = None
    if args.round_trips:
        if not args.database_url:
            parser.error("--round-trips needs --database-url postgresql://...")
        from pg_trips import RoundTrips  # type: ignore[import-not-found]

        trips = RoundTrips(args.database_url).__enter__()
        args.database_url = trips.url
    headers = _setup(args.side, args.path, args.database_url)
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    application = get_wsgi_application()

    posted = json.dumps(POSTS[args.path]).encode() if args.path in POSTS else None
    keys = itertools.count()

    def one() -> None:
        body_in = posted or b""
        environ = wsgi_environ("POST" if posted else "GET", args.path, headers, body_in)
        if posted:  # a new check-in each time: a new idempotency key (one day's row, edited after the first)
            environ.update(
                CONTENT_TYPE="application/json",
                CONTENT_LENGTH=str(len(body_in)),
                HTTP_IDEMPOTENCY_KEY=f"wsgi-{next(keys)}",
            )
        status = wsgi_status(application, environ)
        assert status.startswith(("200", "201")), status

    for _ in range(50):  # warm: imports, the connection, caches
        one()
    if trips is not None:
        before = trips.total()
        for _ in range(args.requests):
            one()
        per_request = (trips.total() - before) / args.requests
        first = len(trips.statements)
        one()
        print(
            f"{args.side} {'POST' if posted else 'GET'} {args.path}: {per_request:.2f} round trips to "
            f"PostgreSQL per request ({args.requests} requests); one more request's:"
        )
        for text in trips.statements[first:]:
            print(f"  {text[:150]}")
        return
    backend = _backend_cpu(connection)
    rounds, backend_rounds = [], []
    for _ in range(5):
        started, backend_started = time.process_time(), backend()
        for _ in range(args.requests):
            one()
        rounds.append((time.process_time() - started) / args.requests * 1000)
        backend_rounds.append((backend() - backend_started) / args.requests * 1000)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.requests):
        one()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    with CaptureQueriesContext(connection) as queries:
        one()
    print(
        f"{args.side} {'POST' if posted else 'GET'} {args.path}: CPU ms per request "
        f"{min(rounds):.3f}/{statistics.median(rounds):.3f}/"
        f"{max(rounds):.3f} ({connection.vendor}; min/median/max, {args.requests} x 5 rounds, load average "
        f"{os.getloadavg()[0]:.1f}); {stats.total_calls / args.requests:.0f} Python function calls "  # type: ignore[attr-defined]
        f"per request; {len(queries.captured_queries)} SQL statements"
    )
    backend_rounds = [r for r in backend_rounds if r == r] or [float("nan")]  # NaN: a reconnection
    if connection.vendor == "postgresql":
        print(
            f"  PostgreSQL backend CPU ms per request {min(backend_rounds):.3f}/"
            f"{statistics.median(backend_rounds):.3f}/{max(backend_rounds):.3f} (its process, same rounds)"
        )
    if args.top:
        stats.sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
