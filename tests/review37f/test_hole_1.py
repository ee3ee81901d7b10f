"""Review 37f hole 1: after a death is recorded on an episode, every route of her own account refuses
("This account is closed", lane dead27: nothing is read in her name by her own account), but the patient
list GET /api/v1/patients still answers 200 with her whole row (record number, birth date, areas), by
token and by session alike."""

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from keel.accounts.services.tokens import create_token
from keel.patients.models import Enrollment
from tests.conftest import World, sign_in


def _death_recorded_by_another_path(world: World) -> None:
    Enrollment.objects.filter(patient=world.alice).update(
        ended_on=timezone.localdate() - timedelta(days=1), end_reason="deceased", status="ended"
    )


def _listed_ids(response: Any) -> list[int]:
    return [row["id"] for row in response.json()] if response.status_code == 200 else []


def test_the_patient_list_by_her_token_does_not_read_her_record_after_a_death(world: World) -> None:
    secret = create_token(user=world.alice.user).secret
    _death_recorded_by_another_path(world)
    response = Client().get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert world.alice.pk not in _listed_ids(response)


def test_the_patient_list_by_her_session_does_not_read_her_record_after_a_death(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    _death_recorded_by_another_path(world)
    response = client.get("/api/v1/patients")
    assert world.alice.pk not in _listed_ids(response)
