"""Issue #14 and SECURITY.md T19: a record that leaves is a disclosure. A staff export of the record (the FHIR
Bundle, keel/interop) needs a basis (a live consent naming the recipient, the purpose and the whole record, or
the patient's own request), the password again, and appears in the patient's accounting of disclosures.
Program admins, peer specialists and auditors never export clinical content; the patient's own copy (right
of access) stays as it is."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.audit.models import AuditEvent
from keel.sharing.models import Disclosure
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
RECIPIENT = "Dr. Ruth Example, Valley Primary Care"
CONSENT = {
    "recipient_name": RECIPIENT,
    "purpose": "treatment",
    "categories": ["record"],
    "expires_on": "2027-05-31",
    "signature": "Alicia Zamorano",
    "understood": True,
}
TO = {"recipient_name": RECIPIENT, "purpose": "treatment"}


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def _consent(world: World, **changes: Any) -> int:
    response = _post(sign_in(Client(), world.alice.user), "/api/v1/me/consents", {**CONSENT, **changes})
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _export(world: World, role: str = "prescriber", **body: Any) -> Any:
    client = sign_in(Client(), world.staff[role])
    return _post(client, f"/api/v1/patients/{world.alice.pk}/fhir/export", {"password": PASSWORD, **body})


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def _last_audit() -> AuditEvent:
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    return event


@time_machine.travel(NOW, tick=False)
def test_an_export_without_a_basis_is_refused_naming_the_basis(world: World) -> None:
    response = _export(world)
    assert (response.status_code, _fields(response)) == (422, ["basis"])


@time_machine.travel(NOW, tick=False)
def test_an_export_without_a_basis_leaves_nothing(world: World) -> None:
    _export(world)
    assert not Disclosure.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_an_export_at_the_patients_request_is_a_disclosure(world: World) -> None:
    assert _export(world, basis="patient_request").status_code == 200
    row = Disclosure.objects.get()
    assert (row.basis, row.consent_id, row.categories, row.disclosed_by_id) == (
        "patient_request",
        None,
        ["record"],
        world.staff["prescriber"].pk,
    )


@time_machine.travel(NOW, tick=False)
def test_the_disclosure_holds_the_exported_documents_digest(world: World) -> None:
    import hashlib

    body = _export(world, basis="patient_request").json()
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    assert Disclosure.objects.get().document_sha256 == digest


@time_machine.travel(NOW, tick=False)
def test_the_export_shows_in_the_patients_accounting(world: World) -> None:
    _export(world, basis="patient_request")
    accounting = sign_in(Client(), world.alice.user).get("/api/v1/me/sharing").json()["disclosures"]
    assert [(d["basis"], d["categories"]) for d in accounting] == [("patient_request", ["record"])]


@time_machine.travel(NOW, tick=False)
def test_the_export_shows_on_the_patients_accounting_page(world: World) -> None:
    _export(world, basis="patient_request")
    page = sign_in(Client(), world.alice.user).get("/me/sharing/").content.decode()
    assert "Your own request" in page
    assert "The whole record, as a file" in page  # plain words (fix33c, review 33b H1)


@time_machine.travel(NOW, tick=False)
def test_the_export_shows_on_the_care_teams_sharing_page(world: World) -> None:
    _export(world, basis="patient_request")
    page = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/sharing/")
    assert "The whole record, as a file" in page.content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_export_is_audited_with_its_disclosure(world: World) -> None:
    _export(world, basis="patient_request")
    event = _last_audit()
    assert (event.action, event.detail["disclosure_id"]) == ("export", Disclosure.objects.get().pk)


@time_machine.travel(NOW, tick=False)
def test_an_export_under_a_consent_naming_the_record_and_the_recipient(world: World) -> None:
    consent_id = _consent(world)
    response = _export(world, basis="consent", consent=consent_id, **TO)
    assert response.status_code == 200
    row = Disclosure.objects.get()
    assert (row.basis, row.consent_id, row.recipient_name, row.purpose) == (
        "consent",
        consent_id,
        RECIPIENT,
        "treatment",
    )


@time_machine.travel(NOW, tick=False)
def test_a_consent_for_a_progress_report_does_not_release_the_record(world: World) -> None:
    consent_id = _consent(world, categories=["medication", "screenings"])
    response = _export(world, basis="consent", consent=consent_id, **TO)
    assert (response.status_code, response.json()["errors"]) == (
        422,
        [{"field": "consent", "reason": "The consent does not cover: record."}],
    )


@time_machine.travel(NOW, tick=False)
def test_an_export_to_another_recipient_is_refused(world: World) -> None:
    consent_id = _consent(world)
    response = _export(world, basis="consent", consent=consent_id, **{**TO, "recipient_name": "ACME Corp"})
    assert (response.status_code, _fields(response)) == (422, ["recipient_name"])


@time_machine.travel(NOW, tick=False)
def test_an_export_for_another_purpose_is_refused(world: World) -> None:
    consent_id = _consent(world)
    response = _export(world, basis="consent", consent=consent_id, **{**TO, "purpose": "employment"})
    assert (response.status_code, _fields(response)) == (422, ["purpose"])


@time_machine.travel(NOW, tick=False)
def test_an_export_under_a_revoked_consent_is_refused_and_audited(world: World) -> None:
    consent_id = _consent(world)
    _post(sign_in(Client(), world.alice.user), f"/api/v1/me/consents/{consent_id}/revoke", {})
    response = _export(world, basis="consent", consent=consent_id, **TO)
    assert response.status_code == 422
    assert (_last_audit().action, _last_audit().target_type) == ("denied", "fhir_bundle")
    assert not Disclosure.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_progress_report_never_carries_the_whole_record(world: World) -> None:
    consent_id = _consent(world, categories=["record", "medication"])
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {"basis": "consent", "consent": consent_id, "categories": ["record"], "password": PASSWORD, **TO}
    response = _post(nurse, f"/api/v1/patients/{world.alice.pk}/disclosures", body)
    assert (response.status_code, _fields(response)) == (422, ["categories"])


@time_machine.travel(NOW, tick=False)
def test_a_progress_report_under_a_record_consent_sends_only_its_sections(world: World) -> None:
    consent_id = _consent(world, categories=["record", "medication"])
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {"basis": "consent", "consent": consent_id, "password": PASSWORD, **TO}
    document = _post(nurse, f"/api/v1/patients/{world.alice.pk}/disclosures", body).json()["document"]
    assert [s["category"] for s in document["sections"]] == ["medication"]


@time_machine.travel(NOW, tick=False)
def test_a_program_admin_cannot_export_clinical_content(world: World) -> None:
    response = _export(world, "program_admin", basis="patient_request")
    assert (response.status_code, Disclosure.objects.count()) == (403, 0)


@time_machine.travel(NOW, tick=False)
def test_a_program_admins_export_is_audited_as_a_denial(world: World) -> None:
    _export(world, "program_admin", basis="patient_request")
    assert (_last_audit().action, _last_audit().target_type) == ("denied", "fhir_bundle")


@pytest.mark.parametrize("role", ["auditor", "peer_specialist"])
@time_machine.travel(NOW, tick=False)
def test_auditors_and_peers_cannot_export(world: World, role: str) -> None:
    response = _export(world, role, basis="patient_request")
    assert (response.status_code, Disclosure.objects.count()) == (404, 0)


@time_machine.travel(NOW, tick=False)
def test_the_patients_own_copy_stays_as_it_is(world: World) -> None:
    patient = sign_in(Client(), world.alice.user)
    assert (patient.get("/me/record.fhir.json").status_code, patient.get("/api/v1/me/fhir").status_code) == (
        200,
        200,
    )
    assert not Disclosure.objects.exists()
