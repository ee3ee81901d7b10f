"""Review 18b: the "Only emergency access" view leaves out the break-the-glass event itself."""

from __future__ import annotations

from typing import Any

import pytest

from keel.audit import queries as audit_queries
from keel.audit.models import Action, AuditEvent
from keel.sharing.services import emergency_access
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_break_the_glass_event_is_in_the_emergency_filter(world: Any) -> None:
    """Scenario: prescriber P of Riverside, not on Bob's care team, breaks the glass on Bob. The grant's
    audit row (action `emergency_access`, reason "break the glass", its expiry in the detail) is written by
    `sharing.services.emergency._grant` with a patient looked up by record number (no `keel_off_team`) and a
    reason of its own, so `_who` does not mark it; `audit.queries.list_events(emergency=True)` filters on
    the reason text only, not on the action, and leaves it out.

    Impact: the program admin's "Only emergency access" page (`?emergency=1`, API `emergency=true`) lists
    what was done under a grant but not the grant: who broke the glass, when, and until when (SECURITY.md
    T12: emergency access is flagged and audited; HIPAA 164.312(b)).

    Safe outcome: the filter shows every emergency-access event, the grant first among them.
    """
    prescriber, auditor = world.staff["prescriber"], world.staff["auditor"]
    emergency_access(
        by=prescriber, record_number="RR-0002", reason="chest pain in clinic, checking ECG", password=PASSWORD
    )
    grant = AuditEvent.objects.get(actor_id=prescriber.pk, action=Action.EMERGENCY_ACCESS)

    shown = {e.pk for e in audit_queries.list_events(auditor, emergency=True)}
    assert grant.pk in shown, grant.reason
