"""What ended a plan today, read from its stored kind (`TakeHomePlan.end_kind`), never its English reason:
a keep back or "nothing given" of today (`_kept_back_on`, `_nothing_given_on`: the one end a dose later
today undoes; `kept_back_today` and `goes_home_at_a_dose_today` for the page, the prescriber's end and
FHIR), today's take-back of a run (`_taken_back_from`), and when such a plan may not go on
(`_resume_refused`: after a hold on any day since the dose, `held_since`, or when another plan covers a
day of its run)."""

from __future__ import annotations

from datetime import date, timedelta

from keel.core.take_home_bottles import hand_out_day
from keel.patients.models import Patient, zone_of
from keel.treatment.models import DoseRecord, DoseStatus, PlanEnd, TakeHomePlan
from keel.treatment.queries import plan_days
from keel.treatment.services.doses.bottles.hand_out import _run_unended


def _kept_back_on(plan: TakeHomePlan, today: date) -> bool:
    """A plan ended today by the keep back itself (`_keep_back`) or by nothing given today
    (`_nothing_given_on`), nothing else, with a run from today to hand out: review 22t holes 3 and 6, an end
    a prescriber or a hold set, or one written over an earlier end (`EARLIER_END`), is never resumed. Read
    from the plan's stored end kind (`TakeHomePlan.end_kind`, session 24), never from its English reason."""
    if plan.ended_on != today or plan.ended_by_id is None:
        return False
    if plan.end_kind not in (PlanEnd.KEPT_BACK, PlanEnd.NOTHING_GIVEN):
        return False
    return bool(_run_unended(plan, today))


def _nothing_given_on(plan: TakeHomePlan, today: date) -> bool:
    """A plan ended on `today` by nothing given that day (`_end_not_handed_out`, `NOTHING_GIVEN`; no earlier
    end carried), with a run from today to hand out: its stored end kind (`PlanEnd.NOTHING_GIVEN`)."""
    if plan.ended_on != today or plan.ended_by_id is None or plan.end_kind != PlanEnd.NOTHING_GIVEN:
        return False
    return bool(_run_unended(plan, today))


def goes_home_at_a_dose_today(plan: TakeHomePlan, today: date) -> bool:
    """Review 23b hole 3 beside review 22t hole 1: the plan ended today because nothing given today stands
    (`NOTHING_GIVEN`), the end a dose given later today undoes: its run due to go home today can still go
    home (FHIR sends its bottles as `preparation`, as a standing plan's, `interop.fhir.treatment`)."""
    return _nothing_given_on(plan, today)


def kept_back_today(plan: TakeHomePlan, today: date) -> bool:
    """Review 23b hole 4: the plan's end is today's keep back (`_kept_back_on`), the one end a later dose
    today undoes: a prescriber may still end such a plan (`take_homes.end_take_home_plan`; their end and
    reason replace the keep back, so it is never resumed), and the medication page offers the form."""
    return _kept_back_on(plan, today)


def _resume_refused(patient: Patient, plan: TakeHomePlan, day: date, today: date | None = None) -> bool:
    """Review 22t hole 3: a kept-back plan is not resumed after a hold (review 23b hole 1: released or not;
    lane fix29c, review 29c hole 2: on ANY day from the dose's day `day` to `today`, the person's own today,
    `held_since`: a plan a hold stopped is never restarted by a correction, a prescriber decides), nor when
    another plan of the person covers a day of its run (a prescriber decided take-home doses again: no
    double supply)."""
    if held_since(patient, plan, day, today or day):
        return True
    return other_plan_covers(patient, plan, day)


def other_plan_covers(patient: Patient, plan: TakeHomePlan, day: date) -> bool:
    """Another plan of the person covers a day of the run that went home with the dose of `day` (the plan's
    end set aside): a prescriber decided take-home doses again, so this plan never covers those days again
    (no double supply: `_resume_refused`; lane fix33a, a hold's end given back, `redecide.hold_back`)."""
    run = set(_run_unended(plan, day))
    others = TakeHomePlan.objects.filter(patient=patient).exclude(pk=plan.pk)
    return any(run & plan_days(other) for other in others)


def held_since(patient: Patient, plan: TakeHomePlan, day: date, today: date) -> bool:
    """Lane fix29c (review 29c hole 2), lane fix30a (review 30a hole 4): the one reading of "a hold stood
    since the dose": a dose of any medication held (sedation, intoxication), released or not, on a day from
    `day` (the dose's day) to `today` (the person's own today), both included, and recorded after `plan` was
    decided. A hold recorded before the decision was put to the prescriber as an open concern
    (`prescribing._held_since`, `take_home_concerns`) and weighed by them: it never stops the plan they
    decided after it. Every undo or go-on path of the dose path asks it."""
    return DoseRecord.objects.filter(
        patient=patient,
        local_date__gte=min(day, today),
        local_date__lte=max(day, today),
        recorded_at__gt=plan.decided_at,
        status=DoseStatus.HELD,
    ).exists()


def held_today(patient: Patient, today: date) -> bool:
    """Review 23b hole 1: a dose of any medication held today (sedation, intoxication), released or not. A
    hold ends the take-home plans (`suspend_take_home_plans`) and releasing it does not bring them back (a
    prescriber decides take-home doses again), so no plan kept back today is resumed after a hold today."""
    return DoseRecord.objects.filter(patient=patient, local_date=today, status=DoseStatus.HELD).exists()


def _taken_back_from(plan: TakeHomePlan, day: date, today: date) -> bool:
    """Review 24b hole 3: the plan's end is today's take-back of the run that left at the dose of `day`
    (`_take_back_from_today`: ended yesterday, today, its stored kind `PlanEnd.TAKEN_BACK`, and today's
    bottle day in the run handed out at `day`'s dose; an end carrying an earlier one, a prescriber's,
    `PlanEnd.AFTER_EARLIER_END`, is never undone). Read from the stored kind, never the English reason
    (bot24 item 4)."""
    if plan.ended_on != today - timedelta(days=1) or plan.ended_by_id is None or plan.ended_at is None:
        return False
    zone = zone_of(plan.patient)
    if plan.ended_at.astimezone(zone).date() != today or plan.end_kind != PlanEnd.TAKEN_BACK:
        return False
    bottles = {date.fromisoformat(iso) for iso in plan.bottles or []}
    return today in bottles and hand_out_day(today, bottles, plan.decided_at.astimezone(zone).date()) == day
