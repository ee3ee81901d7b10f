"""Review 32a hole 3: yesterday's 80 mg dose sent today's and tomorrow's bottles home; this morning the
prescriber ends the plan from tomorrow on; the nurse corrects yesterday's dose down to 40 mg (a keep back
written over the prescriber's end, `PlanEnd.AFTER_EARLIER_END` over `KEPT_BACK`), then to 60 mg (its words
said again at 60 mg, `reword.end_said_again`), then voids it. The end still says the dose "was corrected,
and after it the window would not give their 80 mg (... (60 mg) ...)": the dose is voided, yet the record
page and the API say it stands at 60 mg, and the nurse is told nothing at the void. Without the
prescriber's end the same void re-words the end (`VOIDED_NOT_HANDED_OUT`) and tells the nurse
(`TAKEN_BACK`): `prescriber_end.after_end_over_earlier` is reached only for a total above 0
(`dispatch._redecide_plan`), and a void of that end falls through to nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel.patients.models import local_today
from keel.treatment.services.doses.corrections import amend_dose
from tests.factories import handed_out_yesterday, prescriber_ends

pytestmark = pytest.mark.django_db

WHY = "Pump log: the amount typed at the window was wrong, corrected from the log."


def _ended_down_60_then_voided(world):  # type: ignore[no-untyped-def]
    plan, dose = handed_out_yesterday(world)
    tomorrow = local_today(world.alice) + timedelta(days=1)
    prescriber_ends(world, plan, "Take-homes stop after a positive fentanyl screen today.", from_day=tomorrow)
    nurse, alice = world.staff["nurse"], world.alice
    amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, corrected_mg="40")
    amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, corrected_mg="60")
    void = amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, void=True)
    plan.refresh_from_db()
    return plan, void


def test_the_end_no_longer_says_the_dose_stands_at_60_mg(world) -> None:  # type: ignore[no-untyped-def]
    plan, _void = _ended_down_60_then_voided(world)
    assert "(60 mg)" not in plan.end_reason


def test_the_end_says_the_dose_was_voided(world) -> None:  # type: ignore[no-untyped-def]
    plan, _void = _ended_down_60_then_voided(world)
    assert "voided" in plan.end_reason


def test_the_nurse_is_told_at_the_void(world) -> None:  # type: ignore[no-untyped-def]
    _plan, void = _ended_down_60_then_voided(world)
    assert void.warnings
