"""The day's limits of a buprenorphine induction (day 1 and day 2, program policy) and maintenance (no
ceiling), with the hold of a sedated or intoxicated person; and the same limits as a correction of a past
dose meets them (issue #13)."""

from __future__ import annotations

import copy
from typing import TypedDict, TypeVar

from keel.core.decision import Decision, NoDetails, Reason
from keel.core.words import gettext_noop


class DayLimitInput(TypedDict):
    """The dose input the day's limits read (buprenorphine-dose-limit's `DoseInput` has them all)."""

    phase: str
    given_today_mg: float
    requested_mg: float
    sedated_or_intoxicated: bool
    documented_rationale: bool


class DayLimitPolicy(TypedDict):
    """The policy values the day's limits read (buprenorphine-dose-limit's `DosePolicy` has them all)."""

    day1_max_mg: float
    day2_max_mg: float


P = TypeVar("P", bound=DayLimitPolicy)  # the caller's policy (the dose limit's), which the decision carries

# The reasons as worded before lane words35 ("Day 1 total would be ...": the days are now the first and the
# second dose day, as the start page says them). A stored decision keeps its reason's English and a page
# finds the catalogue's template it was written from (`web.stored_words.stored_reason_text`), so these stay
# in the catalogue, said in today's words: never used to write a reason.
EARLIER_WORDINGS = (
    gettext_noop(
        "The day-1 total would be %(mg)s mg, above the %(limit)s mg day-1 limit (program policy). Needs a "
        "prescriber's override for that day, with a reason."
    ),
    gettext_noop(
        "The day-2 total would be %(mg)s mg, above the %(limit)s mg day-2 limit (program policy). Needs a "
        "prescriber's override for that day, with a reason."
    ),
    gettext_noop("Day 1 total would be %(mg)s mg, within the %(limit)s mg limit (program policy)."),
    gettext_noop("Day 2 total would be %(mg)s mg, within the %(limit)s mg limit (program policy)."),
    gettext_noop(
        "Day 1 total would be %(mg)s mg, above the %(limit)s mg limit (program policy); allowed because a "
        "prescriber documented a reason (logged)."
    ),
    gettext_noop(
        "Day 2 total would be %(mg)s mg, above the %(limit)s mg limit (program policy); allowed because a "
        "prescriber documented a reason (logged)."
    ),
    gettext_noop(
        "Day 1 total would be %(mg)s mg, above the %(limit)s mg limit (program policy). A prescriber may "
        "override with a written reason."
    ),
    gettext_noop(
        "Day 2 total would be %(mg)s mg, above the %(limit)s mg limit (program policy). A prescriber may "
        "override with a written reason."
    ),
)


def day_limit_mg(phase: str, p: DayLimitPolicy) -> float:
    """The day's total limit of an induction day ("day1" or "day2"; program policy, reference 9.3): the one
    definition the window's dose limit and a correction of a day-one dose use."""
    return float(p["day1_max_mg"] if phase == "day1" else p["day2_max_mg"])


def induction_total_over(phase: str, total_mg: float, p: DayLimitPolicy) -> Reason | None:
    """Why an induction day's total of `total_mg` is over that day's limit (`day_limit_mg`; None when within,
    or on a maintenance day): a correction of a dose on an induction's day 1 or 2 (the episode's first, a
    restart after a gap, a switch after methadone) meets the limit the window applied (issue #13)."""
    if phase not in ("day1", "day2"):
        return None
    limit = day_limit_mg(phase, p)
    if total_mg <= limit:
        return None
    if phase == "day1":
        template = gettext_noop(
            "The total on the first dose day would be %(mg)s mg, above that day's %(limit)s mg limit (program "
            "policy). Needs a prescriber's override for that day, with a reason."
        )
    else:
        template = gettext_noop(
            "The total on the second dose day would be %(mg)s mg, above that day's %(limit)s mg limit "
            "(program policy). Needs a prescriber's override for that day, with a reason."
        )
    return Reason.said(template, ("fda-bup-label-summary", "pcss-summary"), mg=total_mg, limit=limit)


def _verdict(decision: str, reason: Reason, p: P) -> Decision[P, NoDetails]:
    """The rule's answer: one verdict with the one reason for it."""
    return Decision("buprenorphine-dose-limit", "1", decision, (reason,), copy.copy(p))


def _hold() -> Reason:
    return Reason.said(
        gettext_noop(
            "Sedated or intoxicated now: hold the dose and ask a prescriber to assess before any dose."
        ),
        ("tip63-summary", "reference-13"),
    )


def _maintenance(total: float) -> Reason:
    return Reason.said(
        gettext_noop(
            "Maintenance: %(mg)s mg today. The labels set no maximum daily dose; doses are titrated to "
            "the person (no warning at 24 mg, no 16 mg target)."
        ),
        ("fda-89fr105613",),
        mg=total,
    )


def _within_limit(one: bool, total: float, limit: float) -> Reason:
    return Reason.said(
        gettext_noop(
            "The total on the first dose day would be %(mg)s mg, within the %(limit)s mg limit (program policy)."
        )
        if one
        else gettext_noop(
            "The total on the second dose day would be %(mg)s mg, within the %(limit)s mg limit (program "
            "policy)."
        ),
        ("fda-bup-label-summary",),
        mg=total,
        limit=limit,
    )


def _over_limit_with_rationale(one: bool, total: float, limit: float) -> Reason:
    return Reason.said(
        gettext_noop(
            "The total on the first dose day would be %(mg)s mg, above the %(limit)s mg limit (program "
            "policy); allowed because a prescriber documented a reason (logged)."
        )
        if one
        else gettext_noop(
            "The total on the second dose day would be %(mg)s mg, above the %(limit)s mg limit (program "
            "policy); allowed because a prescriber documented a reason (logged)."
        ),
        ("fda-bup-label-summary", "pcss-summary"),
        mg=total,
        limit=limit,
    )


def counted_phase(
    phase: str, given_today_mg: float, within_mg: float, first_day_mg: float | None
) -> tuple[str, float]:
    """The day limit's phase and the buprenorphine counted before a dose (lane fix38e, review 38e: the same
    definition as methadone's, `window.given_within_hours`): with `within_mg` of the previous program day
    given within the program's same_day_hours before it, a dose on the second dose day counts as the first
    dose day's (that day's total, `first_day_mg`, else `within_mg`, with today's); on any other day the
    previous day's within the hours counts with today's. Nothing within the hours: as the calendar says."""
    if within_mg <= 0:
        return phase, given_today_mg
    if phase == "day2":
        first = within_mg if first_day_mg is None else max(first_day_mg, within_mg)
        return "day1", first + given_today_mg
    return phase, given_today_mg + within_mg


def _over_limit(one: bool, total: float, limit: float) -> Reason:
    return Reason.said(
        gettext_noop(
            "The total on the first dose day would be %(mg)s mg, above the %(limit)s mg limit (program "
            "policy). A prescriber may override with a written reason."
        )
        if one
        else gettext_noop(
            "The total on the second dose day would be %(mg)s mg, above the %(limit)s mg limit (program "
            "policy). A prescriber may override with a written reason."
        ),
        ("fda-bup-label-summary", "pcss-summary"),
        mg=total,
        limit=limit,
    )


def _day_limit(v: DayLimitInput, p: P) -> Decision[P, NoDetails]:
    """In this order: a sedated or intoxicated person is held; a maintenance day has no ceiling; an induction
    day's total within its limit is allowed, above it allowed only with a prescriber's documented reason."""
    total = v["given_today_mg"] + v["requested_mg"]
    if v["sedated_or_intoxicated"]:
        return _verdict("hold", _hold(), p)
    if v["phase"] == "maintenance":
        return _verdict("allowed", _maintenance(total), p)
    limit = day_limit_mg(v["phase"], p)
    one = v["phase"] == "day1"
    if total <= limit:
        return _verdict("allowed", _within_limit(one, total, limit), p)
    if v["documented_rationale"]:
        return _verdict("allowed_with_rationale", _over_limit_with_rationale(one, total, limit), p)
    return _verdict("needs_override", _over_limit(one, total, limit), p)
