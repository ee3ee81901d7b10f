"""Lane fhir27 (the hole lane end26 noticed): after a same-day correction of the dose the take-home bottles
went home with (80 -> 40, or 80 -> 0 -> 40: a correction down, then back up), the bottles are at home until
they are brought back: `bottles_at_home`, the call-back list and the supply check all hold them. FHIR must
say the same (review 24c hole 5): `completed`, `whenHandedOver` the day they left, a `note` (at home until
brought back; the care team calls the person back); `stopped` once brought back; never `entered-in-error`,
kept for a hand-out whose dose was voided or corrected to 0 and stays so. Four views of one bottle agree:
the call-back list (the medication page), `bottles_at_home`, the supply check (`held_bottles`,
`bottles_at_home_above`), FHIR. Dates relative to today; the clock pinned (not ticking: the correction
shares the dose's instant, the case FHIR read apart), New York at 19:30 and 00:30 local two days ago."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from keel.access.policy import Area
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.patients.models import local_today
from keel.treatment.models import DoseRecord, PlanEnd, TakeHomePlan
from keel.treatment.queries.take_home_plans import (
    bottles_at_home,
    bottles_at_home_above,
    call_back,
    held_bottles,
)
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import (
    corrected,
    handed_out_today,
    handed_out_yesterday,
    pinned_at_last_five_pm_utc,
    prescriber_ends,
)
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
AT_HOME_NOTE = "in the person's hands until it is recorded brought back"
CALLS_BACK = "the care team calls the person back"


@pytest.fixture
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _dispenses(world: World, plan: TakeHomePlan) -> dict[date, dict[str, Any]]:
    record = Record(world.alice, frozenset(Area), Base("https://keel.example/fhir/R4/"), timezone.now())
    return {
        date.fromisoformat(res["dosageInstruction"][0]["timing"]["event"][0]): res
        for res in record.of_type("MedicationDispense")
        if res["id"].startswith(f"bottle-{plan.pk}-")
    }


def _views(world: World, plan: TakeHomePlan) -> dict[str, list[date]]:
    """The bottle days each view holds at home (from today on), read again."""
    today = local_today(world.alice)
    return {
        "at_home": sorted(bottles_at_home(world.alice, today).get(plan.pk, {})),
        "call_back": sorted(call_back(world.alice, today).get(plan.pk, {})),
        "supply": sorted(held_bottles(world.alice, None, today).get(plan.pk, set())),
        "above": sorted(d for d, _mg in bottles_at_home_above(world.alice, "methadone", today, Decimal(40))),
        "fhir": sorted(d for d, res in _dispenses(world, plan).items() if res["status"] == "completed"),
    }


def _run(plan: TakeHomePlan) -> list[date]:
    plan.refresh_from_db()
    return sorted(date.fromisoformat(d) for d in plan.bottles)


def _assert_at_home_everywhere(world: World, plan: TakeHomePlan, handed_over: date) -> None:
    """Every view holds the whole run at home; FHIR says so with the day it left and the note."""
    run = _run(plan)
    assert _views(world, plan) == {v: run for v in ("at_home", "call_back", "supply", "above", "fhir")}
    for res in _dispenses(world, plan).values():
        assert (res["status"], res["whenHandedOver"]) == ("completed", handed_over.isoformat())
        assert AT_HOME_NOTE in res["note"][0]["text"]
        assert CALLS_BACK in res["note"][0]["text"]
        assert "statusReasonCodeableConcept" not in res
        assert_valid_r4(res)


def _today_dose(world: World) -> DoseRecord:
    return DoseRecord.objects.filter(patient=world.alice, local_date=local_today(world.alice)).latest("id")


# 80 -> 40 the same day


@pytest.mark.usefixtures("_clock")
def test_80_to_40_same_day_the_bottles_are_at_home_in_every_view(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="40")
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.KEPT_BACK
    _assert_at_home_everywhere(world, plan, local_today(world.alice))


@pytest.mark.usefixtures("_clock")
def test_80_to_40_same_day_fhir_never_says_entered_in_error(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="40")
    assert {res["status"] for res in _dispenses(world, plan).values()} == {"completed"}


@pytest.mark.usefixtures("_clock")
def test_80_to_40_same_day_keeps_the_mg_the_bottles_left_with(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="40")
    mgs = {
        res["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"]
        for res in _dispenses(world, plan).values()
    }
    assert mgs == {80.0}


# 0 -> 40 the same day (today's dose corrected to 0, then back up to 40)


@pytest.mark.usefixtures("_clock")
def test_0_to_40_same_day_the_bottles_are_at_home_in_every_view(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="0")
    corrected(world, dose, corrected_mg="40")
    _assert_at_home_everywhere(world, plan, local_today(world.alice))


@pytest.mark.usefixtures("_clock")
def test_at_0_before_the_correction_back_up_fhir_says_entered_in_error_and_no_view_holds_them(
    world: World,
) -> None:
    """The step before: corrected to 0, nothing was given, the hand-out is nullified (`entered-in-error`);
    the supply check holds nothing, the call-back list asks a person to find out (review 24c)."""
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="0")
    views = _views(world, plan)
    assert (views["at_home"], views["supply"], views["fhir"]) == ([], [], [])
    assert {res["status"] for res in _dispenses(world, plan).values()} == {"entered-in-error"}


# 80 -> 0 -> 40: yesterday's hand-out dose, corrected today; and a void, then a new 40 mg dose


@pytest.mark.usefixtures("_clock")
def test_80_to_0_to_40_of_yesterdays_dose_the_bottles_are_at_home_in_every_view(world: World) -> None:
    plan, dose = handed_out_yesterday(world)
    corrected(world, dose, corrected_mg="0")
    corrected(world, dose, corrected_mg="40")
    _assert_at_home_everywhere(world, plan, local_today(world.alice) - timedelta(days=1))


@pytest.mark.usefixtures("_clock")
def test_80_to_0_to_40_of_todays_dose_every_view_agrees(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="0")
    corrected(world, dose, corrected_mg="40")
    corrected(world, dose, corrected_mg="0")
    corrected(world, dose, corrected_mg="40")
    _assert_at_home_everywhere(world, plan, local_today(world.alice))


@pytest.mark.usefixtures("_clock")
def test_void_then_a_new_40_mg_dose_every_view_agrees(world: World) -> None:
    """Whatever the shared reading says of a run handed out at a voided dose with a new 40 mg dose the same
    day (see the lane report), the four views say the same."""
    plan, dose = handed_out_today(world)
    corrected(world, dose, void=True)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40")
    views = _views(world, plan)
    assert views["at_home"] == views["call_back"] == views["supply"] == views["above"] == views["fhir"]


# 80 -> 40, then brought back


@pytest.mark.usefixtures("_clock")
def test_80_to_40_then_one_brought_back_is_stopped_with_the_day_it_left(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="40")
    first, second = _run(plan)
    plan.returned_days = [first.isoformat()]
    plan.save(update_fields=["returned_days"])
    found = _dispenses(world, plan)
    today = local_today(world.alice).isoformat()
    assert (found[first]["status"], found[first]["whenHandedOver"]) == ("stopped", today)
    assert (found[second]["status"], found[second]["whenHandedOver"]) == ("completed", today)
    assert_valid_r4(found[first])
    assert _views(world, plan) == {v: [second] for v in ("at_home", "call_back", "supply", "above", "fhir")}


@pytest.mark.usefixtures("_clock")
def test_80_to_40_then_both_brought_back_no_view_holds_them(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="40")
    plan.returned_days = list(plan.bottles)
    plan.save(update_fields=["returned_days"])
    assert {res["status"] for res in _dispenses(world, plan).values()} == {"stopped"}
    assert _views(world, plan) == {v: [] for v in ("at_home", "call_back", "supply", "above", "fhir")}


# 80 -> 40, then the plan ended by a prescriber


@pytest.mark.usefixtures("_clock")
def test_80_to_40_then_a_prescribers_end_the_bottles_are_at_home_in_every_view(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="40")
    plan.refresh_from_db()
    prescriber_ends(world, plan, "Relapse reported: bottles to come back", from_day=plan.bottles[0])
    _assert_at_home_everywhere(world, plan, local_today(world.alice))


@pytest.mark.usefixtures("_clock")
def test_80_to_40_then_a_prescribers_end_with_the_bottles_brought_back(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="40")
    plan.refresh_from_db()
    prescriber_ends(
        world,
        plan,
        "Relapse reported: bottles to come back",
        from_day=plan.bottles[0],
        returned_days=plan.bottles,
    )
    found = _dispenses(world, plan)
    assert {(res["status"], res["whenHandedOver"]) for res in found.values()} == {
        ("stopped", local_today(world.alice).isoformat())
    }
    assert _views(world, plan) == {v: [] for v in ("at_home", "call_back", "supply", "above", "fhir")}


# New York: 19:30 and 00:30 local


@pytest.mark.parametrize("clock", [time(19, 30), time(0, 30)], ids=["19:30", "00:30"])
def test_new_york_80_to_40_the_bottles_are_at_home_in_every_view(world: World, clock: time) -> None:
    assert world.alice.program.time_zone == "America/New_York"
    real = datetime.now(UTC).astimezone(NY).date() - timedelta(days=2)
    with time_machine.travel(datetime.combine(real, clock, tzinfo=NY), tick=False):
        plan, dose = handed_out_today(world)
        corrected(world, dose, corrected_mg="40")
        assert local_today(world.alice) == real
        _assert_at_home_everywhere(world, plan, real)


@pytest.mark.parametrize("clock", [time(19, 30), time(0, 30)], ids=["19:30", "00:30"])
def test_new_york_0_to_40_the_bottles_are_at_home_in_every_view(world: World, clock: time) -> None:
    assert world.alice.program.time_zone == "America/New_York"
    real = datetime.now(UTC).astimezone(NY).date() - timedelta(days=2)
    with time_machine.travel(datetime.combine(real, clock, tzinfo=NY), tick=False):
        plan, dose = handed_out_today(world)
        corrected(world, dose, corrected_mg="0")
        corrected(world, dose, corrected_mg="40")
        _assert_at_home_everywhere(world, plan, real)
