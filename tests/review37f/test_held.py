"""Review 37f: what held (authentication and object-level access), each attack as one test."""

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts.models import ProgramMembership
from keel.accounts.services.tokens import create_token
from keel.patients.models import PatientFlag
from tests.conftest import World, sign_in


def _bearer(user: Any, recipient: str = "") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {create_token(user=user, recipient_name=recipient).secret}"}


@pytest.mark.parametrize("method", ["head", "options", "put", "patch", "delete"])
def test_another_programs_assessments_by_another_method_carry_nothing(world: World, method: str) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = getattr(client, method)(f"/api/v1/patients/{world.charlie.pk}/assessments")
    assert b"Vandersloot" not in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/patients/{id}/assessments/",
        "/API/v1/patients/{id}/assessments",
        "/api/v1/Patients/{id}/assessments",
        "/api/v1//patients/{id}/assessments",
        "/patients/{id}/",
        "/fhir/R4/Patient/{id}",
        "/fhir/R4/Patient/{id}/$everything",
    ],
)
def test_another_programs_person_by_a_path_variant_is_a_404(world: World, path: str) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    assert client.get(path.format(id=world.charlie.pk)).status_code == 404


@pytest.mark.parametrize(
    "path", ["/api/v1/patients/{id}/assessments", "/api/v1/patients/{id}/plan", "/patients/{id}/"]
)
def test_a_patient_reading_another_patient_is_a_404(world: World, path: str) -> None:
    client = sign_in(Client(), world.alice.user)
    assert client.get(path.format(id=world.bob.pk)).status_code == 404


def test_a_patients_token_reading_another_patient_is_a_404(world: World) -> None:
    response = Client().get(f"/api/v1/patients/{world.bob.pk}/assessments", **_bearer(world.alice.user))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path", ["/api/v1/patients/{id}/assessments", "/patients/{id}/", "/fhir/R4/Patient/{id}"]
)
def test_a_self_guided_account_reads_no_program_record(world: World, path: str) -> None:
    client = sign_in(Client(), world.dana)
    assert client.get(path.format(id=world.alice.pk)).status_code == 404


@pytest.mark.parametrize("role", ["peer_specialist", "auditor"])
def test_a_peer_or_an_auditor_records_no_assessment(world: World, role: str) -> None:
    client = sign_in(Client(), world.staff[role])
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/assessments",
        {"instrument": "phq9", "answers": {f"phq9_{i}": 0 for i in range(1, 10)}},
        content_type="application/json",
    )
    assert response.status_code in (403, 404)


def test_a_staff_member_moved_to_another_program_loses_the_old_one_on_the_open_session(world: World) -> None:
    counselor = world.staff["counselor"]
    client = sign_in(Client(), counselor)
    ProgramMembership.objects.filter(user=counselor).delete()
    ProgramMembership.objects.create(user=counselor, program=world.lakeside)
    assert client.get(f"/api/v1/patients/{world.alice.pk}/assessments").status_code == 404


def test_a_role_changed_on_an_open_session_applies_at_the_next_request(world: World) -> None:
    prescriber = world.staff["prescriber"]
    client = sign_in(Client(), prescriber)
    prescriber.role = "peer_specialist"
    prescriber.save(update_fields=["role"])
    assert client.get(f"/api/v1/patients/{world.alice.pk}/assessments").status_code == 404


def test_a_token_of_an_account_turned_off_is_refused(world: World) -> None:
    headers = _bearer(world.alice.user)
    world.alice.user.is_active = False
    world.alice.user.save(update_fields=["is_active"])
    assert Client().get("/api/v1/me/plan", **headers).status_code == 401


def test_a_peer_reads_no_flag_of_her_record(world: World) -> None:
    PatientFlag.objects.create(
        patient=world.alice,
        kind="suicide_risk",
        reasons=["PHQ-9 item 9"],
        source_type="assessment",
        source_id=1,
        raised_at=timezone.now(),
    )
    client = sign_in(Client(), world.staff["peer_specialist"])
    assert client.get(f"/api/v1/patients/{world.alice.pk}/flags").status_code == 404


@pytest.mark.parametrize(
    "path", ["/api/v1/caseload", "/api/v1/patients", "/api/v1/patients/{id}", "/fhir/R4/Patient/{id}"]
)
def test_a_token_bound_to_a_recipient_reads_no_person_outside_a_release(world: World, path: str) -> None:
    headers = _bearer(world.staff["nurse"], recipient="County ED")
    assert b"Zamorano" not in Client().get(path.format(id=world.alice.pk), **headers).content


@pytest.mark.parametrize("path", ["/api/v1/caseload", "/api/v1/patients/{id}", "/api/v1/audit/events"])
def test_an_unbound_staff_token_reads_no_person(world: World, path: str) -> None:
    headers = _bearer(world.staff["program_admin"])
    assert Client().get(path.format(id=world.alice.pk), **headers).status_code in (403, 404)


def test_a_patients_own_data_export_is_hers_only(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    assert b"Roberto" not in client.get("/me/account/my-data.json").content


def test_a_form_body_on_a_json_route_is_a_422_naming_the_body(world: World) -> None:
    client = sign_in(Client(), world.staff["auditor"])
    response = client.post(f"/api/v1/patients/{world.charlie.pk}/assessments", {"instrument": "phq9"})
    assert response.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize("path", ["/dosing/{id}/", "/patients/{id}/discharge/", "/patients/{id}/contact/"])
def test_a_json_body_on_a_page_form_by_an_auditor_is_a_404(world: World, path: str) -> None:
    client = sign_in(Client(), world.staff["auditor"])
    response = client.post(path.format(id=world.alice.pk), {"a": 1}, content_type="application/json")
    assert response.status_code == 404
