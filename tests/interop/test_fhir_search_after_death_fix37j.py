"""Lane fix37j (re37p finding 4): after a death is recorded (by a path that left the account on), her own
account's FHIR searches are refused like the read by id: `GET /fhir/R4/Patient` and the other types'
searches (`_patients_holding`) answer a 403 OperationOutcome, audited (`policy.refuse_own_after_death`),
whatever the search's parameters match."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from keel.audit.models import Action, AuditEvent, Outcome
from keel.patients.models import Enrollment
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

SEARCHES = [
    "/fhir/R4/Patient",
    "/fhir/R4/Patient?_id=999999",
    "/fhir/R4/EpisodeOfCare",
    "/fhir/R4/QuestionnaireResponse",
    "/fhir/R4/Observation",
]


def _death_recorded_by_another_path(world: World) -> None:
    Enrollment.objects.filter(patient=world.alice).update(
        ended_on=timezone.localdate() - timedelta(days=1), end_reason="deceased", status="ended"
    )


@pytest.mark.parametrize("url", SEARCHES)
def test_her_search_is_refused_after_a_death(world: World, url: str) -> None:
    client = sign_in(Client(), world.alice.user)
    _death_recorded_by_another_path(world)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", SEARCHES)
def test_the_refusal_is_an_operation_outcome(world: World, url: str) -> None:
    client = sign_in(Client(), world.alice.user)
    _death_recorded_by_another_path(world)
    assert client.get(url).json()["resourceType"] == "OperationOutcome"


def test_the_refusal_is_audited_in_her_record(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    _death_recorded_by_another_path(world)
    client.get("/fhir/R4/EpisodeOfCare")
    denied = AuditEvent.objects.filter(
        actor_id=world.alice.user.pk, action=Action.DENIED, outcome=Outcome.DENIED, patient_id=world.alice.pk
    )
    assert denied.filter(reason="own account after a death was recorded").exists()


def test_her_search_still_answers_before_a_death(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    assert client.get("/fhir/R4/EpisodeOfCare").status_code == 200


def test_a_clinicians_search_still_answers_after_her_death(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    _death_recorded_by_another_path(world)
    assert client.get("/fhir/R4/Patient").status_code == 200
