"""Lane fix37g (review 37f hole 1): after a death is recorded on an episode by a path that did not turn
the account off, the patient list refuses her own account as every other own-record route does (the one
definition of "this account is closed", `access.policy`): a 403, audited, and her row not read."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from keel.accounts.services.tokens import create_token
from keel.audit.models import AuditEvent, Outcome
from keel.patients.models import Enrollment
from tests.conftest import World, sign_in


def _death_recorded_by_another_path(world: World) -> None:
    Enrollment.objects.filter(patient=world.alice).update(
        ended_on=timezone.localdate() - timedelta(days=1), end_reason="deceased", status="ended"
    )


def test_the_list_by_her_token_is_refused_after_a_death(world: World) -> None:
    secret = create_token(user=world.alice.user).secret
    _death_recorded_by_another_path(world)
    response = Client().get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 403


def test_the_list_by_her_session_is_refused_after_a_death(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    _death_recorded_by_another_path(world)
    response = client.get("/api/v1/patients")
    assert response.status_code == 403


def test_the_refused_list_is_audited_as_a_denial_on_her_record(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    _death_recorded_by_another_path(world)
    client.get("/api/v1/patients")
    # lane ownapi39: refused to her own account before a death is asked (a staff view), on her record
    row = AuditEvent.objects.filter(outcome=Outcome.DENIED).latest("pk")
    assert (row.patient_id, row.outcome) == (world.alice.pk, Outcome.DENIED)


def test_the_list_by_her_token_is_refused_with_no_death_too(world: World) -> None:
    """Lane ownapi39 (review 37f): the list is a staff view; her record is at /api/v1/me."""
    secret = create_token(user=world.alice.user).secret
    response = Client().get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 403
