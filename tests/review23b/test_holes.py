"""Review 23b: ordinary clinical input against the take-home bottle guards after lane fix22t (d4adda8a).

Each test is one hole: it states what a safe program must do and fails while the hole is open."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from keel.patients.models import Enrollment, FlagKind, PatientFlag, local_today
from keel.patients.services.flags import resolve_flag
from keel.treatment.models import DoseRecord, TakeHomePlan
from keel.treatment.queries import plan_days
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_daily

pytestmark = pytest.mark.django_db


def _morning(world: World) -> datetime:
    """09:00 of the person's calendar day in the program's zone (a split dose's parts stay on one day)."""
    zone = ZoneInfo(world.alice.program.time_zone)
    return datetime.combine(local_today(world.alice, timezone.now()), time(9), tzinfo=zone)


def _on_80_with_plan(world: World, now: datetime, offsets: list[int]) -> tuple[date, TakeHomePlan]:
    """Alice on methadone 80 mg for 40 days (history rows), with a take-home plan (a prescriber's, decided
    yesterday) whose bottles cover today + each of `offsets` days. Returns today and the plan."""
    today = local_today(world.alice, now)
    order = prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="80",
        now=now - timedelta(days=41),
    )
    given_daily(world, order, [today - timedelta(days=n) for n in range(40, 0, -1)], 80)
    enrollment = Enrollment.objects.filter(patient=world.alice, ended_on__isnull=True).first()
    plan = TakeHomePlan.objects.create(
        patient=world.alice,
        decided_by=world.staff["prescriber"],
        decided_at=now - timedelta(days=1),
        days_in_treatment=40,
        criteria={},
        decision={},
        max_supply_days=7,
        bottles=[(today + timedelta(days=n)).isoformat() for n in offsets],
        enrollment=enrollment,
    )
    return today, plan


def test_hold_released_then_second_part_brings_back_the_whole_kept_back_plan(world: World) -> None:
    """A split dose's first part (40 of 80 mg) keeps the bottles back (the plan ends today). The person is
    then held for sedation; a prescriber assesses and releases the hold; the nurse gives the second part.
    The hold means stop and "releasing the hold does not bring the rest back: the prescriber decides again"
    (`suspend_take_home_plans`). But the hold skipped the kept-back plan (already ended today) and its end
    reason still reads as a keep back, so the second part resumes it whole: tomorrow's run goes home AND
    the later run (days 5 and 6) is covered again, take-home methadone for a person sedated at the window
    today, decided by no prescriber after the hold. Any plan not kept back is cut by the hold after the run
    at home; this one must not cover day 5 or 6."""
    now = _morning(world)
    nurse, prescriber = world.staff["nurse"], world.staff["prescriber"]
    today, plan = _on_80_with_plan(world, now, [1, 2, 5, 6])
    record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="40", now=now)
    plan.refresh_from_db()
    assert plan.ended_on == today, "precondition: the first part keeps the run back"
    record_dose(by=nurse, patient_id=world.alice.pk, sedated=True, now=now + timedelta(minutes=30))
    flag = PatientFlag.objects.get(patient=world.alice, kind=FlagKind.DOSE_HELD, resolved_at__isnull=True)
    resolve_flag(
        by=prescriber,
        patient_id=world.alice.pk,
        flag_id=flag.pk,
        note="Assessed: alert and oriented, may have the rest of today's dose",
    )
    record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="40", now=now + timedelta(hours=2))
    plan.refresh_from_db()
    later = {today + timedelta(days=5), today + timedelta(days=6)}
    assert not (plan_days(plan) & later), (
        f"after a hold today the plan covers {sorted(plan_days(plan) & later)} again (ended_on="
        f"{plan.ended_on}, bottles {plan.bottle_mg}): no prescriber decided take-home doses after the hold"
    )


def test_yesterdays_dose_voided_leaves_today_a_take_home_day_with_no_bottle(world: World) -> None:
    """Yesterday's 80 mg dose is voided this morning (recorded in error: she did not come yesterday). The void
    takes today's and tomorrow's bottles back (`take_back_at_void`: none went home), but the plan still
    covers today and tomorrow, so the person is a take-home day at the window with no bottle in her hands:
    when she comes in today the window refuses her observed dose ("a take-home bottle covers today") unless
    the nurse records a bottle returned that never left the clinic. Harm: a person on 80 mg methadone who
    already missed yesterday is turned away (withdrawal, relapse, overdose risk), or the record is falsified
    to dose her. The window must give the observed dose (or the void must end the uncovered days)."""
    now = _morning(world)
    nurse = world.staff["nurse"]
    today, plan = _on_80_with_plan(world, now, [0, 1])
    plan.bottle_mg = {(today + timedelta(days=n)).isoformat(): "80" for n in (0, 1)}
    plan.save(update_fields=["bottle_mg"])
    yesterday = DoseRecord.objects.get(patient=world.alice, local_date=today - timedelta(days=1))
    amend_dose(
        by=nurse,
        patient_id=world.alice.pk,
        dose_id=yesterday.pk,
        void=True,
        reason="Recorded in error: she did not come to the window yesterday",
        now=now,
    )
    plan.refresh_from_db()
    assert today.isoformat() not in plan.bottle_mg, "precondition: the void took today's bottle back"
    outcome = record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="80", now=now + timedelta(hours=1))
    assert outcome.dose.amount_mg == 80


def test_todays_dose_corrected_to_zero_leaves_tomorrow_a_take_home_day_with_no_bottle(world: World) -> None:
    """Today's 80 mg dose hands tomorrow's bottle out; then it is corrected to 0 mg (she left before
    drinking it: nothing given, so no bottle went home either). `redecide_bottles` takes tomorrow's
    bottle back but, with no hold open, leaves the plan covering tomorrow (fix22t ends it only after a
    hold). Tomorrow she comes to the window with no bottle and the window refuses her observed dose as a
    take-home day. Harm: two days without methadone for a person on 80 mg, or a bottle recorded as
    returned that never went out."""
    now = _morning(world)
    nurse = world.staff["nurse"]
    today, plan = _on_80_with_plan(world, now, [1])
    given = record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="80", now=now).dose
    plan.refresh_from_db()
    tomorrow = today + timedelta(days=1)
    assert tomorrow.isoformat() in plan.bottle_mg, "precondition: the dose handed tomorrow's bottle out"
    amend_dose(
        by=nurse,
        patient_id=world.alice.pk,
        dose_id=given.pk,
        corrected_mg="0",
        reason="She left before drinking the dose: nothing was given and no bottle went home",
        now=now + timedelta(minutes=20),
    )
    plan.refresh_from_db()
    assert tomorrow.isoformat() not in plan.bottle_mg, "precondition: the bottle was taken back"
    outcome = record_dose(
        by=nurse, patient_id=world.alice.pk, amount_mg="80", now=now + timedelta(days=1, hours=1)
    )
    assert outcome.dose.amount_mg == 80


def test_prescriber_refused_ending_a_kept_back_plan_then_second_part_resumes_it(world: World) -> None:
    """A split dose's first part (40 of 80 mg) keeps the bottles back: the plan shows ended today. The
    prescriber, told of a relapse, ends the plan for good ("no take-home doses until reviewed"): refused,
    "This take-home plan already ended on <today>" (ending it again is a conflict), so nothing records the
    prescriber's decision. The nurse then gives the second part and the plan resumes whole: tomorrow's run
    goes home and every later bottle day is covered again, against the prescriber who tried to stop it.
    Harm: take-home methadone for a person with a reported relapse, the prescriber's stop lost. Either the
    prescriber's end must be recorded on a kept-back plan, or the plan must stay ended."""
    from keel.treatment.services.common import PlanAlreadyEnded
    from keel.treatment.services.take_homes import end_take_home_plan

    now = _morning(world)
    nurse = world.staff["nurse"]
    today, plan = _on_80_with_plan(world, now, [1, 2, 5])
    record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="40", now=now)
    plan.refresh_from_db()
    assert plan.ended_on == today, "precondition: the first part keeps the run back"
    refused = ""
    try:
        end_take_home_plan(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            plan_id=plan.pk,
            reason="Relapse reported today: no take-home doses until the team reviews",
            now=now + timedelta(minutes=30),
        )
    except PlanAlreadyEnded as exc:
        refused = str(exc)
    record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="40", now=now + timedelta(hours=2))
    plan.refresh_from_db()
    later = today + timedelta(days=5)
    assert later not in plan_days(plan), (
        f"the prescriber's end was refused ({refused!r}) and the second part resumed the plan: it covers "
        f"{sorted(plan_days(plan))}, bottles {plan.bottle_mg}"
    )
