"""Lane switch39 on PostgreSQL (real threads, two connections): a double submit of a switch (buprenorphine
to methadone, "stop" the buprenorphine order) from one read: one writes the methadone order and stops the
buprenorphine order once; the other waits for the person's lock and is refused (StaleEdit), nothing written
by it. SQLite is skipped (its writers take the one write lock when their transaction begins)."""

from __future__ import annotations

import pytest
from django.db import connection

from keel.audit.models import AuditEvent
from keel.recovery.common import StaleEdit
from keel.treatment.models import MedicationOrder, OrderStatus
from keel.treatment.queries import orders_version
from keel.treatment.services import orders
from tests.conftest import World
from tests.factories import prescribe_race, prescribing
from tests.lock_waits import RACE_ON_POSTGRESQL

pytestmark = RACE_ON_POSTGRESQL


def test_a_double_submit_of_a_switch_writes_one_and_stops_the_other_order_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    bup = orders.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="buprenorphine", dose_mg="16"
    )
    sent = {"medication": "methadone", "dose_mg": "30", "other_order": "stop"}
    read = orders_version(world.alice)
    first = prescribing(world, **sent, orders_version=read)
    second = prescribing(world, **sent, orders_version=read)
    outcomes = prescribe_race(monkeypatch, first, second)
    assert outcomes["waited"], "the second submit did not wait for the person's lock"
    assert isinstance(outcomes["first"], MedicationOrder), outcomes
    assert isinstance(outcomes["second"], StaleEdit), outcomes
    bup.refresh_from_db()
    assert (bup.status, bup.switched_to_id) == (OrderStatus.SUPERSEDED, outcomes["first"].pk)
    assert MedicationOrder.objects.filter(patient=world.alice, medication="methadone").count() == 1
    stops = AuditEvent.objects.filter(target_type="medication_order", target_id=str(bup.pk), action="update")
    assert stops.count() == 1
