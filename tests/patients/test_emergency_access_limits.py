"""Issue #18 review: emergency access (break the glass, SECURITY.md T12) is for reading a record in an
emergency. A clinician who reaches a record only that way may read it (audited as emergency access) but may
not start a desk password reset, change the contact details that route the account's messages, or discharge,
readmit or transfer: the care team only, as for the second-factor reset. Each refusal is audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.audit.models import AuditEvent
from keel.patients import queries, services
from keel.patients.models import ActivationCode, Enrollment, EnrollmentStatus, Patient
from keel.patients.schemas import ContactIn, DischargeIn, ReadmissionIn, ResetCodeIn
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db


def _break_the_glass(world: World) -> Any:
    from keel.sharing import services as sharing

    nurse = world.staff["nurse"]  # on Alice's care team, not on Bob's
    sharing.emergency_access(
        by=nurse, record_number=world.bob.record_number, reason="overdose at the window", password=PASSWORD
    )
    return nurse


def _denials(nurse: Any, world: World, target_type: str) -> list[str]:
    rows = AuditEvent.objects.filter(
        actor_id=nurse.pk, patient_id=world.bob.pk, action="denied", target_type=target_type
    )
    return list(rows.values_list("reason", flat=True))


def _api(world: World, nurse: Any) -> Client:
    return sign_in(Client(), nurse)


def test_a_password_reset_through_emergency_access_is_audited_as_a_denial(world: World) -> None:
    nurse = _break_the_glass(world)
    with pytest.raises(services.NotAllowed):
        services.issue_reset_code(
            by=nurse, patient_id=world.bob.pk, data=ResetCodeIn.posted({"identity_checked": True})
        )
    assert _denials(nurse, world, "password_reset") == ["emergency access: may not start a password reset"]


def test_the_api_refuses_a_password_reset_through_emergency_access(world: World) -> None:
    nurse = _break_the_glass(world)
    response = _api(world, nurse).post(
        f"/api/v1/patients/{world.bob.pk}/password-reset-code",
        json.dumps({"identity_checked": True}),
        content_type="application/json",
    )
    assert (response.status_code, ActivationCode.objects.filter(patient=world.bob).exists()) == (403, False)


def test_the_api_refuses_a_contact_change_through_emergency_access(world: World) -> None:
    nurse = _break_the_glass(world)
    response = _api(world, nurse).patch(
        f"/api/v1/patients/{world.bob.pk}/contact",
        json.dumps({"phone": "555-010-9999"}),
        content_type="application/json",
    )
    assert (response.status_code, Patient.objects.get(pk=world.bob.pk).phone) == (403, world.bob.phone)


def test_a_contact_change_through_emergency_access_is_audited_as_a_denial(world: World) -> None:
    nurse = _break_the_glass(world)
    with pytest.raises(services.NotAllowed):
        services.update_contact(
            by=nurse, patient_id=world.bob.pk, data=ContactIn.posted({"city": "Springfield"})
        )
    assert _denials(nurse, world, "patient") == ["emergency access: may not change contact details"]


def test_the_contact_details_can_still_be_read_through_emergency_access(world: World) -> None:
    nurse = _break_the_glass(world)
    queries.contact_patient(nurse, world.bob.pk, action="read")
    row = AuditEvent.objects.filter(actor_id=nurse.pk, patient_id=world.bob.pk, action="read").latest("id")
    assert row.reason == "emergency access"


def test_a_readmission_through_emergency_access_is_refused(world: World) -> None:
    services.discharge(
        by=world.staff["program_admin"], patient_id=world.bob.pk, data=DischargeIn.posted({"reason": "left"})
    )
    nurse = _break_the_glass(world)
    with pytest.raises(services.NotAllowed):
        services.readmit(
            by=nurse,
            patient_id=world.bob.pk,
            data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
        )
    assert not Enrollment.objects.filter(patient=world.bob, status=EnrollmentStatus.ACTIVE).exists()


def test_a_discharge_through_emergency_access_is_audited_as_a_denial(world: World) -> None:
    nurse = _break_the_glass(world)
    with pytest.raises(services.NotAllowed):
        services.discharge(by=nurse, patient_id=world.bob.pk, data=DischargeIn.posted({"reason": "left"}))
    assert _denials(nurse, world, "enrollment") == [
        "emergency access: may not discharge, readmit or transfer"
    ]


def test_the_api_refuses_a_discharge_through_emergency_access(world: World) -> None:
    nurse = _break_the_glass(world)
    response = _api(world, nurse).post(
        f"/api/v1/patients/{world.bob.pk}/discharge",
        json.dumps({"reason": "left"}),
        content_type="application/json",
    )
    assert response.status_code == 403


def test_the_care_team_still_changes_contact_details(world: World) -> None:
    nurse = world.staff["nurse"]  # on Alice's care team
    assert services.update_contact(
        by=nurse, patient_id=world.alice.pk, data=ContactIn.posted({"city": "Springfield"})
    ) == ["city"]


def test_a_program_admin_still_starts_a_password_reset(world: World) -> None:
    issued = services.issue_reset_code(
        by=world.staff["program_admin"],
        patient_id=world.alice.pk,
        data=ResetCodeIn.posted({"identity_checked": True}),
    )
    assert issued.code
