"""Lane bot25 (review 24c holes 1, 2, 3, 4 and 6): a bottle handed out is a fact, and every bottle that may be
at home is on the call-back list until a person records it brought back. The fixes attacked with ordinary
input: a double submit, a correction of today's dose and of yesterday's, a correction back up the same day,
a void, a hold (then released), a buprenorphine hold, a late evening dose corrected after midnight in New
York, the page in English and Spanish, the API's answer. Dates relative to today."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keel.patients.models import local_today, zone_of
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, PlanEnd
from keel.treatment.queries.take_home_plans import bottles_at_home, call_back, held_bottles, plan_days
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World, sign_in
from tests.factories import (
    corrected,
    handed_out_today,
    handed_out_yesterday,
    held_then_released,
    methadone_with_take_home_plan,
    pinned_at_last_five_pm_utc,
    prescriber_ends,
)

pytestmark = pytest.mark.django_db

BACK = "Person brought the bottle back unopened after our telephone call"
NEVER_LEFT = "Found both bottles still on the dispensary shelf: they never left the clinic"
TYPO = "Wrong amount typed at the window; the pump log shows the real amount."


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _two(world: World) -> set[date]:
    today = local_today(world.alice)
    return {today + timedelta(days=1), today + timedelta(days=2)}


# Hole 1: today's dose corrected down after the bottles left


def test_a_double_submit_of_the_correction_keeps_both_bottles_on_the_call_back_list(world: World) -> None:
    plan, dose = handed_out_today(world)
    client = sign_in(Client(), world.staff["nurse"])
    url = reverse("treatment:amend", args=[world.alice.pk, dose.pk])
    for _ in range(2):
        client.post(url, {"corrected_mg": "60", "reason": TYPO})
    today = local_today(world.alice)
    assert set(call_back(world.alice, today).get(plan.pk, {})) == _two(world)


def test_a_second_correction_further_down_keeps_them_at_home(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="60")
    corrected(world, dose, corrected_mg="50")
    today = local_today(world.alice)
    assert set(bottles_at_home(world.alice, today).get(plan.pk, {})) == _two(world)


def test_the_bottles_at_home_keep_the_mg_they_left_with(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="60")
    home = call_back(world.alice, local_today(world.alice))[plan.pk]
    assert {f"{mg.normalize():f}" for mg in home.values()} == {"80"}


def test_a_correction_back_up_the_same_day_restores_the_plan(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="60")
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    assert plan.ended_on is None and _two(world) <= plan_days(plan)


def test_a_correction_back_up_the_same_day_empties_the_call_back_list(world: World) -> None:
    _plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="60")
    corrected(world, dose, corrected_mg="80")
    assert call_back(world.alice, local_today(world.alice)) == {}


def test_a_correction_back_up_the_same_day_records_the_bottles_handed_out_again(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="60")
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    assert set(plan.bottle_mg) == {d.isoformat() for d in _two(world)} and not plan.bottles_taken_back


def test_the_bottles_at_home_are_counted_once_after_the_correction_back_up(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="60")
    corrected(world, dose, corrected_mg="80")
    home = bottles_at_home(world.alice, local_today(world.alice))
    assert {pk: set(days) for pk, days in home.items()} == {plan.pk: _two(world)}


# Hole 2: the kept end reason, and the page's words


@pytest.mark.parametrize("when", ["today", "yesterday"])
def test_the_kept_reason_names_the_bottles_at_home(world: World, when: str) -> None:
    plan, dose = handed_out_today(world) if when == "today" else handed_out_yesterday(world)
    corrected(world, dose, corrected_mg="60")
    plan.refresh_from_db()
    home = sorted(call_back(world.alice, local_today(world.alice))[plan.pk])
    assert plan.end_reason.startswith(f"The bottles for {', '.join(d.isoformat() for d in home)} were handed")


def test_the_kept_reason_keeps_the_end_kind_a_correction_back_up_undoes(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="60")
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.KEPT_BACK


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "still at home until brought back"), ("es", "siguen en casa hasta que se devuelvan")],
)
def test_the_medication_page_says_the_bottles_are_at_home(world: World, language: str, words: str) -> None:
    _plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="60")
    client = sign_in(Client(), world.staff["prescriber"])
    client.cookies["django_language"] = language
    body = client.get(f"/patients/{world.alice.pk}/medication/", HTTP_ACCEPT_LANGUAGE=language)
    text = body.content.decode()
    assert words in text and "not handed out" not in text and "no se entregaron" not in text


# Hole 3: a void or a correction to 0 after the bottles left


@pytest.mark.parametrize("how", [{"corrected_mg": "0"}, {"void": True}])
def test_a_void_keeps_the_bottles_off_the_supply_count(world: World, how: dict[str, object]) -> None:
    """Review 23b: a dose recorded in error (she never came) does not make her a take-home day at the window;
    the bottles are on the call-back list only, where a person finds out whether they left."""
    plan, dose = handed_out_today(world)
    corrected(world, dose, **how)
    assert plan.pk not in held_bottles(world.alice, None, local_today(world.alice))


@pytest.mark.parametrize("how", [{"corrected_mg": "0"}, {"void": True}])
def test_bottles_that_never_left_can_be_recorded_so(world: World, how: dict[str, object]) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, **how)
    prescriber_ends(world, plan, NEVER_LEFT, returned_days=[d.isoformat() for d in _two(world)])
    assert call_back(world.alice, local_today(world.alice)) == {}


def test_a_dose_given_later_today_after_a_void_hands_the_bottles_out_again(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, void=True)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    plan.refresh_from_db()
    assert plan.ended_on is None and call_back(world.alice, local_today(world.alice)) == {}


# Hole 4: the end form records a bottle brought back after a keep back


def test_the_end_form_records_tomorrows_bottle_and_keeps_the_other_on_the_list(world: World) -> None:
    plan, dose = handed_out_today(world)
    today = local_today(world.alice)
    corrected(world, dose, corrected_mg="60")
    prescriber_ends(world, plan, BACK, returned_days=[(today + timedelta(days=1)).isoformat()])
    assert set(call_back(world.alice, today)[plan.pk]) == {today + timedelta(days=2)}


def test_the_end_form_refuses_a_bottle_that_is_not_at_home(world: World) -> None:
    plan, dose = handed_out_today(world)
    today = local_today(world.alice)
    corrected(world, dose, corrected_mg="60")
    with pytest.raises(TreatmentInvalid) as refused:
        prescriber_ends(world, plan, BACK, returned_days=[(today + timedelta(days=5)).isoformat()])
    assert refused.value.errors[0].field == "returned_days"


def test_the_api_s_end_answer_carries_the_call_back_list(world: World) -> None:
    plan, dose = handed_out_today(world)
    today = local_today(world.alice)
    corrected(world, dose, corrected_mg="60")
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/take-homes/{plan.pk}/end",
        json.dumps({"reason": BACK, "returned_days": [(today + timedelta(days=1)).isoformat()]}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["call_back"] == {(today + timedelta(days=2)).isoformat(): "80"}


# Hole 6: a hold after the bottles left


def _hold(world: World, medication: str = "methadone") -> None:
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True, medication=medication)


def test_a_hold_then_a_release_keeps_the_bottles_on_the_call_back_list(world: World) -> None:
    plan, _dose = handed_out_today(world)
    held_then_released(world)
    assert set(call_back(world.alice, local_today(world.alice)).get(plan.pk, {})) == _two(world)


def test_a_hold_leaves_the_bottle_days_take_home_days(world: World) -> None:
    """The plan's days at home stay covered: the window gives no observed dose on them unless the bottle
    comes back."""
    plan, _dose = handed_out_today(world)
    _hold(world)
    plan.refresh_from_db()
    assert _two(world) <= plan_days(plan) and plan.end_kind == PlanEnd.HOLD


def test_a_buprenorphine_hold_calls_the_methadone_bottles_back(world: World) -> None:
    plan, _dose = handed_out_today(world)
    prescriber = world.staff["prescriber"]
    prescribe(by=prescriber, patient_id=world.alice.pk, medication="buprenorphine", dose_mg="4")
    _hold(world, "buprenorphine")
    assert set(call_back(world.alice, local_today(world.alice)).get(plan.pk, {})) == _two(world)


def test_a_bottle_brought_back_after_a_hold_leaves_the_list(world: World) -> None:
    plan, _dose = handed_out_today(world)
    today = local_today(world.alice)
    _hold(world)
    prescriber_ends(world, plan, BACK, returned_days=[(today + timedelta(days=1)).isoformat()])
    assert set(call_back(world.alice, today)[plan.pk]) == {today + timedelta(days=2)}


def test_a_hold_before_any_bottle_left_calls_nobody_back(world: World) -> None:
    methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    _hold(world)
    assert call_back(world.alice, local_today(world.alice)) == {}


# 19:30 and 00:30 in New York: the evening dose corrected after midnight is yesterday's


def test_an_evening_dose_corrected_after_midnight_calls_the_bottles_back(world: World) -> None:
    zone = zone_of(world.alice)
    day = local_today(world.alice) - timedelta(days=2)
    evening = datetime.combine(day, time(19, 30), tzinfo=zone)
    with time_machine.travel(evening - timedelta(hours=1), tick=False):
        plan, _first = methadone_with_take_home_plan(world, timezone.now())
    with time_machine.travel(evening, tick=False):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", now=evening)
    dose = DoseRecord.objects.filter(patient=world.alice, local_date=day).latest("id")
    plan.refresh_from_db()
    assert len(plan.bottle_mg) == 2, ("setup: the evening dose handed the bottles out", plan.bottle_mg)
    after_midnight = datetime.combine(day + timedelta(days=1), time(0, 30), tzinfo=zone)
    with time_machine.travel(after_midnight, tick=False):
        corrected(world, dose, corrected_mg="60")
        plan.refresh_from_db()
        said = call_back(world.alice, day + timedelta(days=1)).get(plan.pk, {})
    assert set(said) == {day + timedelta(days=1), day + timedelta(days=2)}
    assert "call the person back" in plan.end_reason
