"""Lane fix38e (review 38e holes 1 and 2): every methadone day limit counts one set of doses, those given
on the same program day or within the program's `same_day_hours` (default 12, by clock time) before the
dose, so no day limit resets at the program's midnight (America/New_York)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, MedicationOrder
from keel.treatment.services import add_override, amend_dose
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.policy import set_value
from tests.conftest import World, sign_in
from tests.factories import given_daily, pinned_at_last_five_pm_utc
from tests.rev38e._midnight import at, days_ago
from tests.review34c import _setup as setup

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _on_80(world: World, day: date) -> MedicationOrder:
    """Alice on 80 mg a day: the order written ten days before `day`, 80 mg given on each of the 7 days
    before it."""
    with time_machine.travel(at(day - timedelta(days=10), 8), tick=False):
        order = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
        )
    given_daily(world, order, [day - timedelta(days=i) for i in range(1, 8)], 80)
    return order


def _new_30(world: World, day: date) -> None:
    """A first methadone order of 30 mg a day, written at 08:00 on `day` (no dose given yet)."""
    with time_machine.travel(at(day, 8), tick=False):
        prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="30"
        )


def _dose(world: World, when: datetime, mg: str, **kw: object) -> DoseRecord:
    with time_machine.travel(when, tick=False):
        return record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg, **kw).dose


def test_80_mg_at_01_30_after_80_mg_at_23_00_names_the_previous_days_dose(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _dose(world, at(day, 23), "80")
    with pytest.raises(DoseBlocked) as blocked:
        _dose(world, at(day + timedelta(days=1), 1, 30), "80")
    assert "within 12 hours" in str(blocked.value)


def test_a_first_dose_at_23_00_and_30_mg_at_01_30_go_over_the_first_day_total(world: World) -> None:
    day = days_ago(3)
    _new_30(world, day)
    _dose(world, at(day, 23), "30")
    with pytest.raises(DoseBlocked) as blocked:
        _dose(world, at(day + timedelta(days=1), 1, 30), "30")
    assert "first-day total would be 60 mg" in str(blocked.value)


def test_a_first_dose_at_23_00_and_10_mg_at_01_30_are_within_the_first_day_total(world: World) -> None:
    day = days_ago(3)
    _new_30(world, day)
    _dose(world, at(day, 23), "30")
    assert _dose(world, at(day + timedelta(days=1), 1, 30), "10").status == "given"


def test_a_second_dose_over_the_first_days_50_mg_bound_is_blocked_after_midnight(world: World) -> None:
    day = days_ago(3)
    _new_30(world, day)
    _dose(world, at(day, 23), "30")
    with pytest.raises(DoseBlocked):
        _dose(world, at(day + timedelta(days=1), 2), "25")


def test_a_day_two_dose_19_hours_after_a_14_00_first_dose_is_not_held_back(world: World) -> None:
    day = days_ago(3)
    _new_30(world, day)
    _dose(world, at(day, 14), "30")
    assert _dose(world, at(day + timedelta(days=1), 9), "30").status == "given"


def test_80_mg_at_08_00_nine_hours_after_80_mg_at_23_00_is_blocked(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _dose(world, at(day, 23), "80")
    with pytest.raises(DoseBlocked):
        _dose(world, at(day + timedelta(days=1), 8), "80")


def test_morning_doses_23_and_a_half_hours_apart_pass(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _dose(world, at(day, 8, 30), "80")
    assert _dose(world, at(day + timedelta(days=1), 8), "80").status == "given"


def test_a_07_00_dose_17_hours_after_a_14_00_dose_passes(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _dose(world, at(day, 14), "80")
    assert _dose(world, at(day + timedelta(days=1), 7), "80").status == "given"


def test_split_doses_of_40_mg_12_hours_apart_on_an_80_mg_order_pass(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _dose(world, at(day, 8), "40")
    _dose(world, at(day, 20), "40")
    _dose(world, at(day + timedelta(days=1), 8), "40")
    assert _dose(world, at(day + timedelta(days=1), 20), "40").status == "given"


def test_the_spring_forward_night_counts_23_00_to_03_30_as_three_and_a_half_hours(world: World) -> None:
    day = date(2027, 3, 13)
    _on_80(world, day)
    _dose(world, at(day, 23), "80")
    with pytest.raises(DoseBlocked):
        _dose(world, at(day + timedelta(days=1), 3, 30), "80")


def test_the_spring_forward_night_counts_hours_on_the_time_line_not_the_wall_clock(world: World) -> None:
    day = date(2027, 3, 13)
    _on_80(world, day)
    _dose(world, at(day, 20), "80")
    with pytest.raises(DoseBlocked):  # 08:30 on the wall clock is 11.5 h later (12.5 on the wall clock)
        _dose(world, at(day + timedelta(days=1), 8, 30), "80")


def test_a_late_entry_for_23_30_counts_by_its_time_given(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _dose(world, at(day, 23, 50), "80", given_at=at(day, 23, 30).isoformat())
    with pytest.raises(DoseBlocked):
        _dose(world, at(day + timedelta(days=1), 9), "80")


def test_a_dose_given_at_11_00_entered_at_23_55_does_not_count_with_the_next_morning(
    world: World,
) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _dose(world, at(day, 23, 55), "80", given_at=at(day, 11).isoformat())
    assert _dose(world, at(day + timedelta(days=1), 9), "80").status == "given"


def test_the_api_refuses_80_mg_at_01_30_after_80_mg_at_23_00_for_a_prescribers_override(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _dose(world, at(day, 23), "80")
    client = sign_in(Client(), world.staff["nurse"])
    with time_machine.travel(at(day + timedelta(days=1), 1, 30), tick=False):
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            json.dumps({"amount_mg": "80", "sequence": 1}),
            content_type="application/json",
        )
    assert response.json()["decision"]["decision"] == "needs_override"


def test_the_dosing_page_refuses_80_mg_at_01_30_after_80_mg_at_23_00(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _dose(world, at(day, 23), "80")
    client = sign_in(Client(), world.staff["nurse"])
    with time_machine.travel(at(day + timedelta(days=1), 1, 30), tick=False):
        client.post(f"/dosing/{world.alice.pk}/", {"amount_mg": "80", "medication": "methadone"})
    assert DoseRecord.objects.filter(local_date=day + timedelta(days=1)).count() == 0


def test_a_correction_raising_a_01_30_dose_counts_the_23_00_dose(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _dose(world, at(day, 23), "40")
    small = _dose(world, at(day + timedelta(days=1), 1, 30), "5")
    with time_machine.travel(at(day + timedelta(days=1), 2), tick=False), pytest.raises(TreatmentInvalid):
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=small.pk,
            corrected_mg="50",
            reason="The amount typed was wrong: 50 mg was given",
        )


def test_a_prescribers_override_for_today_covering_160_mg_lets_the_01_30_dose_through(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _dose(world, at(day, 23), "80")
    with time_machine.travel(at(day + timedelta(days=1), 1), tick=False):
        add_override(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            max_total_mg=160,
            reason="Vomited the 23:00 dose in front of the nurse; redose in full",
        )
    assert _dose(world, at(day + timedelta(days=1), 1, 30), "80").status == "given"


def _bup_ready_at_23_00(world: World) -> datetime:
    """Buprenorphine 8 mg written; heroin 14 h before 23:00 and COWS 14 ten minutes before: "ready" at 23:00
    on the program's day three days back."""
    t = setup.at(setup.a_day(world, 3), 23)
    setup.order(world, "buprenorphine", "8", t - timedelta(hours=3))
    setup.intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=14))
    setup.cows(world, t - timedelta(minutes=10))
    return t


def test_buprenorphine_8_mg_at_01_30_after_a_first_8_mg_at_23_00_is_over_the_first_day_limit(
    world: World,
) -> None:
    t = _bup_ready_at_23_00(world)
    setup.dose(world, "8", t, medication="buprenorphine")
    with pytest.raises(DoseBlocked):
        setup.dose(world, "8", t + timedelta(hours=2, minutes=30), medication="buprenorphine")


def test_buprenorphine_8_mg_13_hours_after_a_first_8_mg_is_the_second_day(world: World) -> None:
    t = _bup_ready_at_23_00(world)
    setup.dose(world, "8", t, medication="buprenorphine")
    later = setup.dose(world, "8", t + timedelta(hours=13), medication="buprenorphine")
    assert later.dose.status == "given"


@pytest.mark.parametrize("hours", [11, 21])
def test_a_program_cannot_set_the_same_day_hours_outside_12_to_20(world: World, hours: int) -> None:
    with pytest.raises(TreatmentInvalid):
        set_value(
            by=world.staff["program_admin"],
            program_slug="riverside",
            rule="methadone-dose-check",
            field="same_day_hours",
            value=hours,
            reason="Our patients come at all hours, in our medical director's experience",
        )


def test_a_program_can_count_the_previous_days_doses_for_16_hours(world: World) -> None:
    set_value(
        by=world.staff["program_admin"],
        program_slug="riverside",
        rule="methadone-dose-check",
        field="same_day_hours",
        value=16,
        reason="Evening and early-morning doses are one day's, per our medical director",
    )
    day = days_ago(2)
    _on_80(world, day)
    _dose(world, at(day, 18), "80")
    with pytest.raises(DoseBlocked):  # 15 h later: within the program's 16 h
        _dose(world, at(day + timedelta(days=1), 9), "80")
