"""Lane fix37k (re-attack 37n item 1): a methadone bottle's day within the switch hours of buprenorphine, as
the window reads it (`agonists.second_agonist_read`: a fill in hand through its supply, a told use, a dose
given here), is kept back, at the decision and at the hand-out; a day's switch override never covers a
bottle. A fill ended before the bottle's day, or a low-dose start's pharmacy fill (the planned overlap),
lets it go."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment import services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import MedicationOrder, TakeHomePlan
from keel.treatment.services.fills import record_fill
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_on, pinned_at_last_five_pm_utc
from tests.treatment.test_switching_fix37c import STEPS, _switch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _on_methadone(world: World, today: date) -> MedicationOrder:
    """Methadone 80 mg, eight days at the window up to yesterday."""
    methadone = prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
    )
    for n in range(8, 0, -1):
        given_on(world, methadone, today - timedelta(days=n), 80, 9 - n)
    return methadone


def _fill(world: World, now: datetime, *, days_ago: int, supply: int, low_dose: bool = False) -> None:
    """Buprenorphine written and filled at a pharmacy `days_ago` days ago for `supply` days."""
    today = local_today(world.alice, now)
    bup = prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="8" if low_dose else "16",
        schedule=STEPS if low_dose else None,
        now=now - timedelta(days=days_ago, hours=6),
        starts_on=today - timedelta(days=days_ago),
    )
    record_fill(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        order_id=bup.pk,
        filled_on=(today - timedelta(days=days_ago)).isoformat(),
        days_supply=supply,
        source="pharmacy",
        now=now - timedelta(hours=2),
    )


def _decide(world: World, day: date) -> TakeHomePlan:
    return services.decide_take_home(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        criteria=dict.fromkeys(services.CRITERIA_KEYS, True),
        bottle_days=[day.isoformat()],
    )


def test_the_decision_refuses_the_bottle_naming_the_switch_hours(world: World) -> None:
    now = timezone.now()
    today = local_today(world.alice, now)
    methadone = _on_methadone(world, today)
    _fill(world, now, days_ago=0, supply=7)
    _switch(world, now)  # today's override: never a bottle's
    given_on(world, methadone, today, 80, 9, at=now - timedelta(minutes=1))
    with pytest.raises(TreatmentInvalid) as refused:
        _decide(world, today + timedelta(days=1))
    assert "within the switch hours of buprenorphine" in str(refused.value.errors)


def test_the_hand_out_keeps_the_bottle_back(world: World) -> None:
    now = timezone.now()
    today = local_today(world.alice, now)
    _on_methadone(world, today)
    plan = _decide(world, today + timedelta(days=1))  # decided before the fill: no buprenorphine yet
    _fill(world, now, days_ago=0, supply=7)
    _switch(world, now)
    services.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", now=now)
    plan.refresh_from_db()
    assert (today + timedelta(days=1)).isoformat() not in (plan.bottle_mg or {})


def test_a_fill_ended_before_the_bottle_day_lets_it_go(world: World) -> None:
    now = timezone.now()
    today = local_today(world.alice, now)
    methadone = _on_methadone(world, today)
    _fill(world, now, days_ago=6, supply=3)  # in hand through four days ago
    given_on(world, methadone, today, 80, 9, at=now - timedelta(minutes=1))
    plan = _decide(world, today + timedelta(days=1))
    assert (today + timedelta(days=1)).isoformat() in (plan.bottle_mg or {})


def test_a_low_dose_start_pharmacy_fill_lets_it_go(world: World) -> None:
    now = timezone.now()
    today = local_today(world.alice, now)
    methadone = _on_methadone(world, today)
    _fill(world, now, days_ago=1, supply=7, low_dose=True)  # day 2 of 7 today: tomorrow is day 3
    given_on(world, methadone, today, 80, 9, at=now - timedelta(minutes=1))
    plan = _decide(world, today + timedelta(days=1))
    assert (today + timedelta(days=1)).isoformat() in (plan.bottle_mg or {})
