"""The rule take-home-eligibility (`TAKE_HOME`): how many days of take-home methadone may be given? The
federal ladder, the six criteria, a stricter state or program limit, and the first bottle's day.

Sources: 42 CFR 8.12(i) (2024 final rule) [V]; the first bottle's day within `first_bottle_within_days`
(review 25a hole 1; Keel bound).
"""

from __future__ import annotations

from datetime import date, timedelta

from keel.core import episodes
from keel.core.decision import LIST_SEPARATOR, Decision, Reason
from keel.core.rules.base import Rule
from keel.core.rules.inputs import EARLIEST_DAY, FieldError, InvalidInput
from keel.core.rules.methadone.take_home_inputs import (
    CRITERIA,
    DAYS_IN_TREATMENT_MAX,
    LAST_FIRST_BOTTLE,
    TAKE_HOME_INPUTS,
    TAKE_HOME_POLICY,
    TakeHomeDetails,
    TakeHomeInput,
    TakeHomePolicy,
    federal_max_supply,
)
from keel.core.words import gettext_noop
from keel.core.words import gettext_noop as N_


def _refuse_days_off_the_calendar(v: TakeHomeInput) -> None:
    """Lane tok26: an admission day before 1900 (`inputs.EARLIEST_DAY`, every date input's floor) is a typing
    slip, never a person's days in treatment (0001-01-01 said "Day 3.65206e+06 in treatment"); so is a
    `today` more days after it than `days_in_treatment` may be. InvalidInput naming the field."""
    admitted, today = v["admitted_on"], v["today"]
    if admitted is not None and admitted < EARLIEST_DAY:
        raise InvalidInput([FieldError("admitted_on", N_("cannot be before 1900"))])
    if admitted is not None and today is not None and (today - admitted).days > DAYS_IN_TREATMENT_MAX:
        raise InvalidInput(
            [
                FieldError.said(
                    "today",
                    N_("at most %(days)s days after admitted_on"),
                    days=DAYS_IN_TREATMENT_MAX,
                )
            ]
        )


def _take_home(v: TakeHomeInput, p: TakeHomePolicy) -> Decision[TakeHomePolicy, TakeHomeDetails]:
    name, policy = "take-home-eligibility", p.copy()
    _refuse_days_off_the_calendar(v)
    days = _days_in_treatment(v, p)
    if v["start_on"] is not None:
        check_first_bottle_day(v["start_on"], v["today"], p["first_bottle_within_days"])
    federal = federal_max_supply(days)
    reasons = [
        Reason.said(
            gettext_noop(
                "Day %(days)s in treatment: the federal rule allows up to %(federal)s days of take-home doses."
            ),
            ("42cfr8.12-2024",),
            days=days,
            federal=federal,
        )
    ]
    missing = [text for key, text in CRITERIA if not v[key]]
    if missing:
        reasons.append(
            Reason.said(  # each criterion its own catalogue entry: a page says them in the reader's language
                gettext_noop("Not eligible now; not yet documented: %(missing)s."),
                ("42cfr8.12-2024",),
                missing=LIST_SEPARATOR.join(missing),
            )
        )
        return Decision(name, "1", "not_eligible", tuple(reasons), policy, {"max_supply_days": 0})
    limit = _stricter_limit(federal, v, p, reasons)
    reasons.append(
        Reason.said(
            gettext_noop("All six criteria are documented: up to %(days)s days of take-home doses."),
            ("42cfr8.12-2024",),
            days=limit,
        )
    )
    details: TakeHomeDetails = {"max_supply_days": limit}
    if v["start_on"] is not None and limit:
        details["bottles"] = [(v["start_on"] + timedelta(days=i)).isoformat() for i in range(limit)]
    return Decision(name, "1", "eligible" if limit else "not_eligible", tuple(reasons), policy, details)


def _days_in_treatment(v: TakeHomeInput, p: TakeHomePolicy) -> int:
    """The days in treatment given, or counted from the admission day to today (the program's day number
    for the admission day); InvalidInput when neither is given or today is before the admission."""
    days = v["days_in_treatment"]
    if days is not None:
        return days
    if v["admitted_on"] is None or v["today"] is None:
        raise InvalidInput(
            [FieldError("days_in_treatment", N_("give days_in_treatment, or admitted_on and today"))]
        )
    days = episodes.days_in_treatment_since(v["admitted_on"], v["today"], p["admission_day_number"])
    if days < 0:
        raise InvalidInput([FieldError("today", N_("is before admitted_on"))])
    return days


def _stricter_limit(federal: int, v: TakeHomeInput, p: TakeHomePolicy, reasons: list[Reason]) -> int:
    """The federal limit, or the state's then the program's where stricter; each stricter one said in
    `reasons`."""
    limit = federal
    for label, value in (("state", v["state_max_days"]), ("program", p["program_max_days"])):
        if value is not None and value < limit:
            limit = value
            reasons.append(
                Reason.said(
                    gettext_noop("The state limit of %(days)s days is stricter and applies.")
                    if label == "state"
                    else gettext_noop("The program limit of %(days)s days is stricter and applies."),
                    (f"{label}-rule",),
                    days=value,
                )
            )
    return limit


def check_first_bottle_day(start_on: date, today: date | None, within_days: int) -> None:
    """Review 25a hole 1: a first bottle's day has a floor, today, and a ceiling, `within_days` after today
    (the program's `first_bottle_within_days`): a later supply is decided nearer its day, on the criteria
    documented then. Always (the stateless rule may have no today), no later than the last day whose bottles a
    calendar can still list. Raises InvalidInput naming `start_on`."""
    if today is not None and start_on < today:
        raise InvalidInput(
            [FieldError("start_on", N_("cannot be before today: a bottle never covers a day already past"))]
        )
    if start_on > LAST_FIRST_BOTTLE or (today is not None and (start_on - today).days > within_days):
        raise InvalidInput(
            [
                FieldError.said(
                    "start_on",
                    N_("at most %(days)s days after today: a later first bottle is decided nearer its day"),
                    days=within_days,
                )
            ]
        )


TAKE_HOME: Rule[TakeHomeInput, TakeHomePolicy, TakeHomeDetails] = Rule(
    "take-home-eligibility",
    "1",
    "How many days of take-home methadone may be given?",
    TAKE_HOME_INPUTS,
    TAKE_HOME_POLICY,
    _take_home,
)
