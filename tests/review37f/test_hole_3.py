"""Review 37f hole 3: a self-guided account's API token (issued for the recovery companion, in no program)
survives the account joining a program: the same token, made before the join, now reads the program's
record of the person (record number, birth date, the care team's clinical areas) as a patient's token. A
password reset and a second factor reset revoke every token (`accounts.revoke_tokens`); the join, which
widens what the token reaches, revokes none."""

from datetime import date, timedelta

from django.test import Client
from django.utils import timezone

from keel.accounts.services.tokens import create_token
from keel.patients.models import Enrollment, Patient
from keel.selfguided import services as selfguided
from tests.conftest import World


def test_a_self_guided_token_made_before_joining_reads_no_program_record(world: World) -> None:
    record = Patient.objects.create(
        program=world.riverside,
        record_number="RR-0099",
        given_name="Dana",
        family_name="Ostrowski",
        date_of_birth=date(1988, 3, 2),
    )
    Enrollment.objects.create(
        patient=record, program=world.riverside, started_on=timezone.localdate() - timedelta(days=30)
    )
    secret = create_token(user=world.dana).secret
    code = selfguided.issue_link_code(by=world.staff["program_admin"], patient_id=record.pk).code
    selfguided.join_program(
        user=world.dana,
        code=code,
        bring_history=False,
        signature="Dana Ostrowski",
        words="I agree",
        language="en",
    )
    response = Client().get(f"/api/v1/patients/{record.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
