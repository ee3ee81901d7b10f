"""Methadone take-homes: the federal ladder of supply by days in treatment, the six criteria, and the
take-home-eligibility rule's inputs and policy (`TAKE_HOME_INPUTS`, `TAKE_HOME_POLICY`, their types).

Sources: 42 CFR 8.12(i) (2024 final rule): up to 7 days in days 0-14, 14 from day 15, 28 from day 31 [V]; the
six criteria documented; state or program rules may only tighten; the admission day's number (reference
conflict 5).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal, NotRequired, TypedDict

from keel.core.rules.inputs import Field
from keel.core.words import gettext_noop
from keel.core.words import gettext_noop as N_

FEDERAL_LADDER = ((14, 7), (30, 14))  # days in treatment up to N -> max supply; after day 30: 28
FEDERAL_MAX = 28
# The default of the program policy `first_bottle_within_days` (its Limit in `policy.LIMITS` says why).
FIRST_BOTTLE_WITHIN_DAYS = 14
# With no today to measure from (the stateless rule), the last first bottle whose supply a calendar can list.
LAST_FIRST_BOTTLE = date.max - timedelta(days=FEDERAL_MAX)
Criterion = Literal[
    "no_active_risky_use",
    "regular_attendance",
    "no_serious_behavior_problems",
    "no_known_recent_diversion",
    "safe_transport_and_storage",
    "other_factors_considered",
]
CRITERIA: tuple[tuple[Criterion, str], ...] = (
    (
        "no_active_risky_use",
        gettext_noop(
            "no active substance use or condition that raises overdose risk or impairs safe functioning"
        ),
    ),
    ("regular_attendance", gettext_noop("regular attendance for supervised dosing")),
    (
        "no_serious_behavior_problems",
        gettext_noop("no serious behavioural problems that endanger the person or others"),
    ),
    ("no_known_recent_diversion", gettext_noop("no known recent diversion")),
    ("safe_transport_and_storage", gettext_noop("take-homes can be transported and stored safely")),
    ("other_factors_considered", gettext_noop("other factors the practitioner judges relevant were weighed")),
)
DAYS_IN_TREATMENT_MAX = 100000  # `days_in_treatment`'s bound, and `today`'s distance from `admitted_on`
TAKE_HOME_INPUTS = (
    Field(
        "days_in_treatment",
        "integer",
        required=False,
        minimum=0,
        maximum=DAYS_IN_TREATMENT_MAX,
        help="days since admission (give this, or admitted_on and today)",
    ),
    Field("admitted_on", "date", required=False),
    Field("today", "date", required=False),
    *(Field(key, "bool", help=text) for key, text in CRITERIA),
    Field("state_max_days", "integer", required=False, minimum=0, maximum=28, help="a stricter state limit"),
    Field("start_on", "date", required=False, help="first take-home date, to list the bottles"),
)
TAKE_HOME_POLICY = (
    Field(
        "admission_day_number",
        "integer",
        required=False,
        default=0,
        minimum=0,
        maximum=1,
        help=N_("program policy: is the admission day day 0 or day 1 (reference conflict 5)"),
    ),
    Field(
        "program_max_days",
        "integer",
        required=False,
        minimum=0,
        maximum=28,
        help=N_(
            "a program limit; may only tighten the federal one. 0: no take-home doses at all, the one dose "
            "for a day the clinic is closed included"
        ),
    ),
    Field(
        "first_bottle_within_days",
        "integer",
        required=False,
        default=FIRST_BOTTLE_WITHIN_DAYS,
        minimum=1,
        maximum=FEDERAL_MAX,
        help=N_(
            "program policy: the first bottle at most this many days after the decision (Keel bound, default 14 "
            "days: the criteria documented today still describe the person)"
        ),
    ),
)


class TakeHomeInput(TypedDict):
    """TAKE_HOME_INPUTS as `Rule.run` checks them (a field not given: None)."""

    days_in_treatment: int | None
    admitted_on: date | None
    today: date | None
    no_active_risky_use: bool
    regular_attendance: bool
    no_serious_behavior_problems: bool
    no_known_recent_diversion: bool
    safe_transport_and_storage: bool
    other_factors_considered: bool
    state_max_days: int | None
    start_on: date | None


class TakeHomePolicy(TypedDict):
    """TAKE_HOME_POLICY's values."""

    admission_day_number: int
    program_max_days: int | None
    first_bottle_within_days: int


class TakeHomeDetails(TypedDict):
    """A take-home decision's other outputs: the supply allowed and, from a start day, each bottle's day (ISO)."""

    max_supply_days: int
    bottles: NotRequired[list[str]]


def federal_max_supply(days_in_treatment: int) -> int:
    for up_to, supply in FEDERAL_LADDER:
        if days_in_treatment <= up_to:
            return supply
    return FEDERAL_MAX
