"""re37m finding 4: a take-home bottle's blockade is read on the decision's day, not the bottle's own day
(`hand_out._BottleDay(today=today)`), so with today's switch override a bottle for tomorrow, when the
blockade has ended, is kept back with SWITCH_TODAY_ONLY's words 'the bottle for <tomorrow> is inside the
blockade' -- untrue (over-block, and the person is told to come daily for nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from keel.core.rules.naltrexone import INTERVAL_DAYS
from keel.patients.models import local_today
from keel.treatment import services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_on, pinned_at_last_five_pm_utc
from tests.treatment.test_switching_fix37c import _injection, _switch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_a_bottle_for_the_day_the_blockade_ends_is_not_kept_back_as_inside_it(world: World) -> None:
    now = timezone.now()
    methadone = prescribe(  # Alice on methadone 80 mg, eight days at the window up to yesterday
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
    )
    today = local_today(world.alice, now)
    for n in range(8, 0, -1):
        given_on(world, methadone, today - timedelta(days=n), 80, 9 - n)
    _injection(world, now, days_ago=INTERVAL_DAYS - 1)  # today is the blockade's last day
    _switch(world, now)
    # Set-up (lane fix37h): today's 80 mg given at the window under today's switch override, so tomorrow's
    # bottle goes home at the decision (`handed_out`: a run starting tomorrow once today's observed dose was
    # taken); without it the bottle is decided, not handed out, and `bottle_mg` stays empty whatever the fix.
    given_on(world, methadone, today, 80, 9, at=now - timedelta(minutes=1))
    tomorrow = local_today(world.alice, now) + timedelta(days=1)
    try:
        plan = services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria=dict.fromkeys(services.CRITERIA_KEYS, True),
            bottle_days=[tomorrow.isoformat()],
        )
    except TreatmentInvalid as refused:
        pytest.fail(f"tomorrow is outside the blockade, yet refused: {refused}")
    assert tomorrow.isoformat() in (plan.bottle_mg or {})
