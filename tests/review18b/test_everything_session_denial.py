"""Review 18b: a whole-record pull attempted under break-the-glass is not marked emergency access."""

from __future__ import annotations

from typing import Any

import pytest

from keel.audit import queries as audit_queries
from keel.audit.models import AuditEvent
from keel.sharing.services import emergency_access
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_refused_everything_under_emergency_access_is_marked(world: Any, signed_in: Any) -> None:
    """Scenario: prescriber P of Riverside, not on Bob's care team, breaks the glass on Bob, then asks for
    Bob's whole record from the browser session: `GET /fhir/R4/Patient/<bob>/$everything`. Keel refuses
    (403: the staff export is the way out), writing the denial in `_refuse_staff_session` with
    `audit.record(patient_id=...)` and its own reason "whole record by a staff session: ...": the scoped
    patient's `keel_off_team` is never passed, so `_who` adds no mark (the same in `_refuse_role`).

    Impact: an attempt to take a whole Part 2 record out under an emergency grant (the export's basis and
    accounting bypassed) is missing from the admin's "Only emergency access" view and reads like an
    ordinary care-team request (SECURITY.md T12, T19; HIPAA 164.312(b)).

    Safe outcome: the denial row says emergency access (the emergency filter shows it).
    """
    prescriber, auditor = world.staff["prescriber"], world.staff["auditor"]
    emergency_access(
        by=prescriber, record_number="RR-0002", reason="chest pain in clinic, checking ECG", password=PASSWORD
    )
    client = signed_in("prescriber")

    response = client.get(f"/fhir/R4/Patient/{world.bob.pk}/$everything")

    assert response.status_code == 403
    denial = AuditEvent.objects.filter(
        actor_id=prescriber.pk, patient_id=world.bob.pk, target_type="fhir", outcome="denied"
    ).latest("id")
    shown = {e.pk for e in audit_queries.list_events(auditor, emergency=True)}
    assert denial.pk in shown, denial.reason
