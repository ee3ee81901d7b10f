"""Issue #18: a transfer to another program is a disclosure under the patient's consent. Discharge with the
reason "transferred" goes through the sharing app's one check (a live consent naming the receiving program
and the whole record; the password again); no consent, another recipient or a revoked consent refuses it and
nothing is written; the disclosure is in the patient's accounting of disclosures."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.audit.models import AuditEvent
from keel.patients.models import Enrollment
from keel.sharing.models import Disclosure
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
NOW = "2026-03-10T16:00:00+00:00"
TO = "Lakeside Health Center"
CONSENT = {
    "recipient_name": TO,
    "purpose": "treatment",
    "categories": ["record"],
    "expires_on": "2027-05-31",
    "signature": "Alicia Zamorano",
    "understood": True,
}


@pytest.fixture(autouse=True)
def _pinned() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def _consent(world: World, **changes: Any) -> int:
    response = _post(sign_in(Client(), world.alice.user), "/api/v1/me/consents", {**CONSENT, **changes})
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _transfer(world: World, role: str = "nurse", **body: Any) -> Any:
    client = sign_in(Client(), world.staff[role])
    full = {"reason": "transferred", "recipient_name": TO, "password": PASSWORD, **body}
    return _post(client, f"/api/v1/patients/{world.alice.pk}/discharge", full)


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize("role", ["counselor", "nurse", "prescriber"])
def test_the_care_team_transfers_under_a_consent(world: World, role: str) -> None:
    assert _transfer(world, role, consent=_consent(world)).status_code == 200


def test_a_transfer_ends_the_episode(world: World) -> None:
    _transfer(world, consent=_consent(world))
    assert Enrollment.objects.get(patient=world.alice).end_reason == "transferred"


def test_a_transfer_is_a_disclosure_to_the_receiving_program(world: World) -> None:
    consent = _consent(world)
    _transfer(world, consent=consent)
    row = Disclosure.objects.get(patient=world.alice)
    assert (row.recipient_name, row.consent_id, row.basis) == (TO, consent, "consent")


def test_the_discharge_audit_names_the_disclosure(world: World) -> None:
    _transfer(world, consent=_consent(world))
    row = AuditEvent.objects.get(reason="discharged")
    assert row.detail["transfer_disclosure_id"] == Disclosure.objects.get().pk


def test_a_transfer_without_a_consent_is_refused_naming_it(world: World) -> None:
    response = _transfer(world)
    assert (response.status_code, _fields(response)) == (422, ["consent"])


def test_a_refused_transfer_leaves_the_person_in_care(world: World) -> None:
    _transfer(world)
    assert Enrollment.objects.get(patient=world.alice).status == "active"


def test_a_refused_transfer_writes_no_disclosure(world: World) -> None:
    _transfer(world)
    assert not Disclosure.objects.exists()


def test_a_revoked_consent_blocks_the_transfer(world: World) -> None:
    consent = _consent(world)
    alice = sign_in(Client(), world.alice.user)
    assert alice.post(f"/api/v1/me/consents/{consent}/revoke").status_code == 200
    response = _transfer(world, consent=consent)
    assert (response.status_code, _fields(response)) == (422, ["consent"])


def test_a_revoked_consent_leaves_the_person_in_care(world: World) -> None:
    consent = _consent(world)
    sign_in(Client(), world.alice.user).post(f"/api/v1/me/consents/{consent}/revoke")
    _transfer(world, consent=consent)
    assert Enrollment.objects.get(patient=world.alice).status == "active"


def test_a_consent_to_another_recipient_is_refused(world: World) -> None:
    consent = _consent(world, recipient_name="Valley Primary Care")
    assert _fields(_transfer(world, consent=consent)) == ["recipient_name"]


def test_a_consent_without_the_whole_record_is_refused(world: World) -> None:
    consent = _consent(world, categories=["medication"])
    assert _fields(_transfer(world, consent=consent)) == ["consent"]


def test_a_wrong_password_is_named(world: World) -> None:
    assert _fields(_transfer(world, consent=_consent(world), password="wrong")) == ["password"]


def test_a_blank_recipient_is_named(world: World) -> None:
    assert "recipient_name" in _fields(_transfer(world, consent=_consent(world), recipient_name=""))


def test_a_program_admin_cannot_transfer(world: World) -> None:
    assert _transfer(world, "program_admin", consent=_consent(world)).status_code == 403


def test_a_program_admins_refused_transfer_is_audited(world: World) -> None:
    _transfer(world, "program_admin", consent=_consent(world))
    assert AuditEvent.objects.filter(reason="role may not disclose a record for a transfer").count() == 1


@pytest.mark.parametrize(("role", "status"), [("peer_specialist", 404), ("auditor", 404)])
def test_other_staff_cannot_transfer(world: World, role: str, status: int) -> None:
    assert _transfer(world, role, consent=_consent(world)).status_code == status


def test_the_patient_cannot_transfer_themselves(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    body = {"reason": "transferred", "recipient_name": TO, "consent": _consent(world), "password": PASSWORD}
    assert _post(client, f"/api/v1/patients/{world.alice.pk}/discharge", body).status_code == 403


def test_another_reason_needs_no_consent(world: World) -> None:
    client = sign_in(Client(), world.staff["program_admin"])
    response = _post(client, f"/api/v1/patients/{world.alice.pk}/discharge", {"reason": "completed"})
    assert response.status_code == 200


def test_a_second_transfer_after_discharge_writes_no_disclosure(world: World) -> None:
    consent = _consent(world)
    _transfer(world, consent=consent)
    assert _fields(_transfer(world, consent=consent)) == ["patient"]


def test_the_disclosure_is_in_the_patients_accounting(world: World) -> None:
    _transfer(world, consent=_consent(world))
    body = sign_in(Client(), world.alice.user).get("/api/v1/me/sharing").json()
    assert TO in json.dumps(body)


def test_the_page_transfers_under_a_consent(world: World) -> None:
    consent = _consent(world)
    client = sign_in(Client(), world.staff["nurse"])
    body = {"reason": "transferred", "recipient_name": TO}
    response = client.post(
        f"/patients/{world.alice.pk}/discharge/", {**body, "consent": str(consent), "password": PASSWORD}
    )
    assert (response.status_code, Disclosure.objects.count()) == (302, 1)


def test_the_page_names_a_missing_consent(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    body = {"reason": "transferred", "recipient_name": TO, "password": PASSWORD}
    response = client.post(f"/patients/{world.alice.pk}/discharge/", body)
    assert (response.status_code, "Consent number" in response.content.decode()) == (422, True)


def test_the_page_names_a_missing_consent_in_spanish(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    body = {"reason": "transferred", "recipient_name": TO, "password": PASSWORD}
    response = client.post(f"/patients/{world.alice.pk}/discharge/", body, HTTP_ACCEPT_LANGUAGE="es")
    assert "Número del consentimiento" in response.content.decode()


# --- The disclosure and the discharge are one transaction; a refusal keeps its audited denial -----------


def test_a_transfer_refused_for_a_wrong_password_is_audited_as_a_denial(world: World) -> None:
    _transfer(world, consent=_consent(world), password="not my password at all")
    denied = AuditEvent.objects.filter(patient_id=world.alice.pk, action="denied", target_type="transfer")
    assert list(denied.values_list("reason", flat=True)) == ["re-authentication failed"]


def test_a_transfer_refused_for_another_recipient_is_audited_as_a_denial(world: World) -> None:
    _transfer(world, consent=_consent(world, recipient_name="Hillside Clinic"))
    denied = AuditEvent.objects.filter(patient_id=world.alice.pk, action="denied", target_type="transfer")
    assert denied.count() == 1


def test_a_transfer_whose_episode_ended_meanwhile_leaves_no_disclosure(
    world: World, monkeypatch: Any
) -> None:
    from keel.sharing import services as sharing

    consent, original = _consent(world), sharing.release_record

    def and_the_other_desk_discharges(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        Enrollment.objects.filter(patient=world.alice, status="active").update(
            status="ended", ended_on="2026-03-10", end_reason="left"
        )
        return result

    monkeypatch.setattr(sharing, "release_record", and_the_other_desk_discharges)
    response = _transfer(world, consent=consent)
    assert (response.status_code, Disclosure.objects.filter(patient=world.alice).count()) == (422, 0)
