"""Review 32a hole 4: today's 80 mg dose sends tomorrow's and the next day's bottles home; later today a dose
is held (sedation: the hold's end); the nurse voids today's dose (the hold's end re-worded,
`HOLD_THEN_VOIDED`: "went home with the dose given that day, which was later voided ...: they may be at
home"); the prescriber releases the hold, the dose is corrected back to 80 mg (`hold_dose_stands`: the
hold's words alone again), then voided again. The second void leaves the hold's words alone: the end no
longer says the bottles went home with a voided dose and may be at home, and the nurse is told nothing,
though the call-back list still names both bottles. The first void ran with the plan still covering the
run (the hold keeps it); the first void's `_end_after_hold` brought `ended_on` to the hold's day, so the
second void finds no run (`dispatch._run_at`) and never reaches `hold_voided_words`."""

from __future__ import annotations

import pytest

from keel.patients.models import FlagKind, PatientFlag, local_today
from keel.patients.services import resolve_flag
from keel.treatment.queries.take_home_plans import call_back
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from tests.factories import handed_out_today

pytestmark = pytest.mark.django_db

WHY = "Pump log: the amount typed at the window was wrong, corrected from the log."


def _held_voided_back_voided(world):  # type: ignore[no-untyped-def]
    plan, dose = handed_out_today(world)
    nurse, alice = world.staff["nurse"], world.alice
    record_dose(by=nurse, patient_id=alice.pk, sedated=True)
    amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, void=True)
    flag = PatientFlag.objects.get(patient=alice, kind=FlagKind.DOSE_HELD, resolved_at__isnull=True)
    resolve_flag(
        by=world.staff["prescriber"],
        patient_id=alice.pk,
        flag_id=flag.pk,
        note="Assessed: alert and oriented, may have the rest of today's dose",
    )
    amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, corrected_mg="80")
    again = amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, void=True)
    plan.refresh_from_db()
    return plan, again


def test_the_call_back_list_names_both_bottles(world) -> None:  # type: ignore[no-untyped-def]
    plan, _again = _held_voided_back_voided(world)
    assert len(call_back(world.alice, local_today(world.alice))[plan.pk]) == 2


def test_the_end_says_again_the_bottles_went_home_with_a_voided_dose(world) -> None:  # type: ignore[no-untyped-def]
    plan, _again = _held_voided_back_voided(world)
    assert "later voided or corrected to 0 mg" in plan.end_reason


def test_the_end_names_the_bottles_that_may_be_at_home(world) -> None:  # type: ignore[no-untyped-def]
    plan, _again = _held_voided_back_voided(world)
    assert plan.bottles[0] in plan.end_reason
