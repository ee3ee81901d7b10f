"""Lane fix32a: review 32a's four holes attacked by other routes. The words of an end a correction re-writes
are read from the record (the day's dose history, the bottles at home now), never from the old words: a
correction down is never told "back up" nor "corrected to 0 mg" (hole 1), the end names the bottles the
call-back list names (hole 2), a void of a correction down written over a prescriber's end is said and told
(hole 3), and a hold's end says again the run went home with a voided dose (hole 4)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from keel.patients.models import FlagKind, PatientFlag, local_today
from keel.patients.services import resolve_flag
from keel.treatment.models import PlanEnd
from keel.treatment.queries.take_home_plans import call_back
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.take_homes.ending import record_bottles_brought_back
from tests.conftest import World
from tests.factories import handed_out_today, handed_out_yesterday, prescriber_ends
from tests.review32a._setup import four_bottles_home_three_days_ago

pytestmark = pytest.mark.django_db

WHY = "Pump log: the amount typed at the window was wrong, corrected from the log."
BACK = "She brought tomorrow's bottle back unopened at the window."


def _amend(world: World, dose_id: int, mg: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
    nurse, alice = world.staff["nurse"], world.alice
    if mg is None:
        return amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose_id, reason=WHY, void=True, **kw)
    return amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose_id, reason=WHY, corrected_mg=mg, **kw)


def _keep_back_brought_back_60(world: World):  # type: ignore[no-untyped-def]
    """Yesterday's dose corrected down today (a keep back), tomorrow's bottle brought back, then 60 mg (still
    kept back: lane fix33a, review 32d hole 5)."""
    plan, dose = handed_out_yesterday(world)
    _amend(world, dose.pk, "40")
    record_bottles_brought_back(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        plan_id=plan.pk,
        reason=BACK,
        returned_days=[plan.bottles[1]],
    )
    _amend(world, dose.pk, "60")
    return plan, dose


def test_keep_back_corrected_down_to_its_low_again_is_never_told_back_up(world: World) -> None:
    _plan, dose = _keep_back_brought_back_60(world)
    down = _amend(world, dose.pk, "40")
    assert not any("is now back up" in reason.text for reason in down.warnings)


def test_keep_back_corrected_down_to_its_low_again_has_no_back_up_words(world: World) -> None:
    plan, dose = _keep_back_brought_back_60(world)
    _amend(world, dose.pk, "40")
    plan.refresh_from_db()
    assert "back up" not in plan.end_reason


def test_keep_back_corrected_down_again_names_the_bottle_at_home(world: World) -> None:
    plan, dose = _keep_back_brought_back_60(world)
    _amend(world, dose.pk, "40")
    plan.refresh_from_db()
    assert plan.end_reason.startswith(
        f"The bottles for {local_today(world.alice).isoformat()} were handed over"
    )


def test_keep_back_corrected_down_again_keeps_the_end_as_kept_back(world: World) -> None:
    # lane fix33a (review 32d hole 5): 60 mg over a bottle on the shelf is still kept back (never
    # `CORRECTED_BACK` while the window would not give the bottles), and so is 40 mg after it
    plan, dose = _keep_back_brought_back_60(world)
    _amend(world, dose.pk, "40")
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.KEPT_BACK


def test_keep_back_down_again_then_up_says_corrected_down(world: World) -> None:
    plan, dose = _keep_back_brought_back_60(world)
    _amend(world, dose.pk, "40")
    _amend(world, dose.pk, "80")
    plan.refresh_from_db()
    assert "corrected down and later back up to 80 mg" in plan.end_reason


def test_keep_back_down_again_never_covers_the_plan_again(world: World) -> None:
    plan, dose = _keep_back_brought_back_60(world)
    _amend(world, dose.pk, "40")
    _amend(world, dose.pk, "80")
    plan.refresh_from_db()
    assert plan.ended_on == local_today(world.alice) - timedelta(days=1)


def _take_back_yesterday(world: World):  # type: ignore[no-untyped-def]
    plan, dose, today = four_bottles_home_three_days_ago(world)
    yesterday = datetime.combine(today - timedelta(days=1), time(18), tzinfo=UTC)
    _amend(world, dose.pk, "40", now=yesterday)
    return plan, dose, today


def test_a_void_then_back_up_after_the_take_back_says_voided(world: World) -> None:
    plan, dose, _today = _take_back_yesterday(world)
    _amend(world, dose.pk, "80")
    _amend(world, dose.pk)
    _amend(world, dose.pk, "80")
    plan.refresh_from_db()
    assert "voided and later corrected back to 80 mg" in plan.end_reason


def test_take_back_down_again_names_what_the_call_back_list_names(world: World) -> None:
    plan, dose, today = _take_back_yesterday(world)
    _amend(world, dose.pk, "80")
    _amend(world, dose.pk, "40")
    plan.refresh_from_db()
    listed = ", ".join(d.isoformat() for d in sorted(call_back(world.alice, today)[plan.pk]))
    assert plan.end_reason.startswith(f"The bottles for {listed} were handed over")


def test_take_back_said_again_at_another_amount_names_what_the_list_names(world: World) -> None:
    """Hole 2 by another amount and with no bottle brought back: the days gone are never named."""
    plan, dose, today = _take_back_yesterday(world)
    _amend(world, dose.pk, "50")
    plan.refresh_from_db()
    listed = ", ".join(d.isoformat() for d in sorted(call_back(world.alice, today)[plan.pk]))
    assert plan.end_reason.startswith(f"The bottles for {listed} were handed over")


def _take_back_over_prescribers_end(world: World):  # type: ignore[no-untyped-def]
    """Hole 3's other half: a take-back (not a keep back) written today over a prescriber's end."""
    plan, dose, today = four_bottles_home_three_days_ago(world)
    prescriber_ends(world, plan, "Take-homes stop after a positive fentanyl screen today.", from_day=today)
    _amend(world, dose.pk, "40")
    return plan, dose


def test_void_of_a_take_back_over_a_prescribers_end_is_said(world: World) -> None:
    plan, dose = _take_back_over_prescribers_end(world)
    _amend(world, dose.pk)
    plan.refresh_from_db()
    assert "was voided" in plan.end_reason


def test_void_of_a_take_back_over_a_prescribers_end_keeps_the_prescribers_words(world: World) -> None:
    plan, dose = _take_back_over_prescribers_end(world)
    _amend(world, dose.pk)
    plan.refresh_from_db()
    assert "positive fentanyl screen" in plan.end_reason


def test_void_of_a_take_back_over_a_prescribers_end_is_told(world: World) -> None:
    _plan, dose = _take_back_over_prescribers_end(world)
    void = _amend(world, dose.pk)
    assert void.warnings


def test_keep_back_over_a_prescribers_end_voided_then_60_says_60_again(world: World) -> None:
    plan, dose = handed_out_yesterday(world)
    tomorrow = local_today(world.alice) + timedelta(days=1)
    prescriber_ends(world, plan, "Take-homes stop after a positive fentanyl screen today.", from_day=tomorrow)
    _amend(world, dose.pk, "40")
    _amend(world, dose.pk)
    _amend(world, dose.pk, "60")
    plan.refresh_from_db()
    assert "(60 mg)" in plan.end_reason


def test_hold_then_zero_again_says_the_voided_dose_again(world: World) -> None:
    """Hole 4 with a correction to 0 mg, not a void, the second time."""
    plan, dose = handed_out_today(world)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True)
    _amend(world, dose.pk)
    flag = PatientFlag.objects.get(patient=world.alice, kind=FlagKind.DOSE_HELD, resolved_at__isnull=True)
    resolve_flag(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        flag_id=flag.pk,
        note="Assessed: alert and oriented, may have the rest of today's dose",
    )
    _amend(world, dose.pk, "80")
    _amend(world, dose.pk, "0")
    plan.refresh_from_db()
    assert "later voided or corrected to 0 mg" in plan.end_reason


def test_keep_back_corrected_down_again_is_said_in_spanish(world: World) -> None:
    """The down-again words (a keep back's own, from the record) are read in the reader's language (the
    "Brought back" note cut off first, as the medication page cuts it)."""
    from django.utils import translation

    from keel.treatment.end_words import plan_end

    plan, dose = _keep_back_brought_back_60(world)
    _amend(world, dose.pk, "40")
    plan.refresh_from_db()
    with translation.override("es"):
        said = plan_end(
            plan.end_reason.split(" Brought back (", 1)[0],
            local_today(world.alice),
            plan.bottles_taken_back or {},
            plan.end_kind,
            plan.ended_on,
        ).text
    assert "The bottles for" not in said
