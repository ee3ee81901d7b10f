"""Re-attack 39m finding 3: a switch from methadone to buprenorphine written to start in 5 days ("stop": the
methadone order ends that day, `ends_on`), then the buprenorphine order rewritten to start in 2 days (the
prescriber brings the switch forward; same medication, so nobody is asked about the other order). The
methadone order still ends in 5 days: on days +2 to +4 a full methadone order and a full buprenorphine order
are both in force, an overlap nobody chose (switch39 refuses "keep" for exactly this)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from keel.patients.models import local_today
from keel.treatment import queries
from keel.treatment.models import MedicationOrder, order_in_force
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _in_force(world: World, medication: str, days: int) -> MedicationOrder | None:
    orders = list(MedicationOrder.objects.filter(patient=world.alice, medication=medication))
    return order_in_force(orders, local_today(world.alice) + timedelta(days=days))


def _bup(world: World, starts_in: int, other_order: object) -> None:
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="16",
        starts_on=local_today(world.alice) + timedelta(days=starts_in),
        other_order=other_order,  # what the API sends: "stop", or nothing (None)
        order_version=queries.order_version(world.alice, "buprenorphine"),
    )


def test_a_switch_brought_forward_leaves_no_days_with_both_agonists_in_force(world: World) -> None:
    today = local_today(world.alice)
    methadone = prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="40"
    )
    given_daily(world, methadone, [today - timedelta(days=n) for n in range(5, 0, -1)], 40)
    _bup(world, 5, "stop")
    assert _in_force(world, "methadone", 3) is not None  # control: methadone until the switch
    _bup(world, 2, None)  # the switch brought forward to the day after tomorrow
    assert _in_force(world, "buprenorphine", 3) is not None
    assert _in_force(world, "methadone", 3) is None
