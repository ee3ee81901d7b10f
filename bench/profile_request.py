"""Profile one API route with a bearer token, in-process, through Keel's whole handler (issue #21).

    .venv/bin/python bench/profile_request.py me        [--requests 300] [--top 40] [--sort tottime]
    .venv/bin/python bench/profile_request.py checkin   # POST /api/v1/me/checkins (audited, idempotent)
    .venv/bin/python bench/profile_request.py dose      # POST /api/v1/patients/{id}/doses (a nurse)
    .venv/bin/python bench/profile_request.py page      # the dosing page's htmx POST /dosing/{id}/ (session)
    .venv/bin/python bench/profile_request.py dose --versus checkin   # both timed in one run, ratio
    .venv/bin/python bench/profile_request.py GET /api/v1/me/checkins   # any route, as the bench patient

Sets up a throwaway SQLite database (or `--database-url postgresql://...`, which must be empty) with the demo
programs, a bench patient and bench nurses with tokens, warms the route, times it (CPU ms per request of this
process, min/median/max over rounds) and prints a cProfile of one more batch. Requests go through Django's
`BaseHandler` with the full MIDDLEWARE list, so every protection a server runs is in the profile.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

Request = Callable[[int], tuple[str, str, dict[str, Any], bytes]]


def keel_settings(database_url: str | None, prefix: str) -> None:
    """Keel's settings for a bench: a fresh data folder (`prefix`), `database_url` or a fresh SQLite file,
    never the test settings. Shared by the benches that run Keel in their own process."""
    os.environ["KEEL_DATA_DIR"] = tempfile.mkdtemp(prefix=prefix)
    for name in ("KEEL_DATABASE_URL", "KEEL_TESTING"):
        os.environ.pop(name, None)
    if database_url:
        os.environ["KEEL_DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "keel.settings"


def migrated() -> None:
    """Django set up on the settings in the environment, its database migrated."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def signed_in_session(user: Any, **more: object) -> str:
    """A session signed in as `user` a moment ago (and `more` keys, a second factor's), as a browser holds it:
    every session middleware passes it. Its key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from keel.accounts.middleware import AUTH_AT, LAST_SEEN

    session = SessionStore()
    now = timezone.now().timestamp()
    session.update(
        {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            **more,
            AUTH_AT: now,
            LAST_SEEN: now,
        }
    )
    session.create()
    return session.session_key or ""


def _setup(database_url: str | None) -> None:
    keel_settings(database_url, "keel-prof-")
    os.environ.setdefault("KEEL_SCORE_RATE", "1000000/s")
    migrated()
    from keel import demo

    demo.load(patients_per_program=2)


def _patient_token() -> str:
    from keel.accounts import services
    from keel.accounts.models import Program
    from keel.patients.models import Patient

    program = Program.objects.get(slug="riverside")
    user, _ = services.create_user(
        username="bench.patient", role="patient", password="bench password 12345", program_slug="riverside"
    )
    Patient.objects.create(
        program=program,
        user=user,
        record_number="B-1",
        given_name="Bench",
        family_name="P",
        date_of_birth=date(1990, 1, 1),
    )
    return services.create_token(user=user, name="bench", days=1).secret


def _dose_setup(patients: int, tag: str = "") -> tuple[str, list[int]]:
    """bench/dosing_window.py's setup: methadone patients on day 21, a nurse on each care team."""
    from django.utils import timezone

    from keel.accounts import services
    from keel.accounts.models import Program, User
    from keel.patients.models import CareTeamMember, Enrollment, Patient
    from keel.treatment.models import DoseRecord, MedicationOrder

    program = Program.objects.get(slug="riverside")
    nurse = services.create_user(
        username=f"bench.nurse{tag}", role="nurse", password="bench password 12345", program_slug="riverside"
    )[0]
    prescriber = User.objects.get(username="riverside.prescriber")
    now = timezone.now()
    today = timezone.localdate()
    ids = []
    for i in range(patients):
        p = Patient.objects.create(
            program=program,
            record_number=f"BD{tag}-{i}",
            given_name="Bench",
            family_name=f"D{i:03d}",
            date_of_birth=date(1985, 1, 1),
        )
        CareTeamMember.objects.create(patient=p, user=nurse)
        Enrollment.objects.create(patient=p, program=program, started_on=today - timedelta(days=21))
        order = MedicationOrder.objects.create(
            patient=p,
            medication="methadone",
            rxnorm="6813",
            dose_mg=Decimal(60),
            starts_on=today - timedelta(days=20),
            prescriber=prescriber,
            created_at=now,
        )
        DoseRecord.objects.bulk_create(
            DoseRecord(
                patient=p,
                order=order,
                medication="methadone",
                local_date=today - timedelta(days=n),
                sequence=1,
                status="given",
                amount_mg=Decimal(60),
                treatment_day=21 - n,
                decision={},
                recorded_by=nurse,
                recorded_at=now - timedelta(days=n),
            )
            for n in range(20, 0, -1)
        )
        ids.append(p.pk)
    return services.create_token(user=nurse, name="bench", days=1).secret, ids


def _page_session(token_user: str) -> tuple[str, str]:
    """A signed-in session (password and a confirmed second factor) for the bench nurse, and a CSRF secret:
    the page's POST passes the CSRF check and every session middleware, as a browser's does."""
    from django.utils.crypto import get_random_string
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from keel.accounts.models import User

    nurse = User.objects.get(username=token_user)
    device = TOTPDevice.objects.create(user=nurse, name="default", confirmed=True)
    key = signed_in_session(nurse, **{DEVICE_ID_SESSION_KEY: device.persistent_id})
    return key, get_random_string(32)


def _requests(route: list[str], total: int) -> Request:
    if route == ["me"]:
        auth = {"HTTP_AUTHORIZATION": f"Bearer {_patient_token()}"}
        return lambda i: ("GET", "/api/v1/me", auth, b"")
    if route == ["checkin"]:
        auth = {"HTTP_AUTHORIZATION": f"Bearer {_patient_token()}"}
        body = json.dumps(
            {"craving": 4, "mood": 3, "used": False, "medication": "taken", "meeting": True, "note": "ok day"}
        ).encode()
        return lambda i: (
            "POST",
            "/api/v1/me/checkins",
            {**auth, "HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex},
            body,
        )
    if route == ["dose"]:
        token, ids = _dose_setup(total)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        dose = b'{"amount_mg": "60", "sequence": 1}'
        return lambda i: ("POST", f"/api/v1/patients/{ids[i]}/doses", auth, dose)
    if route == ["page"]:
        _token, ids = _dose_setup(total, tag="-page")  # its own nurse and people: `page --versus dose` works
        key, csrf = _page_session("bench.nurse-page")
        headers = {
            "HTTP_COOKIE": f"sessionid={key}; csrftoken={csrf}",
            "HTTP_X_CSRFTOKEN": csrf,
            "HTTP_HX_REQUEST": "true",
        }
        form = b"amount_mg=60&sequence=1&medication=methadone"
        return lambda i: ("POST", f"/dosing/{ids[i]}/", headers, form)
    if len(route) == 2:
        auth = {"HTTP_AUTHORIZATION": f"Bearer {_patient_token()}"}
        method, path = route
        return lambda i: (method.upper(), path, auth, b"")
    raise SystemExit("route: me | checkin | dose | METHOD PATH")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("route", nargs="+")
    parser.add_argument("--requests", type=int, default=200, help="requests per round and for the profile")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database (default SQLite)")
    parser.add_argument("--versus", default=None, help="a second route timed in the same run (e.g. checkin)")
    parser.add_argument("--queries", action="store_true", help="print the SQL of one request and stop")
    args = parser.parse_args()
    _setup(args.database_url)
    import logging

    from django.core.handlers.base import BaseHandler
    from django.test import RequestFactory

    handler = BaseHandler()
    handler.load_middleware()
    factory = RequestFactory()

    def runner(route: list[str]) -> Callable[[int], None]:
        once = route in (["dose"], ["page"])  # a dose slot is taken once per patient and day
        total = args.warm + args.requests * (args.rounds + 1) if once else 0
        make = _requests(route, total)
        counter = iter(range(10**9))
        kind = "application/x-www-form-urlencoded" if route == ["page"] else "application/json"

        def run(n: int) -> None:
            for _ in range(n):
                method, path, headers, body = make(next(counter) if once else 0)
                request = factory.generic(
                    method, path, body, content_type=kind, REMOTE_ADDR="127.0.0.1", **headers
                )
                response = handler.get_response(request)
                content = getattr(response, "content", b"")[:300]
                assert 200 <= response.status_code < 300, (response.status_code, content)
                assert route != ["page"] or b"given to" in getattr(response, "content", b""), content
                response.close()

        return run

    run = runner(args.route)
    versus = runner(args.versus.split()) if args.versus else None
    logging.disable(logging.WARNING)
    run(args.warm)
    if args.queries:
        from django.db import connection

        said: list[str] = []

        def log(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            said.append(" ".join(sql.split())[:220])
            return execute(sql, params, many, context)

        with connection.execute_wrapper(log):
            run(1)
        print(f"{' '.join(args.route)}: {len(said)} statements")
        for n, sql in enumerate(said, 1):
            print(f"{n:3} {sql}")
        return
    if versus is not None:
        versus(args.warm)

    def mmm(values: list[float]) -> str:
        return "/".join(f"{v:.2f}" for v in (min(values), statistics.median(values), max(values)))

    figures: list[float] = []
    others: list[float] = []
    for _ in range(args.rounds):
        for fn, out in ((run, figures), (versus, others)):
            if fn is None:
                continue
            started = time.process_time()
            fn(args.requests)
            out.append((time.process_time() - started) / args.requests * 1000)
    print(
        f"{' '.join(args.route)}: CPU ms per request, {args.requests} x {args.rounds} rounds, "
        f"load average {os.getloadavg()[0]:.1f}; min/median/max {mmm(figures)}"
    )
    if others:
        print(f"{args.versus}: CPU ms per request, same run, rounds alternated; min/median/max {mmm(others)}")
        ratios = [a / b for a, b in zip(figures, others, strict=True)]
        print(f"{' '.join(args.route)} / {args.versus}, per round: min/median/max {mmm(ratios)}")
    profiler = cProfile.Profile()
    profiler.enable()
    run(args.requests)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    # Unlike CPU time, the same on a loaded machine: compare changes by it too.
    calls = stats.total_calls / args.requests  # type: ignore[attr-defined]
    print(f"{' '.join(args.route)}: {calls:.0f} Python function calls per request (cProfile)")
    if args.top:
        stats.sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
