"""Review 32a hole 1: a take-back written yesterday (80 -> 40 mg), corrected back up today (80 mg: the
corrected-back end, "corrected down and later back up"), then corrected again today to 60 mg. The dose was
never 0 mg nor voided, yet the end and the nurse's message say "corrected to 0 mg and ... back"
(`corrected_back._before_back_up` reads the stored kind, now `PlanEnd.CORRECTED_BACK`, and then only the
last two amendments: 80 then 60, neither a void, so "zero")."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from keel.treatment.services.doses.corrections import amend_dose
from tests.review32a._setup import four_bottles_home_three_days_ago

pytestmark = pytest.mark.django_db

WHY = "Pump log: the amount typed at the window was wrong, corrected from the log."


def _corrected_40_80_60(world):  # type: ignore[no-untyped-def]
    plan, dose, today = four_bottles_home_three_days_ago(world)
    yesterday = datetime.combine(today - timedelta(days=1), time(18), tzinfo=UTC)
    nurse, alice = world.staff["nurse"], world.alice
    amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, corrected_mg="40", now=yesterday)
    amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, corrected_mg="80")
    last = amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, corrected_mg="60")
    plan.refresh_from_db()
    return plan, last


def test_the_end_never_says_the_dose_was_corrected_to_zero(world) -> None:  # type: ignore[no-untyped-def]
    plan, _last = _corrected_40_80_60(world)
    assert "corrected to 0 mg" not in plan.end_reason


def test_the_end_still_says_it_was_corrected_down(world) -> None:  # type: ignore[no-untyped-def]
    plan, _last = _corrected_40_80_60(world)
    assert "corrected down" in plan.end_reason


def test_the_nurse_is_not_told_the_dose_was_corrected_to_zero(world) -> None:  # type: ignore[no-untyped-def]
    _plan, last = _corrected_40_80_60(world)
    assert not any("corrected to 0 mg" in reason.text for reason in last.warnings)


def test_a_keep_back_with_a_bottle_brought_back_never_says_zero(world) -> None:  # type: ignore[no-untyped-def]
    """The same root by another path: yesterday's dose corrected down today (a keep back), tomorrow's bottle
    recorded brought back, then 60 mg (the corrected-back end, "corrected down"), then 80 mg: the end says
    "corrected to 0 mg and later back to 80 mg"."""
    from keel.treatment.services.take_homes.ending import record_bottles_brought_back
    from tests.factories import handed_out_yesterday

    plan, dose = handed_out_yesterday(world)
    nurse, alice = world.staff["nurse"], world.alice
    amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, corrected_mg="40")
    record_bottles_brought_back(
        by=nurse,
        patient_id=alice.pk,
        plan_id=plan.pk,
        reason="She brought tomorrow's bottle back unopened at the window.",
        returned_days=[plan.bottles[1]],
    )
    amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, corrected_mg="60")
    amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, corrected_mg="80")
    plan.refresh_from_db()
    assert "corrected to 0 mg" not in plan.end_reason


def test_corrected_down_again_is_never_told_as_back_up(world) -> None:  # type: ignore[no-untyped-def]
    """The undo of the undo: the take-back written yesterday (40 mg), back up today (80 mg), then down again
    today (40 mg): the nurse is told "the dose was corrected to 0 mg and is now back up" of a dose just
    corrected down."""
    _plan, dose, today = four_bottles_home_three_days_ago(world)
    yesterday = datetime.combine(today - timedelta(days=1), time(18), tzinfo=UTC)
    nurse, alice = world.staff["nurse"], world.alice
    amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, corrected_mg="40", now=yesterday)
    amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, corrected_mg="80")
    down = amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, corrected_mg="40")
    assert not any("is now back up" in reason.text for reason in down.warnings)
