"""Review 39a hole 4: `start_on` beside `bottle_days` walks around the first bottle's ceiling.

A take-home decision's first bottle is at most `first_bottle_within_days` after the decision (program
policy, default 14 days; review 25a hole 1). The rule measures `start_on` when it is sent, else the earliest
of `bottle_days`; the plan's bottles are `bottle_days` when sent. Send both: `start_on` tomorrow passes the
ceiling, and `bottle_days` three weeks out become the plan's bottles, never measured."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import TakeHomePlan
from keel.treatment.services.orders import prescribe
from keel.treatment.services.take_homes import CRITERIA_KEYS, decide_take_home
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def test_bottle_days_beyond_the_ceiling_are_refused_whatever_start_on_says(world: World) -> None:
    alice = world.alice
    today = local_today(alice)
    order = prescribe(by=world.staff["prescriber"], patient_id=alice.pk, medication="methadone", dose_mg="40")
    given_daily(world, order, [today - timedelta(days=n) for n in range(10, 0, -1)], 40)
    far = [today + timedelta(days=20), today + timedelta(days=21)]  # past the 14-day ceiling

    with pytest.raises(TreatmentInvalid) as refused:
        decide_take_home(
            by=world.staff["prescriber"],
            patient_id=alice.pk,
            criteria=dict.fromkeys(CRITERIA_KEYS, True),
            start_on=(today + timedelta(days=1)).isoformat(),
            bottle_days=[d.isoformat() for d in far],
        )
    assert {"bottle_days", "start_on"} & {e.field for e in refused.value.errors}
    assert not TakeHomePlan.objects.filter(patient=alice).exists()
