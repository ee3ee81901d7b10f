"""Hole 2: a hold for sedation stops the next dose only until the program's midnight.

The nurse holds Alice's methadone at 23:50 (sedated, `record_dose(sedated=True)`): the hold's `dose_held`
flag goes to a prescriber, and "a hold stands until a prescriber releases it". Twenty minutes later, at
00:10 of the next local day, another nurse (or the same one after the page reloads) records 30 mg: it is
given, no prescriber asked, the flag still open. `keel.treatment.queries.contexts` reads a hold only from
`ctx.doses_today` (the local day), so the hold's force ends at midnight, not at the prescriber's release.
(Review 22m hole 4 is the same day boundary for a second agonist; no dosing hours are configured by default.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
import time_machine

from keel.patients.models import FlagKind, PatientFlag, local_today, zone_of
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def held_at_night(world: World) -> Iterator[datetime]:
    """Methadone 30 mg written at 23:40 two local days ago, Alice held (sedated) at 23:50; the moment 00:10 of
    the next local day (yesterday), when the next dose is posted."""
    zone = zone_of(world.alice)
    day = local_today(world.alice) - timedelta(days=2)
    night = datetime.combine(day, time(23, 40), tzinfo=zone)
    with time_machine.travel(night, tick=False):
        prescribe(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="methadone",
            dose_mg="30",
            order_version=0,
        )
    record_dose(
        by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True, now=night + timedelta(minutes=10)
    )
    yield datetime.combine(day + timedelta(days=1), time(0, 10), tzinfo=zone)


def test_control_the_hold_is_open(world: World, held_at_night: datetime) -> None:
    assert PatientFlag.objects.filter(
        patient=world.alice, kind=FlagKind.DOSE_HELD, resolved_at__isnull=True
    ).exists()


def test_the_dose_twenty_minutes_after_the_hold_is_stopped(world: World, held_at_night: datetime) -> None:
    with time_machine.travel(held_at_night, tick=False), pytest.raises(DoseBlocked):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=held_at_night)
