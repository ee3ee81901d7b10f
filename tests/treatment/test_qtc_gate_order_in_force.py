"""Review 19c: the QTc gate compares a methadone order with the order in force today, not with one written
to start later, even when the order in force was written long before the program's recent window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.services import prescribe
from keel.treatment.services.qtc import record_qtc
from tests.factories import given_daily

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in Riverside


def _methadone(world: Any, mg: str, **kw: Any) -> Any:
    return prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=mg, **kw
    )


def _taken(world: Any, order: Any) -> None:
    """60 mg given under `order` the day before NOW (review 21m: an order never given is still a start, so
    the order a raise is measured from is one she took)."""
    given_daily(world, order, [NOW.date() - timedelta(days=1)], 60)


def test_old_order_in_force_is_what_a_raise_is_measured_from(world: Any) -> None:
    with time_machine.travel(NOW - timedelta(days=200), tick=False):
        _taken(world, _methadone(world, "60"))
    with time_machine.travel(NOW, tick=False):
        _methadone(world, "90", starts_on=NOW.date() + timedelta(days=7))
        record_qtc(by=world.staff["prescriber"], patient_id=world.alice.pk, qtc_ms=520)
        with pytest.raises(TreatmentInvalid) as caught:
            _methadone(world, "90")
    assert "60 to 90 mg/day" in caught.value.errors[0].reason


def test_lowering_below_the_deferred_order_but_not_today_is_not_gated_as_a_cut(world: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        _taken(world, _methadone(world, "60"))
        _methadone(world, "100", starts_on=NOW.date() + timedelta(days=7))
        record_qtc(by=world.staff["prescriber"], patient_id=world.alice.pk, qtc_ms=520)
        with pytest.raises(TreatmentInvalid) as caught:
            _methadone(world, "80")
    assert "60 to 80 mg/day" in caught.value.errors[0].reason
