"""The demo's people on methadone are dosed by their current order (session 20's look: the demo wrote the
earlier 30 mg order after the current one, so the earlier one, the last written, was in force: the dosing
window showed "30 mg" for everyone and refused each person's usual dose as above the order). And the demo's
history reads in Spanish."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.utils import translation

from keel import demo
from keel.patients.models import local_today
from keel.treatment.models import DoseRecord, MedicationOrder, in_force_q
from keel.treatment.words import stored_reasons

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_the_order_in_force_is_the_current_one(db: Any) -> None:
    demo.load(patients_per_program=4, seed=11)
    active = list(MedicationOrder.objects.filter(status="active", medication="methadone"))
    assert any(o.supersedes_id for o in active)  # some have an earlier order
    for current in active:
        today = local_today(current.patient, NOW)
        in_force = MedicationOrder.objects.filter(
            in_force_q(today), patient=current.patient, medication="methadone"
        )
        assert list(in_force) == [current]
        # the last two weeks' doses are the current order's, the earlier ones the earlier order's
        assert DoseRecord.objects.filter(order=current).count() in {0, 14}


@time_machine.travel(NOW, tick=False)
def test_loading_again_changes_no_order(db: Any) -> None:
    demo.load(patients_per_program=4, seed=11)
    before = sorted(MedicationOrder.objects.values_list("id", "status", "dose_mg"))
    demo.load(patients_per_program=4, seed=11)
    assert sorted(MedicationOrder.objects.values_list("id", "status", "dose_mg")) == before


@time_machine.travel(NOW, tick=False)
def test_the_demo_history_reads_in_spanish(db: Any) -> None:
    demo.load(patients_per_program=2, seed=11)
    dose = DoseRecord.objects.first()
    assert dose is not None
    with translation.override("es"):
        assert stored_reasons(dose.decision) == [
            "Historial de demostración: escrito directamente, sin revisar en la ventanilla."
        ]
