"""Review 15: the demo has monthly BAM results, each on its own day, so journey 6 shows BAM trends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from keel import demo
from keel.assessments.models import Assessment

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_the_demo_has_monthly_bams_on_their_own_days(db: Any) -> None:
    demo.load(patients_per_program=3, seed=11)
    bams = list(Assessment.objects.filter(instrument="bam").order_by("patient_id", "filled_at"))
    assert bams
    by_patient: dict[int, list[Any]] = {}
    for b in bams:
        by_patient.setdefault(b.patient_id, []).append(b)
    assert any(len(rows) >= 2 for rows in by_patient.values())
    for rows in by_patient.values():
        days = [r.filled_at.date() for r in rows]
        assert len(set(days)) == len(days)  # never two on one date
        assert all(d < NOW.date() for d in days)  # history, never the moment the demo ran
    assert all(b.result["composites"] for b in bams)


@time_machine.travel(NOW, tick=False)
def test_loading_the_demo_again_adds_no_bam(db: Any) -> None:
    demo.load(patients_per_program=3, seed=11)
    count = Assessment.objects.filter(instrument="bam").count()
    demo.load(patients_per_program=3, seed=11)
    assert Assessment.objects.filter(instrument="bam").count() == count
