"""A prescriber's end of a take-home plan (`end_take_home_plan`) and the call-back list's "Record bottles
brought back" (`record_bottles_brought_back`, never an end): both read the request once into an `EndAsked`
and go through `_end_plan` under the person's lock then the plan's row lock (review 27a: the order a
correction takes them in), whose named steps refuse an end that stops no bottle
(`_check_end_stops`), refuse bottles that cannot come back (`_check_bottles_back`) and write the end with
its audit row (`_write_end`); on an ended plan, bottles brought back are recorded without an end
(`brought_back._record_brought_back`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NoReturn

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action, Outcome
from keel.core.reasons import reason_problem, reason_text
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.queries import plan_days
from keel.treatment.services.common import (
    PlanAlreadyEnded,
    PlanStillRunning,
    TakeHomeEndNotAllowed,
    _audit,
    _audit_plan,
    _scoped_for,
    lock_person,
)
from keel.treatment.services.take_homes.brought_back import (
    _at_home,
    _check_returned_stopped,
    _record_brought_back,
    _still_held,
)
from keel.treatment.services.take_homes.dates import _a_date, _dates
from keel.web.dates import shown_date


@dataclass(frozen=True)
class EndAsked:
    """A prescriber's end or bottles brought back, read once (`end_take_home_plan`): who (`by`), whose
    (`patient`), which plan, the reason as measured (`text`), the first day no bottle covers (`start`), the
    bottles brought back (`returned`), the instant (`now`), whether it is an end (`ending`) and whether it
    came by the brought-back route (`only_back`, never an end)."""

    by: User
    patient: Patient
    plan_id: int
    text: str
    start: date
    returned: list[date]
    now: datetime
    ending: bool
    only_back: bool = False


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
    _check_may_end_plan(by, patient, plan_id, only_back=ending is False)
    now = now or timezone.now()
    text, start, returned = _plan_end_fields(reason, from_day, returned_days, local_today(patient, now))
    if ending is False and not returned:  # bottles brought back, none named
        raise TreatmentInvalid([FieldError("returned_days", N_("name the bottles brought back"))])
    _check_plan_is_theirs(by, patient, plan_id)
    only_back = ending is False  # lane fix25e (review 25d hole 5): the brought-back route never ends
    if ending is None:
        ending = from_day not in (None, "")
    return _end_plan(EndAsked(by, patient, plan_id, text, start, returned, now, ending, only_back))


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


def _check_may_end_plan(by: User, patient: Patient, plan_id: int, *, only_back: bool = False) -> None:
    """Only a prescriber ends a take-home plan; anyone else is refused, audited. Lane end26: bottles brought
    back only (`only_back`, the brought-back route) are recorded by whoever receives them at the window
    (`policy.can_record_brought_back`: nurses and prescribers)."""
    if only_back:
        if not policy.can_record_brought_back(by):
            _refuse_role(
                by,
                patient,
                plan_id,
                "role may not record bottles brought back",
                _("Only a nurse or a prescriber can record bottles brought back."),
            )
        return
    if not policy.can_prescribe(by):
        _refuse_role(
            by,
            patient,
            plan_id,
            "role may not end take-home doses",
            _("Only a prescriber can end a take-home plan."),
        )


def _refuse_role(by: User, patient: Patient, plan_id: int, reason: str, message: str) -> NoReturn:
    """A role that may not end the plan (or record its bottles brought back): the denial audited (`reason`,
    in English), then refused with `message` (in the request's language)."""
    _audit(by, patient, Action.DENIED, "take_home_plan", plan_id, outcome=Outcome.DENIED, reason=reason)
    raise TakeHomeEndNotAllowed(message)


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


def _end_plan(asked: EndAsked) -> TakeHomePlan:
    """Under the plan's row lock: refuse a plan already ended and bottles it still covers, then end it the
    day before `start`, audited with how many bottles stopped. Review 23b hole 4: a plan kept back today
    (`bottles.kept_back_today`: the one end a later dose today undoes) is not "already ended": the
    prescriber's end and reason replace the keep back, so no later part resumes it; its last covered day
    is never moved later than the keep back's (a later `start` stops nothing more). Lane fix25e (review 25d
    hole 5): `only_back` (the brought-back route) on a plan still running is refused, nothing written."""
    from keel.treatment.services.doses.bottles import kept_back_today

    by, patient, now = asked.by, asked.patient, asked.now
    with transaction.atomic():
        # review 27a: the person's lock first, as a correction and a dose take it (`lock_person`), then the
        # plan's row: bottles recorded brought back and a correction back up of the dose they went home
        # with are saved one after the other, each seeing the other, never crosswise
        lock_person(patient)
        plan = TakeHomePlan.objects.select_for_update().get(pk=asked.plan_id, patient=patient)
        kept_back = plan.ended_on is not None and kept_back_today(plan, local_today(patient, now))
        ended = plan.ended_on is not None and not kept_back
        if ended and asked.returned and not asked.ending:
            return _record_brought_back(by, patient, plan, asked.text, asked.returned, now)
        if kept_back and asked.only_back and not policy.can_prescribe(by):
            # lane end26: the nurse records bottles brought back; the keep back is replaced only by a
            # prescriber's end, so theirs are recorded on the plan as kept back, its end unchanged
            return _record_brought_back(by, patient, plan, asked.text, asked.returned, now)
        stopped = _check_end_stops(asked, plan, ended=ended, kept_back=kept_back)
        _check_bottles_back(asked, plan, stopped)
        _write_end(asked, plan, stopped, ended=ended, kept_back=kept_back)
    return plan


def _check_end_stops(asked: EndAsked, plan: TakeHomePlan, *, ended: bool, kept_back: bool) -> set[date]:
    """The plan's days from `start` on (the bottles the end stops), or a refusal: the brought-back route on a
    plan still running (lane fix25e), an end that stops no bottle (lane fix25c, review 25a hole 2: on an
    ended plan the conflict naming its current end, on a running one a refused `from_day`)."""
    if asked.only_back and not ended and not kept_back:
        # lane fix25e (review 25d hole 5): the brought-back route never ends a plan
        raise PlanStillRunning(
            _("The plan is still running: bottles brought back are recorded after an end.")
        )
    stopped = {d for d in plan_days(plan) if d >= asked.start}
    # lane fix25c (review 25a hole 2): an end stops a bottle, else it is no end: on an ended plan the
    # conflict (its current end; an earlier day that stops a bottle brings the end forward), on a
    # running one a refused day (a kept back plan's end replaces the keep back, as before)
    if plan.ended_on is not None and ended and not stopped:
        raise PlanAlreadyEnded(
            _("This take-home plan already ended on %(day)s.") % {"day": shown_date(plan.ended_on)}
        )
    if not ended and not kept_back and not stopped:
        raise TreatmentInvalid([FieldError("from_day", N_("the plan gives no bottle from that day on"))])
    return stopped


def _check_bottles_back(asked: EndAsked, plan: TakeHomePlan, stopped: set[date]) -> None:
    """Bottles brought back with an end come back only for days it stops, or (an ended plan) still at home.
    Lane bot25 (review 24c hole 4): a plan kept back today after its bottles left (a correction down of the
    dose they went with) covers none of them, yet they are at home: they can come back too; so can an ended
    plan's bottles at home that an earlier end (fix25c) names."""
    home = _at_home(asked.patient, plan, asked.now) if plan.ended_on is not None and asked.returned else set()
    _check_returned_stopped(asked.returned, stopped | home)


def _write_end(
    asked: EndAsked, plan: TakeHomePlan, stopped: set[date], *, ended: bool, kept_back: bool
) -> None:
    """The plan ends the day before `start` (never later than an end it had), by the prescriber with their
    reason (an earlier end's reason kept in it), its bottles brought back added; saved and audited (the typed
    text only on the plan, review 19b)."""
    by, patient, now, text, start = asked.by, asked.patient, asked.now, asked.text, asked.start
    earlier = _earlier_end(plan) if ended else {}
    if ended and plan.end_reason:  # the earlier end's reason stays in the record
        from keel.treatment.services.doses.bottles import EARLIER_END

        # lane fix30d (review 30d hole 2): kept as the window keeps an earlier end (`EARLIER_END`), so
        # `end_words.plan_end` says it, and the earlier end's own words, in the reader's language
        text += EARLIER_END.format(
            day=plan.ended_on.isoformat() if plan.ended_on else "", reason=plan.end_reason
        )
    last = start - timedelta(days=1)  # the last day a bottle covers
    plan.ended_on = min(last, plan.ended_on) if plan.ended_on is not None else last
    plan.ended_by, plan.ended_at, plan.end_reason, plan.end_kind = by, now, text, PlanEnd.PRESCRIBER
    # review 19a: the bottles brought back at the window (a dose given instead) stay with these
    plan.returned_days = sorted({*(plan.returned_days or []), *(d.isoformat() for d in asked.returned)})
    plan.save(update_fields=["ended_on", "ended_by", "ended_at", "end_reason", "end_kind", "returned_days"])
    _audit_plan(
        by,
        patient,
        plan,
        "reason recorded on the plan's end",  # the typed text only on the plan (review 19b)
        {
            "from_day": start.isoformat(),
            "bottles_stopped": len(stopped),
            **({"kept_back_replaced": True} if kept_back else {}),
            **earlier,
            **_still_held(patient, plan, now),
        },
    )


def _earlier_end(plan: TakeHomePlan) -> dict[str, object]:
    """Lane fix25c: what the audit row of an end brought forward says of the end it replaced."""
    day = plan.ended_on.isoformat() if plan.ended_on is not None else None
    return {"earlier_end": {"ended_on": day, "end_kind": plan.end_kind}}
