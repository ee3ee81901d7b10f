"""Take-home methadone: the prescriber's decision and bottle schedule, a take-home day at the window, and
discharge ending the plans."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action, Outcome
from keel.core.decision import Decision, Reason
from keel.core.digits import ascii_digits
from keel.core.reasons import reason_problem, reason_text
from keel.core.rules.inputs import FieldError, InvalidInput
from keel.core.rules.methadone import (
    CRITERIA,
    TAKE_HOME,
    TakeHomeDetails,
    bottle_schedule_problems,
    closure_day_supply,
)
from keel.core.take_home_bottles import handed_out
from keel.core.words import gettext_noop as N_
from keel.db import rows
from keel.patients.models import (
    Enrollment,
    EnrollmentStatus,
    FlagKind,
    Patient,
    PatientFlag,
    local_today,
    zone_of,
)
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import (
    DoseRecord,
    DoseStatus,
    Medication,
    MedicationOrder,
    PlanEnd,
    TakeHomePlan,
    in_force_q,
)
from keel.treatment.queries import (
    DoseContext,
    TakeHomeConcern,
    as_handed_out,
    bottles_at_home,
    dose_context,
    episode_take_home_plans,
    held_bottles,
    plan_days,
    take_home_concerns,
    take_home_days_in_treatment,
)
from keel.treatment.queries.doses import taken_doses
from keel.treatment.queries.policy import effective_policy
from keel.treatment.services.common import (
    PlanAlreadyEnded,
    PlanStillRunning,
    TakeHomeEndNotAllowed,
    _audit,
    _scoped_for,
    lock_person,
)

CRITERIA_KEYS = tuple(key for key, _text in CRITERIA)
# The eligibility's decision, or a closure day's one dose (with the eligibility's policy and reasons)
TakeHomeDecision = Decision[Mapping[str, object], TakeHomeDetails]


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
        days = plan_days(plan)
        if not any(day > held_on for day in days):
            continue
        last = held_on
        if held_on in days or given_today:  # bottles for the run going on from today may be at home
            while last + timedelta(days=1) in days:
                last += timedelta(days=1)
        # lane bot25 (review 24c hole 6): ended even when that run is its last, so the bottles at home after
        # the hold's day are on the call-back list (`queries.call_back`) for the next shift
        plan.ended_on = last
        plan.ended_by, plan.ended_at = by, now
        plan.end_reason, plan.end_kind = HOLD_SUSPENDS.format(day=held_on.isoformat()), PlanEnd.HOLD
        plan.save(update_fields=["ended_on", "ended_by", "ended_at", "end_reason", "end_kind"])
        _audit(by, patient, Action.UPDATE, "take_home_plan", plan.pk, reason="dose held: bottles stop")
        suspended.append(plan.pk)
    return suspended


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


def _held_since(patient: Patient, acknowledged: list[TakeHomeConcern]) -> bool:
    """A dose held (its flag open) that the decision did not acknowledge: recorded after the checks read."""
    seen = {c.id for c in acknowledged}
    return any(
        str(pk) not in seen
        for pk in PatientFlag.objects.filter(
            patient=patient, kind=FlagKind.DOSE_HELD, resolved_at__isnull=True
        ).values_list("pk", flat=True)
    )


def end_take_home_plan(
    *,
    by: User,
    patient_id: int,
    plan_id: int,
    reason: object,
    from_day: object = None,
    returned_days: object = None,
    now: datetime | None = None,
    ending: bool | None = None,
) -> TakeHomePlan:
    """A prescriber ends an active take-home plan early (issue #13: a mistaken plan, bottles lost or returned,
    a relapse). From `from_day` (today or later in the program's zone, never a day already past; blank:
    today) its bottles cover nothing: the missed-dose checks and the window treat those days as observed days
    again. `reason` must be one of substance (the check overrides use); `returned_days` names the bottles
    brought back unopened or never handed out (days the plan ended; blank: none came back). Review 19a: a
    bottle handed out and not brought back keeps counting against the supply a new plan may give
    (`held_bottles`; the audit row names them). The plan stays in the record with who, when and why; ending
    it again is a conflict.

    Lane fix25c (review 25a holes 2 and 3): an end that stops no bottle is refused (`from_day`); on an ended
    plan an end from an earlier day brings the end forward, and one that changes nothing is a conflict (the
    plan's current end). `ending`: True, an end (the page's end form, the API given a `from_day`): bottles
    brought back named with it are recorded only with the end; False, bottles brought back only
    (`record_bottles_brought_back`); None, as before: bottles brought back only when the plan ended and no
    `from_day` is given, else an end."""
    patient = _scoped_for(
        by, patient_id, "take_home_plan", True, "end take-home doses", emergency_access=True
    )
    _check_may_end_plan(by, patient, plan_id)
    now = now or timezone.now()
    text, start, returned = _plan_end_fields(reason, from_day, returned_days, local_today(patient, now))
    if ending is False and not returned:  # bottles brought back, none named
        raise TreatmentInvalid([FieldError("returned_days", N_("name the bottles brought back"))])
    _check_plan_is_theirs(by, patient, plan_id)
    only_back = ending is False  # lane fix25e (review 25d hole 5): the brought-back route never ends
    if ending is None:
        ending = from_day not in (None, "")
    return _end_plan(by, patient, plan_id, text, start, returned, now, ending=ending, only_back=only_back)


def record_bottles_brought_back(
    *,
    by: User,
    patient_id: int,
    plan_id: int,
    reason: object,
    returned_days: object,
    now: datetime | None = None,
) -> TakeHomePlan:
    """Lane fix25c (review 25a hole 3, issue #17: one URL per action): the call-back list's "Record bottles
    brought back", never an end: the bottles named (required) are recorded on the plan, its end unchanged
    (`_record_brought_back`); a plan kept back today records them through its end as before (review 24c
    hole 4: the keep back is replaced by the prescriber's end from today)."""
    return end_take_home_plan(
        by=by,
        patient_id=patient_id,
        plan_id=plan_id,
        reason=reason,
        returned_days=returned_days,
        now=now,
        ending=False,
    )


def _check_may_end_plan(by: User, patient: Patient, plan_id: int) -> None:
    """Only a prescriber ends a take-home plan; anyone else is refused, audited."""
    if not policy.can_prescribe(by):
        _audit(
            by,
            patient,
            Action.DENIED,
            "take_home_plan",
            plan_id,
            outcome=Outcome.DENIED,
            reason="role may not end take-home doses",
        )
        raise TakeHomeEndNotAllowed(_("Only a prescriber can end a take-home plan."))


def _plan_end_fields(
    reason: object, from_day: object, returned_days: object, today: date
) -> tuple[str, date, list[date]]:
    """The reason (one of substance), the first day no bottle covers (today or later; blank: today) and the
    bottles brought back, or TreatmentInvalid naming every field wrong."""
    errors: list[FieldError] = []
    text = reason_text(reason)  # kept as measured (review 24r)
    problem = reason_problem(text)
    if problem:
        errors.append(FieldError("reason", problem))
    start = _a_date(from_day, "from_day", errors) or today
    if start < today:
        errors.append(FieldError("from_day", N_("cannot be before today: a day already past is not undone")))
    returned = _dates(returned_days, "returned_days", errors) or []
    if errors:
        raise TreatmentInvalid(errors)
    return text, start, returned


def _check_plan_is_theirs(by: User, patient: Patient, plan_id: int) -> None:
    """Not this person's plan (or none at all): the same answer as no such person, audited."""
    if not TakeHomePlan.objects.filter(pk=plan_id, patient=patient).exists():
        policy.row_not_theirs(by, patient, "take_home_plan", plan_id, reason="no such take-home plan")


def _end_plan(
    by: User,
    patient: Patient,
    plan_id: int,
    text: str,
    start: date,
    returned: list[date],
    now: datetime,
    *,
    ending: bool,
    only_back: bool = False,
) -> TakeHomePlan:
    """Under the plan's row lock: refuse a plan already ended and bottles it still covers, then end it the
    day before `start`, audited with how many bottles stopped. Review 23b hole 4: a plan kept back today
    (`bottles.kept_back_today`: the one end a later dose today undoes) is not "already ended": the
    prescriber's end and reason replace the keep back, so no later part resumes it; its last covered day
    is never moved later than the keep back's (a later `start` stops nothing more). Lane fix25e (review 25d
    hole 5): `only_back` (the brought-back route) on a plan still running is refused, nothing written."""
    from keel.treatment.services.doses.bottles import kept_back_today

    with transaction.atomic():
        plan = TakeHomePlan.objects.select_for_update().get(pk=plan_id, patient=patient)
        kept_back = plan.ended_on is not None and kept_back_today(plan, local_today(patient, now))
        ended = plan.ended_on is not None and not kept_back
        if ended and returned and not ending:
            return _record_brought_back(by, patient, plan, text, returned, now)
        if only_back and not ended and not kept_back:
            # lane fix25e (review 25d hole 5): the brought-back route never ends a plan
            raise PlanStillRunning(
                _("The plan is still running: bottles brought back are recorded after an end.")
            )
        stopped = {d for d in plan_days(plan) if d >= start}
        # lane fix25c (review 25a hole 2): an end stops a bottle, else it is no end: on an ended plan the
        # conflict (its current end; an earlier day that stops a bottle brings the end forward), on a
        # running one a refused day (a kept back plan's end replaces the keep back, as before)
        if plan.ended_on is not None and ended and not stopped:
            raise PlanAlreadyEnded(
                _("This take-home plan already ended on %(day)s.") % {"day": plan.ended_on.isoformat()}
            )
        if not ended and not kept_back and not stopped:
            raise TreatmentInvalid([FieldError("from_day", N_("the plan gives no bottle from that day on"))])
        # lane bot25 (review 24c hole 4): a plan kept back today after its bottles left (a correction down of
        # the dose they went with) covers none of them, yet they are at home: they can come back too; so can
        # an ended plan's bottles at home that an earlier end (fix25c) names
        home = _at_home(patient, plan, now) if plan.ended_on is not None and returned else set()
        _check_returned_stopped(returned, stopped | home)
        earlier = _earlier_end(plan) if ended else {}
        if ended and plan.end_reason:  # the earlier end's reason stays in the record
            text = f"{text} (Earlier end, no take-home days after {plan.ended_on}: {plan.end_reason})"
        last = start - timedelta(days=1)  # the last day a bottle covers
        plan.ended_on = min(last, plan.ended_on) if plan.ended_on is not None else last
        plan.ended_by, plan.ended_at, plan.end_reason, plan.end_kind = by, now, text, PlanEnd.PRESCRIBER
        # review 19a: the bottles brought back at the window (a dose given instead) stay with these
        plan.returned_days = sorted({*(plan.returned_days or []), *(d.isoformat() for d in returned)})
        plan.save(
            update_fields=["ended_on", "ended_by", "ended_at", "end_reason", "end_kind", "returned_days"]
        )
        _audit(
            by,
            patient,
            Action.UPDATE,
            "take_home_plan",
            plan.pk,
            reason="reason recorded on the plan's end",  # the typed text only on the plan (review 19b)
            detail={
                "from_day": start.isoformat(),
                "bottles_stopped": len(stopped),
                **({"kept_back_replaced": True} if kept_back else {}),
                **earlier,
                **_still_held(patient, plan, now),
            },
        )
    return plan


def _earlier_end(plan: TakeHomePlan) -> dict[str, object]:
    """Lane fix25c: what the audit row of an end brought forward says of the end it replaced."""
    day = plan.ended_on.isoformat() if plan.ended_on is not None else None
    return {"earlier_end": {"ended_on": day, "end_kind": plan.end_kind}}


def _record_brought_back(
    by: User, patient: Patient, plan: TakeHomePlan, text: str, returned: list[date], now: datetime
) -> TakeHomePlan:
    """Review 24b hole 5: bottles brought back after the plan ended, whatever ended it (a prescriber, a hold,
    a correction down's take-back: the call-back list): recorded on the ended plan (`returned_days`, the one
    record of bottles back, which `bottles_at_home` and `held_bottles` read), only bottles still at home
    from today on (else `returned_days` is refused, naming the days); the end itself is not changed, the
    reason is added to it, audited."""
    at_home = _at_home(patient, plan, now)
    not_home = [d for d in returned if d not in at_home]
    if not_home:
        raise TreatmentInvalid(
            [
                FieldError.said(
                    "returned_days",
                    N_("only bottles still at home from today on: %(days)s"),
                    days=", ".join(d.isoformat() for d in not_home),
                )
            ]
        )
    days = sorted({d.isoformat() for d in returned})
    plan.returned_days = sorted({*(plan.returned_days or []), *days})
    plan.end_reason = f"{plan.end_reason} Brought back ({', '.join(days)}): {text}".strip()
    plan.save(update_fields=["returned_days", "end_reason"])
    _audit(
        by,
        patient,
        Action.UPDATE,
        "take_home_plan",
        plan.pk,
        reason="bottles brought back after the plan ended",
        detail={"bottles_brought_back": days, **_still_held(patient, plan, now)},
    )
    return plan


def _at_home(patient: Patient, plan: TakeHomePlan, now: datetime) -> set[date]:
    """The plan's bottles from today on that may be brought back: at home (`bottles_at_home`), or recorded as
    handed out with a dose that no longer stands (its `maybe`: brought back, or found never to have left)."""
    return set(bottles_at_home(patient, local_today(patient, now), maybe=True).get(plan.pk, {}))


def _still_held(patient: Patient, plan: TakeHomePlan, now: datetime) -> dict[str, object]:
    """Review 19a: what ending a plan leaves in the person's hands (`held_bottles`): the bottles handed out
    and not brought back, which keep counting against the supply for the days they cover (the audit row
    says which, so "none came back" is on the record)."""
    held = held_bottles(patient, None, local_today(patient, now)).get(plan.pk, set())
    return {
        "bottles_returned": len(plan.returned_days),
        "bottles_still_held": [d.isoformat() for d in sorted(held)],
    }


def record_bottle_returned(
    plans: Sequence[TakeHomePlan], today: date, held: TakeHomePlan | None = None
) -> dict[str, object] | None:
    """Review 19a: an observed methadone dose on a take-home day passes the window only because the nurse
    said today's bottle came back unopened; that answer is kept on the plan whose bottle covers today (its
    `returned_days`, the one record of bottles back, which `held_bottles` reads), inside the dose's
    transaction and under the person's lock. `plans`: the episode's plans the dose read (oldest first; the
    plan changed in place, so the row told from the dose's reads shows it). Returns what the dose's audit row
    says of it (None: no plan's bottle covers today). `held`: the ended plan whose bottle for today the person
    still held (`queries.contexts.bottle_held_today`, review 20a), kept when no running plan covers today."""
    covering = [p for p in plans if today in plan_days(p)] or ([held] if held is not None else [])
    if not covering:
        return None
    plan = covering[-1]  # the newest; one bottle a day
    plan.returned_days = sorted({*(plan.returned_days or []), today.isoformat()})
    TakeHomePlan.objects.filter(pk=plan.pk).update(returned_days=plan.returned_days)
    return {"bottle_returned": today.isoformat(), "take_home_plan": plan.pk}


def _check_returned_stopped(returned: list[date], stopped: set[date]) -> None:
    """Bottles come back only for the days the plan no longer covers."""
    not_stopped = [d for d in returned if d not in stopped]
    if not_stopped:
        raise TreatmentInvalid(
            [
                FieldError.said(
                    "returned_days",
                    N_("only bottles for the days the plan no longer covers: %(days)s"),
                    days=", ".join(d.isoformat() for d in not_stopped),
                )
            ]
        )


def _a_date(raw: object, name: str, errors: list[FieldError]) -> date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        errors.append(FieldError(name, N_("a date like 2026-11-28")))
        return None


def _dates(raw: object, name: str, errors: list[FieldError]) -> list[date] | None:
    if raw in (None, "", []):
        return None
    items = raw.split() if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        errors.append(FieldError(name, N_("a list of dates like 2026-11-28")))
        return None
    days = []
    for item in items:
        day = _a_date(item, name, errors)
        if day is not None:
            days.append(day)
    return sorted(days)


def decide_take_home(
    *,
    by: User,
    patient_id: int,
    criteria: Mapping[str, object],
    state_max_days: object = None,
    start_on: object = None,
    now: datetime | None = None,
    acknowledged_flags: object = None,
    bottle_days: object = None,
    closure_day: object = None,
) -> TakeHomePlan:
    """Run take-home eligibility on the documented criteria with the program's policy; store the decision
    and the bottle schedule (prescribers: the OTP practitioner decides). Issue #13: days in treatment count
    from the methadone episode (`take_home_days_in_treatment`); an active methadone order is needed; every
    open concern (`take_home_concerns`) is listed in the decision and must be acknowledged by id; no bottle
    for a day already past; `bottle_days` gives a schedule below the maximum (weekends only); `closure_day`
    gives the one dose 42 CFR 8.12 allows for a configured closure day to someone not otherwise eligible.
    The plan belongs to the current episode."""
    patient = _scoped_for(
        by,
        patient_id,
        "take_home_plan",
        policy.can_prescribe(by),
        "decide take-home doses",
        emergency_access=False,
    )
    now = now or timezone.now()
    today = local_today(patient, now)
    enrollment = _methadone_episode(patient, today)
    # The day's context, with today's holds of any medication (the window's one definition of a hold).
    ctx = dose_context(patient, Medication.METHADONE, today, with_other_holds=True)
    _refuse_before_first_dose(ctx.first_dose_on)
    asked = _take_home_request(patient, today, start_on, bottle_days, closure_day, acknowledged_flags)
    days = take_home_days_in_treatment(patient, today)
    raw = _eligibility_inputs(days, asked, today, criteria, state_max_days)
    decision = _eligibility(patient, raw, asked.closure, today, _bottles_field(asked.days, asked.closure))
    bottles = _bottles(decision, asked, today)
    with transaction.atomic():  # review 18a: the supply checked and the plan saved under the person's lock
        lock_person(patient)  # a second submit waits here, then reads this one's bottles
        ctx = dose_context(patient, Medication.METHADONE, today, with_other_holds=True)  # again, locked
        _refuse_supply_problem(patient, enrollment, today, bottles, ctx, decision, asked)
        handed = _bottles_handed_out_now(patient, today, bottles, ctx, asked)
        decision = _with_concerns(decision, asked.concerns)
        return _save_plan(
            by, patient, enrollment, now, days, raw, decision, bottles, asked.concerns, bottle_mg=handed
        )


def _bottles_handed_out_now(
    patient: Patient, today: date, bottles: list[str], ctx: DoseContext, asked: _TakeHomeRequest
) -> dict[str, str]:
    """Session 22: every bottle's dose put to the window's verdict today (`doses.bottles.bottle_amounts`: a
    bottle the window would block is refused, never capped; that module says why), and the mg of those that
    go home now, at the decision (`take_home_bottles.handed_out`: a run starting today, or tomorrow once
    today's observed dose was taken), recorded with the plan. The rest are recorded when they are handed
    out, at the observed dose the day before their run."""
    from keel.treatment.services.doses.bottles import bottle_amounts, bottle_refusal

    days = {date.fromisoformat(iso) for iso in bottles}
    given = ctx.given_today_mg  # review 22o hole 6: today's total, never the higher of it and yesterday's
    amounts, blocked = bottle_amounts(
        patient, days, today, given, ctx, timezone.now(), ctx.given_today_mg > 0
    )
    if blocked is not None:
        raise TreatmentInvalid(
            [FieldError(_bottles_field(asked.days, asked.closure), bottle_refusal(*blocked))]
        )
    visits = {today} if ctx.given_today_mg > 0 else set()
    return {
        iso: mg
        for iso, mg in amounts.items()
        if handed_out(date.fromisoformat(iso), days, today, visits, None)
    }


def _refuse_before_first_dose(first_dose_on: date | None) -> None:
    """Tolerance never observed: no supply before the first dose at the window."""
    if first_dose_on is None:
        raise TreatmentInvalid(
            [
                FieldError(
                    "days_in_treatment",
                    _(
                        "no methadone dose has been taken at the window yet in this episode: take-home doses "
                        "come after observed doses"
                    ),
                )
            ]
        )


def _refuse_supply_problem(
    patient: Patient,
    enrollment: Enrollment,
    today: date,
    bottles: list[str],
    ctx: DoseContext,
    decision: TakeHomeDecision,
    asked: _TakeHomeRequest,
) -> None:
    """A supply the day's doses, holds or other plans forbid is refused on the field that asked for it."""
    supply_problem = _supply_problem(
        patient,
        enrollment.pk,
        enrollment.started_on,
        today,
        bottles,
        ctx.given_today_mg > 0,
        decision,
        held_today=ctx.hold_open or ctx.other_hold_open,
    )
    if supply_problem is not None:
        raise TreatmentInvalid([replace(supply_problem, field=_bottles_field(asked.days, asked.closure))])


def _save_plan(
    by: User,
    patient: Patient,
    enrollment: Enrollment,
    now: datetime,
    days: int,
    raw: Mapping[str, object],
    decision: TakeHomeDecision,
    bottles: list[str],
    concerns: list[TakeHomeConcern],
    *,
    bottle_mg: dict[str, str] | None = None,
) -> TakeHomePlan:
    """Under the person's lock: refuse when a dose was held while the decision was checked, then store the
    plan (with the mg of the bottles handed out at the decision, `bottle_mg`) and audit it."""
    with transaction.atomic():
        lock_person(patient)
        if _held_since(patient, concerns):  # a hold saved while this decision was being checked
            raise TreatmentInvalid(
                [
                    FieldError(
                        "acknowledged_flags",
                        _("a dose was just held: no take-home supply until a prescriber assesses the person"),
                    )
                ]
            )
        plan = TakeHomePlan.objects.create(
            patient=patient,
            enrollment=enrollment,
            decided_by=by,
            decided_at=now,
            days_in_treatment=max(days, 0),
            criteria={k: raw[k] for k in CRITERIA_KEYS},
            decision=decision.as_dict(),
            max_supply_days=decision.details.get("max_supply_days", 0),
            bottles=bottles,
            open_flags=[{"id": c.id, "kind": c.kind, "raised_on": c.raised_on} for c in concerns],
            bottle_mg=bottle_mg or {},
        )
        _audit(by, patient, Action.CREATE, "take_home_plan", plan.pk, reason=decision.decision)
    return plan


def _methadone_episode(patient: Patient, today: date) -> Enrollment:
    """The person's current episode of care, which must have a methadone order in force today
    (`models.in_force_q`; else refused)."""
    enrollment = patient.enrollments.filter(status="active").order_by("-started_on").first()
    if enrollment is None:  # discharge ends dosing: no take-home supply after the episode ended
        raise TreatmentInvalid(
            [FieldError("patient", N_("this person's episode of care has ended: no take-home doses"))]
        )
    if not MedicationOrder.objects.filter(
        in_force_q(today), patient=patient, medication=Medication.METHADONE
    ).exists():
        raise TreatmentInvalid(
            [FieldError("order", N_("no active methadone order: a prescriber writes one before take-homes"))]
        )
    return enrollment


@dataclass(frozen=True)
class _TakeHomeRequest:
    """What the prescriber asked for, read and checked: the first bottle's day, the bottle days (None: the
    rule's schedule), a closure day, and the open concerns (each one acknowledged)."""

    start: date | None
    days: list[date] | None
    closure: date | None
    concerns: list[TakeHomeConcern]


def _take_home_request(
    patient: Patient,
    today: date,
    start_on: object,
    bottle_days: object,
    closure_day: object,
    acknowledged_flags: object,
) -> _TakeHomeRequest:
    """Read the request's dates and acknowledgements; every bad field is named in one refusal: a start before
    today, a date that is not one, an open concern not acknowledged by its id."""
    errors: list[FieldError] = []
    start = _a_date(start_on, "start_on", errors)
    if start is not None and start < today:
        errors.append(
            FieldError("start_on", N_("cannot be before today: a bottle never covers a day already past"))
        )
    days_asked = _dates(bottle_days, "bottle_days", errors)
    closure = _a_date(closure_day, "closure_day", errors)
    acks = acknowledged_flags if acknowledged_flags not in (None, "") else []
    if isinstance(acks, str):
        acks = acks.replace(",", " ").split()
    if not isinstance(acks, list | tuple):
        errors.append(FieldError("acknowledged_flags", N_("a list of the open flags' ids")))
        acks = []
    concerns = take_home_concerns(patient, today)
    missing = [c.id for c in concerns if c.id not in {str(a) for a in acks}]
    if missing:
        errors.append(
            FieldError.said(
                "acknowledged_flags",
                N_("acknowledge each open flag before a take-home supply: %(flags)s"),
                flags=", ".join(missing),
            )
        )
    if errors:
        raise TreatmentInvalid(errors)
    return _TakeHomeRequest(start, days_asked, closure, concerns)


def _eligibility_inputs(
    days: int, asked: _TakeHomeRequest, today: date, criteria: Mapping[str, object], state_max_days: object
) -> dict[str, Any]:
    """The take-home rule's inputs: days in treatment, the first bottle's day (the start asked, else the first
    bottle day asked, else tomorrow), each documented criterion, and the state's limit if one was given."""
    first = asked.start or (min(asked.days) if asked.days else today + timedelta(days=1))
    raw: dict[str, Any] = {
        "days_in_treatment": days,
        "today": today.isoformat(),  # review 25a hole 1: the first bottle's floor and ceiling count from it
        "start_on": first.isoformat(),
        **{k: bool(criteria.get(k, False)) for k in CRITERIA_KEYS},
    }
    if state_max_days not in (None, ""):  # a page sends text: "5" is the number 5
        text = str(state_max_days).strip()
        raw["state_max_days"] = (
            int(text) if isinstance(state_max_days, str) and ascii_digits(text) else state_max_days
        )
    return raw


def _eligibility(
    patient: Patient, raw: dict[str, Any], closure: date | None, today: date, start_field: str = "start_on"
) -> TakeHomeDecision:
    """The rule's decision with the program's policy; for a closure day, the one dose 42 CFR 8.12 allows
    someone not otherwise eligible (refused for someone who is: their supply covers the day). A first bottle's
    day the rule refuses (review 25a hole 1: too far ahead) is named as the prescriber typed it
    (`start_field`: `start_on`, or `bottle_days` whose earliest day it is)."""
    try:
        decision = TAKE_HOME.run(raw, effective_policy(patient, TAKE_HOME))
    except InvalidInput as exc:
        raise TreatmentInvalid(
            [replace(e, field=start_field) if e.field == "start_on" else e for e in exc.errors]
        ) from None
    if closure is None:
        return decision
    if decision.decision == "eligible":
        raise TreatmentInvalid(
            [FieldError("closure_day", N_("this person is eligible: decide a supply that covers the day"))]
        )
    try:
        closed = closure_day_supply(
            closure, [date.fromisoformat(d) for d in patient.program.closure_days or []], today
        )
    except InvalidInput as exc:
        raise TreatmentInvalid(exc.errors) from None
    return replace(closed, reasons=(*decision.reasons, *closed.reasons), policy=decision.policy)


def _bottles(decision: TakeHomeDecision, asked: _TakeHomeRequest, today: date) -> list[str]:
    """The bottle days (ISO): the rule's schedule, or the days the prescriber chose, held to the rule's
    maximum supply (not for a closure day, whose one bottle is the rule's)."""
    bottles = list(decision.details.get("bottles", []))
    if asked.days is None or asked.closure is not None:
        return bottles
    limit = int(decision.details.get("max_supply_days", 0))
    problems = bottle_schedule_problems(asked.days, limit, today)
    if limit == 0:
        problems = [FieldError("bottle_days", N_("not eligible now: no bottles can be scheduled"))]
    if problems:
        raise TreatmentInvalid(problems)
    return [d.isoformat() for d in asked.days]


def _with_concerns(decision: TakeHomeDecision, concerns: list[TakeHomeConcern]) -> TakeHomeDecision:
    """The decision with a reason for each open concern the prescriber acknowledged."""
    if not concerns:
        return decision
    return replace(
        decision,
        reasons=(
            *decision.reasons,
            *(
                Reason(
                    f"Open, acknowledged by the prescriber: {c.kind.replace('_', ' ')} ({c.raised_on}).",
                    ("42cfr8.12-2024",),
                )
                for c in concerns
            ),
        ),
    )


def _bottles_field(days_asked: list[date] | None, closure: date | None) -> str:
    """The form field that produced the bottles (the error names what the prescriber typed)."""
    if closure is not None:
        return "closure_day"
    if days_asked is not None:
        return "bottle_days"
    return "start_on"


def _supply_problem(
    patient: Patient,
    enrollment_id: int,
    started_on: date,
    today: date,
    bottles: list[str],
    dosed_today: bool,
    decision: TakeHomeDecision,
    held_today: bool = False,
) -> FieldError | None:
    """Issue #13 (review 13): a new plan never stacks a second supply nor doubles a day. 42 CFR 8.12(i) limits
    the take-home supply a person holds at one time, so every bottle still outstanding (a day from today on,
    in an active plan of this episode, or handed out and not brought back: `held_bottles`, review 19a) counts
    with the new bottles against the supply allowed now; no day gets two bottles; and no bottle for today
    once today's observed dose was taken. Review 13c: no new plan at all
    while a dose held today (sedation or intoxication) stands unreleased (`held_today`: the window's hold,
    `DoseContext.hold_open`): today's bottle would be the very dose the hold stopped, and later days' bottles
    would leave the clinic with a person who is sedated or intoxicated now."""
    days = {date.fromisoformat(iso) for iso in bottles}
    if held_today:  # any bottle, not only today's: they leave the clinic with the person now
        return FieldError(
            "start_on",
            _(
                "a dose was held today for sedation or intoxication and no prescriber has released the hold: "
                "no take-home bottles. Assess the person and release the hold first"
            ),
        )
    if dosed_today and today in days:
        return FieldError(
            "start_on",
            _(
                "today's observed dose was already taken: a bottle for today would be a second dose today. "
                "Start the bottles tomorrow"
            ),
        )
    # Review 19a: the bottles the person holds or will be handed (`held_bottles`), an ended plan's too
    outstanding = set().union(*held_bottles(patient, (enrollment_id, started_on), today).values())
    if days & outstanding:
        return FieldError(
            "start_on",
            _("a take-home plan already gives a bottle for %(days)s: one bottle a day")
            % {"days": ", ".join(d.isoformat() for d in sorted(days & outstanding))},
        )
    allowed = int(decision.details.get("max_supply_days", 0))
    if outstanding and len(outstanding) + len(days) > allowed:
        return FieldError(
            "start_on",
            _(
                "%(outstanding)s take-home bottles are still outstanding; with %(new)s more this person "
                "would hold %(total)s days of supply, above the %(allowed)s allowed at one time "
                "(42 CFR 8.12(i))"
            )
            % {
                "outstanding": len(outstanding),
                "new": len(days),
                "total": len(outstanding) + len(days),
                "allowed": allowed,
            },
        )
    return None


TAKE_HOME_DAY = FieldError(
    "bottle_returned",
    N_("today is a take-home day: give an observed dose only when today's bottle is returned unopened"),
)


def take_home_day_problem(
    patient: Patient, medication: str, today: date, bottle_returned: bool
) -> FieldError | None:
    """An observed methadone dose on a day a take-home bottle covers is refused unless the nurse records that
    the bottle for today was returned unopened (issue #13): otherwise the person may take two doses."""
    if medication != Medication.METHADONE or bottle_returned:
        return None
    enrollment = patient.enrollments.filter(status=EnrollmentStatus.ACTIVE).order_by("-started_on").first()
    if enrollment is None:
        return None
    plans = episode_take_home_plans([patient.pk], {patient.pk: (enrollment.pk, enrollment.started_on)})
    as_handed_out(plans, zone_of(patient), today)  # session 24: a run that never left covers nothing
    if any(today in plan_days(p) for p in plans):
        return TAKE_HOME_DAY
    return None
