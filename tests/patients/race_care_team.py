"""Run by test_two_removals_at_once_leave_a_clinician in a fresh process against a database of its own: two
admins take the two nurses off a person in care at the same moment. Without the person's lock each would see
the other nurse still there and both would pass, leaving no clinician. With a second argument "deactivate",
the first nurse's account is turned off instead (the staff path, under the same lock). Prints JSON."""

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
    from keel.accounts import staff as staff_admin
    from keel.accounts.models import Program
    from keel.core.rules.inputs import FieldsInvalid
    from keel.patients import services
    from keel.patients.models import CareTeamMember, Enrollment, Patient

    call_command("migrate", verbosity=0)
    tag = sys.argv[1]
    mode = sys.argv[2] if len(sys.argv) > 2 else "remove"
    program = Program.objects.create(slug=f"race-{tag}", name="Race")
    staff = {}
    for name, role in (
        ("admin1", "program_admin"),
        ("admin2", "program_admin"),
        ("nurse1", "nurse"),
        ("nurse2", "nurse"),
    ):
        user, _ = accounts.create_user(
            username=f"{name}-{tag}", role=role, password="race password 12345", program_slug=program.slug
        )
        staff[name] = user
    patient = Patient.objects.create(
        program=program, record_number="R-1", given_name="R", family_name="R", date_of_birth=date(1990, 1, 1)
    )
    for name in ("nurse1", "nurse2"):
        CareTeamMember.objects.create(patient=patient, user=staff[name])
    Enrollment.objects.create(patient=patient, program=program, started_on=date(2026, 1, 5))
    connection.close()
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def one(admin: str, nurse: str) -> None:
        try:
            barrier.wait()
            if mode == "deactivate" and nurse == "nurse1":
                staff_admin.deactivate(by=staff[admin], program_slug=program.slug, user_id=staff[nurse].pk)
                outcomes.append("removed")
            else:
                services.remove_from_care_team(
                    by=staff[admin], patient_id=patient.pk, user_id=staff[nurse].pk
                )
                outcomes.append("removed")
        except FieldsInvalid:
            outcomes.append("refused")
        except Exception as exc:  # reported to the test, which fails on it
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=one, args=pair) for pair in (("admin1", "nurse1"), ("admin2", "nurse2"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(
        json.dumps(
            {
                "outcomes": sorted(outcomes),
                # who can still act for her: on the team, account on (a deactivation leaves the team row)
                "left": CareTeamMember.objects.filter(patient=patient, user__is_active=True).count(),
            }
        )
    )


if __name__ == "__main__":
    main()
