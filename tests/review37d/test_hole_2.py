"""Review 37d, hole 2: a link code a staff member was shown outlives their leaving.

A nurse gives a record a link code (`issue_link_code`: the code is shown to her, for the person to type into
their own account). The program turns her account off. The code still joins any self-guided account to the
record: she signs up at the public sign-up, types the code and the person's name (which she knows), and her
new account is the patient's: the whole record, and consents that let it out (42 CFR 2.31), in her hands.
Deactivation voids her invitations and set-up codes, not the link codes she gave.
Expected: turning a staff member's account off voids the unused link codes they issued (the care team gives
the person a new one), so the code is answered as a code that does not work.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from keel.accounts import staff
from keel.patients.models import CareTeamMember, Enrollment, Patient
from keel.selfguided.errors import SelfGuidedInvalid
from keel.selfguided.services import issue_link_code, join_program


def _record_without_account(world):  # type: ignore[no-untyped-def]
    patient = Patient.objects.create(
        program=world.riverside,
        record_number="RR-3702",
        given_name="Evangelina",
        family_name="Llorente",
        date_of_birth=date(1988, 3, 9),
    )
    Enrollment.objects.create(
        patient=patient, program=world.riverside, started_on=timezone.localdate() - timedelta(days=20)
    )
    for role in ("nurse", "prescriber", "counselor"):
        CareTeamMember.objects.create(patient=patient, user=world.staff[role])
    return patient


def test_a_link_code_stops_working_once_its_issuer_is_turned_off(world) -> None:  # type: ignore[no-untyped-def]
    patient = _record_without_account(world)
    nurse = world.staff["nurse"]
    issued = issue_link_code(by=nurse, patient_id=patient.pk)
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)

    with pytest.raises(SelfGuidedInvalid):
        join_program(
            user=world.dana,
            code=issued.code,
            bring_history=False,
            signature="Evangelina Llorente",
            words="I join my program.",
            language="en",
        )
