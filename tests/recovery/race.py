"""Run by test_concurrent_duplicates_* in a fresh process against a file database: four threads save a
check-in at the same moment (two with one key, two with keys of their own). Prints what it saw as JSON."""

from __future__ import annotations

import json
import sys
import threading
from datetime import date
from typing import Any


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from keel.accounts import services as accounts
    from keel.accounts.models import Program
    from keel.patients.models import Patient
    from keel.recovery import services
    from keel.recovery.models import CheckIn, IdempotencyKey
    from keel.recovery.schemas import CheckInIn

    call_command("migrate", verbosity=0)
    program = Program.objects.create(slug=f"race-{sys.argv[1]}", name="Race")
    user, _ = accounts.create_user(
        username=f"race-{sys.argv[1]}",
        role="patient",
        password="race password 12345",
        program_slug=program.slug,
    )
    patient = Patient.objects.create(
        program=program,
        user=user,
        record_number="R-1",
        given_name="R",
        family_name="R",
        date_of_birth=date(1990, 1, 1),
    )
    connection.close()
    raw = {"craving": 3, "mood": 4, "used": False, "medication": "taken"}
    results: list[Any] = []
    errors: list[str] = []
    barrier = threading.Barrier(4)

    def one(key: str) -> None:
        try:
            barrier.wait()
            results.append(services.record_checkin(by=user, data=CheckInIn.posted(raw), key=key))
        except Exception as exc:  # reported to the test, which fails on any
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(k,)) for k in ("same", "same", "other-a", "other-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = {
        "errors": errors,
        "checkins": CheckIn.objects.filter(patient=patient).count(),
        "keys": IdempotencyKey.objects.filter(user=user).count(),
        "statuses": sorted((r.status_code, r.replay) for r in results),
        "ids": sorted({r.body["checkin"]["id"] for r in results}),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
