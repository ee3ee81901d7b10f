"""Instruments through emergency access (break-the-glass): a point-of-care instrument (COWS, SOWS, the C-SSRS
screen) is recorded and audited as emergency access; the care team's other instruments (PHQ-9, ...) and any
import from another system (FHIR) are refused, audited "emergency access: may not ...". Page, API and FHIR."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.assessments.models import Assessment
from keel.audit.models import AuditEvent
from keel.patients.models import CareTeamMember
from tests.assessments.test_api import COWS, PHQ9_ZERO
from tests.conftest import World, sign_in
from tests.interop.test_import import other_system_phq9

pytestmark = pytest.mark.django_db


def _off_team(world: World, role: str = "nurse") -> Client:
    """`role` off Alice's care team, with emergency access open on her record (the grant's clock: now)."""
    from datetime import timedelta

    from django.utils import timezone

    from keel.patients.models import EmergencyAccess

    user = world.staff[role]
    CareTeamMember.objects.filter(patient=world.alice, user=user).delete()
    now = timezone.now()
    EmergencyAccess.objects.create(
        patient=world.alice,
        user=user,
        reason="emergency",
        started_at=now,
        expires_at=now + timedelta(hours=2),
    )
    return sign_in(Client(), user)


def _api(client: Client, world: World, instrument: str, answers: dict[str, Any]) -> Any:
    body = {"instrument": instrument, "answers": answers}
    path = f"/api/v1/patients/{world.alice.pk}/assessments"
    return client.post(path, json.dumps(body), content_type="application/json")


def _refusals(world: World, role: str = "nurse") -> list[str]:
    return list(
        AuditEvent.objects.filter(
            actor_id=world.staff[role].pk, patient_id=world.alice.pk, outcome="denied"
        ).values_list("reason", flat=True)
    )


def test_cows_through_emergency_access_is_recorded_and_audited_as_such_api(world: World) -> None:
    response = _api(_off_team(world), world, "cows", COWS)
    assert response.status_code == 201, response.content
    row = Assessment.objects.get(patient=world.alice, instrument="cows")
    event = AuditEvent.objects.get(target_type="assessment", target_id=str(row.pk), action="create")
    assert event.reason == "emergency access"


def test_cows_through_emergency_access_on_the_page(world: World) -> None:
    client = _off_team(world)
    response = client.post(f"/patients/{world.alice.pk}/cows/", {k: str(v) for k, v in COWS.items()})
    assert response.status_code == 302
    row = Assessment.objects.get(patient=world.alice, instrument="cows")
    event = AuditEvent.objects.get(target_type="assessment", target_id=str(row.pk), action="create")
    assert event.reason == "emergency access"


def test_phq9_through_emergency_access_is_refused_api_and_page(world: World) -> None:
    client = _off_team(world)
    assert _api(client, world, "phq9", PHQ9_ZERO).status_code == 403
    assert client.get(f"/patients/{world.alice.pk}/instruments/phq9/").status_code == 403
    assert not Assessment.objects.filter(patient=world.alice).exists()
    assert "emergency access: may not record phq9" in _refusals(world)


def test_a_fhir_import_through_emergency_access_is_refused(world: World) -> None:
    client = _off_team(world, "counselor")
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses",
        json.dumps(other_system_phq9([0] * 9)),
        content_type="application/fhir+json",
    )
    assert response.status_code == 403
    assert not Assessment.objects.filter(patient=world.alice).exists()
    assert "emergency access: may not import assessments" in _refusals(world, "counselor")


def test_the_care_team_still_records_and_imports(world: World) -> None:
    client = sign_in(Client(), world.staff["counselor"])
    assert _api(client, world, "phq9", PHQ9_ZERO).status_code == 201
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses",
        json.dumps(other_system_phq9([1] * 9)),
        content_type="application/fhir+json",
    )
    assert response.status_code in (200, 201), response.content
    assert not any("emergency" in r for r in AuditEvent.objects.values_list("reason", flat=True))
