"""What a prescriber asks for, read and checked against the rule and the supply: the request's dates and
acknowledgements (`_take_home_request`), the take-home rule's inputs and decision with the program's policy
(`_eligibility_inputs`, `_eligibility`; a closure day's one dose), the bottle days (`_bottles`), the
acknowledged concerns as reasons (`_with_concerns`), and what a new plan may add to the supply a person
holds (`_supply_problem`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.utils.translation import gettext as _

from keel.core.decision import Decision, Reason
from keel.core.digits import ascii_digits
from keel.core.rules.inputs import FieldError, InvalidInput, check_fields
from keel.core.rules.methadone import (
    CRITERIA,
    FIRST_BOTTLE_WITHIN_DAYS,
    TAKE_HOME,
    TakeHomeDetails,
    bottle_schedule_problems,
    closure_day_supply,
)
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.queries import TakeHomeConcern, held_bottles, take_home_concerns
from keel.treatment.queries.policy import effective_policy
from keel.treatment.services.take_homes.dates import _a_date, _dates
from keel.web.dates import shown_date

CRITERIA_KEYS = tuple(key for key, _text in CRITERIA)
# The eligibility's decision, or a closure day's one dose (with the eligibility's policy and reasons)
TakeHomeDecision = Decision[Mapping[str, object], TakeHomeDetails]


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
    if start is not None and days_asked and start != min(days_asked):  # review 39a hole 4: one first day
        errors.append(
            FieldError(
                "start_on", N_("is not the first of bottle_days: give bottle_days alone, or their first day")
            )
        )
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
) -> dict[str, object]:
    """The take-home rule's inputs: days in treatment, the first bottle's day (the first bottle day asked,
    else the start asked, else tomorrow), each documented criterion, and the state's limit if one was given.
    Review 39a hole 4: the bottle days asked are the plan's bottles, so their earliest is the day the rule
    measures (`check_first_bottle_day`), whatever `start_on` says beside them."""
    first = min(asked.days) if asked.days else (asked.start or today + timedelta(days=1))
    raw: dict[str, object] = {
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
    patient: Patient,
    raw: Mapping[str, object],
    closure: date | None,
    today: date,
    start_field: str = "start_on",
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
            closure,
            [date.fromisoformat(d) for d in patient.program.closure_days or []],
            today,
            within_days=_an_int(decision.policy.get("first_bottle_within_days")) or FIRST_BOTTLE_WITHIN_DAYS,
            state_max_days=_an_int(check_fields(TAKE_HOME.inputs, raw).get("state_max_days")),
            program_max_days=_an_int(decision.policy.get("program_max_days")),
        )
    except InvalidInput as exc:
        raise TreatmentInvalid(exc.errors) from None
    return replace(closed, reasons=(*decision.reasons, *closed.reasons), policy=decision.policy)


def _an_int(value: object) -> int | None:
    """A policy or input value the rule checked (an int, or None when not set)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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
                "a dose was held for sedation or intoxication and no prescriber has released the hold: "
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
            % {"days": ", ".join(shown_date(d) for d in sorted(days & outstanding))},
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
