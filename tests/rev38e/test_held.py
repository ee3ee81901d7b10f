"""Review 38e: guards that held (these must pass)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.policy import set_value
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc
from tests.rev38e._midnight import at, days_ago


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_the_same_dose_entered_at_23_59_and_00_01_is_blocked_by_the_redose_interval(world: World) -> None:
    day = days_ago(2)
    with time_machine.travel(at(day - timedelta(days=10), 8), tick=False):
        order = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
        )
    given_daily(world, order, [day - timedelta(days=i) for i in range(1, 8)], 80)
    with time_machine.travel(at(day, 23, 59), tick=False):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    with time_machine.travel(at(day + timedelta(days=1), 0, 1), tick=False), pytest.raises(DoseBlocked):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")


def test_a_program_cannot_push_the_new_induction_past_five_missed_days(world: World) -> None:
    with pytest.raises(TreatmentInvalid):
        set_value(
            by=world.staff["program_admin"],
            program_slug="riverside",
            rule="methadone-dose-check",
            field="missed_reinduction_days",
            value=10,
            reason="Our patients tolerate longer gaps in our experience",
        )


def test_a_program_cannot_raise_the_titration_step_past_ten_mg(world: World) -> None:
    with pytest.raises(TreatmentInvalid):
        set_value(
            by=world.staff["program_admin"],
            program_slug="riverside",
            rule="methadone-dose-check",
            field="titration_step_max_mg",
            value=20,
            reason="Faster titration for people who use fentanyl, per our medical director",
        )
