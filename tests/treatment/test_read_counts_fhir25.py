"""Lane fhir25: the dosing page's "still due" count (`still_due`) and the measures report read a take-home
plan as the dose context reads it (`as_handed_out`: a run whose bottle never left the clinic, no observed
dose on the day it was to go home, ends the plan the day before it), never by the calendar alone. A person
who missed the day before her run is still due today, on the count as on the list, and the measures count
her run's days as missed, not covered. One fact per assertion; dates relative to today."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from keel.measures import queries as mq
from keel.patients.models import local_today
from keel.treatment.models import MedicationOrder, TakeHomePlan
from keel.treatment.queries import dosing_list, still_due
from keel.treatment.queries.missed import missed_days
from tests.conftest import World
from tests.factories import given_on, methadone_with_take_home_plan, pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _plan_from_today(world: World, *, dosed_yesterday: bool, recorded: bool) -> TakeHomePlan:
    """Alice on methadone 80 mg, dosed daily up to the day before yesterday; a plan decided two days ago for
    today and tomorrow, to go home at yesterday's dose: given or not (`dosed_yesterday`), its bottles in the
    plan's record or not (`recorded`: as the dose path writes it; not: a plan from before the record)."""
    plan, first = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=2), days_earlier=1)
    if dosed_yesterday:
        order = MedicationOrder.objects.filter(patient=world.alice).latest("id")
        given_on(world, order, local_today(world.alice) - timedelta(days=1), 80, 9)
    if recorded:
        plan.bottle_mg = {first.isoformat(): "80.00", (first + timedelta(days=1)).isoformat(): "80.00"}
        plan.save(update_fields=["bottle_mg"])
    return plan


def _listed(world: World) -> str:
    """The status of Alice's methadone row on today's window (the dose context's answer)."""
    (row,) = [
        r for r in dosing_list(world.staff["nurse"], medication="methadone") if r.patient.pk == world.alice.pk
    ]
    return row.status


def _counted(world: World) -> int:
    """How many of Alice's rows the "still due" count counts."""
    (found,) = [p.due for p in still_due(world.staff["nurse"]) if p.patient_id == world.alice.pk]
    return found


# The still-due count


def test_a_person_who_missed_the_day_before_her_run_is_due_on_the_list(world: World) -> None:
    _plan_from_today(world, dosed_yesterday=False, recorded=False)
    assert _listed(world) == "due"


def test_a_person_who_missed_the_day_before_her_run_is_still_due_on_the_count(world: World) -> None:
    _plan_from_today(world, dosed_yesterday=False, recorded=False)
    assert _counted(world) == 1


def test_a_run_handed_out_and_recorded_is_a_take_home_day_on_the_list(world: World) -> None:
    _plan_from_today(world, dosed_yesterday=True, recorded=True)
    assert _listed(world) == "take_home"


def test_a_run_handed_out_and_recorded_is_not_on_the_count(world: World) -> None:
    _plan_from_today(world, dosed_yesterday=True, recorded=True)
    assert _counted(world) == 0


def test_a_run_handed_out_before_the_record_was_kept_is_not_on_the_count(world: World) -> None:
    """No record of the bottles (a plan from before it): yesterday's dose handed them out, as listed."""
    _plan_from_today(world, dosed_yesterday=True, recorded=False)
    assert (_listed(world), _counted(world)) == ("take_home", 0)


def test_a_missed_run_after_a_recorded_one_is_still_due_on_the_count(world: World) -> None:
    """The plan's first run left (recorded); its second run's hand-out day, yesterday, passed with no dose."""
    plan = _plan_from_today(world, dosed_yesterday=False, recorded=False)
    today = local_today(world.alice)
    earlier = [today - timedelta(days=4), today - timedelta(days=3)]
    plan.bottles = [d.isoformat() for d in earlier] + list(plan.bottles)
    plan.bottle_mg = {d.isoformat(): "80.00" for d in earlier}
    plan.decided_at = timezone.now() - timedelta(days=6)
    plan.save(update_fields=["bottles", "bottle_mg", "decided_at"])
    assert (_listed(world), _counted(world)) == ("due", 1)


def test_a_recorded_take_home_day_costs_the_count_no_statement_more(world: World) -> None:
    """The count's reads stay two (the programs' zones, the count) when every bottle day is recorded."""
    _plan_from_today(world, dosed_yesterday=True, recorded=True)
    still_due(world.staff["nurse"])  # warm
    with CaptureQueriesContext(connection) as counted:
        still_due(world.staff["nurse"])
    reads = [q for q in counted.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 4, [q["sql"][:80] for q in reads]


# The measures report


def _covered(world: World) -> set[date]:
    """Alice's covered days in the measures' read (`_people`), from yesterday on."""
    today = mq.program_today(world.riverside)
    (alice,) = [p for p in mq._people(world.riverside, today) if p.key == world.alice.pk]
    days: set[date] = set()
    for span in alice.coverage:
        day = max(span.start, today - timedelta(days=1))
        while day <= span.end:
            days.add(day)
            day += timedelta(days=1)
    return days


def test_the_measures_count_a_run_that_never_left_as_missed(world: World) -> None:
    _plan_from_today(world, dosed_yesterday=False, recorded=False)
    today = local_today(world.alice)
    assert _covered(world) & {today, today + timedelta(days=1)} == set()


def test_the_measures_count_a_run_handed_out_as_covered(world: World) -> None:
    _plan_from_today(world, dosed_yesterday=True, recorded=True)
    today = local_today(world.alice)
    assert {today, today + timedelta(days=1)} <= _covered(world)


def test_the_measures_count_a_run_handed_out_before_the_record_as_covered(world: World) -> None:
    _plan_from_today(world, dosed_yesterday=True, recorded=False)
    today = local_today(world.alice)
    assert {today, today + timedelta(days=1)} <= _covered(world)


def test_the_measures_and_the_caseload_agree_on_the_days_missed(world: World) -> None:
    """Yesterday (the hand-out day) missed, and today not covered: the caseload counts one day missed in a
    row before today, and the measures cover neither yesterday nor today."""
    _plan_from_today(world, dosed_yesterday=False, recorded=False)
    today = local_today(world.alice)
    assert missed_days([(world.alice, today)], "methadone")[world.alice.pk] == 1
    assert _covered(world) & {today - timedelta(days=1), today} == set()
