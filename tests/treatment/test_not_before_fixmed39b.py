"""Lane fixmed39b (re-attack 39m): a run decided the morning after a 23:00 dose says 11:00 and a void of
that dose takes the time away (the correction of the day before decides it again); a buprenorphine order
written to start after the switch leaves the switch's day as it was; a switch already in effect is not
undone by a later change of the new medication."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta

import pytest
import time_machine

from keel.patients.models import local_today
from keel.treatment import queries
from keel.treatment.models import MedicationOrder, TakeHomePlan, order_in_force
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import corrected, given_daily, pinned_at_last_five_pm_utc
from tests.re39m._setup import decide, dose, on_eighty
from tests.rev38e._midnight import at, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_a_run_decided_the_morning_after_a_late_dose_says_11_00_until_the_dose_is_voided(
    world: World,
) -> None:
    yesterday = days_ago(3)
    today = yesterday + timedelta(days=1)
    on_eighty(world, yesterday)
    late = dose(world, at(yesterday, 23))
    decide(world, at(today, 7), [today, today + timedelta(days=1)])
    plan = TakeHomePlan.objects.get(patient=world.alice)
    assert plan.bottle_not_before == {today.isoformat(): at(today, 11).astimezone(UTC).isoformat()}
    with time_machine.travel(at(today, 8), tick=False):
        corrected(world, late, void=True)
    plan.refresh_from_db()
    assert plan.bottle_not_before == {}


def _orders_in_force(world: World, medication: str, days: int) -> MedicationOrder | None:
    orders = list(MedicationOrder.objects.filter(patient=world.alice, medication=medication))
    return order_in_force(orders, local_today(world.alice) + timedelta(days=days))


def _bup(world: World, mg: str, other_order: object, starts_in: int | None = None) -> None:
    starts = None if starts_in is None else local_today(world.alice) + timedelta(days=starts_in)
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg=mg,
        starts_on=starts,
        other_order=other_order,
        order_version=queries.order_version(world.alice, "buprenorphine"),
    )


def _methadone(world: World) -> None:
    today = local_today(world.alice)
    order = prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="40"
    )
    given_daily(world, order, [today - timedelta(days=n) for n in range(5, 0, -1)], 40)


def test_a_new_order_starting_later_keeps_the_switchs_day(world: World) -> None:
    _methadone(world)
    _bup(world, "16", "stop", 2)
    _bup(world, "12", None, 5)  # a dose change from +5: the first buprenorphine order governs +2 to +4
    assert _orders_in_force(world, "buprenorphine", 3) is not None
    assert _orders_in_force(world, "methadone", 3) is None
    assert _orders_in_force(world, "methadone", 1) is not None


def test_a_switch_in_effect_is_not_undone_by_a_later_change_of_the_new_medication(world: World) -> None:
    _methadone(world)
    _bup(world, "16", "stop", 1)
    with time_machine.travel(at(local_today(world.alice) + timedelta(days=2), 10), tick=False):
        _bup(world, "12", None, 3)  # written the day after the switch took effect, starting later
    stopped = MedicationOrder.objects.get(patient=world.alice, medication="methadone")
    assert stopped.ends_on == local_today(world.alice) + timedelta(days=1)
