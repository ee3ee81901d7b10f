"""re37m finding 2: a low-dose start whose steps were all given at the window, then handed to a pharmacy
(the order filled for maintenance after the schedule's last step), reads as 'day 2 of the 7-day schedule':
the fill's day is counted from its first fill, not from the steps already given under the same order
(`start.low_dose_step` counts them), so methadone passes as the planned overlap beside full-dose
buprenorphine in hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.fills import record_fill
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_on, pinned_at_last_five_pm_utc
from tests.review36f._setup import order
from tests.treatment.test_switching_fix37c import STEPS, _methadone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_a_pharmacy_fill_after_the_steps_were_given_here_is_not_the_planned_overlap(world: World) -> None:
    now = timezone.now()
    today = local_today(world.alice, now)
    first = today - timedelta(days=9)
    bup = prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        schedule=STEPS,
        now=now - timedelta(days=9, hours=1),
        starts_on=first,
    )
    for i, step in enumerate(STEPS):  # every step given here, days 1-7 (9 to 3 days ago)
        given_on(world, bup, first + timedelta(days=i), step["mg"], i + 1)
    record_fill(  # then the same order (8 mg, its last step) filled at a pharmacy yesterday for 30 days
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        order_id=bup.pk,
        filled_on=(today - timedelta(days=1)).isoformat(),
        days_supply=30,
        source="pharmacy",
        now=now - timedelta(hours=2),
    )
    order(world, "methadone", "30", now - timedelta(hours=1))
    with pytest.raises(DoseBlocked):
        _methadone(world, now)
