"""The rule buprenorphine-dose-limit, in the order it decides: a hold still open, sedation, the start gate
(a first dose before "ready": the first of a start, a restart after a gap, after methadone), a low-dose
schedule's step (keel.core.rules.buprenorphine.low_dose), then the amount: the schedule's planned total,
the ceilings against entry errors, the re-dose interval, the active order and the day's limit
(keel.core.rules.buprenorphine.day_limits)."""

from __future__ import annotations

from typing import Required, TypedDict

from keel.core.decision import Decision, NoDetails, Reason
from keel.core.rules.base import Rule
from keel.core.rules.buprenorphine.day_limits import DayLimitInput, DayLimitPolicy, _day_limit
from keel.core.rules.buprenorphine.low_dose import ScheduleInput, SchedulePolicy, _schedule_step
from keel.core.rules.buprenorphine.verdicts import NOT_READY, NOT_READY_TO_DOSE, READY, START_VERDICT_WORDS
from keel.core.rules.inputs import Field
from keel.core.rules.window import (
    HOLD_OPEN,
    ORDERED_FIELD_HELP,
    REDOSE_FIELD_HELP,
    REDOSE_OVERRIDE_FIELD,
    REFUSED,
    SAME_DOSE_FIELD,
    CeilingPolicy,
    RedosePolicy,
    ceilings,
    hold_open_reasons,
    order_over,
    redose,
)
from keel.core.words import gettext_noop
from keel.core.words import gettext_noop as N_

DOSE_INPUTS = (
    Field(
        "phase",
        "choice",
        choices=("day1", "day2", "maintenance"),
        help="day 1 or 2 of the start, or maintenance",
    ),
    Field("given_today_mg", "number", minimum=0, maximum=100, help="buprenorphine already given today (mg)"),
    Field("requested_mg", "number", minimum=0.1, maximum=100, help="the dose to give now (mg)"),
    Field("sedated_or_intoxicated", "bool", required=False, default=False),
    Field(
        "documented_rationale",
        "bool",
        required=False,
        default=False,
        help="a prescriber documented a clinical reason to exceed the day's limit (a day's limit override; it "
        "does not lift the re-dose interval: redose_override)",
    ),
    Field(
        "hold_open",
        "bool",
        required=False,
        default=False,
        help="a dose was held (today or before; sedation or intoxication) and no prescriber has released the hold",
    ),
    Field(
        "first_dose",
        "bool",
        required=False,
        default=False,
        help="the first standard dose of this start (nothing given yet in this episode, no low-dose schedule)",
    ),
    Field(
        "start_verdict",
        "choice",
        required=False,
        choices=(READY, *NOT_READY, "undecided"),
        default="undecided",
        help="the readiness verdict now (buprenorphine-readiness); 'undecided' while it lacks a last use or a "
        "COWS",
    ),
    Field(
        "schedule_mg",
        "number",
        required=False,
        minimum=0,
        maximum=100,
        help="a low-dose start: today's planned total from the prescriber's schedule (mg)",
    ),
    Field(
        "schedule_step",
        "integer",
        required=False,
        minimum=1,
        maximum=60,
        help="a low-dose start: today's step of the schedule, counted in doses given (the step after the last "
        "one given; keel.core.induction.low_dose_progress)",
    ),
    Field(
        "schedule_missed_days",
        "integer",
        required=False,
        default=0,
        minimum=0,
        maximum=100000,
        help="a low-dose start: the days in a row without a step since the last one given (from the restart "
        "gap on, a prescriber restarts the schedule)",
    ),
    Field(
        "start_override",
        "bool",
        required=False,
        default=False,
        help="a prescriber recorded today, with a reason, a first dose while the verdict is not 'ready'",
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
    Field(
        "restart_after_days",
        "integer",
        required=False,
        minimum=1,
        maximum=100000,
        help="a restart: the days in a row without a buprenorphine dose before today (the start gate applies)",
    ),
    Field(
        "after_full_agonist",
        "bool",
        required=False,
        default=False,
        help="methadone (a full agonist) was taken since the last buprenorphine dose: this dose starts "
        "buprenorphine again (the start gate applies; precipitated withdrawal, reference 9.6)",
    ),
    Field("ordered_mg", "number", required=False, minimum=0, maximum=100, help=ORDERED_FIELD_HELP),
)
DOSE_POLICY = (
    Field(
        "low_dose_day1_max_mg",
        "number",
        required=False,
        default=0.5,
        minimum=0,
        help=N_(
            "program policy, default 0.5 mg: a low-dose start's first day is at most this (typical schedules "
            "start at about 0.2-0.5 mg a day, reference 9.5); a schedule starting higher is not a low-dose start "
            "and the readiness gate applies"
        ),
    ),
    Field(
        "redose_min_hours",
        "number",
        required=False,
        default=2,
        minimum=0,
        help=N_(
            "program policy, default 2 h, the conservative end of a further 2-4 mg 'about every 1-2 h' while "
            "withdrawal persists (reference 9.3, secondary; as the home start); a dose sooner (a double entry, a split dose) needs a prescriber's override "
            "for the day"
        ),
    ),
    SAME_DOSE_FIELD,  # the same dose entered twice (lane fix36c: program policy)
    Field(
        "restart_gap_days",
        "number",
        required=False,
        default=5,
        minimum=0,
        help=N_(
            "program policy, Keel default 5 days in a row without a buprenorphine dose: the next dose is a "
            "restart and meets the start's readiness gate and day-1 limit again (the reference gives no figure "
            "for buprenorphine; re-induction after about 5-7 days off is common practice, and 5 or more missed "
            "days is a new induction for methadone, correction 8). A low-dose schedule missed this long needs a "
            "prescriber to restart it"
        ),
    ),
    Field(
        "same_day_hours",
        "number",
        required=False,
        default=12,
        minimum=0,
        help=N_(
            "program policy, Keel default 12 h (keel-same-day-hours; no source gives a figure): buprenorphine "
            "given on the previous program day within this many hours (clock time) before a dose counts with "
            "that dose's day for the day limits (a dose within them of a first dose day's is that day's), so no "
            "limit resets at the program's midnight"
        ),
    ),
    Field(
        "day1_max_mg",
        "number",
        required=False,
        default=8,
        minimum=0,
        help=N_(
            "program policy, default 8 mg from older label figures (reference Correction 1 and 9.3, secondary); "
            "many protocols allow 12-16 mg"
        ),
    ),
    Field(
        "day2_max_mg",
        "number",
        required=False,
        default=16,
        minimum=0,
        help=N_("program policy, default 16 mg (reference 9.3, secondary)"),
    ),
    Field(
        "single_dose_max_mg",
        "number",
        required=False,
        default=32,
        minimum=0,
        help=N_(
            "program policy, Keel default 32 mg: a single dose above it needs a prescriber's override for the "
            "day (a check against entry errors; the labels set no maximum, reference correction 1)"
        ),
    ),
    Field(
        "daily_total_max_mg",
        "number",
        required=False,
        default=32,
        minimum=0,
        help=N_(
            "program policy, Keel default 32 mg: a day's total above it needs a prescriber's override (a check "
            "against entry errors; more than 24 mg a day may suit some people, correction 1, so never at 24)"
        ),
    ),
)


class DoseInput(DayLimitInput, ScheduleInput):
    """DOSE_INPUTS as `Rule.run` checks them (a field not given: its default, else None), with those the
    day's limits and a low-dose schedule's step read."""

    hold_open: bool
    first_dose: bool
    start_verdict: str
    schedule_mg: float | None
    schedule_step: int | None
    start_override: bool
    hours_since_last_dose: float | None
    redose_override: bool
    restart_after_days: int | None
    after_full_agonist: bool
    ordered_mg: float | None


class DosePolicy(DayLimitPolicy, SchedulePolicy, CeilingPolicy, RedosePolicy):
    """DOSE_POLICY's values, with those the day's limits, a schedule's step, the ceilings and the re-dose
    interval read."""

    low_dose_day1_max_mg: float
    same_day_hours: float


class StartGate(TypedDict, total=False):
    """The start gate's part of `DoseInput`, as the treatment app reads it for a buprenorphine dose
    (`keel.treatment.services.start.start_gate_and_read`): whether the dose is an induction's first (and then the
    readiness verdict, a start override covering the day's total, and whether it follows methadone), the
    induction's phase and a restart's days without buprenorphine, and a low-dose schedule's step today
    (`low_dose.LowDoseStep`). Only `first_dose` is always given; a field left out takes the rule's default."""

    first_dose: Required[bool]
    start_verdict: str
    start_override: bool
    after_full_agonist: bool
    phase: str
    restart_after_days: int
    schedule_mg: float
    schedule_step: int
    schedule_missed_days: int


def _dose_limit(v: DoseInput, p: DosePolicy) -> Decision[DosePolicy, NoDetails]:
    if v["hold_open"]:
        return Decision("buprenorphine-dose-limit", "1", HOLD_OPEN, hold_open_reasons(), p.copy())
    if v["sedated_or_intoxicated"]:
        return _day_limit(v, p)  # held: recorded and flagged, whatever else is true
    if v["first_dose"] and v["start_verdict"] != READY and not v["start_override"]:
        return Decision(
            "buprenorphine-dose-limit", "1", NOT_READY_TO_DOSE, (_start_gate_reason(v),), p.copy()
        )
    steps: tuple[Reason, ...] = ()
    restarted = False
    if v["schedule_mg"] is not None and v["schedule_step"] is not None:
        steps, restart = _schedule_step(v, p, v["schedule_step"], v["schedule_mg"])
        if restart and not v["documented_rationale"]:
            return Decision("buprenorphine-dose-limit", "1", "needs_override", steps, p.copy())
        restarted = restart
    decision = _amount_limits(v, p)
    if not steps:
        return decision
    verdict = "allowed_with_rationale" if restarted and decision.decision == "allowed" else decision.decision
    return Decision(decision.rule, decision.version, verdict, (*steps, *decision.reasons), decision.policy)


def _start_gate_reason(v: DoseInput) -> Reason:
    """Why a first dose waits for the start gate: after methadone, a restart after a gap, or a first dose."""
    if v["after_full_agonist"]:
        return Reason.said(
            gettext_noop(
                "Methadone was taken since the last buprenorphine dose: buprenorphine now can bring on "
                "precipitated withdrawal, so the start gate applies again, and the start verdict is "
                "%(verdict)s, not ready. Wait and score COWS again, order a low-dose start, or a "
                "prescriber records an override for today with a reason."
            ),
            ("reference-9.6", "asam-2020-summary", "tip63-summary"),
            verdict=START_VERDICT_WORDS[v["start_verdict"]],
        )
    if v["restart_after_days"]:
        return Reason.said(
            gettext_noop(
                "A restart after %(days)s days without buprenorphine: the start gate applies again, and "
                "the start verdict is %(verdict)s, not ready. Wait and score COWS again, order a "
                "low-dose start, or a prescriber records an override for today with a reason."
            ),
            ("keel-bup-restart", "asam-2020-summary", "tip63-summary"),
            days=v["restart_after_days"],
            verdict=START_VERDICT_WORDS[v["start_verdict"]],
        )
    return Reason.said(
        gettext_noop(
            "No first dose: the start verdict is %(verdict)s, not ready. Wait and score COWS again, "
            "order a low-dose start, or a prescriber records an override for today with a reason."
        ),
        ("asam-2020-summary", "tip63-summary"),
        verdict=START_VERDICT_WORDS[v["start_verdict"]],
    )


def _above_schedule(total: float, planned: float) -> Reason:
    """A low-dose start's total above the schedule's plan for today: a prescriber's override for today."""
    return Reason.said(
        gettext_noop(
            "A low-dose start: today's total would be %(mg)s mg, above the %(planned)s mg the "
            "schedule plans for today. A prescriber may override for today with a reason."
        ),
        ("hammig-2016", "asam-2023-fentanyl"),
        mg=total,
        planned=planned,
    )


def _amount_limits(v: DoseInput, p: DosePolicy) -> Decision[DosePolicy, NoDetails]:
    """The amount's limits: a low-dose schedule's planned total, the ceilings, the re-dose interval and the
    day's limit."""
    total = v["given_today_mg"] + v["requested_mg"]
    planned = v["schedule_mg"]
    if planned is not None and total > planned and not v["documented_rationale"]:
        return Decision(
            "buprenorphine-dose-limit", "1", "needs_override", (_above_schedule(total, planned),), p.copy()
        )
    ceiling, ceiling_reasons = ceilings(
        "buprenorphine-dose-limit", v["requested_mg"], total, p, v["documented_rationale"]
    )
    if ceiling in (REFUSED, "needs_override"):
        return Decision("buprenorphine-dose-limit", "1", str(ceiling), tuple(ceiling_reasons), p.copy())
    interval, interval_reasons = redose(  # only an early re-dose override lifts it (lane meth35)
        "buprenorphine-dose-limit", v["hours_since_last_dose"], p, v["redose_override"]
    )
    if interval == "needs_override":
        return Decision("buprenorphine-dose-limit", "1", interval, tuple(interval_reasons), p.copy())
    ceiling_reasons += interval_reasons
    # The dose follows the active order (a low-dose schedule's planned total is its order for the day, above);
    # on an induction's day 1 or 2 each single dose, the day's total governed by the day's limit.
    beyond = (
        None
        if planned is not None
        else order_over(v["ordered_mg"], v["given_today_mg"], v["requested_mg"], v["phase"] != "maintenance")
    )
    day = _day_limit(v, p)
    if beyond is not None:
        template, sources, params = beyond
        if not v["documented_rationale"]:  # the day's limit first (named), then the order
            then = gettext_noop("Needs a prescriber's override for today, with a reason.")
            reason = Reason.said(template, sources, **params, then=then)
            return Decision(
                "buprenorphine-dose-limit", "1", "needs_override", (*day.reasons, reason), p.copy()
            )
        then = gettext_noop("A prescriber documented a reason (logged).")
        ceiling_reasons.append(Reason.said(template, sources, **params, then=then))
    if not ceiling_reasons:
        return day
    verdict = "allowed_with_rationale" if day.decision == "allowed" else day.decision
    return Decision(day.rule, day.version, verdict, (*ceiling_reasons, *day.reasons), day.policy)


DOSE_LIMIT: Rule[DoseInput, DosePolicy, NoDetails] = Rule(
    "buprenorphine-dose-limit",
    "1",
    "Does this buprenorphine dose stay within the day's limit?",
    DOSE_INPUTS,
    DOSE_POLICY,
    _dose_limit,
)
