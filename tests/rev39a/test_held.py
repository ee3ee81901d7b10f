"""Review 39a: attacks on the dosing paths that Keel resisted (kept so they stay held)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, Medication
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.injections import record_injection
from keel.treatment.services.orders import prescribe
from keel.treatment.services.take_homes import CRITERIA_KEYS, decide_take_home
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _on_methadone(world: World) -> None:
    alice = world.alice
    today = local_today(alice)
    order = prescribe(by=world.staff["prescriber"], patient_id=alice.pk, medication="methadone", dose_mg="80")
    given_daily(world, order, [today - timedelta(days=n) for n in range(8, 0, -1)], 80)


@pytest.mark.parametrize("typed", ["80,5", "8O", "\uff180,5", "80 5", "8e1"])
def test_a_mistyped_amount_is_refused_naming_amount_mg(world: World, typed: str) -> None:
    _on_methadone(world)
    with pytest.raises(TreatmentInvalid) as refused:
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=typed, sequence=1)
    assert "amount_mg" in {e.field for e in refused.value.errors}
    assert not DoseRecord.objects.filter(patient=world.alice, local_date=local_today(world.alice)).exists()


def test_an_injection_the_day_methadone_was_given_at_the_window_is_refused(world: World) -> None:
    _on_methadone(world)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", sequence=1)
    prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="naltrexone_xr", dose_mg="380"
    )
    with pytest.raises((DoseBlocked, TreatmentInvalid)):
        record_injection(by=world.staff["nurse"], patient_id=world.alice.pk, site="left_gluteal")
    assert not DoseRecord.objects.filter(patient=world.alice, medication=Medication.NALTREXONE_XR).exists()


def test_bottle_days_alone_beyond_the_first_bottle_ceiling_are_refused(world: World) -> None:
    """The control of hole 4: without `start_on`, bottles three weeks out are refused naming bottle_days."""
    alice = world.alice
    today = local_today(alice)
    order = prescribe(by=world.staff["prescriber"], patient_id=alice.pk, medication="methadone", dose_mg="40")
    given_daily(world, order, [today - timedelta(days=n) for n in range(10, 0, -1)], 40)
    with pytest.raises(TreatmentInvalid) as refused:
        decide_take_home(
            by=world.staff["prescriber"],
            patient_id=alice.pk,
            criteria=dict.fromkeys(CRITERIA_KEYS, True),
            bottle_days=[(today + timedelta(days=n)).isoformat() for n in (20, 21)],
        )
    assert "bottle_days" in {e.field for e in refused.value.errors}
