"""Review 17b: a write made through break-the-glass is not marked as emergency access when it has a reason."""

from __future__ import annotations

from typing import Any

import pytest

from keel.audit.models import AuditEvent
from keel.sharing.services import emergency_access
from keel.treatment.services.qtc import record_qtc
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_write_through_emergency_access_is_audited_as_emergency_access(world: Any) -> None:
    """Scenario: prescriber P of Riverside is not on Bob's care team. P breaks the glass on Bob ("chest pain
    in clinic, checking ECG") and records a QTc through that emergency access. `record_qtc` audits the
    create with its own reason (the rule's decision); `keel.audit.services._who` adds "emergency access"
    only when a row has no reason, so the create's row says nothing of the emergency. The same holds for
    every write whose service names a reason (doses held, written revocations "revoked in writing",
    emergency-basis disclosures "medical emergency", flag resolutions...).

    Impact: the program admin's review of a break-the-glass use (SECURITY.md T12, HIPAA 164.312(b)) must
    see what was changed under the grant, not only that it was opened; searching the trail for "emergency
    access" misses exactly the writes that matter most (clinical ones), so an off-team clinician's changes
    under the glass read as ordinary care-team writes.

    Safe outcome: every audit row of a write made through emergency access names it (its reason, or a
    detail of the row), whatever reason the service gives.
    """
    prescriber = world.staff["prescriber"]
    emergency_access(
        by=prescriber, record_number="RR-0002", reason="chest pain in clinic, checking ECG", password=PASSWORD
    )

    row = record_qtc(by=prescriber, patient_id=world.bob.pk, qtc_ms=430)

    event = AuditEvent.objects.get(actor_id=prescriber.pk, target_type="qtc", target_id=str(row.pk))
    # review 18b: the mark is the row's sealed field (a reason's text could be typed by anyone)
    assert event.through_emergency, f"{event.reason} {event.detail}"
