"""Session 22, item 1, on PostgreSQL (real threads, two connections): two submits of an order from pages that
read the same version (two tabs, or a double click) at once. `prescribe` compares the version again under
the person's lock (`common.lock_person`), so one writes and the other, which waited for the lock, finds the
first's order and is refused (StaleEdit naming `order_version`: the API's 409), nothing written by it.

The first writer is paused inside its transaction, after the lock, until the second is seen waiting for a
lock (`tests.lock_waits`): the two are proved serialised by the lock, not by timing. SQLite is skipped: its
writers take the one database write lock when their transaction begins (IMMEDIATE)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from keel.recovery.common import StaleEdit
from keel.treatment.models import MedicationOrder, OrderStatus
from keel.treatment.queries.orders import order_version
from keel.treatment.services import orders
from tests.conftest import World
from tests.factories import prescribe_race, prescribing
from tests.lock_waits import RACE_ON_POSTGRESQL

pytestmark = RACE_ON_POSTGRESQL


def _race(world: World, monkeypatch: pytest.MonkeyPatch, first_mg: str, second_mg: str) -> dict[str, Any]:
    """Two methadone orders submitted at once from one read of the methadone orders."""
    read = order_version(world.alice, "methadone")
    first = prescribing(world, medication="methadone", dose_mg=first_mg, order_version=read)
    second = prescribing(world, medication="methadone", dose_mg=second_mg, order_version=read)
    return prescribe_race(monkeypatch, first, second)


def test_of_two_submits_at_once_one_writes_and_one_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    orders.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="80",
        order_version=0,
    )
    outcomes = _race(world, monkeypatch, "60", "80")  # the lowering first, the stale raise waits
    assert outcomes["waited"], "the second submit did not wait for the person's lock"
    assert isinstance(outcomes["first"], MedicationOrder), outcomes
    refused = outcomes["second"]
    assert isinstance(refused, StaleEdit), outcomes
    assert refused.field == "order_version"
    active = MedicationOrder.objects.get(patient=world.alice, status=OrderStatus.ACTIVE)
    assert (active.pk, active.dose_mg) == (outcomes["first"].pk, 60)
    assert MedicationOrder.objects.filter(patient=world.alice).count() == 2


def test_a_double_submit_of_a_first_order_writes_one(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert connection.vendor == "postgresql"
    outcomes = _race(world, monkeypatch, "30", "30")
    assert outcomes["waited"], "the second submit did not wait for the person's lock"
    assert isinstance(outcomes["first"], MedicationOrder), outcomes
    assert isinstance(outcomes["second"], StaleEdit), outcomes
    assert MedicationOrder.objects.filter(patient=world.alice).count() == 1
