"""Lane fix24b (review 24b): a bottle handed out is a fact; at home = handed out - brought back, one answer
for every reader; the call-back kept on the record; bottles brought back after the end recorded. Fixture:
bottles for yesterday, today and tomorrow at 80 mg that went home with the dose of T-2 (review 24b's).
Dates relative to today."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import translation

from keel.patients.models import local_today
from keel.treatment import words
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.queries import bottles_at_home, call_back, medication_record
from keel.treatment.services.common import PlanAlreadyEnded
from keel.treatment.services.doses.bottles import PLAN_STOPS_ALL_BACK, TAKE_BACK_UNDONE
from keel.treatment.services.orders import prescribe
from tests.conftest import World, sign_in
from tests.factories import corrected, prescriber_ends
from tests.review24b.test_holes import REASON, _correct, _dose_of, _three_bottles_from_yesterday

BACK = "Person brought the bottles back unopened after our telephone call"


def test_the_bottles_taken_back_stay_at_home_with_their_mg(world: World) -> None:
    plan, today = _three_bottles_from_yesterday(world)
    _correct(world, today - timedelta(days=2), "40")
    home = bottles_at_home(world.alice, today)[plan.pk]
    assert {d: f"{mg.normalize():f}" for d, mg in home.items()} == {
        today: "80",
        today + timedelta(days=1): "80",
    }


def test_the_call_back_list_names_them_for_the_next_shift(world: World) -> None:
    plan, today = _three_bottles_from_yesterday(world)
    _correct(world, today - timedelta(days=2), "40")
    record = medication_record(world.staff["prescriber"], patient_id=world.alice.pk)
    assert set(record.call_back[plan.pk]) == {today, today + timedelta(days=1)}


def test_the_call_back_words_in_spanish(world: World) -> None:
    plan, today = _three_bottles_from_yesterday(world)
    _correct(world, today - timedelta(days=2), "40")
    with translation.override("es"):
        said = words.call_back_words(call_back(world.alice, today)[plan.pk])
    assert said.startswith("Todavía en casa — llame a la persona"), said


def test_a_bottle_brought_back_leaves_the_call_back_list(world: World) -> None:
    plan, today = _three_bottles_from_yesterday(world)
    _correct(world, today - timedelta(days=2), "40")
    prescriber_ends(world, plan, BACK, returned_days=[today.isoformat()])
    assert set(call_back(world.alice, today)[plan.pk]) == {today + timedelta(days=1)}


def test_a_bottle_not_at_home_cannot_be_recorded_brought_back(world: World) -> None:
    plan, today = _three_bottles_from_yesterday(world)
    _correct(world, today - timedelta(days=2), "40")
    with pytest.raises(TreatmentInvalid):
        prescriber_ends(world, plan, BACK, returned_days=[(today + timedelta(days=5)).isoformat()])


def test_ending_an_ended_plan_again_without_bottles_is_still_a_conflict(world: World) -> None:
    plan, today = _three_bottles_from_yesterday(world)
    _correct(world, today - timedelta(days=2), "40")
    with pytest.raises(PlanAlreadyEnded):
        prescriber_ends(world, plan, BACK)


def test_undoing_the_slip_tells_the_nurse_nobody_needs_calling(world: World) -> None:
    _plan, today = _three_bottles_from_yesterday(world)
    _correct(world, today - timedelta(days=2), "40")
    undone = _correct(world, today - timedelta(days=2), "80")
    assert [r.template for r in undone.warnings] == [TAKE_BACK_UNDONE]


def test_all_bottles_back_already_nobody_to_call(world: World) -> None:
    plan, today = _three_bottles_from_yesterday(world)
    plan.returned_days = [today.isoformat(), (today + timedelta(days=1)).isoformat()]
    plan.save(update_fields=["returned_days"])
    told = _correct(world, today - timedelta(days=2), "40")
    assert [r.template for r in told.warnings] == [PLAN_STOPS_ALL_BACK]


def test_a_raise_deferred_after_the_bottles_left_does_not_take_them_back(world: World) -> None:
    """Review 24b hole 1's second symptom: a raise to 100 mg deferred to tomorrow, written after the bottles
    left, is not the order the bottles are judged by: a small correction leaves the plan standing."""
    plan, today = _three_bottles_from_yesterday(world)
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="100",
        starts_on=today + timedelta(days=1),
    )
    _correct(world, today - timedelta(days=2), "78")
    plan.refresh_from_db()
    assert plan.ended_on is None and plan.bottle_mg[(today + timedelta(days=1)).isoformat()] == "80.00"


def test_a_void_after_the_take_back_never_calls_back_a_bottle_already_drunk(world: World) -> None:
    _plan, today = _three_bottles_from_yesterday(world)
    day = today - timedelta(days=2)
    _correct(world, day, "40")
    voided = corrected(world, _dose_of(world, day), REASON, void=True)
    said = " ".join(r.text for r in voided.warnings)
    assert (today - timedelta(days=1)).isoformat() not in said, said
    assert local_today(world.alice) == today


def test_the_medication_page_shows_the_call_back_and_records_bottles_brought_back(world: World) -> None:
    plan, today = _three_bottles_from_yesterday(world)
    tomorrow = today + timedelta(days=1)
    _correct(world, today - timedelta(days=2), "40")
    client = sign_in(Client(), world.staff["prescriber"])
    page = f"/patients/{world.alice.pk}/medication/"
    body = client.get(page).content.decode()
    assert "call the person back to bring them in" in body and tomorrow.isoformat() in body
    client.post(f"{page}take-homes/{plan.pk}/end/", {"reason": BACK, "returned_days": tomorrow.isoformat()})
    assert tomorrow not in call_back(world.alice, today).get(plan.pk, {})
