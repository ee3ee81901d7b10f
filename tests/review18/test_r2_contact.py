"""Review of issue #18: editing a patient's contact details and preferred language (page, PATCH, CLI)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.patients.schemas import ContactIn
from tests.conftest import PASSWORD


def _api(world: Any, role_user: Any) -> Client:
    """A staff member's signed-in session on the API; a patient's own token. Superseded by review 26a
    (session 26): was the staff member's API token too; a staff token no longer writes a contact (refused
    403 at authentication, before the record is read: review 26a H2/H7), so the route's own checks (404,
    422, 409) are asked of the session. A token's refusal: tests/api/test_staff_token_writes_fix26a.py."""
    from keel.accounts import services as accounts
    from tests.conftest import sign_in

    if role_user.role != "patient":
        return sign_in(Client(), role_user)
    secret = accounts.create_token(user=role_user, name="review").secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _patch(client: Client, patient_id: int, body: dict[str, Any]) -> Any:
    return client.patch(
        f"/api/v1/patients/{patient_id}/contact", data=json.dumps(body), content_type="application/json"
    )


def _break_the_glass(world: Any) -> Any:
    from keel.sharing import services as sharing

    nurse = world.staff["nurse"]  # on Alice's care team, not on Bob's
    sharing.emergency_access(
        by=nurse,
        record_number=world.bob.record_number,
        reason="overdose at the window, need history",
        password=PASSWORD,
    )
    return nurse


@pytest.mark.parametrize("field", ["phone", "emergency_contact_phone"])
def test_a_phone_number_that_is_not_a_phone_number_is_refused_naming_the_field(
    world: Any, field: str
) -> None:
    """Attack: the front desk types a note into the phone box ("call after five, ask for mom"). The activation
    code and reminders are sent by text to this value. Expected: refused naming the field (a phone number has
    digits, at least 7 of them). Found: any text is kept as the phone number."""
    from keel.core.rules.inputs import FieldsInvalid
    from keel.patients import services

    data = {field: "call after five ask for mom"}
    if field == "emergency_contact_phone":
        data["emergency_contact_name"] = "Rosa Zamorano"
    with pytest.raises(FieldsInvalid) as raised:
        services.update_contact(
            by=world.staff["nurse"], patient_id=world.alice.pk, data=ContactIn.posted(data)
        )
    assert field in [e.field for e in raised.value.errors]


def test_break_the_glass_access_does_not_let_a_clinician_change_where_account_messages_go(world: Any) -> None:
    """Attack: a nurse opens Bob's record through emergency access (break the glass, for a medical emergency)
    and, while it is open, changes Bob's email on file; "forgot my password" then sends Bob's reset link to
    the address she chose (an account takeover). Emergency access is for reading a record in an emergency, as
    the second-factor reset already says ("never through emergency access: the care team only"). Expected:
    refused (403 or 404), Bob's email unchanged. Found: the change is made."""
    from django.http import Http404

    from keel.patients import services
    from keel.patients.models import Patient

    nurse = _break_the_glass(world)
    with pytest.raises((services.NotAllowed, Http404)):
        services.update_contact(
            by=nurse, patient_id=world.bob.pk, data=ContactIn.posted({"email": "someone.else@example.org"})
        )
    assert Patient.objects.get(pk=world.bob.pk).email == ""


def test_a_contact_change_made_through_emergency_access_says_so_in_the_audit_trail(world: Any) -> None:
    """Attack: the same change through break-the-glass, looked at from the audit trail. Every read through
    emergency access is audited with the reason "emergency access" (policy._audit_read, photos.read_photo);
    a write through it must be too, or the admin reviewing emergency uses cannot see what was changed under
    it. Found: the row says only "contact details changed"."""
    from keel.audit.models import AuditEvent
    from keel.patients import services

    nurse = _break_the_glass(world)
    try:
        services.update_contact(
            by=nurse, patient_id=world.bob.pk, data=ContactIn.posted({"city": "Springfield"})
        )
    except Exception:  # refused outright is also safe
        return
    row = AuditEvent.objects.filter(actor_id=nurse.pk, target_type="patient", action="update").latest("id")
    assert "emergency access" in row.reason


# --- Attacks that held -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("peer_specialist", 404), ("auditor", 404), ("patient", 403)],
)
def test_held_roles_without_the_clinical_area_cannot_patch_contact(world: Any, who: str, status: int) -> None:
    response = _patch(_api(world, world.user(who)), world.alice.pk, {"city": "Elsewhere"})
    assert response.status_code == status


def test_held_another_programs_nurse_cannot_patch_contact(world: Any) -> None:
    response = _patch(_api(world, world.lakeside_nurse), world.alice.pk, {"city": "Elsewhere"})
    assert response.status_code == 404


def test_held_a_nurse_not_on_the_care_team_cannot_patch_contact(world: Any) -> None:
    response = _patch(_api(world, world.staff["nurse"]), world.bob.pk, {"city": "Elsewhere"})
    assert response.status_code == 404


def test_held_an_unknown_field_is_refused_naming_it(world: Any) -> None:
    response = _patch(_api(world, world.staff["nurse"]), world.alice.pk, {"record_number": "X-1"})
    assert response.status_code == 422
    assert "record_number" in response.content.decode()


def test_held_a_bad_email_is_refused(world: Any) -> None:
    response = _patch(_api(world, world.staff["nurse"]), world.alice.pk, {"email": "alice@"})
    assert response.status_code == 422


def test_held_an_empty_language_is_refused(world: Any) -> None:
    response = _patch(_api(world, world.staff["nurse"]), world.alice.pk, {"preferred_language": ""})
    assert response.status_code == 422


def test_held_a_stale_version_is_refused(world: Any) -> None:
    client = _api(world, world.staff["nurse"])
    assert _patch(client, world.alice.pk, {"city": "Uptown", "version": 1}).status_code in (200, 409)
    response = _patch(client, world.alice.pk, {"city": "Downtown", "version": 0})
    assert response.status_code == 409


def test_held_the_audit_row_names_fields_not_values(world: Any) -> None:
    from keel.audit.models import AuditEvent

    _patch(_api(world, world.staff["nurse"]), world.alice.pk, {"city": "Secretville"})
    rows = AuditEvent.objects.filter(patient_id=world.alice.pk)
    assert not any("Secretville" in json.dumps(r.detail or {}) + (r.reason or "") for r in rows)


def test_held_a_non_object_body_is_a_422_not_a_500(world: Any) -> None:
    client = _api(world, world.staff["nurse"])
    response = client.patch(
        f"/api/v1/patients/{world.alice.pk}/contact", data="[1,2]", content_type="application/json"
    )
    assert response.status_code in (400, 422)
