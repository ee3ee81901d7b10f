"""The methadone dose check's inputs (`DOSE_INPUTS`, typed as `DoseInput`): the day in treatment, today's
doses, the comparison doses of the titration, missed days, a hold and the order.

Sources: Keel clinical reference section 10 and corrections 6-8 (the fields the guard rails read); the re-dose
and order fields share the window's help (`keel.core.rules.window`).
"""

from __future__ import annotations

from typing import TypedDict

from keel.core.rules.inputs import Field
from keel.core.rules.window import (
    ORDERED_FIELD_HELP,
    REDOSE_FIELD_HELP,
    REDOSE_OVERRIDE_FIELD,
)

DOSE_INPUTS = (
    Field("treatment_day", "integer", minimum=1, maximum=100000, help="1 on the first day of dosing"),
    Field("given_today_mg", "number", minimum=0, maximum=1000, help="methadone already given today (mg)"),
    Field("requested_mg", "number", minimum=0.1, maximum=1000, help="the dose to give now (mg)"),
    Field(
        "given_before_mg",
        "number",
        required=False,
        minimum=0,
        maximum=1000,
        help="methadone given today before this dose by time given (mg); left out: given_today_mg",
    ),
    Field(
        "given_within_hours_mg",
        "number",
        required=False,
        default=0,
        minimum=0,
        maximum=1000,
        help="methadone given on the previous program day within the program's same_day_hours (clock time) "
        "before this dose (mg): it counts with today's for every day limit (`window.given_within_hours`)",
    ),
    Field(
        "given_today_with_earlier_day_mg",
        "number",
        required=False,
        default=0,
        minimum=0,
        maximum=1000,
        help="methadone given today before this dose that counted with the previous program day's (a dose of "
        "it within the program's same_day_hours before each, `window.counted_with_earlier_day`): on the day "
        "after a first day, the first day's (mg)",
    ),
    Field(
        "previous_day_mg",
        "number",
        required=False,
        minimum=0,
        maximum=1000,
        help="yesterday's total (mg), to check the titration step",
    ),
    Field("sedated_or_intoxicated", "bool", required=False, default=False),
    Field(
        "hold_open",
        "bool",
        required=False,
        default=False,
        help="a dose was held (today or before; sedation or intoxication) and no prescriber has released the hold",
    ),
    Field(
        "missed_days_in_a_row",
        "integer",
        required=False,
        default=0,
        minimum=0,
        maximum=1000,
        help="days in a row with no dose before today (no dose given and no take-home)",
    ),
    Field(
        "documented_rationale",
        "bool",
        required=False,
        default=False,
        help="a prescriber documented a clinical reason to exceed a limit (a day's limit override; it does not "
        "lift the re-dose interval: redose_override)",
    ),
    Field(
        "last_observed_mg",
        "number",
        required=False,
        minimum=0,
        maximum=1000,
        help="the total of the last day with an observed dose before today (the titration's comparison "
        "dose; a take-home, closure or missed day never replaces it). Absent: yesterday's total",
    ),
    Field(
        "days_since_last_increase",
        "integer",
        required=False,
        minimum=1,
        maximum=100000,
        help="days since the last observed day whose total was above the observed day before it",
    ),
    Field(
        "titration_from_day",
        "integer",
        required=False,
        default=1,
        minimum=1,
        maximum=100000,
        help="the treatment day titration counts from: 1 (the episode's first dose), or the first day of the "
        "latest new induction after missed days. The first increase waits the program's days between "
        "increases from it; an increase on or before it does not count",
    ),
    Field(
        "window_low_mg",
        "number",
        required=False,
        minimum=0,
        maximum=1000,
        help="the lowest observed daily total in the titration window before today",
    ),
    Field(
        "hours_since_last_dose",
        "number",
        required=False,
        minimum=0,
        maximum=24 * 365,
        help=REDOSE_FIELD_HELP,
    ),
    REDOSE_OVERRIDE_FIELD,
    Field("ordered_mg", "number", required=False, minimum=0, maximum=1000, help=ORDERED_FIELD_HELP),
)


class DoseInput(TypedDict):
    """DOSE_INPUTS as `Rule.run` checks them (a field not given: its default, else None)."""

    treatment_day: int
    given_today_mg: float
    requested_mg: float
    given_before_mg: float | None  # lane fix36i: by time given; None: given_today_mg (`first_of_day`)
    given_within_hours_mg: float  # lane fix38e: the previous program day's doses that count with this one
    given_today_with_earlier_day_mg: float  # lane fix38h: today's doses that counted with the previous day's
    previous_day_mg: float | None
    sedated_or_intoxicated: bool
    hold_open: bool
    missed_days_in_a_row: int
    documented_rationale: bool
    last_observed_mg: float | None
    days_since_last_increase: int | None
    titration_from_day: int
    window_low_mg: float | None
    hours_since_last_dose: float | None
    redose_override: bool
    ordered_mg: float | None


def first_of_day(v: DoseInput) -> bool:
    """Whether the dose is the day's first: nothing given today before it by time given (`given_before_mg`,
    lane fix36i: a dose recorded late for a time before the day's first recorded dose is the first; the
    window passes it as `treatment.queries.doses.given_before` reads it), else nothing given today; and
    nothing of the previous program day counts with it (`given_within_hours_mg`, lane fix38e)."""
    before = v["given_today_mg"] if v["given_before_mg"] is None else v["given_before_mg"]
    return before == 0 and v["given_within_hours_mg"] == 0


def counted_today_mg(v: DoseInput) -> float:
    """The methadone that counts with this dose's day before it (lane fix38e): today's and the previous
    program day's within the program's same_day_hours."""
    return v["given_today_mg"] + v["given_within_hours_mg"]
