"""The ends that are not a prescriber's: discharge ends every take-home plan of the person
(`end_take_home_plans`), and a dose held for sedation or intoxication ends those whose bottles cover a day
after it (`suspend_take_home_plans`, reading the plans locked or as the hold read them: `unlocked_plans`,
`_plans_to_suspend`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from django.db import connection

from keel.accounts.models import User
from keel.db import rows
from keel.patients.models import Patient
from keel.treatment.models import DoseRecord, DoseStatus, PlanEnd, TakeHomePlan
from keel.treatment.queries import bottle_days
from keel.treatment.queries.doses import taken_doses
from keel.treatment.services.common import _audit_plan, lock_person
from keel.treatment.services.doses.bottles.reasons import EARLIER_END


def end_take_home_plans(patient: Patient, ended_on: date) -> list[int]:
    """Discharge ends the person's take-home plans: their bottles after `ended_on` cover nothing. Called by
    `patients.services.discharge` inside its transaction; returns the ids ended."""
    ended = list(
        TakeHomePlan.objects.filter(patient=patient, ended_on__isnull=True).values_list("pk", flat=True)
    )
    TakeHomePlan.objects.filter(pk__in=ended).update(ended_on=ended_on, end_kind=PlanEnd.DISCHARGE)
    return ended


HOLD_SUSPENDS = (
    "A dose was held on {day} (sedation or intoxication): the bottles for the days after it stop until a "
    "prescriber decides take-home doses again."
)


def suspend_take_home_plans(
    *,
    by: User,
    patient: Patient,
    held_on: date,
    now: datetime,
    given_today: bool | None = None,
    plans: Sequence[TakeHomePlan] | None = None,
) -> list[int]:
    """A hold means stop (issue #13): a dose held for sedation or intoxication ends every take-home plan of
    the person whose bottles cover a day after `held_on`, so the person is seen at the window again, whichever
    screen or query reads the plan (they all read `ended_on` through `plan_days`). Bottles that may already
    be at home stay covered, so the window never gives an observed dose on their days unless the bottle is
    returned unopened: a bottle goes home at the last observed dose before its day, so when `held_on` is
    itself a bottle day, or a dose was given earlier that day, the run of bottle days going on from it is at
    home and the plan ends after that run (lane bot25: ended all the same when that run is its last, a hold's
    end: its bottles at home for the days after the hold are called back, `queries.call_back`). Releasing
    the hold does not bring the rest back: the prescriber decides again, with the held dose among the
    concerns to acknowledge. Called inside the hold's
    transaction, the person's row locked first (a take-home decision being saved at the same moment waits,
    then sees the hold); each plan ended is audited. Returns the ids ended. `given_today`: whether a dose of
    any medication was given and taken on `held_on`, when the caller read it under the person's lock it
    holds (the dose at the window, from the day it read: `window.given_on`, issue #21); None: the person is
    locked here and it is asked. `plans`: every plan of the person as the caller read them in this
    transaction with no other writer since (`unlocked_plans`); None: read here, their rows locked
    (`SELECT ... FOR UPDATE`: a prescriber's end locks the plan's row, not the person's)."""
    if given_today is None:
        lock_person(patient)
        given_today = taken_doses(  # review 22o hole 5: a dose voided or corrected to 0 gave nothing
            DoseRecord.objects.filter(patient=patient, local_date=held_on, status=DoseStatus.GIVEN)
        ).exists()
    suspended = []
    for plan in _plans_to_suspend(patient, held_on, plans):
        days = bottle_days(plan)  # lane fix29a: the run as it left, a bottle on the shelf included
        if not any(day > held_on for day in days):
            continue
        last = held_on
        if held_on in days or given_today:  # bottles for the run going on from today may be at home
            while last + timedelta(days=1) in days:
                last += timedelta(days=1)
        # lane bot25 (review 24c hole 6): ended even when that run is its last, so the bottles at home after
        # the hold's day are on the call-back list (`queries.call_back`) for the next shift
        _end_by_hold(plan, by, now, held_on, last)
        _audit_plan(by, patient, plan, "dose held: bottles stop")
        suspended.append(plan.pk)
    return suspended


def _end_by_hold(plan: TakeHomePlan, by: User, now: datetime, held_on: date, last: date) -> None:
    """A hold's end of `plan` (`suspend_take_home_plans`): after `last`, never later than an end it had
    (a hold may move an end earlier, never later). Lane fix30a (review 30a hole 1): an end it had (a
    prescriber's, with her reason) is kept in the words (`EARLIER_END`, as every dose-path end keeps one:
    `_end_keeping_earlier`); the kind stays `PlanEnd.HOLD`. Lane fix30d (review 30d hole 3): the same hold
    run again (a void of that day's dose, `_end_after_hold`) keeps its own words, never as an earlier end.
    The hold's day is kept on the plan
    (`earlier_end["held_on"]`, the earliest hold's) so an end written later (a prescriber's) leaves the
    bottles at home after it on the call-back list (`queries.take_home_plans._called_back_after`)."""
    text = HOLD_SUSPENDS.format(day=held_on.isoformat())
    if plan.ended_on is not None:
        last = min(last, plan.ended_on)
        from_day = (plan.ended_on + timedelta(days=1)).isoformat()
        if plan.end_kind == PlanEnd.HOLD and (plan.end_reason or "").startswith(text):
            text = plan.end_reason  # lane fix30d (review 30d hole 3): the same hold run again (a void): once
        else:
            text += EARLIER_END.format(day=from_day, reason=plan.end_reason or "")
    kept = {"held_on": min(str((plan.earlier_end or {}).get("held_on") or held_on), held_on.isoformat())}
    plan.ended_on, plan.ended_by, plan.ended_at = last, by, now
    plan.end_reason, plan.end_kind, plan.earlier_end = text, PlanEnd.HOLD, kept
    plan.save(update_fields=["ended_on", "ended_by", "ended_at", "end_reason", "end_kind", "earlier_end"])


def unlocked_plans(plans: Sequence[TakeHomePlan]) -> Sequence[TakeHomePlan] | None:
    """The plans a hold read in its transaction (`suspend_take_home_plans`' `plans`), where no other
    transaction can have written a plan since: SQLite, whose IMMEDIATE transaction holds the one writer lock
    from its BEGIN (`select_for_update` locks nothing there). None where rows are locked one by one
    (PostgreSQL): the plans are read again `FOR UPDATE`, as a prescriber's end (`_end_plan`) locks the plan's
    row only, and a plan ended meanwhile is read as it was ended."""
    return None if connection.features.has_select_for_update else plans


# `TakeHomePlan.objects.select_for_update().filter(patient=...).exclude(ended_on__lte=...)` in the model's
# order, hand-written (`keel.db.rows`): the ORM compiled it on every hold (issue #21).
_PLANS_NOT_ENDED = (
    'FROM "treatment_takehomeplan" t WHERE t."patient_id" = %s '
    'AND (t."ended_on" IS NULL OR t."ended_on" > %s) ORDER BY t."decided_at" DESC, t."id" DESC'
)


def _plans_to_suspend(
    patient: Patient, held_on: date, plans: Sequence[TakeHomePlan] | None
) -> Sequence[TakeHomePlan]:
    """The person's plans not ended by `held_on` (a running one, or one ending later), newest first (the
    model's order): read with their rows locked (`_PLANS_NOT_ENDED`), or told from `plans`
    (`unlocked_plans`) as that read answers (tests/treatment/test_hold_reads_plans_once.py holds both to the
    ORM's `select_for_update()` query they replaced)."""
    if plans is None:
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        day = connection.ops.adapt_datefield_value(held_on)
        return [
            plan for (plan,) in rows.fetch(_PLANS_NOT_ENDED + lock, [patient.pk, day], (TakeHomePlan, "t"))
        ]
    kept = [p for p in plans if p.patient_id == patient.pk and (p.ended_on is None or p.ended_on > held_on)]
    return sorted(kept, key=lambda p: (p.decided_at, p.pk), reverse=True)
