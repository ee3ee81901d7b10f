"""Lane fix38b item 1: the caseload (`access.policy.lists.list_patient_values_audited`, read by
`GET /api/v1/caseload` and the page `/patients/`) refuses a deceased person's own account as the patient
list and every other own read do (`access.policy.fetch.refuse_own_after_death`): a 403, audited, her row not
read."""

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


def test_the_caseload_by_her_token_is_refused_after_a_death(world: World) -> None:
    secret = create_token(user=world.alice.user).secret
    _death_recorded_by_another_path(world)
    response = Client().get("/api/v1/caseload", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 403


def test_the_caseload_by_her_session_is_refused_after_a_death(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    _death_recorded_by_another_path(world)
    response = client.get("/api/v1/caseload")
    assert response.status_code == 403


def test_the_caseload_page_by_her_session_is_refused_after_a_death(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    _death_recorded_by_another_path(world)
    response = client.get("/patients/")
    assert response.status_code == 403


def test_the_refused_caseload_is_audited_as_a_denial_on_her_record(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    _death_recorded_by_another_path(world)
    client.get("/api/v1/caseload")
    # lane ownapi39: refused to her own account before a death is asked (a staff view), on her record
    row = AuditEvent.objects.filter(outcome=Outcome.DENIED).latest("pk")
    assert (row.patient_id, row.outcome) == (world.alice.pk, Outcome.DENIED)


def test_the_refused_caseload_writes_no_list_read(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    _death_recorded_by_another_path(world)
    client.get("/api/v1/caseload")
    assert not AuditEvent.objects.filter(target_type="patient_list", outcome=Outcome.SUCCESS).exists()


def test_the_caseload_by_her_token_is_refused_with_no_death_too(world: World) -> None:
    """Lane ownapi39 (review 37f): the caseload is a staff view; her record is at /api/v1/me."""
    secret = create_token(user=world.alice.user).secret
    response = Client().get("/api/v1/caseload", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 403


def test_the_caseload_of_her_clinician_still_lists_her_after_a_death(world: World) -> None:
    client = sign_in(Client(), world.staff["counselor"])
    _death_recorded_by_another_path(world)
    response = client.get("/api/v1/caseload?status=all")
    assert world.alice.pk in [row["id"] for row in response.json()]
