"""Lane fhir29, item 1: FHIR says of each take-home bottle what the medication page's query says
(`take_home_plans.bottles_at_home`, which the call-back list and the supply check read): a bottle FHIR sends
`completed` is one the page holds at home, and one the page holds at home FHIR sends `completed`. FHIR reads
the page's one query of the doses that stand (`take_home_plans.standing_doses`) and its one reading of a run
that never left (`first_missed`), never a second definition. The cases: a split dose with one part voided, a
dose voided then a new one, the same near midnight in the program's zone (New York; the server's zone is
UTC), a window dose given on a bottle day after the bottle went home, and a plan whose record is silent (a
row written outside the dose path) with a dose voided on one hand-out day and a dose standing on the next.
Dates relative to today; each step at its own instant (the clock pinned per step, minutes apart)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from keel.access.policy import Area
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.patients.models import local_today
from keel.treatment.models import DoseRecord, MedicationOrder
from keel.treatment.queries.take_home_plans import bottles_at_home, call_back
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.overrides import add_override
from tests.conftest import World
from tests.factories import (
    corrected,
    given_on,
    handed_out_yesterday,
    methadone_with_take_home_plan,
)
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
CLOCKS = [time(10, 0), time(23, 50), time(0, 5)]
CLOCK_IDS = ["10:00", "23:50", "00:05"]
SPLIT = "split dose: rapid metabolizer, peak and trough ECG reviewed"


def _start(clock: time) -> datetime:
    """`clock` in New York two days before today (23:50 there is the next day in UTC, the server's zone)."""
    day = datetime.now(UTC).astimezone(NY).date() - timedelta(days=2)
    return datetime.combine(day, clock, tzinfo=NY)


@contextmanager
def _at(start: datetime, minutes: int) -> Iterator[None]:
    with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
        yield


def _fhir(world: World, status: str) -> list[date]:
    """The bottle days from today on FHIR sends with `status` (each resource valid R4)."""
    today = local_today(world.alice)
    record = Record(world.alice, frozenset(Area), Base("https://keel.example/fhir/R4/"), timezone.now())
    found = []
    for res in record.of_type("MedicationDispense"):
        assert_valid_r4(res)
        day = date.fromisoformat(res["dosageInstruction"][0]["timing"]["event"][0])
        if day >= today and res["status"] == status:
            found.append(day)
    return sorted(found)


def _page(world: World) -> list[date]:
    """The bottle days from today on the page's query holds at home (`bottles_at_home`)."""
    return sorted(d for days in bottles_at_home(world.alice, local_today(world.alice)).values() for d in days)


def _called_back_not_at_home(world: World) -> list[date]:
    """The days the call-back list names whose dose no longer stands (recorded handed out, not at home)."""
    today = local_today(world.alice)
    named = {d for days in call_back(world.alice, today).values() for d in days}
    return sorted(named - set(_page(world)))


def _today_doses(world: World) -> list[DoseRecord]:
    return list(
        DoseRecord.objects.filter(patient=world.alice, local_date=local_today(world.alice)).order_by("id")
    )


def _give(world: World, mg: str, **kw: object) -> None:
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg, **kw)


def _split_then_void(world: World, clock: time, part: int) -> None:
    """A plan for tomorrow and the day after; today 40 mg, a prescriber's overrides (the day's total, and an
    early re-dose: session 35, a limit override no longer lifts the re-dose interval), 40 mg more six minutes
    later (past the five minutes of a dose entered twice) (the bottles go home with the day's 80 mg); then one
    part voided. Every step before 23:59 from 23:50: one program day."""
    start = _start(clock)
    with _at(start, 0):
        methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    with _at(start, 1):
        _give(world, "40")
    with _at(start, 2):
        add_override(by=world.staff["prescriber"], patient_id=world.alice.pk, max_total_mg=80, reason=SPLIT)
        add_override(by=world.staff["prescriber"], patient_id=world.alice.pk, kind="redose", reason=SPLIT)
    with _at(start, 7):
        _give(world, "40")
    with _at(start, 8):
        corrected(world, _today_doses(world)[part], void=True)


@pytest.mark.parametrize("part", [0, 1], ids=["first", "second"])
@pytest.mark.parametrize("clock", CLOCKS, ids=CLOCK_IDS)
def test_split_dose_one_part_voided_fhir_completed_is_the_pages_at_home(
    world: World, clock: time, part: int
) -> None:
    _split_then_void(world, clock, part)
    with _at(_start(clock), 9):
        assert _fhir(world, "completed") == _page(world)


def _void_then_new(world: World, clock: time, mg: str) -> None:
    """Today's 80 mg sends the bottles home; it is voided; then a new dose of `mg`."""
    start = _start(clock)
    with _at(start, 0):
        methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    with _at(start, 1):
        _give(world, "80")
    with _at(start, 2):
        corrected(world, _today_doses(world)[-1], void=True)
    with _at(start, 3):
        _give(world, mg)


@pytest.mark.parametrize("mg", ["40", "80"])
@pytest.mark.parametrize("clock", CLOCKS, ids=CLOCK_IDS)
def test_voided_then_a_new_dose_fhir_completed_is_the_pages_at_home(
    world: World, clock: time, mg: str
) -> None:
    _void_then_new(world, clock, mg)
    with _at(_start(clock), 4):
        assert _fhir(world, "completed") == _page(world)


@pytest.mark.parametrize("clock", CLOCKS, ids=CLOCK_IDS)
def test_voided_before_a_new_dose_fhir_entered_in_error_is_what_the_call_back_list_asks_about(
    world: World, clock: time
) -> None:
    start = _start(clock)
    with _at(start, 0):
        methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    with _at(start, 1):
        _give(world, "80")
    with _at(start, 2):
        corrected(world, _today_doses(world)[-1], void=True)
        assert _fhir(world, "entered-in-error") == _called_back_not_at_home(world)


@pytest.mark.parametrize("clock", CLOCKS, ids=CLOCK_IDS)
def test_window_dose_on_a_bottle_day_after_it_went_home_fhir_completed_is_the_pages_at_home(
    world: World, clock: time
) -> None:
    """Yesterday's dose sent today's and tomorrow's bottles home; today today's bottle comes back unopened
    and she is dosed at the window (then that dose is voided): tomorrow's bottle is at home on the page and
    `completed` in FHIR, today's `stopped`."""
    start = _start(clock)
    with _at(start, 0):
        handed_out_yesterday(world)
    with _at(start, 1):
        _give(world, "80", bottle_returned=True)
    with _at(start, 2):
        corrected(world, _today_doses(world)[-1], void=True)
    with _at(start, 3):
        assert (_fhir(world, "completed"), _fhir(world, "stopped")) == (
            _page(world),
            [local_today(world.alice)],
        )


def _silent_plan_two_runs(world: World) -> None:
    """A plan whose record is silent (rows written outside the dose path: no `bottle_mg`), decided four days
    ago: a bottle for two days ago (to go home at a dose three days ago, given then voided) and one for
    today (to go home at yesterday's dose, which stands)."""
    today = local_today(world.alice)
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=4), days_earlier=4)
    plan.bottles = [(today - timedelta(days=2)).isoformat(), today.isoformat()]
    plan.save(update_fields=["bottles"])
    order = MedicationOrder.objects.filter(patient=world.alice).latest("id")
    voided = given_on(world, order, today - timedelta(days=3), 80, 9)
    corrected(world, voided, void=True)
    given_on(world, order, today - timedelta(days=1), 80, 11)


def test_silent_plan_after_a_run_the_page_reads_as_never_left_fhir_sends_no_later_bottle_completed(
    world: World,
) -> None:
    """The page (the window, the supply check) reads the plan as ended before the run whose hand-out dose
    was voided (`first_missed`): today's bottle never went home with yesterday's dose, so it is not at home;
    FHIR sent it `completed`."""
    _silent_plan_two_runs(world)
    assert _fhir(world, "completed") == _page(world)


def test_silent_plan_the_run_whose_dose_was_voided_stays_unknown(world: World) -> None:
    """Review 20c, session 24 (merge24b): a day the record is silent on whose hand-out day has a dose row
    (given, then voided) is `unknown`: the record cannot say whether it left."""
    _silent_plan_two_runs(world)
    record = Record(world.alice, frozenset(Area), Base("https://keel.example/fhir/R4/"), timezone.now())
    day = (local_today(world.alice) - timedelta(days=2)).isoformat()
    found = {
        r["dosageInstruction"][0]["timing"]["event"][0]: r["status"]
        for r in record.of_type("MedicationDispense")
    }
    assert found[day] == "unknown"


def test_silent_plan_the_run_after_one_the_page_reads_as_never_left_is_cancelled(world: World) -> None:
    """The page reads the plan as covering no day from the run that never left on (`as_handed_out`): the
    later run's bottle is `cancelled` (it never went home and will not), not `unknown` ("no observed dose is
    recorded on the day the bottle was to go home": yesterday's dose stands)."""
    _silent_plan_two_runs(world)
    assert _fhir(world, "cancelled") == [local_today(world.alice)]
