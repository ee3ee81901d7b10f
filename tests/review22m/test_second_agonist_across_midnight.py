"""Review 22m: methadone after buprenorphine is a switch, a prescriber's decision (review 19a,
`second-agonist-same-day`), but the gate reads only the program's local day: buprenorphine at 23:30 and
methadone an hour later, at 00:30 the next day, pass with no prescriber. The reverse direction
(buprenorphine after methadone) reads the times since the last dose (`start._induction`'s
`methadone_times`), not the day."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.services import record_dose
from keel.treatment.services.common import DoseBlocked
from tests.conftest import World
from tests.factories import buprenorphine_then_methadone_order


@pytest.mark.parametrize(
    "bup_minutes_before_midnight", [30, -10], ids=["across_midnight", "same_day_control"]
)
def test_methadone_an_hour_after_buprenorphine_across_midnight_needs_the_switch(
    world: World, bup_minutes_before_midnight: int
) -> None:
    alice, nurse = world.alice, world.staff["nurse"]
    zone = ZoneInfo(alice.program.time_zone)
    today = local_today(alice, timezone.now())
    midnight = datetime.combine(today, time(0), tzinfo=zone)
    bup_at = midnight - timedelta(minutes=bup_minutes_before_midnight)
    methadone_at = midnight + timedelta(minutes=30)
    # 8 mg of buprenorphine given at 23:30 yesterday (the control: 00:10 today), then a methadone order
    buprenorphine_then_methadone_order(world, bup_at)
    with pytest.raises(DoseBlocked):  # an hour after buprenorphine: a switch, whatever the calendar says
        record_dose(by=nurse, patient_id=alice.pk, amount_mg="30", now=methadone_at)
