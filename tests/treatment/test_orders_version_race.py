"""Session 23 (lane api23) on PostgreSQL (real threads, two connections): two clients that read the same
`orders_version` write orders of two different medications at once (methadone and naltrexone: each one's
per-medication version is still current for the other). `prescribe` compares every medication's version
again under the person's lock, so one writes and the other, which waited for the lock, is refused
(StaleEdit naming `orders_version`: the API's 409), nothing written by it.

The first writer is paused inside its transaction, after the lock, until the second is seen waiting for a
lock (`tests.lock_waits`). SQLite is skipped: its writers take the one write lock when their transaction
begins (IMMEDIATE)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from keel.recovery.common import StaleEdit
from keel.treatment.models import MedicationOrder
from keel.treatment.queries.orders import orders_version
from keel.treatment.services import orders
from tests.conftest import World
from tests.lock_waits import Pause, run, wait_for_a_lock_waiter

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "not __import__('django.db', fromlist=['connection']).connection.vendor == 'postgresql'",
        reason="two connections at once: PostgreSQL (SQLite's IMMEDIATE transactions serialise writers)",
    ),
]


def _submit(world: World, medication: str, mg: str, token: str) -> Any:
    return lambda: orders.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication=medication,
        dose_mg=mg,
        orders_version=token,
    )


def _race(world: World, monkeypatch: pytest.MonkeyPatch, first: Any, second: Any) -> dict[str, Any]:
    pause = Pause(orders.lock_person)
    monkeypatch.setattr(orders, "lock_person", pause)
    outcomes: dict[str, Any] = {}
    one = run(first, outcomes, "first")
    assert pause.held.wait(timeout=30)
    two = run(second, outcomes, "second")
    outcomes["waited"] = wait_for_a_lock_waiter()
    pause.go.set()
    one.join(timeout=60)
    two.join(timeout=60)
    return outcomes


def test_two_medications_written_at_once_from_one_read_write_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    orders.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="60"
    )
    token = orders_version(world.alice)
    outcomes = _race(
        world,
        monkeypatch,
        _submit(world, "naltrexone_xr", "380", token),
        _submit(world, "methadone", "80", token),
    )
    assert outcomes["waited"], "the second submit did not wait for the person's lock"
    assert isinstance(outcomes["first"], MedicationOrder), outcomes
    refused = outcomes["second"]
    assert isinstance(refused, StaleEdit), outcomes
    assert refused.field == "orders_version"
    assert "naltrexone" in str(refused).lower()
    assert not MedicationOrder.objects.filter(patient=world.alice, dose_mg=80).exists()
    assert MedicationOrder.objects.filter(patient=world.alice).count() == 2


def test_a_double_submit_of_one_read_writes_one(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert connection.vendor == "postgresql"
    token = orders_version(world.alice)
    outcomes = _race(
        world, monkeypatch, _submit(world, "methadone", "30", token), _submit(world, "methadone", "30", token)
    )
    assert outcomes["waited"], "the second submit did not wait for the person's lock"
    assert isinstance(outcomes["first"], MedicationOrder), outcomes
    assert isinstance(outcomes["second"], StaleEdit), outcomes
    assert outcomes["second"].field == "orders_version"
    assert MedicationOrder.objects.filter(patient=world.alice).count() == 1
