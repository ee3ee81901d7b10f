"""re37p finding 4: after a death is recorded (by a path that left the account on), her own account is
refused her record by id (`GET /fhir/R4/Patient/<id>`) and now by the patient list (`/api/v1/patients`, lane
fix37g), but the FHIR search `GET /fhir/R4/Patient` still answers 200 with her Patient resource: the search
reads `patients_visible_to` without `refuse_own_after_death` (searches.py `_patients_matching`; the other
types' searches, `_patients_holding`, the same scope)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from keel.patients.models import Enrollment
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def _death_recorded_by_another_path(world: World) -> None:
    Enrollment.objects.filter(patient=world.alice).update(
        ended_on=timezone.localdate() - timedelta(days=1), end_reason="deceased", status="ended"
    )


def test_fhir_patient_read_is_refused_after_a_death(world: World) -> None:  # holds: the contrast
    client = sign_in(Client(), world.alice.user)
    _death_recorded_by_another_path(world)
    response = client.get(f"/fhir/R4/Patient/{world.alice.pk}")
    assert response.status_code in (403, 404)
    assert response.json()["resourceType"] == "OperationOutcome"


def test_fhir_patient_search_is_refused_after_a_death(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    assert client.get("/fhir/R4/Patient").json()["total"] == 1
    _death_recorded_by_another_path(world)
    response = client.get("/fhir/R4/Patient")
    assert response.status_code in (403, 404), response.json().get("entry")
    assert response.json()["resourceType"] == "OperationOutcome"
