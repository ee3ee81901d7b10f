"""Ending emergency access early: the clinician who holds the grant ends it (page button on the record's
banner, POST with CSRF; API route); audited; the record is out of their scope at once (404); a second press
is harmless; another clinician cannot end someone's grant (404, audited)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from keel.audit.models import AuditEvent
from keel.patients.models import EmergencyAccess
from keel.sharing.services import emergency_access
from keel.web.audit_words import reason_words
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db


def _glass(world: World, role: str = "prescriber") -> Any:
    """`role` (not on Bob's care team) breaks the glass on Bob."""
    user = world.staff[role]
    emergency_access(
        by=user, record_number="RR-0002", reason="collapsed in the lobby, checking", password=PASSWORD
    )
    return user


def test_the_record_shows_the_banner_and_its_button_ends_the_access(world: World) -> None:
    prescriber = _glass(world)
    client = sign_in(Client(enforce_csrf_checks=True), prescriber)
    page = client.get(f"/patients/{world.bob.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and "End emergency access" in html
    token = (
        page.cookies["csrftoken"].value if "csrftoken" in page.cookies else client.cookies["csrftoken"].value
    )
    assert client.post(f"/emergency-access/{world.bob.pk}/end/").status_code == 403  # no CSRF token
    response = client.post(f"/emergency-access/{world.bob.pk}/end/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert EmergencyAccess.objects.get(user=prescriber, patient=world.bob).ended_at is not None
    assert client.get(f"/patients/{world.bob.pk}/").status_code == 404
    ended = AuditEvent.objects.get(actor_id=prescriber.pk, reason="emergency access ended early")
    assert ended.patient_id == world.bob.pk and ended.target_type == "emergency_access"
    again = client.post(f"/emergency-access/{world.bob.pk}/end/", {"csrfmiddlewaretoken": token})
    assert again.status_code == 302  # harmless: it says it had already ended
    assert AuditEvent.objects.filter(reason="emergency access ended early").count() == 1


def test_the_care_teams_view_has_no_banner(world: World) -> None:
    html = sign_in(Client(), world.staff["prescriber"]).get(f"/patients/{world.alice.pk}/").content.decode()
    assert "End emergency access" not in html


def test_the_api_ends_it_and_a_second_press_says_so(world: World) -> None:
    nurse = _glass(world, "nurse")
    client = sign_in(Client(), nurse)
    first = client.post(f"/api/v1/emergency-access/{world.bob.pk}/end")
    assert first.status_code == 200 and first.json()["ended"] is True
    second = client.post(f"/api/v1/emergency-access/{world.bob.pk}/end")
    assert second.status_code == 200 and second.json()["ended"] is False
    assert "already" in second.json()["detail"]
    assert client.get(f"/api/v1/patients/{world.bob.pk}").status_code == 404
    body = {"instrument": "cows", "answers": {}}
    path = f"/api/v1/patients/{world.bob.pk}/assessments"
    assert client.post(path, json.dumps(body), content_type="application/json").status_code == 404


def test_another_clinician_cannot_end_someones_grant(world: World) -> None:
    prescriber = _glass(world)
    nurse = world.staff["nurse"]
    client = sign_in(Client(), nurse)
    assert client.post(f"/api/v1/emergency-access/{world.bob.pk}/end").status_code == 404
    assert sign_in(Client(), nurse).post(f"/emergency-access/{world.bob.pk}/end/").status_code == 404
    assert EmergencyAccess.objects.get(user=prescriber, patient=world.bob).ended_at is None
    assert (
        AuditEvent.objects.filter(
            actor_id=nurse.pk, outcome="denied", reason="no emergency access of the caller's to end"
        ).count()
        == 2
    )
    counselor = sign_in(Client(), world.staff["program_admin"])
    assert counselor.post(f"/api/v1/emergency-access/{world.bob.pk}/end").status_code == 403


def test_the_end_reads_in_spanish() -> None:
    with translation.override("es"):
        assert (
            reason_words("emergency access ended early") == "acceso de emergencia terminado antes de tiempo"
        )


@pytest.mark.parametrize("patient_id", [2**63, 2**70, -(2**63) - 1])
def test_an_id_no_row_can_have_is_no_grant_to_end(world: Any, patient_id: int) -> None:
    """The fuzzer's 9223372036854775808: a 404 naming nothing, never a 500 from the driver."""
    nurse = sign_in(Client(), world.staff["nurse"])
    response = nurse.post(f"/api/v1/emergency-access/{patient_id}/end")
    assert response.status_code == 404
