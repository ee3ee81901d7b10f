"""Review 37d, hole 1: an activation code a staff member was shown outlives their leaving.

A nurse gives a person's record an activation code (shown once, printed at the desk: the nurse has seen
it). The program turns her account off the same day. The code still makes an account for the person's
record, so whoever holds it (the nurse who left) signs in as the patient: reads the whole record and signs
consents that let it out (42 CFR 2.31). Deactivation ends her sessions, tokens, invites and set-up codes
(`deactivate_user`, `withdraw_sent_by`), but not the account codes she gave out.
Expected: turning a staff member's account off voids the unused activation codes they issued (the person
asks the desk for a new one), as it voids the invitations they sent.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from keel.accounts import staff
from keel.core.rules.inputs import FieldsInvalid
from keel.patients.models import CareTeamMember, Enrollment, Patient
from keel.patients.services.activation import activate, issue_activation_code
from tests.conftest import PASSWORD


def _record_without_account(world):  # type: ignore[no-untyped-def]
    patient = Patient.objects.create(
        program=world.riverside,
        record_number="RR-3701",
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


def test_an_activation_code_stops_working_once_its_issuer_is_turned_off(world) -> None:  # type: ignore[no-untyped-def]
    patient = _record_without_account(world)
    nurse = world.staff["nurse"]
    issued = issue_activation_code(by=nurse, patient_id=patient.pk)
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)

    with pytest.raises(FieldsInvalid):
        activate(code=issued.code, username="evangelina-l", password=PASSWORD, password_again=PASSWORD)
