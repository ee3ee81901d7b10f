"""Lane fix31a (review 31a holes 1-6): an end a correction down wrote stays ended after another correction of
its dose and its words follow the dose that stands (`redecide.reword.end_said_again`); a take-back written
on an earlier day is never undone into "handed out" (`redecide.undo.after_take_back_since`); a run of days
inside a Spanish end's sentence says "del" once (`end_words.days_words`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import translation

from keel.patients.models import zone_of
from keel.treatment.end_words import days_words
from keel.treatment.models import DoseRecord, PlanEnd, TakeHomePlan
from keel.treatment.services.doses.corrections import amend_dose
from tests.conftest import World
from tests.factories import corrected
from tests.review31a._setup import (
    four_bottles_home_three_days_ago,
    four_bottles_home_yesterday,
    run_left_two_days_ago,
)

pytestmark = pytest.mark.django_db


def _down_void_back(world: World) -> TakeHomePlan:
    """Yesterday's dose (four bottles went home with it) corrected 80 -> 40, voided, then corrected to 60."""
    plan, today = four_bottles_home_yesterday(world)
    dose = DoseRecord.objects.get(patient=world.alice, local_date=today - timedelta(days=1))
    corrected(world, dose, "Pump log shows 40 mg given, not 80 mg as typed", corrected_mg="40")
    corrected(world, dose, "Voided: this was recorded on the wrong chart", void=True)
    corrected(world, dose, "Wrong chart was a mistake: 60 mg given per the pump log", corrected_mg="60")
    plan.refresh_from_db()
    return plan


def test_keep_back_after_a_void_is_said_again_at_the_amount_that_stands(world: World) -> None:
    plan = _down_void_back(world)
    assert "last observed dose (60 mg)" in plan.end_reason


def test_keep_back_after_a_void_names_the_bottles_still_at_home(world: World) -> None:
    plan = _down_void_back(world)
    assert "still at home until brought back" in plan.end_reason


def test_keep_back_after_a_void_keeps_its_kind(world: World) -> None:
    plan = _down_void_back(world)
    assert plan.end_kind == PlanEnd.KEPT_BACK


def test_take_back_after_a_void_is_said_again_at_the_amount_that_stands(world: World) -> None:
    plan, dose, _today = run_left_two_days_ago(world)
    corrected(world, dose, "Pump log shows 40 mg given, not 80 mg as typed", corrected_mg="40")
    corrected(world, dose, "Voided: this was recorded on the wrong chart", void=True)
    corrected(world, dose, "Wrong chart was a mistake: 60 mg given per the pump log", corrected_mg="60")
    plan.refresh_from_db()
    assert "last observed dose (60 mg)" in plan.end_reason


def _next_day(world: World, mg: str) -> tuple[TakeHomePlan, date]:
    """Four bottles went home three days ago; yesterday that dose was corrected 80 -> 40 (take-back from
    yesterday); today it is corrected to `mg`."""
    plan, dose, today = four_bottles_home_three_days_ago(world)
    yesterday = datetime.combine(today - timedelta(days=1), time(12), tzinfo=zone_of(world.alice))
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=dose.pk,
        corrected_mg="40",
        reason="Pump log shows 40 mg given, not 80 mg as typed",
        now=yesterday,
    )
    amend_dose(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        dose_id=dose.pk,
        corrected_mg=mg,
        reason="Checked the pump log again: the amount is corrected",
    )
    plan.refresh_from_db()
    return plan, today


def test_next_day_correction_back_up_leaves_the_take_back_ended_as_corrected_back(world: World) -> None:
    plan, _today = _next_day(world, "80")
    assert plan.end_kind == PlanEnd.CORRECTED_BACK


def test_next_day_correction_back_up_says_down_and_back_up(world: World) -> None:
    plan, _today = _next_day(world, "80")
    assert "corrected down and later back up to 80 mg" in plan.end_reason


def test_next_day_correction_part_way_up_keeps_the_take_backs_day(world: World) -> None:
    plan, today = _next_day(world, "60")
    assert plan.ended_on == today - timedelta(days=2)


def test_next_day_correction_part_way_up_says_the_amount_that_stands(world: World) -> None:
    plan, _today = _next_day(world, "60")
    assert "last observed dose (60 mg)" in plan.end_reason


def test_a_spanish_run_of_days_carries_no_article_of_its_own() -> None:
    first = date.today()
    days = ", ".join((first + timedelta(days=n)).isoformat() for n in range(4))
    with translation.override("es"):
        said = days_words(days, first)
    assert not said.startswith("del ")
