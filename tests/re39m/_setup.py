"""Set-up shared by re-attack 39m's tests: Alice on methadone 80 mg, given daily, moments on the program's
wall clock (Riverside, New York)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone

from keel.patients.models import Enrollment
from keel.treatment import queries, services
from keel.treatment.models import DoseRecord, TakeHomePlan
from tests.conftest import World
from tests.rev38e._midnight import at

CRITERIA: dict[str, object] = {key: True for key in services.CRITERIA_KEYS}


def on_eighty(world: World, first_dose_day: date) -> None:
    """80 mg in force (written ten days before), given at the window on each of the ten days before
    `first_dose_day`."""
    Enrollment.objects.filter(patient=world.alice).update(started_on=first_dose_day - timedelta(days=40))
    with time_machine.travel(at(first_dose_day - timedelta(days=11), 8), tick=False):
        order = services.prescribe(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="methadone",
            dose_mg="80",
            order_version=0,
        )
    for back in range(10, 0, -1):
        day = first_dose_day - timedelta(days=back)
        DoseRecord.objects.create(
            patient=world.alice,
            order=order,
            medication="methadone",
            local_date=day,
            sequence=1,
            status="given",
            amount_mg=Decimal(80),
            treatment_day=11 - back,
            decision={},
            recorded_by=world.staff["nurse"],
            recorded_at=at(day, 9),
            given_at=at(day, 9),
        )


def dose(world: World, when: datetime, mg: str = "80") -> DoseRecord:
    with time_machine.travel(when, tick=False):
        return services.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg).dose


def decide(world: World, when: datetime, days: list[date]) -> TakeHomePlan:
    with time_machine.travel(when, tick=False):
        today = when.date()
        return services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria=CRITERIA,
            bottle_days=[d.isoformat() for d in days],
            acknowledged_flags=[c.id for c in queries.take_home_concerns(world.alice, today)],
            now=timezone.now(),
        )
