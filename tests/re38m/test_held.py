"""Re-attack 38m: what held against fix38e's day limits across the program's midnight (these pass)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, MedicationOrder
from keel.treatment.services import add_override, amend_dose
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.policy import set_value
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc
from tests.rev38e._midnight import at, days_ago

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _on_80(world: World, day: date) -> MedicationOrder:
    with time_machine.travel(at(day - timedelta(days=10), 8), tick=False):
        order = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
        )
    given_daily(world, order, [day - timedelta(days=i) for i in range(1, 8)], 80)
    return order


def _dose(world: World, when: datetime, mg: str) -> DoseRecord:
    with time_machine.travel(when, tick=False):
        return record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg).dose


def _same_day_hours(world: World, hours: int) -> None:
    set_value(
        by=world.staff["program_admin"],
        program_slug="riverside",
        rule="methadone-dose-check",
        field="same_day_hours",
        value=hours,
        reason="Our medical director's rolling window for evening clinics",
    )


def test_the_window_refuses_80_mg_at_01_30_under_a_90_mg_override_after_80_mg_at_23_00(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _dose(world, at(day, 23), "80")
    with time_machine.travel(at(day + timedelta(days=1), 1), tick=False):
        add_override(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            max_total_mg=90,
            reason="10 mg more for withdrawal overnight",
        )
    with pytest.raises(DoseBlocked):
        _dose(world, at(day + timedelta(days=1), 1, 30), "80")


def test_the_fall_back_night_counts_23_00_to_the_second_01_30_as_three_and_a_half_hours(world: World) -> None:
    day = date(2026, 10, 31)
    _on_80(world, day)
    _dose(world, at(day, 23), "80")
    second_0130 = datetime(2026, 11, 1, 1, 30, tzinfo=NY, fold=1)  # EST, after the clocks went back
    with pytest.raises(DoseBlocked):
        _dose(world, second_0130, "80")


def test_the_fall_back_night_lets_a_dose_12_and_a_half_real_hours_later_through(world: World) -> None:
    day = date(2026, 10, 31)
    _on_80(world, day)
    _dose(world, at(day, 20), "80")
    # 07:30 on the wall clock is 11.5 h later on the wall, 12.5 h on the time line (the hour repeated)
    assert _dose(world, datetime(2026, 11, 1, 7, 30, tzinfo=NY), "80").status == "given"


def test_a_program_that_sets_20_hours_holds_back_a_dose_19_hours_after_the_last(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _same_day_hours(world, 20)
    _dose(world, at(day, 14), "80")
    with pytest.raises(DoseBlocked):
        _dose(world, at(day + timedelta(days=1), 9), "80")


def test_a_program_that_sets_20_hours_lets_a_dose_21_hours_after_the_last_through(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _same_day_hours(world, 20)
    _dose(world, at(day, 12), "80")
    assert _dose(world, at(day + timedelta(days=1), 9), "80").status == "given"


def test_a_program_cannot_set_same_day_hours_below_twelve(world: World) -> None:
    with pytest.raises(TreatmentInvalid):
        _same_day_hours(world, 8)


def test_a_program_cannot_set_same_day_hours_past_twenty(world: World) -> None:
    with pytest.raises(TreatmentInvalid):
        _same_day_hours(world, 24)


def test_a_voided_23_00_dose_does_not_count_with_the_01_30_dose(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    evening = _dose(world, at(day, 23), "80")
    with time_machine.travel(at(day, 23, 10), tick=False):
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=evening.pk,
            void=True,
            reason="Recorded against the wrong person",
        )
    assert _dose(world, at(day + timedelta(days=1), 1, 30), "80").status == "given"


def test_a_program_in_los_angeles_counts_its_own_midnight(world: World) -> None:
    program = world.alice.program
    program.time_zone = "America/Los_Angeles"
    program.save()
    la = ZoneInfo("America/Los_Angeles")
    day = days_ago(3)
    _on_80(world, day)
    _dose(world, datetime.combine(day, time(23), tzinfo=la), "80")
    with pytest.raises(DoseBlocked):
        _dose(world, datetime.combine(day + timedelta(days=1), time(1, 30), tzinfo=la), "80")


def test_a_late_entry_for_00_30_today_counts_the_23_00_dose_before_it(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _dose(world, at(day, 23), "80")
    with time_machine.travel(at(day + timedelta(days=1), 9), tick=False), pytest.raises(DoseBlocked):
        record_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            amount_mg="80",
            given_at=at(day + timedelta(days=1), 2, 30).isoformat(),
        )


def test_a_new_induction_at_23_00_after_a_week_missed_keeps_its_first_day_limits_past_midnight(
    world: World,
) -> None:
    day = days_ago(2)
    with time_machine.travel(at(day - timedelta(days=20), 8), tick=False):
        order = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="30"
        )
    given_daily(world, order, [day - timedelta(days=i) for i in range(8, 15)], 30)
    with time_machine.travel(at(day, 22, 50), tick=False):
        add_override(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            max_total_mg=30,
            reason="Reassessed after a week missed: restart at 30 mg",
        )
    _dose(world, at(day, 23), "30")
    with pytest.raises(DoseBlocked) as blocked:
        _dose(world, at(day + timedelta(days=1), 1, 30), "30")
    assert "first-day total would be 60 mg" in str(blocked.value)
