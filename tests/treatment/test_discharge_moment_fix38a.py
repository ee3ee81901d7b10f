"""Lane fix38a item 3: a discharge in the middle of the day stops the person's medication at that moment:
nothing is given after it (a dose at the window, a take-home bottle leaving with one), the same day
included; what was given before it stands."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from keel.patients import services as patients
from keel.patients.models import local_today
from keel.patients.schemas import DischargeIn
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, DoseStatus, TakeHomePlan
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import methadone_with_take_home_plan, pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _discharged_at_noon_with_a_plan(world: World) -> TakeHomePlan:
    """Alice on methadone 80 mg with a take-home plan (bottles tomorrow and the day after), not yet dosed
    today, discharged now (today, in the middle of the day)."""
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(hours=3))
    patients.discharge(
        by=world.staff["counselor"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"})
    )
    return plan


def test_a_window_dose_after_a_same_day_discharge_is_refused(world: World) -> None:
    _discharged_at_noon_with_a_plan(world)
    with pytest.raises(TreatmentInvalid):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", sequence=1)


def test_a_window_dose_refused_after_the_discharge_writes_no_dose(world: World) -> None:
    _discharged_at_noon_with_a_plan(world)
    with pytest.raises(TreatmentInvalid):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", sequence=1)
    today = local_today(world.alice)
    assert not DoseRecord.objects.filter(patient=world.alice, local_date=today).exists()


def test_no_bottle_is_handed_out_after_a_same_day_discharge(world: World) -> None:
    plan = _discharged_at_noon_with_a_plan(world)
    with pytest.raises(TreatmentInvalid):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", sequence=1)
    plan.refresh_from_db()
    assert not plan.bottle_mg


def test_the_discharge_ends_the_take_home_plan_the_same_day(world: World) -> None:
    plan = _discharged_at_noon_with_a_plan(world)
    plan.refresh_from_db()
    assert plan.ended_on is not None


def test_a_dose_given_before_the_discharge_stands(world: World) -> None:
    _plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(hours=3))
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", sequence=1)
    patients.discharge(
        by=world.staff["counselor"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"})
    )
    assert DoseRecord.objects.filter(patient=world.alice, status=DoseStatus.GIVEN, amount_mg=80).count() == 9
