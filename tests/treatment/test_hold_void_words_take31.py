"""Lane take31 (review 30d hole 3's leftover): a hold's end re-run by a void of the dose the bottles went
home with says the hold once and that the dose was voided, its bottles maybe at home, in English and in
Spanish."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from keel.patients.models import FlagKind, PatientFlag, local_today
from keel.patients.services.flags import resolve_flag
from keel.treatment.end_words import plan_end
from keel.treatment.models import DoseRecord, TakeHomePlan
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import corrected, handed_out_today

pytestmark = pytest.mark.django_db


def _held_then_voided(world: World) -> TakeHomePlan:
    """Alice takes 80 mg today, her bottles for tomorrow and the day after go home; later today she is held
    (sedated); then today's 80 mg is voided."""
    plan, dose = handed_out_today(world)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True)
    corrected(world, dose, void=True)
    plan.refresh_from_db()
    return plan


def test_the_end_says_the_dose_was_voided(world: World) -> None:
    plan = _held_then_voided(world)
    assert "later voided or corrected to 0 mg" in plan.end_reason


def test_the_end_names_the_bottles_that_went_home_with_it(world: World) -> None:
    plan = _held_then_voided(world)
    tomorrow = local_today(world.alice) + timedelta(days=1)
    days = f"{tomorrow.isoformat()}, {(tomorrow + timedelta(days=1)).isoformat()}"
    assert f"The bottles for {days} went home with the dose given that day" in plan.end_reason


def test_the_end_still_tells_the_hold_once(world: World) -> None:
    plan = _held_then_voided(world)
    assert plan.end_reason.count("A dose was held on") == 1


def test_the_spanish_page_says_the_dose_was_voided(world: World) -> None:
    plan = _held_then_voided(world)
    today = local_today(world.alice)
    with translation.override("es"):
        said = plan_end(plan.end_reason, today, plan.bottles_taken_back, plan.end_kind, plan.ended_on).text
    assert "después se anuló o se corrigió a 0 mg" in said


def test_a_correction_back_up_after_the_release_takes_the_void_out_of_the_end(world: World) -> None:
    """The prescriber releases the hold and corrects today's voided dose back to 80 mg: the dose stands
    again, so the end no longer says it was voided (the hold alone, as before the void)."""
    plan = _held_then_voided(world)
    flag = PatientFlag.objects.get(patient=world.alice, kind=FlagKind.DOSE_HELD, resolved_at__isnull=True)
    resolve_flag(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        flag_id=flag.pk,
        note="Assessed: alert and oriented, may have the rest of today's dose",
    )
    dose = DoseRecord.objects.filter(patient=world.alice, local_date=local_today(world.alice)).earliest("id")
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    assert "voided" not in plan.end_reason
