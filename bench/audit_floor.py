"""The floor under issue #21's "audited check-in ÷ bare insert" target: the bare project alone, step by step.

Issue #21 asks Keel's audited check-in for >= 0.6 (SQLite) and >= 0.5 (PostgreSQL) of a bare Django
one-row insert's throughput. Any audited write does at least what `bench/bare`'s `/insert-audited` does: the
caller's token, the row and one audit row sealed over the chain head, which it locks and advances, in one
transaction (SECURITY.md: the audit row in the write's transaction, fsync on). This bench serves the bare
project alone (gunicorn gthread 3 x 2, as `bench/stack.py`) and measures, with `wrk` at 32 connections, the
steps from the bare insert to the bare audited insert, in rounds, the order rotated every round:

    insert    POST /insert           one INSERT (autocommit)
    token     POST /insert-token     + the token read
    logged    POST /insert-logged    + a transaction and a second INSERT (an unsealed audit row)
    audited   POST /insert-audited   + the chain head's SELECT ... FOR UPDATE, the HMAC and the head's UPDATE

and prints each step's throughput over the bare insert's in the same round (min/median/max), p99 and server
CPU per request. The "audited" ratio is the most any audited write can reach against the target's baseline
(Keel's check-in does more: its patient, idempotency key, 30 days' series, early warning, encrypted note);
when it is under the target, the target cannot be met by construction.

    .venv/bin/python bench/audit_floor.py [--rounds 3] [--seconds 3] [--postgres] [--load wrk|python]
"""

from __future__ import annotations

import argparse
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
import wrk_load
from stack import BARE_TOKENS, BENCH, _gunicorn_argv, _one, _postgres_databases

STEPS = ("insert", "token", "logged", "audited")
PATHS = {
    "insert": "/insert",
    "token": "/insert-token",
    "logged": "/insert-logged",
    "audited": "/insert-audited",
}
TARGET = {"SQLite": 0.6, "PostgreSQL": 0.5}


def _requests(step: str) -> list[http_load.Request]:
    body = json.dumps({"name": "bench", "score": 4}).encode()
    if step == "insert":
        return [("POST", PATHS[step], {"Content-Type": "application/json"}, body)]
    return [
        ("POST", PATHS[step], {"Content-Type": "application/json", "Authorization": f"Bearer {t}"}, body)
        for t in BARE_TOKENS
    ]


def _start(args: argparse.Namespace, url: str | None) -> tuple[subprocess.Popen[bytes], int, Path]:
    """The bare project migrated and seeded as `bench/stack.py` does, served on a free port."""
    data = Path(tempfile.mkdtemp(prefix="bare-floor-"))
    env = dict(
        os.environ, BARE_DATA_DIR=str(data), DJANGO_SETTINGS_MODULE="bare.settings", PYTHONPATH=str(BENCH)
    )
    env.pop("BARE_DATABASE_URL", None)
    if url:
        env["BARE_DATABASE_URL"] = url
    django = [sys.executable, "-m", "django"]
    subprocess.run([*django, "migrate", "--no-input"], env=env, cwd=BENCH, check=True, capture_output=True)
    seed = (
        "import hashlib; from bare.models import ChainHead, Row, Token; "
        "Row.objects.create(name='bench', score=1); ChainHead.objects.create(pk=1, last_hash='0' * 64); "
        f"Token.objects.bulk_create([Token(key_hash=hashlib.sha256(t.encode()).hexdigest(), name=t) "
        f"for t in {BARE_TOKENS!r}])"
    )
    subprocess.run([*django, "shell", "-c", seed], env=env, cwd=BENCH, check=True, capture_output=True)
    port = http_load._free_port()
    argv = _gunicorn_argv("bare.wsgi:application", port, args.workers, args.threads)
    proc = subprocess.Popen(argv, env=env, cwd=BENCH, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    http_load._wait_ready(port)
    return proc, port, data


def run(args: argparse.Namespace, database: str, url: str | None) -> dict[str, Any]:
    """Warm every step, then `rounds` rounds of every step, the order rotated by one each round."""
    proc, port, data = _start(args, url)
    rows: list[dict[str, dict[str, float]]] = []
    try:
        for step in STEPS:
            _one(port, _requests(step), args.concurrency, args.warmup, proc.pid, args.load)
        for round_no in range(args.rounds):
            order = STEPS[round_no % len(STEPS) :] + STEPS[: round_no % len(STEPS)]
            rows.append(
                {
                    s: _one(port, _requests(s), args.concurrency, args.seconds, proc.pid, args.load)
                    for s in order
                }
            )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    return {"database": database, "rows": rows}


def _summary(values: list[float], fmt: str = "{:.2f}") -> str:
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def report(args: argparse.Namespace, results: list[dict[str, Any]], load: tuple[float, float]) -> str:
    lines = [
        f"bare Django alone: gunicorn gthread {args.workers}x{args.threads}, {args.concurrency} clients "
        f"({args.load}), {args.rounds} rounds of {args.seconds:g}s per step, order rotated; load average "
        f"{load[0]:.1f} before, {load[1]:.1f} after, {os.cpu_count()} cores; min/median/max",
        "",
        f"{'database':<11}{'step':<9}{'req/s':>22}{'÷ insert (same round)':>24}"
        f"{'p99 ms':>16}{'CPU ms/req':>16}",
    ]
    for result in results:
        rows = result["rows"]
        for step in STEPS:
            ratio = [r[step]["rps"] / r["insert"]["rps"] for r in rows]
            lines.append(
                f"{result['database']:<11}{step:<9}{_summary([r[step]['rps'] for r in rows], '{:.0f}'):>22}"
                f"{_summary(ratio):>24}{_summary([r[step]['p99_ms'] for r in rows], '{:.0f}'):>16}"
                f"{_summary([r[step]['server_cpu_ms'] for r in rows], '{:.1f}'):>16}"
            )
        floor = statistics.median(r["audited"]["rps"] / r["insert"]["rps"] for r in rows)
        target = TARGET[result["database"]]
        verdict = "under" if floor < target else "at or over"
        lines.append(
            f"{result['database']}: bare audited ÷ bare insert {floor:.2f}, {verdict} the target {target}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3, help="measured seconds per step, per round")
    parser.add_argument("--warmup", type=float, default=1, help="warm-up seconds per step")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--postgres", action="store_true", help="also measure on PostgreSQL")
    parser.add_argument(
        "--load", choices=("wrk", "python"), default="wrk" if wrk_load.available() else "python"
    )
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--db-prefix", default="keel", help="prefix of the throwaway PostgreSQL database's name"
    )
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    results = [run(args, "SQLite", None)]
    if args.postgres:
        name = f"{args.db_prefix}_bare_floor_{uuid.uuid4().hex[:8]}"
        with _postgres_databases(args.postgres_url, [name]) as (url,):
            results.append(run(args, "PostgreSQL", url))
    print(report(args, results, (load_before, os.getloadavg()[0])))


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"({time.perf_counter() - started:.0f}s)")
