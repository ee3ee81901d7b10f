"""Run by test_two_threads_one_dose in a fresh process against a file database (or its own PostgreSQL
database): two nurses record dose 1 of today for the same person at the same moment. Prints JSON."""

from __future__ import annotations

import json
import sys
import threading
from datetime import date


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from keel.accounts import services as accounts
    from keel.accounts.models import Program
    from keel.patients.models import CareTeamMember, Enrollment, Patient
    from keel.treatment import services
    from keel.treatment.models import DoseRecord

    call_command("migrate", verbosity=0)
    tag = sys.argv[1]
    program = Program.objects.create(slug=f"race-{tag}", name="Race")
    staff = {}
    for role in ("prescriber", "nurse"):
        for i in (1, 2):
            user, _ = accounts.create_user(
                username=f"{role}{i}-{tag}",
                role=role,
                password="race password 12345",
                program_slug=program.slug,
            )
            staff[f"{role}{i}"] = user
    patient = Patient.objects.create(
        program=program, record_number="R-1", given_name="R", family_name="R", date_of_birth=date(1990, 1, 1)
    )
    for user in staff.values():
        CareTeamMember.objects.create(patient=patient, user=user)
    Enrollment.objects.create(patient=patient, program=program, started_on=date(2026, 1, 5))
    services.prescribe(by=staff["prescriber1"], patient_id=patient.pk, medication="methadone", dose_mg=30)
    connection.close()
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def one(nurse: str) -> None:
        try:
            barrier.wait()
            services.record_dose(by=staff[nurse], patient_id=patient.pk, sequence=1, amount_mg="30")
            outcomes.append("recorded")
        except services.DoseConflict:
            outcomes.append("conflict")
        except Exception as exc:  # reported to the test, which fails on it
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(n,)) for n in ("nurse1", "nurse2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(
        json.dumps(
            {"outcomes": sorted(outcomes), "doses": DoseRecord.objects.filter(patient=patient).count()}
        )
    )


if __name__ == "__main__":
    main()
