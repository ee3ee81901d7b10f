"""Review 22m: methadone after buprenorphine is a switch, a prescriber's decision (review 19a,
`second-agonist-same-day`), but the gate reads only the program's local day: buprenorphine at 23:30 and
methadone an hour later, at 00:30 the next day, pass with no prescriber. The reverse direction
(buprenorphine after methadone) reads the times since the last dose (`start._induction`'s
`methadone_times`), not the day."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import DoseRecord, DoseStatus
from keel.treatment.services import record_dose
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.orders import prescribe
from tests.conftest import World


@pytest.mark.parametrize(
    "bup_minutes_before_midnight", [30, -10], ids=["across_midnight", "same_day_control"]
)
def test_methadone_an_hour_after_buprenorphine_across_midnight_needs_the_switch(
    world: World, bup_minutes_before_midnight: int
) -> None:
    alice, prescriber, nurse = world.alice, world.staff["prescriber"], world.staff["nurse"]
    zone = ZoneInfo(alice.program.time_zone)
    today = local_today(alice, timezone.now())
    midnight = datetime.combine(today, time(0), tzinfo=zone)
    bup_at = midnight - timedelta(minutes=bup_minutes_before_midnight)
    methadone_at = midnight + timedelta(minutes=30)
    bup = prescribe(
        by=prescriber,
        patient_id=alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        now=bup_at - timedelta(hours=2),
    )
    DoseRecord.objects.create(  # 8 mg of buprenorphine, 23:30 yesterday (the control: 00:10 today)
        patient=alice,
        order=bup,
        medication="buprenorphine",
        local_date=local_today(alice, bup_at),
        sequence=1,
        status=DoseStatus.GIVEN,
        amount_mg=Decimal(8),
        treatment_day=1,
        decision={},
        recorded_by=nurse,
        recorded_at=bup_at,
        given_at=bup_at,
    )
    prescribe(
        by=prescriber,
        patient_id=alice.pk,
        medication="methadone",
        dose_mg="30",
        now=bup_at - timedelta(hours=1),
    )
    with pytest.raises(DoseBlocked):  # an hour after buprenorphine: a switch, whatever the calendar says
        record_dose(by=nurse, patient_id=alice.pk, amount_mg="30", now=methadone_at)
