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
from tests.factories import prescribe_race, prescribing
from tests.lock_waits import RACE_ON_POSTGRESQL

pytestmark = RACE_ON_POSTGRESQL


def _submit(world: World, medication: str, mg: str, token: str) -> Any:
    return prescribing(world, medication=medication, dose_mg=mg, orders_version=token)


def test_two_medications_written_at_once_from_one_read_write_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    orders.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="60"
    )
    token = orders_version(world.alice)
    outcomes = prescribe_race(
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
    outcomes = prescribe_race(
        monkeypatch, _submit(world, "methadone", "30", token), _submit(world, "methadone", "30", token)
    )
    assert outcomes["waited"], "the second submit did not wait for the person's lock"
    assert isinstance(outcomes["first"], MedicationOrder), outcomes
    assert isinstance(outcomes["second"], StaleEdit), outcomes
    assert outcomes["second"].field == "orders_version"
    assert MedicationOrder.objects.filter(patient=world.alice).count() == 1
