"""What the own-record reads' death check costs a patient's own read, side by side in one process (issue #21).

    .venv/bin/python bench/death_check.py                  # SQLite, 300 requests x 5 rounds per variant
    .venv/bin/python bench/death_check.py --people 10000   # a bigger enrollment table (default 2,000)
    createdb -h 127.0.0.1 -U postgres perf_bench       # an empty, throwaway database (never `postgres`)
    .venv/bin/python bench/death_check.py --database-url postgresql://postgres@127.0.0.1:5432/perf_bench

Since lane dead27, `user_for_token` (every API call by token) and `policy.own_patient_or_404` (a session's own
read) read whether a death is recorded for the person as one more column of the statement that already reads
her record (`keel.patients.models.DEATH_RECORDED_SQL`, an `EXISTS` over her enrollments). This bench builds
one database (the demo programs, a bench patient with a token and a signed-in session, 30 days of check-ins,
and `--people` more people with an ended episode each, so the enrollment table is not tiny), then calls Keel's
WSGI application (the whole MIDDLEWARE list, as gunicorn minus the socket) for six of her own reads, by token
and by session: `GET /api/v1/me`, `GET /api/v1/me/checkins`, `GET /fhir/R4/Patient/<her id>`, in two variants
alternated round by round:

- `with`: the code as it is;
- `without`: `DEATH_RECORDED_SQL` replaced, in this process only, by `(%s IS NULL)` (the same parameter and
  column, no subquery): the statement as it was before dead27 but for one constant column.

Per request it prints the CPU ms of this process (and, on PostgreSQL, of the connection's server process),
min/median/max over the rounds, the statements per request (Django's log) and the ratio with ÷ without
(median of the per-round ratios). It checks that the `with` variant still refuses her after a death recorded
by hand (403), and the `without` one does not: the patch is the check and nothing else. A measurement tool
only: no test asserts a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
WITHOUT = "(%s IS NULL)"  # one parameter, as DEATH_RECORDED_SQL takes, and never true: no subquery


def _setup(database_url: str | None, people: int) -> tuple[int, str, str]:
    """A migrated database with the bench patient; her id, a token and a signed-in session's key."""
    sys.path.insert(0, str(BENCH))
    import profile_request  # type: ignore[import-not-found]

    profile_request.keel_settings(database_url, "keel-death-")
    os.environ["KEEL_WARM_WORKERS"] = "0"
    os.environ.setdefault("KEEL_SCORE_RATE", "1000000/s")
    profile_request.migrated()
    from django.utils import timezone

    from keel import demo
    from keel.accounts.models import Program
    from keel.patients.models import EndReason, Enrollment, EnrollmentStatus, Patient
    from keel.recovery.models import CheckIn

    demo.load(patients_per_program=2)
    token = profile_request._patient_token()
    patient = Patient.objects.get(record_number="B-1")
    program = Program.objects.get(slug="riverside")
    today, at = timezone.localdate(), timezone.now()
    Enrollment.objects.create(patient=patient, program=program, started_on=today - timedelta(days=40))
    CheckIn.objects.bulk_create(
        CheckIn(
            patient=patient,
            local_date=today - timedelta(days=n),
            craving=3,
            mood=3,
            used=False,
            medication="taken",
            created_at=at - timedelta(days=n),
            updated_at=at - timedelta(days=n),
        )
        for n in range(1, 30)
    )
    for start in range(0, people, 1000):  # people with an ended episode: an enrollment table of some size
        made = Patient.objects.bulk_create(
            Patient(
                program=program,
                record_number=f"DC-{i}",
                given_name="Other",
                family_name=f"P{i}",
                date_of_birth=date(1980, 1, 1),
            )
            for i in range(start, min(people, start + 1000))
        )
        Enrollment.objects.bulk_create(
            Enrollment(
                patient=p,
                program=program,
                started_on=today - timedelta(days=400),
                status=EnrollmentStatus.ENDED,
                ended_on=today - timedelta(days=10),
                end_reason=EndReason.DECEASED if p.pk % 50 == 0 else EndReason.COMPLETED,
            )
            for p in made
        )
    assert patient.user is not None
    return patient.pk, token, profile_request.signed_in_session(patient.user)


def _backend_cpu(connection: Any) -> Callable[[], tuple[int, float]]:
    """(the server process's pid, its CPU seconds so far) for this connection (a local PostgreSQL: /proc);
    (0, 0.0) on SQLite. A batch whose pid changed (CONN_MAX_AGE reconnected) counts as NaN."""
    if connection.vendor != "postgresql":
        return lambda: (0, 0.0)
    tick = os.sysconf("SC_CLK_TCK")

    def seconds() -> tuple[int, float]:
        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return pid, (int(fields[11]) + int(fields[12])) / tick  # utime, stime

    return seconds


def _spent(before: tuple[int, float], after: tuple[int, float]) -> float:
    return after[1] - before[1] if before[0] == after[0] else float("nan")


def _variant(on: bool, original: str) -> None:
    """The death check as written (`on`) or patched out of both own-record reads, in this process."""
    from keel.access.policy import fetch
    from keel.patients import models

    sql = original if on else WITHOUT
    models.DEATH_RECORDED_SQL = sql  # read by user_for_token at each call
    fetch.DEATH_RECORDED_SQL = sql  # imported by name into the policy's fetch module


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300, help="requests per route, variant and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--people", type=int, default=2000, help="other people, an ended episode each")
    parser.add_argument("--database-url", help="postgresql://... of an empty database (default: SQLite)")
    args = parser.parse_args()
    pk, token, session_key = _setup(args.database_url, args.people)
    sys.path.insert(0, str(BENCH))
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from keel.patients import models
    from wsgi_calls import wsgi_environ, wsgi_status  # type: ignore[import-not-found]

    original = models.DEATH_RECORDED_SQL
    application = get_wsgi_application()
    by = {
        "token": {"HTTP_AUTHORIZATION": f"Bearer {token}"},
        "session": {"HTTP_COOKIE": f"sessionid={session_key}"},
    }
    paths = ["/api/v1/me", "/api/v1/me/checkins", f"/fhir/R4/Patient/{pk}"]
    routes = [(how, path) for how in by for path in paths]

    def call(how: str, path: str) -> str:
        return str(wsgi_status(application, wsgi_environ("GET", path, by[how])))

    def batch(how: str, path: str, n: int) -> None:
        for _ in range(n):
            said = call(how, path)
            assert said.startswith("200"), (how, path, said)

    import logging

    logging.disable(logging.WARNING)
    statements: dict[tuple[str, str, bool], int] = {}
    for on in (True, False):
        _variant(on, original)
        for how, path in routes:
            batch(how, path, 30)  # warm: imports, the connection, the statement caches
            with CaptureQueriesContext(connection) as queries:
                batch(how, path, 1)
            statements[(how, path, on)] = len(queries.captured_queries)
    backend = _backend_cpu(connection)
    cpu: dict[tuple[str, str, bool], list[float]] = {
        (h, p, on): [] for h, p in routes for on in (True, False)
    }
    server: dict[tuple[str, str, bool], list[float]] = {k: [] for k in cpu}
    for round_no in range(args.rounds):
        order = (True, False) if round_no % 2 == 0 else (False, True)
        for how, path in routes:
            for on in order:
                _variant(on, original)
                started, server_started = time.process_time(), backend()
                batch(how, path, args.requests)
                cpu[(how, path, on)].append((time.process_time() - started) / args.requests * 1000)
                server[(how, path, on)].append(_spent(server_started, backend()) / args.requests * 1000)
    alone = _reads_alone(token, args.requests * 4, args.rounds, original)
    refused = _check_refusal(call, original, pk)

    def mmm(values: list[float]) -> str:
        values = [v for v in values if v == v] or [float("nan")]  # NaN: a reconnection during the round
        return "/".join(f"{v:.3f}" for v in (min(values), statistics.median(values), max(values)))

    postgres = connection.vendor == "postgresql"
    print(
        f"A patient's own reads, death check with / without, {connection.vendor}, {args.requests} requests x "
        f"{args.rounds} rounds per variant (alternated), {args.people} other people; load average "
        f"{os.getloadavg()[0]:.1f}; min/median/max"
    )
    head = f"{'by':<8}{'route':<26}{'variant':<9}{'stmts':>6}{'CPU ms/request':>22}"
    print(head + (f"{'server CPU ms/request':>24}" if postgres else "") + f"{'with ÷ without':>20}")
    for how, path in routes:
        shown = path if not path.startswith("/fhir/") else "/fhir/R4/Patient/<id>"
        ratios = [
            (a + b) / (c + d)
            for a, b, c, d in zip(
                cpu[(how, path, True)],
                server[(how, path, True)] if postgres else [0.0] * args.rounds,
                cpu[(how, path, False)],
                server[(how, path, False)] if postgres else [0.0] * args.rounds,
                strict=True,
            )
            if a + b == a + b and c + d == c + d
        ]
        for on in (True, False):
            line = f"{how:<8}{shown:<26}{'with' if on else 'without':<9}{statements[(how, path, on)]:>6}"
            line += f"{mmm(cpu[(how, path, on)]):>22}"
            if postgres:
                line += f"{mmm(server[(how, path, on)]):>24}"
            if not on:
                line += f"{mmm(ratios) if ratios else '-':>20}"
            print(line)
    print("(with ÷ without: this process's CPU plus, on PostgreSQL, the server's, per round)")
    for name, (with_, without) in alone.items():
        ratios = [a / b for a, b in zip(with_, without, strict=True) if a == a and b == b]
        print(
            f"{name:<43}with {mmm(with_)}  without {mmm(without)} ms CPU"
            f"{' + server' if postgres else ''}; with ÷ without {mmm(ratios)}"
        )
    print(
        "after a death recorded by hand, with the check: " + ", ".join(f"{k} {v}" for k, v in refused.items())
    )


def _reads_alone(
    token: str, n: int, rounds: int, original: str
) -> dict[str, tuple[list[float], list[float]]]:
    """The two own-record statements alone, no request around them: `user_for_token` (its token, user,
    patient and program read; `last_used_at` was just written, so no write) and `own_patient_or_404` for a
    session's user (not audited here), CPU ms per call (plus the server's on PostgreSQL), alternated."""
    from django.db import connection

    from keel.access import policy
    from keel.accounts import services
    from keel.accounts.models import User

    user = User.objects.get(username="bench.patient")
    backend = _backend_cpu(connection)
    calls: dict[str, Callable[[], object]] = {
        "user_for_token alone": lambda: services.user_for_token(token),
        "own_patient_or_404 alone (session's user)": lambda: policy.own_patient_or_404(
            user, audit_success=False
        ),
    }
    out: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in calls}
    for round_no in range(rounds):
        for name, fn in calls.items():
            for on in (True, False) if round_no % 2 == 0 else (False, True):
                _variant(on, original)
                for _ in range(20):
                    fn()
                started, server_started = time.process_time(), backend()
                for _ in range(n):
                    fn()
                spent = time.process_time() - started + _spent(server_started, backend())
                out[name][0 if on else 1].append(spent / n * 1000)
    _variant(True, original)
    return out


def _check_refusal(call: Callable[[str, str], str], original: str, pk: int) -> dict[str, str]:
    """The `with` variant refuses her own reads after a death recorded by hand; the patched one does not.
    Returns what each of the six routes answers then, with the check."""
    from django.utils import timezone

    from keel.patients.models import EndReason, Enrollment, EnrollmentStatus

    Enrollment.objects.filter(patient_id=pk, status=EnrollmentStatus.ACTIVE).update(
        status=EnrollmentStatus.ENDED, ended_on=timezone.localdate(), end_reason=EndReason.DECEASED
    )
    _variant(True, original)
    assert call("token", "/api/v1/me").startswith("403")
    assert call("session", "/api/v1/me").startswith("403")
    _variant(False, original)
    assert call("token", "/api/v1/me").startswith("200")
    _variant(True, original)
    return {
        f"{how} {path.replace(str(pk), '<id>')}": call(how, path).split()[0]
        for how in ("token", "session")
        for path in ("/api/v1/me", "/api/v1/me/checkins", f"/fhir/R4/Patient/{pk}")
    }


if __name__ == "__main__":
    main()
