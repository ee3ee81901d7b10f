"""Lane fhir25 (review 24c hole 5): the FHIR export's status of every take-home bottle follows the one record
of what left the clinic, as `bottles_at_home` reads it (at home = handed out - brought back). A bottle
handed out is `completed` (with a `note` when the record took it back after a correction down), `stopped`
when brought back (with the day it had been handed over), `entered-in-error` when the dose it was recorded
with was voided, `cancelled` when its hand-out day passed with no dose. One fact per assertion; dates
relative to today."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from keel.access.policy import Area
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.patients.models import local_today
from keel.treatment.models import MedicationOrder, TakeHomePlan
from keel.treatment.queries.take_home_plans import bottles_at_home, call_back
from tests.conftest import World
from tests.factories import (
    corrected,
    given_on,
    handed_out_yesterday,
    methadone_with_take_home_plan,
    pinned_at_last_five_pm_utc,
)
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _bottles(world: World, plan: TakeHomePlan) -> dict[date, dict[str, Any]]:
    record = Record(world.alice, frozenset(Area), Base("https://keel.example/fhir/R4/"), timezone.now())
    return {
        date.fromisoformat(res["dosageInstruction"][0]["timing"]["event"][0]): res
        for res in record.of_type("MedicationDispense")
        if res["id"].startswith(f"bottle-{plan.pk}-")
    }


def _today(world: World) -> date:
    return local_today(world.alice)


@pytest.fixture
def corrected_down(world: World) -> TakeHomePlan:
    """Yesterday's hand-out dose corrected down from 80 to 60 mg today: both bottles are at home."""
    plan, dose = handed_out_yesterday(world)
    corrected(world, dose, corrected_mg="60")
    plan.refresh_from_db()
    return plan


def test_setup_the_record_took_the_bottles_back_and_they_are_at_home(
    world: World, corrected_down: TakeHomePlan
) -> None:
    today = _today(world)
    assert set(corrected_down.bottles_taken_back) == {today.isoformat(), (today + timedelta(1)).isoformat()}
    assert set(bottles_at_home(world.alice, today)[corrected_down.pk]) == {today, today + timedelta(1)}


def test_a_bottle_at_home_after_a_correction_down_is_completed(world: World, corrected_down: Any) -> None:
    found = _bottles(world, corrected_down)
    assert {day: res["status"] for day, res in found.items()} == {
        _today(world): "completed",
        _today(world) + timedelta(days=1): "completed",
    }


def test_fhir_completed_is_exactly_bottles_at_home(world: World, corrected_down: Any) -> None:
    today = _today(world)
    home = set(bottles_at_home(world.alice, today).get(corrected_down.pk, {}))
    found = _bottles(world, corrected_down)
    assert {d for d, res in found.items() if d >= today and res["status"] == "completed"} == home


def test_fhir_completed_is_exactly_the_call_back_list(world: World, corrected_down: Any) -> None:
    """The page and the API call both bottles back; FHIR says both are out of the clinic."""
    today = _today(world)
    listed = set(call_back(world.alice, today).get(corrected_down.pk, {}))
    found = _bottles(world, corrected_down)
    assert {d for d, res in found.items() if res["status"] == "completed"} == listed


def test_a_bottle_at_home_after_a_correction_down_says_when_it_was_handed_over(
    world: World, corrected_down: Any
) -> None:
    found = _bottles(world, corrected_down)[_today(world)]
    assert found["whenHandedOver"] == (_today(world) - timedelta(days=1)).isoformat()


def test_a_bottle_at_home_after_a_correction_down_has_a_note_a_reader_sees(
    world: World, corrected_down: Any
) -> None:
    text = _bottles(world, corrected_down)[_today(world)]["note"][0]["text"]
    assert "in the person's hands until it is recorded brought back" in text


def test_a_bottle_at_home_carries_no_reason_for_a_dispense_not_performed(
    world: World, corrected_down: Any
) -> None:
    """R4's `statusReason` says why a dispense was not performed: never on one that was."""
    assert "statusReasonCodeableConcept" not in _bottles(world, corrected_down)[_today(world)]


def test_a_bottle_at_home_keeps_the_mg_it_left_with(world: World, corrected_down: Any) -> None:
    found = _bottles(world, corrected_down)[_today(world)]
    assert found["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 80.0


def test_a_bottle_at_home_after_a_correction_down_is_valid_r4(world: World, corrected_down: Any) -> None:
    assert_valid_r4(_bottles(world, corrected_down)[_today(world)])


def test_a_bottle_brought_back_after_a_correction_down_is_stopped(world: World, corrected_down: Any) -> None:
    today = _today(world)
    corrected_down.returned_days = [today.isoformat()]
    corrected_down.save(update_fields=["returned_days"])
    found = _bottles(world, corrected_down)
    assert (found[today]["status"], found[today + timedelta(days=1)]["status"]) == ("stopped", "completed")


def test_a_bottle_brought_back_says_it_had_been_handed_over(world: World, corrected_down: Any) -> None:
    today = _today(world)
    corrected_down.returned_days = [today.isoformat()]
    corrected_down.save(update_fields=["returned_days"])
    assert _bottles(world, corrected_down)[today]["whenHandedOver"] == (today - timedelta(days=1)).isoformat()


def test_a_bottle_brought_back_is_valid_r4(world: World, corrected_down: Any) -> None:
    today = _today(world)
    corrected_down.returned_days = [today.isoformat()]
    corrected_down.save(update_fields=["returned_days"])
    assert_valid_r4(_bottles(world, corrected_down)[today])


def test_a_bottle_whose_dose_was_voided_is_entered_in_error_and_not_at_home(world: World) -> None:
    """The dose it was recorded with was recorded in error: it never left (`bottles_at_home` is empty), and
    the record of its hand-out is nullified."""
    plan, dose = handed_out_yesterday(world)
    corrected(world, dose, void=True)
    today = _today(world)
    assert bottles_at_home(world.alice, today).get(plan.pk, {}) == {}
    assert {res["status"] for res in _bottles(world, plan).values()} == {"entered-in-error"}


def test_a_bottle_whose_hand_out_day_passed_with_no_dose_is_cancelled_and_not_at_home(world: World) -> None:
    """She did not come yesterday: nothing left the clinic, and nothing will (`cancelled`)."""
    plan, _first = methadone_with_take_home_plan(
        world, timezone.now() - timedelta(days=2), days_earlier=1
    )  # the doses up to the day before yesterday; none yesterday, the hand-out day
    today = _today(world)
    assert bottles_at_home(world.alice, today).get(plan.pk, {}) == {}
    assert {res["status"] for res in _bottles(world, plan).values()} == {"cancelled"}


def test_a_bottle_handed_out_and_not_corrected_is_completed_without_a_note(world: World) -> None:
    plan, _dose = handed_out_yesterday(world)
    found = _bottles(world, plan)[_today(world)]
    assert (found["status"], "note" in found) == ("completed", False)


def test_a_run_after_one_that_never_left_is_not_at_home_for_any_reader(world: World) -> None:
    """A plan from before the record: its first run's hand-out day passed with no dose (the plan ends
    before it), and the person was dosed yesterday, the later run's hand-out day: the window read the plan
    as ended, so nothing went home. FHIR, `bottles_at_home` and the supply check agree: nothing left."""
    from keel.treatment.queries.take_home_plans import held_bottles

    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=6), days_earlier=3)
    today = _today(world)
    order = MedicationOrder.objects.filter(patient=world.alice).latest("id")
    given_on(world, order, today - timedelta(days=1), 80, 12)
    plan.bottles = [(today - timedelta(days=2)).isoformat(), today.isoformat()]
    plan.save(update_fields=["bottles"])
    assert bottles_at_home(world.alice, today).get(plan.pk, {}) == {}
    assert held_bottles(world.alice, None, today).get(plan.pk, set()) == set()
    assert {res["status"] for res in _bottles(world, plan).values()} == {"cancelled"}


def test_the_whole_record_bundle_with_bottles_at_home_is_valid_r4(world: World, corrected_down: Any) -> None:
    from keel.interop.fhir.record import record_bundle

    today = _today(world)
    corrected_down.returned_days = [(today + timedelta(days=1)).isoformat()]  # one at home, one brought back
    corrected_down.save(update_fields=["returned_days"])
    base = Base("https://keel.example/fhir/R4/")
    assert_valid_r4(record_bundle(world.alice, frozenset(Area), timezone.now(), base))
