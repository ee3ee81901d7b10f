"""Lane fix33d (review 33c hole 2): a hold stands until a prescriber releases it, never only to midnight.

Alice held (sedated) at 23:50; the next local day, every route that records a dose reads the one definition
of an open hold (`contexts.OPEN_HOLD`: a held dose on that day or before whose flag is open): the window, the
API, a dose for an earlier time, another medication, the window's row and count, a take-home decision.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.test import Client

from keel.patients.models import FlagKind, PatientFlag, local_today, zone_of
from keel.patients.services import resolve_flag
from keel.treatment.models import DoseRecord, DoseStatus
from keel.treatment.queries import dosing_row, still_due
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def _write(world: World, medication: str, mg: str, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        prescribe(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication=medication,
            dose_mg=mg,
            order_version=0,
        )


@pytest.fixture
def next_morning(world: World) -> Iterator[datetime]:
    """Methadone 30 mg written at 23:40 two local days ago, Alice held (sedated) at 23:50; yields 08:00 of the
    next local day (yesterday), the hold's flag still open."""
    zone = zone_of(world.alice)
    day = local_today(world.alice) - timedelta(days=2)
    night = datetime.combine(day, time(23, 40), tzinfo=zone)
    _write(world, "methadone", "30", night)
    record_dose(
        by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True, now=night + timedelta(minutes=10)
    )
    morning = datetime.combine(day + timedelta(days=1), time(8), tzinfo=zone)
    with time_machine.travel(morning, tick=False):
        yield morning


def _release(world: World) -> None:
    flag = PatientFlag.objects.get(patient=world.alice, kind=FlagKind.DOSE_HELD, resolved_at__isnull=True)
    resolve_flag(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        flag_id=flag.pk,
        note="Assessed at the window: alert and oriented, may be dosed",
    )


def test_the_next_mornings_dose_is_stopped(world: World, next_morning: datetime) -> None:
    with pytest.raises(DoseBlocked) as info:
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=next_morning)
    assert info.value.decision.decision == "held_earlier"


def test_a_dose_for_an_earlier_time_of_the_next_day_is_stopped(world: World, next_morning: datetime) -> None:
    with pytest.raises(DoseBlocked):
        record_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            amount_mg="30",
            given_at=(next_morning - timedelta(hours=7)).isoformat(),
            now=next_morning,
        )


def test_the_api_refuses_the_next_mornings_dose(world: World, next_morning: datetime) -> None:
    response = sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        json.dumps({"amount_mg": "30", "sequence": 1}),
        "application/json",
    )
    assert response.status_code == 409


def test_no_dose_is_written_by_the_refused_routes(world: World, next_morning: datetime) -> None:
    with pytest.raises(DoseBlocked):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=next_morning)
    assert not DoseRecord.objects.filter(patient=world.alice, status=DoseStatus.GIVEN).exists()


def test_the_dose_passes_once_a_prescriber_releases_the_hold(world: World, next_morning: datetime) -> None:
    _release(world)
    outcome = record_dose(
        by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=next_morning
    )
    assert outcome.dose.status == DoseStatus.GIVEN


def test_the_next_mornings_row_says_held(world: World, next_morning: datetime) -> None:
    row = dosing_row(
        world.staff["nurse"], patient_id=world.alice.pk, medication="methadone", now=next_morning
    )
    assert row is not None and row.status == "held"


def test_the_next_mornings_count_leaves_her_out(world: World, next_morning: datetime) -> None:
    due = {s.patient_id: s.due for s in still_due(world.staff["nurse"], now=next_morning)}
    assert due.get(world.alice.pk, 0) == 0


def test_the_released_hold_leaves_her_due_the_next_morning(world: World, next_morning: datetime) -> None:
    _release(world)
    due = {s.patient_id: s.due for s in still_due(world.staff["nurse"], now=next_morning)}
    assert due.get(world.alice.pk) == 1


def test_a_methadone_hold_stops_buprenorphine_the_next_morning(world: World, next_morning: datetime) -> None:
    _write(world, "buprenorphine", "8", next_morning)
    with pytest.raises(DoseBlocked):
        record_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            amount_mg="8",
            medication="buprenorphine",
            now=next_morning,
        )


def test_a_hold_decided_on_a_later_day_does_not_reach_back(world: World, next_morning: datetime) -> None:
    """The hold stands on its day and after, never on a day before it (a correction of an earlier day)."""
    from keel.treatment.queries import dose_context

    ctx = dose_context(world.alice, "methadone", next_morning.date() - timedelta(days=2))
    assert not ctx.hold_open
