"""Lane fix34a (review 34a holes 2 and 3, the lead's decision on question 1): the words of a plan's end follow
the dose and the record of each bottle day. Hole 3: a voided end over a bottle on the shelf corrected up is
judged at the new total first (still blocked: the window's reason, a keep back's kind), then corrected
again (up to a total the window gives, voided again). Hole 2: a same-day keep back whose bottles never left
voided (after a correction up, after a correction to 0, with no correction) says the dose is voided. The
void's words never say "not handed out" of a bottle that left (`bottle_day`), in English and Spanish."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from keel.treatment.end_words import plan_end
from keel.treatment.models import DoseRecord, DoseStatus, PlanEnd, TakeHomePlan
from keel.treatment.queries import plan_days
from keel.treatment.services import record_dose
from keel.treatment.services.doses.bottles import VOIDED_HANDED_OVER
from keel.treatment.services.take_homes.ending import record_bottles_brought_back
from tests.conftest import World
from tests.factories import (
    corrected,
    handed_out_yesterday,
    methadone_with_take_home_plan,
    pinned_at_last_five_pm_utc,
)
from tests.review33a._setup import four_bottles_home_three_days_ago
from tests.review34a._setup import called_back

WRONG = "Recorded for the wrong person."


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """One instant for every step, whatever the hour the suite runs."""
    yield from pinned_at_last_five_pm_utc()


def _voided_brought_back_then(world: World, *amounts: str) -> tuple[TakeHomePlan, date]:
    """The four-bottle run; its dose voided; today's bottle brought back; then each correction of
    `amounts` ("void" for a void). The plan, read again, and today."""
    plan, dose, today = four_bottles_home_three_days_ago(world)
    corrected(world, dose, WRONG, void=True)
    record_bottles_brought_back(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        plan_id=plan.pk,
        reason="Brought back unopened at the window.",
        returned_days=[today.isoformat()],
    )
    for mg in amounts:
        if mg == "void":
            corrected(world, dose, WRONG, void=True)
        else:
            corrected(world, dose, f"The pump log shows {mg} mg.", corrected_mg=mg)
    plan.refresh_from_db()
    return plan, today


def test_blocked_over_the_shelf_the_end_is_a_keep_back_and_keeps_the_brought_back_note(world: World) -> None:
    plan, _today = _voided_brought_back_then(world, "60")
    assert plan.end_kind == PlanEnd.KEPT_BACK
    assert "Brought back (" in plan.end_reason


def test_then_corrected_to_80_the_end_stands_and_never_covers_the_shelf_day(world: World) -> None:
    plan, today = _voided_brought_back_then(world, "60", "80")
    assert today not in plan_days(plan)
    assert "would not give" not in plan.end_reason
    assert len(called_back(world, plan.pk)) == 1


def test_then_voided_again_the_words_say_voided_not_60_mg(world: World) -> None:
    plan, _today = _voided_brought_back_then(world, "60", "void")
    assert "60 mg" not in plan.end_reason and "voided" in plan.end_reason
    assert len(called_back(world, plan.pk)) == 1


def _kept_back_today(world: World) -> tuple[TakeHomePlan, DoseRecord]:
    """A plan decided yesterday (bottles tomorrow, the day after); today 40 mg at the window: kept back."""
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40")
    return plan, DoseRecord.objects.filter(patient=world.alice, status=DoseStatus.GIVEN).latest("id")


@pytest.mark.parametrize("before", [None, "80", "60"])
def test_a_same_day_keep_back_voided_says_the_dose_is_voided(world: World, before: str | None) -> None:
    plan, dose = _kept_back_today(world)
    if before is not None:
        corrected(world, dose, corrected_mg=before)
    corrected(world, dose, WRONG, void=True)
    plan.refresh_from_db()
    assert "voided" in plan.end_reason and "corrected to 80 mg" not in plan.end_reason
    assert plan.end_kind == PlanEnd.KEPT_BACK  # a dose given later today still decides the run


def test_a_same_day_keep_back_corrected_to_0_says_so(world: World) -> None:
    plan, dose = _kept_back_today(world)
    corrected(world, dose, corrected_mg="80")
    corrected(world, dose, "Nothing was swallowed: spilled.", corrected_mg="0")
    plan.refresh_from_db()
    assert "corrected to 80 mg" not in plan.end_reason


def test_the_void_of_bottles_that_left_never_says_not_handed_out(world: World) -> None:
    plan, dose = handed_out_yesterday(world)
    corrected(world, dose, WRONG, void=True)
    plan.refresh_from_db()
    days = ", ".join(sorted(plan.bottle_mg or plan.bottles_taken_back))
    assert plan.end_reason == VOIDED_HANDED_OVER.format(days=days, day=dose.local_date.isoformat())


def test_a_bottle_brought_back_after_the_void_is_never_not_handed_out(world: World) -> None:
    plan, dose = handed_out_yesterday(world)
    corrected(world, dose, WRONG, void=True)
    first = sorted(plan.bottle_mg)[0]
    record_bottles_brought_back(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        plan_id=plan.pk,
        reason="Brought back unopened at the window.",
        returned_days=[first],
    )
    plan.refresh_from_db()
    assert "not handed out" not in plan.end_reason


def test_the_page_says_the_void_of_bottles_that_left_in_spanish(world: World) -> None:
    text = VOIDED_HANDED_OVER.format(days="2026-12-06", day="2026-12-05")
    with translation.override("es"):
        said = plan_end(text, date(2026, 12, 6), (), PlanEnd.VOIDED, date(2026, 12, 5)).text
    assert "registrados como entregados" in said
