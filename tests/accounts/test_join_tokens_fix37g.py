"""Lane fix37g (review 37f hole 3): joining a program widens what the account reaches (a self-guided
account becomes the program's patient), so the join revokes every API token of the account and ends its
other sessions (`accounts.revoke_tokens`, `accounts.end_sessions`, as a password change does); the session
that joined stays signed in, under a new session key."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts.services.tokens import create_token
from keel.audit.models import AuditEvent
from keel.patients.models import Enrollment, Patient
from tests.conftest import World, sign_in


@pytest.fixture
def record(world: World) -> Patient:
    """The program's record of Dana, without an account yet."""
    patient = Patient.objects.create(
        program=world.riverside,
        record_number="RR-0098",
        given_name="Dana",
        family_name="Ostrowski",
        date_of_birth=date(1988, 3, 2),
    )
    Enrollment.objects.create(
        patient=patient, program=world.riverside, started_on=timezone.localdate() - timedelta(days=30)
    )
    return patient


def _code(world: World, record: Patient) -> str:
    from keel.selfguided import services as selfguided

    return selfguided.issue_link_code(by=world.staff["program_admin"], patient_id=record.pk).code


def _join(client: Client, code: str) -> int:
    data = {"code": code, "bring_history": "no", "signature": "Dana Ostrowski"}
    return int(client.post("/me/account/join/sign/", data).status_code)


def test_a_token_made_before_joining_answers_401_after(world: World, record: Patient) -> None:
    secret = create_token(user=world.dana).secret
    _join(sign_in(Client(), world.dana), _code(world, record))
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401


def test_another_session_of_hers_is_signed_out_by_the_join(world: World, record: Patient) -> None:
    other = sign_in(Client(), world.dana)
    _join(sign_in(Client(), world.dana), _code(world, record))
    response = other.get("/api/v1/me")
    assert response.status_code == 401


def test_the_session_that_joined_stays_signed_in(world: World, record: Patient) -> None:
    client = sign_in(Client(), world.dana)
    _join(client, _code(world, record))
    response = client.get("/api/v1/me")  # her record by her own route (lane ownapi39)
    assert response.json()["patient"]["id"] == record.pk


def test_the_session_that_joined_has_a_new_key(world: World, record: Patient) -> None:
    client = sign_in(Client(), world.dana)
    before = client.session.session_key
    _join(client, _code(world, record))
    assert client.session.session_key != before


def test_the_join_is_audited_with_the_sessions_it_ended(world: World, record: Patient) -> None:
    sign_in(Client(), world.dana)
    _join(sign_in(Client(), world.dana), _code(world, record))
    row = AuditEvent.objects.filter(target_type="history_consent").latest("pk")
    assert row.detail["sessions_ended"] == 1
