"""Review 19d: a list read of one program's people carries that program (its trail keeps it)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_still_due_count_of_one_programs_people_is_on_that_programs_trail(world: Any) -> None:
    from keel.audit.models import AuditEvent
    from keel.treatment import services

    services.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="buprenorphine", dose_mg="8"
    )
    found = services.still_due(world.staff["nurse"])
    assert [p.patient_id for p in found] == [world.alice.pk]
    row = AuditEvent.objects.filter(target_type="dosing_list").latest("id")
    assert row.program_id == world.riverside.pk
