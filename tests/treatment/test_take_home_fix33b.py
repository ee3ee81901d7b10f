"""Lane fix33b: review 33a's holes attacked by other routes, and the lead's decision for the same day. A keep
back whose bottles never left the clinic stands after a correction of its dose (never a hand-out, the same
day too): judged at the new total first (still too low: the keep back said again with the window's reason;
else words that say the bottles were never handed out and stay at the clinic), nothing at home, the next day
a clinic day. A dose at the window (a split dose's later part) still hands the run out, and a run whose
bottles did leave goes on when corrected back up (review 22t). Each bottle day of an end said again is told
by what the record says of that day (`core.take_home_bottles.bottle_day`)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from keel.core.take_home_bottles import bottle_day
from keel.patients.models import local_today
from keel.treatment.end_words import plan_end
from keel.treatment.models import DoseAmendment, DoseRecord, DoseStatus, PlanEnd, TakeHomePlan
from keel.treatment.queries import plan_days
from keel.treatment.queries.take_home_plans import bottles_at_home
from keel.treatment.services import record_bottles_brought_back, record_dose
from keel.treatment.services.doses.bottles import KEPT_BACK_STAYS
from tests.conftest import World
from tests.factories import corrected, handed_out_today, methadone_with_take_home_plan, prescriber_ends
from tests.review23b.test_holes import _morning, _on_80_with_plan
from tests.review33a._setup import four_bottles_home_three_days_ago

pytestmark = pytest.mark.django_db

RELAPSE = "Relapse reported by the person; no take-home doses after tomorrow."
TODAY = date(2000, 1, 10)  # the core's rule has no clock: any day, the others relative to it


def test_core_a_bottle_brought_back_is_brought_back() -> None:
    day = TODAY + timedelta(days=1)
    assert bottle_day(day, today=TODAY, left={day}, returned={day}) == "brought_back"


def test_core_a_bottle_that_never_left_is_not_handed_out() -> None:
    day = TODAY + timedelta(days=1)
    assert bottle_day(day, today=TODAY, left=set(), returned=set()) == "not_handed_out"


def test_core_a_bottle_out_for_today_is_at_home() -> None:
    assert bottle_day(TODAY, today=TODAY, left={TODAY}, returned=set()) == "at_home"


def test_core_a_bottle_out_whose_day_is_past_is_gone_never_brought_back() -> None:
    day = TODAY - timedelta(days=1)
    assert bottle_day(day, today=TODAY, left={day}, returned=set()) == "gone"


def test_core_one_bottle_back_says_nothing_of_another() -> None:
    day = TODAY - timedelta(days=1)
    assert bottle_day(day, today=TODAY, left={day, TODAY}, returned={TODAY}) == "gone"


def _kept_back_today(world: World) -> tuple[TakeHomePlan, DoseRecord]:
    """A plan (bottles tomorrow and the day after, 80 mg) decided yesterday; today 40 mg at the window, the
    bottles kept back (they never left). The plan and today's dose."""
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    dose = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40").dose
    plan.refresh_from_db()
    return plan, dose


def _kept_back_today_corrected_up(world: World) -> tuple[TakeHomePlan, DoseAmendment]:
    """As `_kept_back_today`, then the same day the nurse corrects the 40 mg to 80 mg (she left without
    bottles). The plan (read again) and the amendment."""
    plan, dose = _kept_back_today(world)
    amendment = corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    return plan, amendment


def test_same_day_correction_up_leaves_the_plan_ended(world: World) -> None:
    plan, _amendment = _kept_back_today_corrected_up(world)
    assert plan.ended_on == local_today(world.alice)


def test_same_day_correction_up_puts_no_bottle_at_home(world: World) -> None:
    plan, _amendment = _kept_back_today_corrected_up(world)
    today = local_today(world.alice)
    assert plan.pk not in bottles_at_home(world.alice, today)


def test_same_day_correction_up_makes_tomorrow_a_clinic_day(world: World) -> None:
    plan, _amendment = _kept_back_today_corrected_up(world)
    assert local_today(world.alice) + timedelta(days=1) not in plan_days(plan)


def test_same_day_correction_up_keeps_the_keep_back_kind(world: World) -> None:
    plan, _amendment = _kept_back_today_corrected_up(world)
    assert plan.end_kind == PlanEnd.KEPT_BACK


def test_same_day_correction_up_says_the_bottles_stay_at_the_clinic(world: World) -> None:
    plan, _amendment = _kept_back_today_corrected_up(world)
    assert "kept back at the window" in plan.end_reason


def test_same_day_correction_up_tells_the_nurse_they_were_not_handed_out(world: World) -> None:
    _plan, amendment = _kept_back_today_corrected_up(world)
    assert any(r.template == KEPT_BACK_STAYS for r in amendment.warnings or ())


def test_same_day_correction_up_never_tells_the_nurse_handed_out(world: World) -> None:
    _plan, amendment = _kept_back_today_corrected_up(world)
    assert not any("handed out with this dose" in r.text for r in amendment.warnings or ())


def test_same_day_correction_up_is_said_in_spanish(world: World) -> None:
    plan, _amendment = _kept_back_today_corrected_up(world)
    with translation.override("es"):
        said = plan_end(plan.end_reason, local_today(world.alice), kind=plan.end_kind).text
    assert "se retuvieron en la ventanilla" in said


def test_a_later_part_at_the_window_still_hands_the_run_out(world: World) -> None:
    now = _morning(world)
    _today, plan = _on_80_with_plan(world, now, [1, 2])
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40", now=now)
    later = now + timedelta(hours=3)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40", now=later)
    plan.refresh_from_db()
    assert plan.ended_on is None


def test_bottles_that_left_called_back_and_corrected_back_up_go_on(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="40")
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    assert plan.ended_on is None


def _kept_back_yesterday(world: World) -> DoseRecord:
    """A plan (bottles today and tomorrow) decided two days ago; yesterday 40 mg at the window, the bottles
    kept back. Yesterday's dose."""
    now = timezone.now()
    methadone_with_take_home_plan(world, now - timedelta(days=2), days_earlier=1)
    with time_machine.travel(now - timedelta(days=1), tick=True):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40")
        return DoseRecord.objects.filter(patient=world.alice, status=DoseStatus.GIVEN).latest("id")


def _plan(world: World) -> TakeHomePlan:
    return TakeHomePlan.objects.get(patient=world.alice)


def test_up_then_too_low_again_gives_the_windows_reason(world: World) -> None:
    dose = _kept_back_yesterday(world)
    corrected(world, dose, corrected_mg="80")
    corrected(world, dose, corrected_mg="60")
    assert "over the last observed dose (60 mg)" in _plan(world).end_reason


def test_up_then_too_low_again_stays_a_keep_back(world: World) -> None:
    dose = _kept_back_yesterday(world)
    corrected(world, dose, corrected_mg="80")
    corrected(world, dose, corrected_mg="60")
    assert _plan(world).end_kind == PlanEnd.KEPT_BACK


def test_too_low_then_up_says_the_bottles_stay_at_the_clinic(world: World) -> None:
    dose = _kept_back_yesterday(world)
    corrected(world, dose, corrected_mg="60")
    corrected(world, dose, corrected_mg="80")
    assert "they stay at the clinic" in _plan(world).end_reason


def test_voided_then_up_never_says_voided_and_corrected_back(world: World) -> None:
    dose = _kept_back_yesterday(world)
    corrected(world, dose, void=True)
    corrected(world, dose, corrected_mg="80")
    assert "voided and later corrected back" not in _plan(world).end_reason


def test_voided_then_up_puts_no_bottle_at_home(world: World) -> None:
    dose = _kept_back_yesterday(world)
    corrected(world, dose, void=True)
    corrected(world, dose, corrected_mg="80")
    today = local_today(world.alice)
    assert _plan(world).pk not in bottles_at_home(world.alice, today)


def test_voided_then_up_the_window_doses_her_today(world: World) -> None:
    dose = _kept_back_yesterday(world)
    corrected(world, dose, void=True)
    corrected(world, dose, corrected_mg="80")
    outcome = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    assert outcome.dose.status == DoseStatus.GIVEN


def _take_back_one_back_same_day(world: World) -> tuple[TakeHomePlan, str, str]:
    """Four bottles home three days ago; today that dose corrected to 40 mg (today's and tomorrow's bottles
    called back); today's brought back; the same day corrected to 60 mg. The plan, today and tomorrow."""
    plan, dose, today = four_bottles_home_three_days_ago(world)
    corrected(world, dose, corrected_mg="40")
    record_bottles_brought_back(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        plan_id=plan.pk,
        reason="Brought back unopened at the window.",
        returned_days=[today.isoformat()],
    )
    corrected(world, dose, corrected_mg="60")
    plan.refresh_from_db()
    return plan, today.isoformat(), (today + timedelta(days=1)).isoformat()


def test_one_back_the_other_at_home_is_named_for_the_call_back(world: World) -> None:
    plan, _today, tomorrow = _take_back_one_back_same_day(world)
    assert plan.end_reason.startswith(f"The bottles for {tomorrow} ")


def test_one_back_the_bottle_brought_back_is_not_said_at_home(world: World) -> None:
    plan, today, _tomorrow = _take_back_one_back_same_day(world)
    assert f"{today}," not in plan.end_reason.split(" were ", 1)[0]


def _over_a_prescribers_end_corrected_up(world: World) -> tuple[TakeHomePlan, date]:
    """A plan (bottles today and tomorrow) decided two days ago; yesterday a prescriber ended it from
    tomorrow, then 40 mg at the window kept today's bottle back (over that end); today that dose corrected to
    80 mg. The plan and tomorrow."""
    now = timezone.now()
    plan, first = methadone_with_take_home_plan(world, now - timedelta(days=2), days_earlier=1)
    with time_machine.travel(now - timedelta(days=1), tick=True):
        prescriber_ends(world, plan, RELAPSE, from_day=(first + timedelta(days=1)).isoformat())
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40")
        dose = DoseRecord.objects.filter(patient=world.alice, status=DoseStatus.GIVEN).latest("id")
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    return plan, first + timedelta(days=1)


def test_over_a_prescribers_end_the_words_never_name_a_day_it_took_out(world: World) -> None:
    plan, tomorrow = _over_a_prescribers_end_corrected_up(world)
    assert tomorrow.isoformat() not in plan.end_reason.split(" were ", 1)[0]


def test_over_a_prescribers_end_the_earlier_end_stays_in_the_words(world: World) -> None:
    plan, _tomorrow = _over_a_prescribers_end_corrected_up(world)
    assert RELAPSE in plan.end_reason
