"""Review 18b: trying to clear the flag about one's own break-the-glass is not marked emergency access."""

from __future__ import annotations

from typing import Any

import pytest

from keel.audit import queries as audit_queries
from keel.audit.models import AuditEvent
from keel.patients.models import PatientFlag
from keel.patients.services.flags import FlagNotAllowed, resolve_flag
from keel.sharing.services import emergency_access
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_clearing_ones_own_emergency_flag_is_in_the_emergency_filter(world: Any) -> None:
    """Scenario: nurse N of Riverside is not on Bob's care team. N breaks the glass on Bob, then tries to
    resolve the care team's flag about that very emergency access (to hide it from the team). Keel refuses
    (`_refuse_own_emergency`), but writes the denial with `audit.record(patient_id=...)` and its own reason
    "the person who used emergency access cannot resolve its flag": not through `record_for_patient`, so
    the getter's `keel_off_team` is never passed to `_who`, and the reason neither starts with "emergency
    access" nor ends with "; emergency access". The same for "only a prescriber resolves this flag" and
    "resolved" written by `audit.record` in `patients/services/flags.py`.

    Impact: the program admin's "Only emergency access" view (page `?emergency=1`, API `emergency=true`)
    omits the single most suspicious act under the grant: its user trying to erase the notice of it
    (SECURITY.md T12, HIPAA 164.312(b)).

    Safe outcome: every row about a record written while its actor reaches it only through emergency
    access is marked (the filter shows this denial).
    """
    nurse, auditor = world.staff["nurse"], world.staff["auditor"]
    emergency_access(
        by=nurse, record_number="RR-0002", reason="found unresponsive in the lobby", password=PASSWORD
    )
    flag = PatientFlag.objects.get(patient=world.bob, source_type="emergency_access")

    with pytest.raises(FlagNotAllowed):
        resolve_flag(by=nurse, patient_id=world.bob.pk, flag_id=flag.pk, note="handled, nothing to see")

    denial = AuditEvent.objects.filter(
        actor_id=nurse.pk, target_type="patient_flag", target_id=str(flag.pk), outcome="denied"
    ).latest("id")
    shown = {e.pk for e in audit_queries.list_events(auditor, emergency=True)}
    assert denial.pk in shown, denial.reason
