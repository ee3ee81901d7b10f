"""Review 19d: a list read of one program's people carries that program (its trail keeps it)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_still_due_count_of_one_programs_people_is_on_that_programs_trail(world: Any) -> None:
    from keel.audit.models import AuditEvent
    from keel.treatment import queries, services

    services.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="buprenorphine", dose_mg="8"
    )
    found = queries.still_due(world.staff["nurse"])
    assert [p.patient_id for p in found] == [world.alice.pk]
    row = AuditEvent.objects.filter(target_type="dosing_list").latest("id")
    assert row.program_id == world.riverside.pk


def test_break_the_glass_refused_for_its_reason_shows_in_only_emergency_access(world: Any) -> None:
    from keel.audit.queries import list_events
    from keel.sharing.errors import SharingInvalid
    from keel.sharing.services.emergency import emergency_access
    from tests.conftest import PASSWORD

    nurse = world.staff["nurse"]
    with pytest.raises(SharingInvalid):
        emergency_access(by=nurse, record_number="RR-0002", reason="\u200b" * 12, password=PASSWORD)
    shown = list_events(world.staff["program_admin"], emergency=True)
    assert any(e.actor_id == nurse.pk and e.target_type == "emergency_access" for e in shown)
