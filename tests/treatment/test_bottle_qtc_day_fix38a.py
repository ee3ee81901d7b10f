"""Lane fix38a item 1: a take-home bottle's QTc check reads the bottle's own day (`VerdictDay.taken_on`),
as its XR-naltrexone blockade check does (lane fix37h), through the window's one QTc guard
(`guards.order_on_high_qtc`), not the day of the decision that hands it out or re-decides it (a correction
of yesterday's dose re-decides the bottles for today and tomorrow on yesterday's day)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import Medication, MedicationOrder
from keel.treatment.queries.contexts import dose_context
from keel.treatment.services.doses.bottles.hand_out import bottle_verdict
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _raise_then_high_qtc_today(world: World) -> MedicationOrder:
    """Alice on methadone 80 mg, given daily up to yesterday; a raise to 90 mg written today, then a QTc of
    520 ms measured and saved today (after the raise: the prescriber never weighed it)."""
    pr, nurse, alice = world.staff["prescriber"], world.staff["nurse"], world.alice
    first = prescribe(by=pr, patient_id=alice.pk, medication="methadone", dose_mg="80")
    today = local_today(alice)
    given_daily(world, first, [today - timedelta(days=n) for n in range(40, 0, -1)], 80)
    raised = prescribe(by=pr, patient_id=alice.pk, medication="methadone", dose_mg="90")
    record_qtc(by=nurse, patient_id=alice.pk, qtc_ms=520)
    return raised


def _verdict_on_yesterdays_decision(world: World, order: MedicationOrder, days_after: int) -> object:
    """The window's verdict on a 90 mg bottle for today + `days_after`, decided on yesterday's day (a
    correction of yesterday's 80 mg dose re-deciding the bottles that went home with it)."""
    alice = world.alice
    yesterday = local_today(alice) - timedelta(days=1)
    ctx = dose_context(alice, Medication.METHADONE, yesterday)
    on = yesterday + timedelta(days=1 + days_after)
    return bottle_verdict(alice, order, ctx, yesterday, timezone.now(), Decimal(90), Decimal(80), True, on=on)


def test_tomorrows_bottle_decided_on_yesterdays_day_meets_todays_high_qtc(world: World) -> None:
    order = _raise_then_high_qtc_today(world)
    assert _verdict_on_yesterdays_decision(world, order, 1) is not None


def test_todays_bottle_decided_on_yesterdays_day_meets_todays_high_qtc(world: World) -> None:
    order = _raise_then_high_qtc_today(world)
    assert _verdict_on_yesterdays_decision(world, order, 0) is not None


def test_a_bottle_on_the_raise_without_a_high_qtc_goes_home(world: World) -> None:
    pr, alice = world.staff["prescriber"], world.alice
    first = prescribe(by=pr, patient_id=alice.pk, medication="methadone", dose_mg="80")
    today = local_today(alice)
    given_daily(world, first, [today - timedelta(days=n) for n in range(40, 0, -1)], 80)
    raised = prescribe(by=pr, patient_id=alice.pk, medication="methadone", dose_mg="90")
    assert _verdict_on_yesterdays_decision(world, raised, 1) is None
