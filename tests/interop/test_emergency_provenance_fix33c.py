"""Lane fix33c (review 33b H2): a clinician who reaches Alice's record only through emergency access is told
no more of an imported questionnaire's sender than a release tells a recipient (`sharing.carried.
sender_named`, one rule): a read by id, the assessment's FHIR bundle and the result page's "where it came
from"; her care team still reads it whole. The assessment's bundle carries the person's identity only."""

from __future__ import annotations

import pytest
from django.test import Client

from keel.accounts import services
from keel.assessments.models import Assessment
from tests.conftest import PASSWORD, World, sign_in
from tests.review33b._setup import COURT, court_phq9

pytestmark = pytest.mark.django_db


def _glass_broken(world: World) -> Client:
    """A Riverside nurse on no care team of Alice's opens her record for a medical emergency."""
    nurse, _device = services.create_user(
        username="r-nurse-fix33c", role="nurse", password=PASSWORD, program_slug="riverside"
    )
    client = sign_in(Client(), nurse)
    opened = client.post(
        "/api/v1/emergency-access",
        {"record_number": "RR-0001", "reason": "found unresponsive in the lobby", "password": PASSWORD},
        content_type="application/json",
    )
    assert opened.status_code == 201
    return client


def _filed(world: World) -> tuple[str, int]:
    """The court's PHQ-9 filed by the counselor: its Provenance's id and the assessment's."""
    filed = court_phq9(world, sign_in(Client(), world.staff["counselor"]))
    assessment = Assessment.objects.get(patient=world.alice, imported_from__isnull=False)
    return str(filed.json()["provenance"]["id"]), assessment.pk


def test_emergency_read_by_id_names_no_sending_system(world: World) -> None:
    provenance, _ = _filed(world)
    read = _glass_broken(world).get(f"/fhir/R4/Provenance/{provenance}")
    assert read.status_code == 200
    assert COURT not in read.content.decode()


def test_emergency_read_by_id_names_no_senders_id(world: World) -> None:
    provenance, _ = _filed(world)
    assert "DC-QR-77" not in _glass_broken(world).get(f"/fhir/R4/Provenance/{provenance}").content.decode()


def test_emergency_read_says_another_system(world: World) -> None:
    provenance, _ = _filed(world)
    read = _glass_broken(world).get(f"/fhir/R4/Provenance/{provenance}").json()
    assert read["agent"][0]["who"]["display"] == "another system"


def test_emergency_assessment_bundle_names_no_sending_system(world: World) -> None:
    _, assessment = _filed(world)
    found = _glass_broken(world).get(f"/api/v1/patients/{world.alice.pk}/assessments/{assessment}/fhir")
    assert found.status_code == 200
    assert COURT not in found.content.decode()


def test_emergency_result_page_names_no_sending_system(world: World) -> None:
    _, assessment = _filed(world)
    page = _glass_broken(world).get(f"/patients/{world.alice.pk}/assessments/{assessment}/")
    assert page.status_code == 200
    assert COURT not in page.content.decode()


def test_emergency_result_page_names_no_senders_id(world: World) -> None:
    _, assessment = _filed(world)
    page = _glass_broken(world).get(f"/patients/{world.alice.pk}/assessments/{assessment}/")
    assert "DC-QR-77" not in page.content.decode()


def test_emergency_result_page_says_another_system(world: World) -> None:
    _, assessment = _filed(world)
    page = _glass_broken(world).get(f"/patients/{world.alice.pk}/assessments/{assessment}/")
    assert "another system" in page.content.decode()


def test_the_care_team_result_page_names_the_sender(world: World) -> None:
    _, assessment = _filed(world)
    page = sign_in(Client(), world.staff["nurse"]).get(
        f"/patients/{world.alice.pk}/assessments/{assessment}/"
    )
    assert COURT in page.content.decode()


def test_the_care_teams_provenance_search_names_the_sender(world: World) -> None:
    _filed(world)
    found = sign_in(Client(), world.staff["nurse"]).get(f"/fhir/R4/Provenance?patient={world.alice.pk}")
    assert COURT in found.content.decode()


def _bundle_patient(world: World) -> dict[str, object]:
    _, assessment = _filed(world)
    client = sign_in(Client(), world.staff["prescriber"])
    bundle = client.get(f"/api/v1/patients/{world.alice.pk}/assessments/{assessment}/fhir").json()
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")


@pytest.mark.parametrize("field", ["birthDate", "identifier", "telecom", "address", "contact", "extension"])
def test_the_assessment_bundles_patient_is_identity_only(world: World, field: str) -> None:
    assert field not in _bundle_patient(world)


def test_the_assessment_bundles_patient_is_named(world: World) -> None:
    assert _bundle_patient(world)["name"]
