"""Review 18b: a reason typed by a care-team clinician makes an ordinary row read as emergency access."""

from __future__ import annotations

from typing import Any

import pytest

from keel.audit import queries as audit_queries
from keel.treatment.services.overrides import add_override

pytestmark = pytest.mark.django_db


def test_a_typed_reason_does_not_make_a_row_emergency_access(world: Any) -> None:
    """Scenario: prescriber P is on Alice's care team (no emergency access anywhere). P documents a dose
    override for Alice with the free-text reason "assessed at the window today; emergency access". The
    audit row's reason is the typed text; `list_events(emergency=True)` (page `?emergency=1`, API
    `emergency=true`) keeps every row whose reason ends with "; emergency access"
    (`services.EMERGENCY_SUFFIX`), and `audit_words.reason_words` says it "...; emergency access". The
    mark lives inside a free-text column anyone who types a reason controls.

    Impact: the program admin's break-the-glass review (SECURITY.md T12, HIPAA 164.312(b)) shows an
    on-team clinician's ordinary write as an emergency access (noise, or a way to make a real review queue
    unreadable), and the filter's answer cannot be trusted: the mark is not evidence of anything.

    Safe outcome: only rows made through an emergency access grant are in the emergency filter; a typed
    reason never makes a row count as emergency access (the mark kept apart from free text, e.g. a sealed
    field of its own, or typed text that can never end with the mark).
    """
    prescriber, auditor = world.staff["prescriber"], world.staff["auditor"]

    row = add_override(
        by=prescriber,
        patient_id=world.alice.pk,
        max_total_mg="120",
        reason="assessed at the window today; emergency access",
    )

    marked = audit_queries.list_events(auditor, emergency=True)
    assert not [e for e in marked if e.target_type == "dose_override" and e.target_id == str(row.pk)]
