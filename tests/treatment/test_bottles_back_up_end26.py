"""Lane end26 (review 25c, noticed and never fixed): a correction back up after a correction to 0 (or a void)
re-decides the take-home run as every change of a day's total does. Today's dose 80 -> 0 -> 80 (the run goes
home again) or -> 40 (the window would not give the 80 mg bottles after 40: kept back, not "nothing given");
yesterday's dose the same, corrected today; a void then a new dose; after a prescriber's end; after a hold;
New York at 19:30 and 00:30. Each checks the plan's end, the call-back list, `bottles_at_home`, the supply
check (`bottles_at_home_above`) and the FHIR MedicationDispense status agree, and that the nurse is told once.
Dates relative to today."""

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
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.queries.take_home_plans import (
    bottles_at_home,
    bottles_at_home_above,
    call_back,
    plan_days,
)
from keel.treatment.services.doses.bottles import CORRECTION_CALL_BACK
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import (
    corrected,
    handed_out_today,
    handed_out_yesterday,
    held_then_released,
    pinned_at_last_five_pm_utc,
    prescriber_ends,
)

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


@pytest.fixture
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _today(world: World) -> date:
    return local_today(world.alice)


def _status(world: World, plan: TakeHomePlan, day: date) -> str:
    rec = Record(world.alice, frozenset(Area), Base("https://keel.example/fhir/R4/"), timezone.now())
    found: dict[str, Any] = {d["id"]: d for d in rec.of_type("MedicationDispense")}
    return str(found[f"bottle-{plan.pk}-{day.strftime('%Y%m%d')}"]["status"])


def _story(world: World, plan: TakeHomePlan) -> dict[str, Any]:
    """What every reader says of the plan's run, read again."""
    plan.refresh_from_db()
    today = _today(world)
    run = sorted(date.fromisoformat(d) for d in plan.bottles)
    return {
        "covered": sorted(d for d in plan_days(plan) if d >= today),
        "call_back": sorted(call_back(world.alice, today).get(plan.pk, {})),
        "at_home": sorted(bottles_at_home(world.alice, today).get(plan.pk, {})),
        "supply": [d for d, _mg in bottles_at_home_above(world.alice, "methadone", today, Decimal(40))],
        "fhir": [_status(world, plan, d) for d in run],
        "run": run,
    }


# Today's dose: 80 -> 0 -> 80 and 80 -> 0 -> 40


@pytest.mark.usefixtures("_clock")
def test_today_back_up_to_80_the_plan_goes_on_and_every_reader_agrees(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="0")
    back = corrected(world, dose, corrected_mg="80")
    story = _story(world, plan)
    assert plan.ended_on is None
    assert story["covered"] == story["run"]
    assert story["call_back"] == []
    assert story["at_home"] == story["run"]
    assert story["supply"] == story["run"]
    assert set(story["fhir"]) == {"completed"}
    assert len(back.warnings) == 1


@pytest.mark.usefixtures("_clock")
def test_today_back_up_to_40_the_end_is_a_keep_back_not_nothing_given(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="0")
    corrected(world, dose, corrected_mg="40")
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.KEPT_BACK


@pytest.mark.usefixtures("_clock")
def test_today_back_up_to_40_the_nurse_is_told_once_to_call_back(world: World) -> None:
    _plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="0")
    back = corrected(world, dose, corrected_mg="40")
    assert [w.template for w in back.warnings] == [back.warnings[0].template]
    assert "call the person back" in back.warnings[0].text.lower()


@pytest.mark.usefixtures("_clock")
def test_today_back_up_to_40_every_reader_says_at_home_and_called_back(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="0")
    corrected(world, dose, corrected_mg="40")
    story = _story(world, plan)
    assert story["covered"] == []
    assert story["call_back"] == story["run"]
    assert story["at_home"] == story["run"]
    assert story["supply"] == story["run"]


@pytest.mark.usefixtures("_clock")
def test_today_back_up_to_40_tells_every_reader_what_a_direct_correction_to_40_tells(world: World) -> None:
    """0 -> 40 ends where 80 -> 40 ends, FHIR included (lane fhir27: the bottles at home are `completed`, as
    `bottles_at_home`, the call-back list and the supply check hold them; end26 had pinned the hole it
    noticed, `entered-in-error`)."""
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="0")
    corrected(world, dose, corrected_mg="40")
    via_zero = _story(world, plan)
    kind = plan.end_kind
    assert (kind, via_zero["call_back"], via_zero["fhir"]) == (
        PlanEnd.KEPT_BACK,
        via_zero["run"],
        ["completed"] * len(via_zero["run"]),
    )


@pytest.mark.usefixtures("_clock")
def test_today_back_up_to_40_the_reason_no_longer_says_no_dose_stands(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="0")
    corrected(world, dose, corrected_mg="40")
    plan.refresh_from_db()
    assert "no dose given today stands" not in plan.end_reason


# Yesterday's dose, corrected today: 80 -> 0 -> 80 and 80 -> 0 -> 40


@pytest.mark.usefixtures("_clock")
def test_yesterday_back_up_to_80_the_plan_goes_on(world: World) -> None:
    plan, dose = handed_out_yesterday(world)
    corrected(world, dose, corrected_mg="0")
    back = corrected(world, dose, corrected_mg="80")
    story = _story(world, plan)
    assert plan.ended_on is None
    assert story["covered"] == story["run"]
    assert story["call_back"] == []
    assert story["at_home"] == story["run"]
    assert set(story["fhir"]) == {"completed"}
    assert len(back.warnings) == 1


@pytest.mark.usefixtures("_clock")
def test_yesterday_back_up_to_40_the_end_is_a_keep_back_and_the_bottles_called_back(world: World) -> None:
    plan, dose = handed_out_yesterday(world)
    corrected(world, dose, corrected_mg="0")
    back = corrected(world, dose, corrected_mg="40")
    story = _story(world, plan)
    assert plan.end_kind == PlanEnd.KEPT_BACK
    assert story["covered"] == []
    assert story["call_back"] == story["run"]
    assert story["at_home"] == story["run"]
    assert story["supply"] == story["run"]
    assert len(back.warnings) == 1


# A void then a new dose at the window


@pytest.mark.usefixtures("_clock")
def test_void_then_a_new_dose_hands_the_run_out_again(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, void=True)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    story = _story(world, plan)
    assert plan.ended_on is None
    assert story["call_back"] == []
    assert story["at_home"] == story["run"]
    assert set(story["fhir"]) == {"completed"}


# After a prescriber's end


@pytest.mark.usefixtures("_clock")
def test_after_a_prescribers_end_back_up_records_the_bottles_handed_out_again(world: World) -> None:
    plan, dose = handed_out_today(world)
    prescriber_ends(world, plan, "Relapse reported: bottles to come back", from_day=plan.bottles[0])
    corrected(world, dose, corrected_mg="0")
    back = corrected(world, dose, corrected_mg="80")
    story = _story(world, plan)
    assert plan.end_kind == PlanEnd.PRESCRIBER
    assert story["call_back"] == story["run"]
    assert story["at_home"] == story["run"]
    assert set(story["fhir"]) == {"completed"}
    # lane fix28d (review 28d hole 3): "handed out" never counts as a call-back; the bottles are at home and
    # no plan covers them, so the nurse is told to call the person back for them too
    assert len(back.warnings) == 2
    assert back.warnings[1].template == CORRECTION_CALL_BACK


# After a hold


@pytest.mark.usefixtures("_clock")
def test_after_a_hold_back_up_leaves_the_hold_end(world: World) -> None:
    plan, dose = handed_out_today(world)
    held_then_released(world)
    corrected(world, dose, corrected_mg="0")
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    assert plan.ended_on is not None and plan.end_kind not in (PlanEnd.NOTHING_GIVEN, PlanEnd.KEPT_BACK)
    assert sorted(call_back(world.alice, _today(world)).get(plan.pk, {})) == sorted(
        date.fromisoformat(d) for d in plan.bottles
    )


# New York evening and just after midnight


@pytest.mark.parametrize("clock", [time(19, 30), time(0, 30)], ids=["19:30", "00:30"])
@pytest.mark.parametrize("mg", ["80", "40"])
def test_new_york_evening_and_after_midnight(world: World, clock: time, mg: str) -> None:
    real = datetime.now(UTC).astimezone(NY).date() - timedelta(days=2)
    at = datetime.combine(real, clock, tzinfo=NY)
    with time_machine.travel(at, tick=False):
        plan, dose = handed_out_today(world)
        corrected(world, dose, corrected_mg="0")
        back = corrected(world, dose, corrected_mg=mg)
        story = _story(world, plan)
        assert len(back.warnings) == 1
        if mg == "80":
            assert (plan.ended_on, story["call_back"]) == (None, [])
        else:
            assert (plan.end_kind, story["call_back"]) == (PlanEnd.KEPT_BACK, story["run"])
        assert story["at_home"] == story["run"]
