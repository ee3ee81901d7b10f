"""re37n finding 1 (one definition): the take-home decision never reads buprenorphine. The window refuses
methadone while a pharmacy fill of buprenorphine is in hand (`second_agonist_gate`: without a prescriber's
switch override of that day), yet the decision sends methadone bottles home for the very days the fill
covers (`hand_out.bottle_verdict` -> `window_verdict`, which has no second-agonist gate): two agonists at
home, unobserved, where the window would not give one observed dose without an override."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment import services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.services.fills import record_fill
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_on, pinned_at_last_five_pm_utc
from tests.treatment.test_switching_fix37c import _switch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_no_methadone_bottle_goes_home_for_a_day_a_buprenorphine_fill_covers(world: World) -> None:
    now = timezone.now()
    today = local_today(world.alice, now)
    methadone = prescribe(  # Alice on methadone 80 mg, eight days at the window up to yesterday
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
    )
    for n in range(8, 0, -1):
        given_on(world, methadone, today - timedelta(days=n), 80, 9 - n)
    bup = prescribe(  # buprenorphine 16 mg written this morning, filled at a pharmacy today for a week
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="16",
        now=now - timedelta(hours=6),
        starts_on=today,
    )
    record_fill(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        order_id=bup.pk,
        filled_on=today.isoformat(),
        days_supply=7,
        source="pharmacy",
        now=now - timedelta(hours=2),
    )
    _switch(world, now)  # today's methadone at the window needs (and has) a switch override of today
    given_on(world, methadone, today, 80, 9, at=now - timedelta(minutes=1))
    tomorrow = today + timedelta(days=1)
    try:
        plan = services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria=dict.fromkeys(services.CRITERIA_KEYS, True),
            bottle_days=[tomorrow.isoformat()],
        )
    except TreatmentInvalid:
        return  # refused: what the window would do tomorrow without tomorrow's switch override
    assert tomorrow.isoformat() not in (plan.bottle_mg or {}), (
        "tomorrow's 80 mg methadone bottle went home with a week of buprenorphine in hand; at the window "
        "tomorrow's dose needs a prescriber's switch override of that day"
    )
