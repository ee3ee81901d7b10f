"""Review 20c fix: without a consent basis a staff token gets the same answer whether a resource exists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from keel.sharing.models import Disclosure
from keel.treatment.services.orders import prescribe
from tests.review20c_fixes.helpers import NOW, client_for, consent, revoke


def _order(w: dict[str, Any]) -> int:
    doc = w["staff"]["prescriber"]
    return prescribe(by=doc, patient_id=w["patient"].pk, medication="methadone", dose_mg="60", now=NOW).pk


def _pair(client: Any, there: str, missing: str, **headers: Any) -> tuple[Any, Any]:
    return client.get(there, **headers), client.get(missing, **headers)


def test_a_read_without_a_header_is_the_same_status(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    a, b = _pair(client, f"/fhir/R4/MedicationRequest/{_order(world)}", "/fhir/R4/MedicationRequest/999999")
    assert a.status_code == b.status_code


def test_a_read_without_a_header_is_the_same_body(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    a, b = _pair(client, f"/fhir/R4/MedicationRequest/{_order(world)}", "/fhir/R4/MedicationRequest/999999")
    assert a.json() == b.json()


def test_a_read_naming_no_consent_is_the_same_status(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    there, missing = f"/fhir/R4/MedicationRequest/{_order(world)}", "/fhir/R4/MedicationRequest/999999"
    a, b = _pair(client, there, missing, HTTP_KEEL_CONSENT="424242")
    assert a.status_code == b.status_code


def test_a_read_under_a_revoked_consent_is_the_same_status(world: dict[str, Any]) -> None:
    c = consent(world)
    revoke(c, world["staff"]["prescriber"])
    client, _ = client_for(world["staff"]["prescriber"])
    there, missing = f"/fhir/R4/MedicationRequest/{_order(world)}", "/fhir/R4/MedicationRequest/999999"
    a, b = _pair(client, there, missing, HTTP_KEEL_CONSENT=str(c.pk))
    assert a.status_code == b.status_code


def test_under_a_live_consent_a_missing_resource_is_a_404(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    r = client.get("/fhir/R4/MedicationRequest/999999", HTTP_KEEL_CONSENT=str(consent(world).pk))
    assert r.status_code == 404


def test_under_a_live_consent_a_missing_resource_writes_no_disclosure(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    client.get("/fhir/R4/MedicationRequest/999999", HTTP_KEEL_CONSENT=str(consent(world).pk))
    assert not Disclosure.objects.exists()


def test_another_persons_resource_under_this_consent_is_a_404(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    r = client.get(f"/fhir/R4/Patient/{world['foreign'].pk}", HTTP_KEEL_CONSENT=str(consent(world).pk))
    assert r.status_code == 404


def test_under_a_live_consent_an_existing_resource_is_read(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    r = client.get(f"/fhir/R4/MedicationRequest/{_order(world)}", HTTP_KEEL_CONSENT=str(consent(world).pk))
    assert r.status_code == 200


def test_a_search_without_a_header_is_the_same_for_anyone(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    a, b = _pair(
        client,
        f"/fhir/R4/MedicationRequest?patient={world['patient'].pk}",
        "/fhir/R4/MedicationRequest?patient=999999",
    )
    assert a.status_code == b.status_code


def test_a_search_of_another_programs_person_without_a_header_is_the_same(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    a, b = _pair(
        client,
        f"/fhir/R4/Condition?patient={world['patient'].pk}",
        f"/fhir/R4/Condition?patient={world['foreign'].pk}",
    )
    assert a.status_code == b.status_code


def test_everything_by_get_without_a_basis_is_the_same_for_anyone(world: dict[str, Any]) -> None:
    client, _ = client_for(world["staff"]["prescriber"])
    a, b = _pair(
        client, f"/fhir/R4/Patient/{world['patient'].pk}/$everything", "/fhir/R4/Patient/999999/$everything"
    )
    assert a.status_code == b.status_code


def test_an_expired_consent_is_the_same_status(world: dict[str, Any]) -> None:
    c = consent(world)
    type(c).objects.filter(pk=c.pk).update(expires_on=NOW.date() - timedelta(days=400))
    client, _ = client_for(world["staff"]["prescriber"])
    there, missing = f"/fhir/R4/MedicationRequest/{_order(world)}", "/fhir/R4/MedicationRequest/999999"
    a, b = _pair(client, there, missing, HTTP_KEEL_CONSENT=str(c.pk))
    assert a.status_code == b.status_code
