"""Lane fix25d: the four holes of review 25c, attacked from their other side. A void, a correction to 0 and
a correction back up, in either order with a prescriber's end or a correction down; the call-back list, the
bottles at home, the supply check and FHIR telling the same story of the same bottle; a person's evening and
just after midnight in New York. Dates are relative to today (the suite runs under moved clocks)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from keel.access.policy import Area
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.patients.models import Program, local_today
from keel.treatment.models import DoseRecord, MedicationOrder, TakeHomePlan
from keel.treatment.queries.take_home_plans import bottles_at_home, call_back, held_bottles
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import (
    corrected,
    given_on,
    handed_out_today,
    methadone_with_take_home_plan,
    prescriber_ends,
)

pytestmark = pytest.mark.django_db

WHY = "the nurse wrote the wrong amount on the dosing sheet"
NEW_YORK = ZoneInfo("America/New_York")


def _statuses(world: World) -> dict[str, dict[str, Any]]:
    rec = Record(world.alice, frozenset(Area), Base("https://keel.example/fhir/R4/"), timezone.now())
    return {d["id"]: d for d in rec.of_type("MedicationDispense")}


def _bottle(plan: TakeHomePlan, day: Any) -> str:
    return f"bottle-{plan.pk}-{day.strftime('%Y%m%d')}"


def _todays_dose(world: World) -> tuple[TakeHomePlan, Any, DoseRecord]:
    """Today's 80 mg at the window sends tomorrow's and the next day's bottles home (recorded)."""
    plan, dose = handed_out_today(world, timezone.now() - timedelta(hours=2))
    first = local_today(world.alice) + timedelta(days=1)
    assert set(plan.bottle_mg or {}) == {first.isoformat(), (first + timedelta(days=1)).isoformat()}
    return plan, first, dose


def _agree_taken_back(world: World, plan: TakeHomePlan, first: Any) -> None:
    """A bottle recorded handed out with a dose since voided (or corrected to 0): the call-back list names it
    (a person finds out), the supply check and `bottles_at_home` do not count it, FHIR says
    `entered-in-error`."""
    today = local_today(world.alice)
    assert first in call_back(world.alice, today).get(plan.pk, {})
    assert first not in bottles_at_home(world.alice, today).get(plan.pk, {})
    assert first not in held_bottles(world.alice, None, today).get(plan.pk, set())
    assert _statuses(world)[_bottle(plan, first)]["status"] == "entered-in-error"


def test_void_of_todays_dose_then_the_same_bottles_after_a_second_dose_today(world: World) -> None:
    """Hole 1 from the other side: the void makes the bottles `entered-in-error` (on the call-back list);
    a new observed dose later today hands the run out again: `completed`, off the call-back list."""
    plan, first, dose = _todays_dose(world)
    corrected(world, dose, WHY, void=True)
    _agree_taken_back(world, plan, first)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    today = local_today(world.alice)
    assert first not in call_back(world.alice, today).get(plan.pk, {})
    assert first in bottles_at_home(world.alice, today).get(plan.pk, {})
    assert _statuses(world)[_bottle(plan, first)]["status"] == "completed"


def test_a_correction_to_zero_then_back_up_after_a_prescribers_end(world: World) -> None:
    """Hole 4 with a correction to 0 and back: at 0 the ended plan's bottles are taken back (warned,
    `entered-in-error`, the call-back list's "maybe"); back at 80 mg they left with a dose that stands: at
    home, on the call-back list (the plan is ended), FHIR `completed`."""
    plan, first, dose = _todays_dose(world)
    prescriber_ends(world, plan, "relapse reported, bottles to come back", from_day=first.isoformat())
    zero = corrected(world, dose, WHY, corrected_mg="0")
    assert zero.warnings
    _agree_taken_back(world, plan, first)
    corrected(world, dose, WHY, corrected_mg="80")
    today = local_today(world.alice)
    assert first in call_back(world.alice, today).get(plan.pk, {})
    assert first in bottles_at_home(world.alice, today).get(plan.pk, {})
    assert first in held_bottles(world.alice, None, today).get(plan.pk, set())
    assert _statuses(world)[_bottle(plan, first)]["status"] == "completed"


def test_a_void_after_a_prescribers_end_is_told_once(world: World) -> None:
    """Hole 4: the ended plan's run is taken back once; a second amendment of the same dose (a reason
    corrected, still nothing given) warns of nothing new and writes nothing twice."""
    plan, first, dose = _todays_dose(world)
    prescriber_ends(world, plan, "relapse reported, bottles to come back", from_day=first.isoformat())
    first_void = corrected(world, dose, WHY, void=True)
    plan.refresh_from_db()
    assert first_void.warnings and not plan.bottle_mg
    assert set(plan.bottles_taken_back or {}) == {first.isoformat(), (first + timedelta(days=1)).isoformat()}
    again = corrected(world, dose, WHY + " again", void=True)
    assert not again.warnings
    _agree_taken_back(world, plan, first)


def _silent_plan_corrected_down(world: World) -> tuple[TakeHomePlan, Any, DoseRecord]:
    plan, first = methadone_with_take_home_plan(
        world, timezone.now() - timedelta(days=1, hours=2), days_earlier=1
    )
    order = MedicationOrder.objects.filter(patient=world.alice).first()
    assert order is not None
    dose = given_on(world, order, first - timedelta(days=1), 80, 9)
    corrected(world, dose, WHY, corrected_mg="40")
    plan.refresh_from_db()
    return plan, first, dose


def test_a_silent_record_correction_down_records_what_it_takes_back(world: World) -> None:
    """Hole 2: the take-back at a correction down writes the bottles at home (days and the mg they left
    with) though the record was silent; they stay at home (FHIR `completed` with a note) while the dose
    stands."""
    plan, first, _dose = _silent_plan_corrected_down(world)
    days = {first.isoformat(), (first + timedelta(days=1)).isoformat()}
    assert set(plan.bottles_taken_back or {}) == days
    assert {str(v) for v in (plan.bottles_taken_back or {}).values()} == {"80.00"}
    today = local_today(world.alice)
    assert set(bottles_at_home(world.alice, today).get(plan.pk, {})) == {first, first + timedelta(days=1)}
    found = _statuses(world)[_bottle(plan, first)]
    assert found["status"] == "completed" and found.get("note")


def test_a_silent_record_correction_down_then_void_then_back_up(world: World) -> None:
    """Hole 2 then back: voided, the bottles stay on the call-back list (`entered-in-error`); corrected
    back up to 80 mg, the keep back is undone: the plan goes on with both bottles handed out (at home,
    `completed`, off the call-back list)."""
    plan, first, dose = _silent_plan_corrected_down(world)
    corrected(world, dose, WHY, void=True)
    _agree_taken_back(world, plan, first)
    corrected(world, dose, WHY, corrected_mg="80")
    today = local_today(world.alice)
    both = {first, first + timedelta(days=1)}
    plan.refresh_from_db()  # the keep back undone: the plan goes on, its record says handed out again
    assert plan.ended_on is None and set(plan.bottle_mg or {}) == {d.isoformat() for d in both}
    assert plan.pk not in call_back(world.alice, today)
    assert set(bottles_at_home(world.alice, today).get(plan.pk, {})) == both
    assert _statuses(world)[_bottle(plan, first)]["status"] == "completed"


@pytest.fixture(params=[time(19, 30), time(0, 30)], ids=["19:30", "00:30"])
def new_york(request: Any, world: World) -> Iterator[None]:
    """Alice's program in New York, the clock at 19:30 or 00:30 there (today, by the moved clock)."""
    Program.objects.filter(pk=world.alice.program_id).update(time_zone="America/New_York")
    world.alice.refresh_from_db()
    day = timezone.now().astimezone(NEW_YORK).date()
    at = datetime.combine(day, request.param, tzinfo=NEW_YORK).astimezone(UTC)
    with time_machine.travel(at, tick=False):
        yield


def test_void_after_an_end_in_new_york(world: World, new_york: None) -> None:
    """Holes 1 and 4 where the person's day is not UTC's: every reader agrees on the voided hand-out."""
    plan, first, dose = _todays_dose(world)
    prescriber_ends(world, plan, "relapse reported, bottles to come back", from_day=first.isoformat())
    said = corrected(world, dose, WHY, void=True)
    assert said.warnings
    _agree_taken_back(world, plan, first)
