"""Lane fix29a (review 29a holes 1-4): the take-home correction paths, each hole's neighbouring cases (another
order of the same steps, the program in America/New_York and Pacific/Auckland, a split dose). Each test reads
one fact; the four views (the plan's days, the call-back list, the supply check, FHIR) are read together where
the fact is that they agree."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from keel.access.policy import Area
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import record_bundle
from keel.patients.models import local_today
from keel.treatment.models import DoseAmendment, Medication, PlanEnd, TakeHomePlan
from keel.treatment.queries import dose_context, plan_days
from keel.treatment.queries.missed import missed_days
from keel.treatment.queries.take_home_plans import call_back, held_bottles
from keel.treatment.services.doses.bottles import HANDED_OUT, ON_SHELF, TAKE_BACK_UNDONE
from keel.treatment.services.doses.bottles.reasons import CORRECTED_BACK_CALL_BACK, CORRECTION_CALL_BACK
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import (
    corrected,
    given_on,
    handed_out_today,
    handed_out_yesterday,
    prescriber_ends,
    program_in_zone_at_noon_two_days_ago,
)

STOP = "Relapse reported by the person; the prescriber stops the bottles."
PUMP = "Pump log: 80 mg was given; the correction was wrong."


@pytest.fixture(params=["America/New_York", "Pacific/Auckland"])
def zone(request: pytest.FixtureRequest, world: World) -> Iterator[str]:
    """The program in `request.param`, the clock pinned at noon there two days ago (inside dosing hours)."""
    yield from program_in_zone_at_noon_two_days_ago(world, str(request.param))


def _templates(amendment: DoseAmendment) -> list[str]:
    return [r.template for r in amendment.warnings]


def _fhir_status(world: World, plan: TakeHomePlan, day: date) -> str:
    bundle = record_bundle(
        world.alice, frozenset(Area), timezone.now(), Base("https://keel.example/fhir/R4/")
    )
    res = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["id"] == f"bottle-{plan.pk}-{day:%Y%m%d}"
    )
    return str(res["status"])


def _hole_1(world: World) -> tuple[TakeHomePlan, DoseAmendment, date]:
    """Yesterday's 80 mg sent today's and tomorrow's bottles home; the prescriber ends from tomorrow;
    yesterday's dose corrected to 40 (kept back over the prescriber's end) and back to 80."""
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    prescriber_ends(world, plan, STOP, from_day=(today + timedelta(days=1)).isoformat())
    corrected(world, dose, corrected_mg="40")
    back = corrected(world, dose, PUMP, corrected_mg="80")
    plan.refresh_from_db()
    return plan, back, today


# Hole 1: a keep back written over a prescriber's end, undone by the correction back up


def test_hole1_prescribers_end_given_back(world: World, zone: str) -> None:
    plan, _back, today = _hole_1(world)
    assert (plan.ended_on, plan.end_kind, plan.end_reason) == (today, PlanEnd.PRESCRIBER, STOP)


def test_hole1_today_covered_again(world: World, zone: str) -> None:
    plan, _back, today = _hole_1(world)
    assert plan_days(plan) == {today}


def test_hole1_only_tomorrow_stays_called_back(world: World, zone: str) -> None:
    plan, _back, today = _hole_1(world)
    assert set(call_back(world.alice, today).get(plan.pk, {})) == {today + timedelta(days=1)}


def test_hole1_nurse_told_today_covered_and_tomorrow_called_back_once(world: World, zone: str) -> None:
    _plan, back, _today = _hole_1(world)
    assert _templates(back) == [TAKE_BACK_UNDONE, CORRECTION_CALL_BACK]


def test_hole1_call_back_names_tomorrow_only(world: World, zone: str) -> None:
    _plan, back, today = _hole_1(world)
    told = back.warnings[1].text
    assert (today + timedelta(days=1)).isoformat() in told and today.isoformat() not in told


def test_hole1_never_says_handed_out(world: World, zone: str) -> None:
    _plan, back, _today = _hole_1(world)
    assert HANDED_OUT not in _templates(back)


def test_hole1_supply_check_and_fhir_agree(world: World) -> None:
    plan, _back, today = _hole_1(world)
    tomorrow = today + timedelta(days=1)
    assert held_bottles(world.alice, None, today).get(plan.pk) == {today, tomorrow}
    assert [_fhir_status(world, plan, d) for d in (today, tomorrow)] == ["completed", "completed"]


def test_hole1_same_day_keep_back_over_prescribers_end(world: World, zone: str) -> None:
    """Another order: today's 80 mg sent tomorrow's and the next day's bottles home; the prescriber ends
    from the day after tomorrow; today's dose corrected to 40 and back: tomorrow covered, the next day
    called back."""
    plan, dose = handed_out_today(world)
    today = local_today(world.alice)
    tomorrow, after = today + timedelta(days=1), today + timedelta(days=2)
    prescriber_ends(world, plan, STOP, from_day=after.isoformat())
    corrected(world, dose, corrected_mg="40")
    back = corrected(world, dose, PUMP, corrected_mg="80")
    plan.refresh_from_db()
    assert (plan_days(plan), set(call_back(world.alice, today).get(plan.pk, {})), _templates(back)) == (
        {tomorrow},
        {after},
        [TAKE_BACK_UNDONE, CORRECTION_CALL_BACK],
    )


def test_hole1_split_dose_over_prescribers_end(world: World, zone: str) -> None:
    """A split dose: the prescriber ends from the day after tomorrow before today's dose; 40 mg (the bottles
    kept back over the prescriber's end), then 40 mg more: tomorrow's bottle goes home, the next one never."""
    from tests.factories import methadone_with_take_home_plan

    plan, tomorrow = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    prescriber_ends(world, plan, STOP, from_day=(tomorrow + timedelta(days=1)).isoformat())
    nurse, alice = world.staff["nurse"], world.alice
    now = timezone.now()
    record_dose(by=nurse, patient_id=alice.pk, amount_mg="40", now=now - timedelta(hours=3))
    second = record_dose(by=nurse, patient_id=alice.pk, amount_mg="40", now=now)
    plan.refresh_from_db()
    said = [r.template for r in second.decision.reasons]
    assert (plan.ended_on, plan.end_kind, sorted(plan.bottle_mg or {}), HANDED_OUT in said) == (
        tomorrow,
        PlanEnd.PRESCRIBER,
        [tomorrow.isoformat()],
        True,
    )


def test_hole1_after_todays_bottle_came_back(world: World) -> None:
    """Another order: after the keep back she brings today's bottle back and is dosed at the window; back to
    80: today stays a clinic day (on the shelf), tomorrow stays called back, never "covered again"."""
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    tomorrow = today + timedelta(days=1)
    prescriber_ends(world, plan, STOP, from_day=tomorrow.isoformat())
    corrected(world, dose, corrected_mg="40")
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40", bottle_returned=True)
    back = corrected(world, dose, PUMP, corrected_mg="80")
    plan.refresh_from_db()
    assert (plan_days(plan), set(call_back(world.alice, today).get(plan.pk, {}))) == (set(), {tomorrow})
    assert TAKE_BACK_UNDONE not in _templates(back) and HANDED_OUT not in _templates(back)


# Hole 2: today's "nothing given" written over a prescriber's end, then today's dose stands again


def _hole_2(world: World, *, void: bool = False) -> tuple[TakeHomePlan, DoseAmendment, date]:
    plan, dose = handed_out_today(world)
    today = local_today(world.alice)
    prescriber_ends(world, plan, STOP, from_day=(today + timedelta(days=2)).isoformat())
    if void:
        corrected(world, dose, void=True)
    else:
        corrected(world, dose, corrected_mg="0")
    back = corrected(world, dose, PUMP, corrected_mg="80")
    plan.refresh_from_db()
    return plan, back, today


@pytest.mark.parametrize("void", [False, True])
def test_hole2_prescribers_end_given_back(world: World, zone: str, void: bool) -> None:
    plan, _back, today = _hole_2(world, void=void)
    tomorrow = today + timedelta(days=1)
    assert (plan.ended_on, plan.end_kind, plan.end_reason) == (tomorrow, PlanEnd.PRESCRIBER, STOP)


@pytest.mark.parametrize("void", [False, True])
def test_hole2_tomorrow_covered_the_next_day_called_back(world: World, zone: str, void: bool) -> None:
    plan, _back, today = _hole_2(world, void=void)
    tomorrow, after = today + timedelta(days=1), today + timedelta(days=2)
    assert (plan_days(plan), set(call_back(world.alice, today).get(plan.pk, {}))) == ({tomorrow}, {after})


def test_hole2_one_message_each_bottle_told_once(world: World, zone: str) -> None:
    _plan, back, today = _hole_2(world)
    texts = " ".join(r.text for r in back.warnings)
    assert (_templates(back), texts.count((today + timedelta(days=2)).isoformat())) == (
        [TAKE_BACK_UNDONE, CORRECTION_CALL_BACK],
        1,
    )


def test_hole2_fhir_both_bottles_handed_over(world: World) -> None:
    plan, _back, today = _hole_2(world)
    days = (today + timedelta(days=1), today + timedelta(days=2))
    assert [_fhir_status(world, plan, d) for d in days] == ["completed", "completed"]


def test_hole2_corrected_back_the_next_day_end_stands_and_says_so(world: World) -> None:
    """Another order: today's dose to 0 (over the prescriber's end), corrected back to 80 only the next day:
    the end stands (no correction undoes an earlier day's "nothing given", lane end28) and says the dose was
    corrected back, never "no dose given today stands"."""
    plan, dose = handed_out_today(world)
    today = local_today(world.alice)
    prescriber_ends(world, plan, STOP, from_day=(today + timedelta(days=2)).isoformat())
    corrected(world, dose, corrected_mg="0")
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        back = corrected(world, dose, PUMP, corrected_mg="80")
    plan.refresh_from_db()
    assert (plan.ended_on, plan.end_kind) == (today, PlanEnd.CORRECTED_BACK)
    assert "no dose given today stands" not in plan.end_reason and STOP in plan.end_reason
    assert CORRECTED_BACK_CALL_BACK in _templates(back)


# Hole 3: the voided end over a bottle on the shelf, its dose corrected back up


def _hole_3(world: World, *, void: bool = False) -> tuple[TakeHomePlan, DoseAmendment, date]:
    plan, dose = handed_out_yesterday(world)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", bottle_returned=True)
    if void:
        corrected(world, dose, void=True)
    else:
        corrected(world, dose, corrected_mg="0")
    back = corrected(world, dose, PUMP, corrected_mg="80")
    plan.refresh_from_db()
    return plan, back, local_today(world.alice)


@pytest.mark.parametrize("void", [False, True])
def test_hole3_end_says_tomorrows_bottle_may_be_at_home(world: World, zone: str, void: bool) -> None:
    plan, _back, today = _hole_3(world, void=void)
    assert plan.end_kind == PlanEnd.CORRECTED_BACK
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert plan.end_reason.startswith(f"The bottles for {tomorrow} may be at home")


def test_hole3_nurse_told_call_back_and_shelf_once(world: World, zone: str) -> None:
    _plan, back, _today = _hole_3(world)
    assert _templates(back) == [CORRECTED_BACK_CALL_BACK, ON_SHELF]


def test_hole3_four_views_agree(world: World) -> None:
    plan, _back, today = _hole_3(world)
    tomorrow = today + timedelta(days=1)
    assert plan_days(plan) == set()
    assert set(call_back(world.alice, today).get(plan.pk, {})) == {tomorrow}
    assert held_bottles(world.alice, None, today).get(plan.pk) == {tomorrow}
    assert [_fhir_status(world, plan, d) for d in (today, tomorrow)] == ["stopped", "completed"]


def test_hole3_down_again_after_back_up(world: World) -> None:
    """Another order: 0, back to 80, then 0 again: the end stands and tomorrow's bottle stays called back;
    today's bottle stays on the shelf."""
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", bottle_returned=True)
    corrected(world, dose, corrected_mg="0")
    corrected(world, dose, PUMP, corrected_mg="80")
    corrected(world, dose, corrected_mg="0")
    plan.refresh_from_db()
    assert (plan.end_kind, plan_days(plan)) == (PlanEnd.CORRECTED_BACK, set())
    assert today not in call_back(world.alice, today).get(plan.pk, {})


# Hole 4: a day whose bottle is on the shelf is a clinic day for every reader


def _shelf_then_voided(world: World, at: datetime) -> TakeHomePlan:
    plan, _dose = handed_out_yesterday(world)
    first = record_dose(
        by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", bottle_returned=True, now=at
    )
    corrected(world, first.dose, void=True)
    plan.refresh_from_db()
    return plan


def test_hole4_shelf_day_not_a_take_home_day(world: World, zone: str) -> None:
    plan = _shelf_then_voided(world, timezone.now() - timedelta(hours=3))
    today = local_today(world.alice)
    assert plan_days(plan) == {today + timedelta(days=1)}


def test_hole4_window_doses_again_without_the_bottle(world: World, zone: str) -> None:
    _shelf_then_voided(world, timezone.now() - timedelta(hours=3))
    again = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    assert again.dose.local_date == local_today(world.alice)


def test_hole4_dose_context_reads_the_shelf_day_as_a_clinic_day(world: World, zone: str) -> None:
    _shelf_then_voided(world, timezone.now() - timedelta(hours=3))
    today = local_today(world.alice)
    assert today not in dose_context(world.alice, Medication.METHADONE, today).take_home_days


def test_hole4_shelf_day_with_no_dose_counts_missed(world: World) -> None:
    """The shelf day is yesterday: yesterday's window dose voided, nothing else given; today the missed-dose
    count (caseload) and the dose context both count yesterday as a missed clinic day."""
    plan, dose = handed_out_yesterday(world)  # bottles today and tomorrow went home yesterday
    today = local_today(world.alice)
    order = dose.order
    assert order is not None
    at_window = given_on(world, order, today, 80, 10)
    plan.returned_days = [today.isoformat()]
    plan.save(update_fields=["returned_days"])
    corrected(world, at_window, void=True)
    tomorrow = today + timedelta(days=1)
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        ctx = dose_context(world.alice, Medication.METHADONE, tomorrow)
        counted = missed_days([(world.alice, tomorrow)], Medication.METHADONE)[world.alice.pk]
    assert (ctx.missed_days_in_a_row, counted) == (1, 1)


def test_hole4_bottle_brought_back_twice_is_one_record(world: World, zone: str) -> None:
    """A second dose with the box ticked on the shelf day (the nurse re-pours after the void) records nothing
    more: one day on the shelf."""
    plan = _shelf_then_voided(world, timezone.now() - timedelta(hours=3))
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", bottle_returned=True)
    plan.refresh_from_db()
    assert plan.returned_days == [local_today(world.alice).isoformat()]


def test_hole4_the_window_row_is_due_again(world: World, zone: str) -> None:
    from keel.treatment.queries import dosing_list

    _shelf_then_voided(world, timezone.now() - timedelta(hours=3))
    rows = [r for r in dosing_list(world.staff["nurse"]) if r.patient.pk == world.alice.pk]
    assert [r.status for r in rows if r.medication == Medication.METHADONE] == ["due"]


def test_hole4_the_still_due_count_is_the_lists_sum(world: World, zone: str) -> None:
    from tests.treatment.test_due_count_sql import _same

    _shelf_then_voided(world, timezone.now() - timedelta(hours=3))
    assert _same(world.staff["nurse"], timezone.now(), "a voided dose on a shelf day") >= 1
