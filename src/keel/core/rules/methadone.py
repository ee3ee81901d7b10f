"""Methadone at the OTP: dose guard rails and take-home eligibility (42 CFR 8.12, 2024 rule).

Sources (Keel clinical reference section 10 and Corrections 2, 3): cumulative day-one total <= 50 mg unless
the OTP practitioner documents a reason (safe reading of the 2024 rule; program policy) [conflicting -> safe
default]; titration step: program policy (commonly 5-10 mg, UNVERIFIED: default 10 mg); hold when sedated or
intoxicated (routes to a prescriber); extra ECG above 100 mg/day (Krantz 2009) [V]. Take-homes: up to 7 days
in days 0-14, 14 from day 15, 28 from day 31 [V: 2024 final rule summaries]; the six criteria documented;
state or program rules may only tighten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import Literal, NotRequired, TypedDict

from keel.core import episodes
from keel.core.decision import LIST_SEPARATOR, Decision, NoDetails, Param, Reason
from keel.core.rules.base import NoPolicy, Rule
from keel.core.rules.inputs import EARLIEST_DAY, Field, FieldError, InvalidInput
from keel.core.rules.qtc import EXTRA_ECG_ABOVE_MG
from keel.core.rules.window import (
    HOLD_OPEN,
    ORDERED_FIELD_HELP,
    REDOSE_FIELD_HELP,
    REFUSED,
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
    Field("treatment_day", "integer", minimum=1, maximum=100000, help="1 on the first day of dosing"),
    Field("given_today_mg", "number", minimum=0, maximum=1000, help="methadone already given today (mg)"),
    Field("requested_mg", "number", minimum=0.1, maximum=1000, help="the dose to give now (mg)"),
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
        help="a dose was held today (sedation or intoxication) and no prescriber has released the hold",
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
        help="a prescriber documented a clinical reason to exceed a limit",
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
    Field("ordered_mg", "number", required=False, minimum=0, maximum=1000, help=ORDERED_FIELD_HELP),
)
DOSE_POLICY = (
    Field(
        "redose_min_hours",
        "number",
        required=False,
        default=2,
        minimum=0,
        help=N_(
            "program policy, default 2 h: the label's supplementary first-day dose 'after 2-4 h if withdrawal "
            "persists' (reference correction 6); a dose sooner after the last one (a double entry, a split dose) "
            "needs a prescriber's override for the day"
        ),
    ),
    Field(
        "first_day_total_max_mg",
        "number",
        required=False,
        default=40,
        minimum=0,
        maximum=50,
        help=N_(
            "program policy, default 40 mg, the label's first-day total (reference correction 6); the 2024 "
            "rule's 50 mg is the bound. A higher total needs a prescriber's override for that day"
        ),
    ),
    Field(
        "first_dose_max_mg",
        "number",
        required=False,
        default=30,
        minimum=0,
        maximum=50,
        help=N_(
            "program policy, default 30 mg, the label's largest first single dose (correction 6); a separate "
            "check from the day-one total"
        ),
    ),
    Field(
        "titration_min_days_between",
        "integer",
        required=False,
        default=3,
        minimum=0,
        help=N_(
            "program policy, default 3 days between increases ('no more often than every 3-5 days', "
            "reference correction 7, secondary)"
        ),
    ),
    Field(
        "titration_window_days",
        "integer",
        required=False,
        default=7,
        minimum=0,
        help=N_(
            "program policy, default 7 days: the rolling window of the cumulative increase check "
            "(correction 7: never only 'since yesterday'; Keel default)"
        ),
    ),
    Field(
        "titration_window_max_mg",
        "number",
        required=False,
        default=20,
        minimum=0,
        help=N_(
            "program policy, default 20 mg: the most the daily total may rise over the window (two 10 mg "
            "steps 3 days apart; correction 7)"
        ),
    ),
    Field(
        "qtc_recent_days",
        "integer",
        required=False,
        default=30,
        minimum=0,
        help=N_(
            "program policy, default 30 days: how old a QTc under 500 ms may be and still be the current one, "
            "and which readings a prescriber's QTc reason covered; a QTc of 500 ms or more gates a raise until a "
            "newer ECG, whatever its age (Krantz 2009's ECG within 30 days is when the next one is due; Keel "
            "default)"
        ),
    ),
    Field(
        "switch_hours",
        "number",
        required=False,
        default=24,
        minimum=0,
        help=N_(
            "program policy, Keel default 24 h ('one opioid agonist a day', keel-one-agonist-a-day; no clinical "
            "source gives a figure): methadone within this many hours, by clock time, of buprenorphine given at the "
            "window is a second opioid agonist within those hours and needs a prescriber's switch override for the day "
            "(methadone alongside a low-dose buprenorphine start passes)"
        ),
    ),
    Field(
        "missed_half_dose_days",
        "integer",
        required=False,
        default=3,
        minimum=0,
        help=N_(
            "program policy, default 3 missed days in a row: at most half the last observed dose "
            "(Australian guidelines 2003, 3.5; correction 8)"
        ),
    ),
    Field(
        "missed_restart_days",
        "integer",
        required=False,
        default=4,
        minimum=0,
        help=N_(
            "program policy, default 4 missed days: restart at the lower of half the dose and the restart cap "
            "(Australian guidelines 2003, 3.5)"
        ),
    ),
    Field(
        "missed_restart_max_mg",
        "number",
        required=False,
        default=40,
        minimum=0,
        help=N_(
            "program policy, default 40 mg: the restart cap after missed days (Australian guidelines 2003, 3.5)"
        ),
    ),
    Field(
        "missed_reinduction_days",
        "integer",
        required=False,
        default=5,
        minimum=0,
        help=N_(
            "program policy, default 5 missed days in a row: a new induction, the first day's limits again "
            "(Australian guidelines 2003, 3.5)"
        ),
    ),
    Field(
        "titration_step_max_mg",
        "number",
        required=False,
        default=10,
        minimum=0,
        help=N_("program policy, default 10 mg (reference 10.1: commonly 5-10 mg, UNVERIFIED)"),
    ),
    Field(
        "reassess_after_missed_days",
        "integer",
        required=False,
        default=3,
        minimum=1,
        maximum=14,
        help=N_(
            "program policy: reassess before dosing after this many missed days in a row (Keel default 3; "
            "no figure in the reference, TIP 63 not retrieved: set by your program)"
        ),
    ),
    Field(
        "single_dose_max_mg",
        "number",
        required=False,
        default=150,
        minimum=0,
        help=N_(
            "program policy, Keel default 150 mg: a single dose above it needs a prescriber's override for "
            "the day (a check against entry errors, not a clinical maximum; none is in the sources)"
        ),
    ),
    Field(
        "daily_total_max_mg",
        "number",
        required=False,
        default=200,
        minimum=0,
        help=N_(
            "program policy, Keel default 200 mg: a day's total above it needs a prescriber's override (a "
            "check against entry errors, not a clinical maximum)"
        ),
    ),
)


class DoseInput(TypedDict):
    """DOSE_INPUTS as `Rule.run` checks them (a field not given: its default, else None)."""

    treatment_day: int
    given_today_mg: float
    requested_mg: float
    previous_day_mg: float | None
    sedated_or_intoxicated: bool
    hold_open: bool
    missed_days_in_a_row: int
    documented_rationale: bool
    last_observed_mg: float | None
    days_since_last_increase: int | None
    window_low_mg: float | None
    hours_since_last_dose: float | None
    ordered_mg: float | None


class DosePolicy(CeilingPolicy, RedosePolicy):
    """DOSE_POLICY's values (with the ceilings' and the re-dose interval's)."""

    first_day_total_max_mg: float
    first_dose_max_mg: float
    titration_min_days_between: int
    titration_window_days: int
    titration_window_max_mg: float
    qtc_recent_days: int
    switch_hours: float
    missed_half_dose_days: int
    missed_restart_days: int
    missed_restart_max_mg: float
    missed_reinduction_days: int
    titration_step_max_mg: float
    reassess_after_missed_days: int


class _Limits:
    """The checks a dose passes after the hold and the hard bounds: each one over its limit is blocked, or
    passes with the prescriber's documented reason (logged)."""

    def __init__(self, documented: bool, reasons: list[Reason], verdict: str | None) -> None:
        self.documented, self.reasons = documented, reasons
        self.blocked = verdict == "needs_override"
        self.rationale = verdict == "allowed_with_rationale"

    def over(self, template: str, sources: tuple[str, ...], **params: Param) -> None:
        if self.documented:
            self.rationale = True
            then = gettext_noop("A prescriber documented a reason (logged).")
        else:
            self.blocked = True
            then = gettext_noop("Needs a prescriber's override for today, with a reason.")
        self.reasons.append(Reason.said(template, sources, **params, then=then))

    @property
    def verdict(self) -> str:
        return "needs_override" if self.blocked else "allowed_with_rationale" if self.rationale else "allowed"


def first_day_over(
    requested_mg: float, total_mg: float, first_of_day: bool, p: DosePolicy
) -> list[tuple[str, tuple[str, ...], dict[str, Param]]]:
    """The first day's limits (the label's first dose and first-day total, correction 6) that a dose of
    `requested_mg` (the day's first taken dose if `first_of_day`), with the day's total `total_mg`, goes
    over: (template, sources, params), each template with a `%(then)s` for what follows (an override needed,
    or documented). One definition: the window's dose check and a correction of a day-one dose
    (`keel.treatment.services.doses.limits.amendment_ceilings`)."""
    over: list[tuple[str, tuple[str, ...], dict[str, Param]]] = []
    total = total_mg
    if first_of_day and requested_mg > p["first_dose_max_mg"]:
        over.append(
            (
                gettext_noop(
                    "A first dose of %(mg)s mg is above the %(limit)s mg first-dose limit. %(then)s"
                ),
                ("methadone-label-first-day",),
                {"mg": requested_mg, "limit": p["first_dose_max_mg"]},
            )
        )
    if total > p["first_day_total_max_mg"]:
        over.append(
            (
                gettext_noop(
                    "The first-day total would be %(mg)s mg, above the %(limit)s mg day-one limit. %(then)s"
                ),
                ("methadone-label-first-day", "42cfr8.12-2024"),
                {"mg": total, "limit": p["first_day_total_max_mg"]},
            )
        )
    return over


FIRST_DAY, REINDUCTION, NO_COMPARISON = "first_day", "reinduction", "no_comparison"


def first_day_limits(
    treatment_day: int, missed_days_in_a_row: int, comparison_mg: float | None, p: DosePolicy
) -> str | None:
    """Why a dose on this day meets the first day's limits (`first_day_over`), None when it does not: the
    episode's first day (FIRST_DAY), a new induction after `missed_reinduction_days` missed days in a row
    (REINDUCTION, Australian guidelines 2003, 3.5; correction 8), or no observed dose to compare with
    (NO_COMPARISON). `comparison_mg`: the last observed day's total, else yesterday's. One definition: the
    window's dose check and a correction of a dose on such a day
    (`keel.treatment.services.doses.limits.amendment_ceilings`)."""
    if treatment_day == 1:
        return FIRST_DAY
    if missed_days_in_a_row >= p["missed_reinduction_days"]:
        return REINDUCTION
    if comparison_mg is None:
        return NO_COMPARISON
    return None


def reinduction_day(
    dosed: Iterable[date],
    covered: Callable[[date], bool],
    first_dose_on: date | None,
    today: date,
    reinduction_days: int,
    earliest: date,
) -> date | None:
    """The first day of the person's latest new induction after missed days, today included: the latest of
    today and the days dosed before it (`dosed`) that follows `reinduction_days` or more missed days in a row
    (REINDUCTION: the one count, `episodes.missed_days_in_a_row` with `covered` as the window counts a day:
    a dose with an amount or a take-home day; Australian guidelines 2003, 3.5; correction 8). None: no such
    gap within what was read (`earliest`: the first day read; a gap must lie on or after it). Review 22m: a
    restart after such a gap is a start for the QTc gate; the level given before it is tolerance she lost."""
    for day in sorted({today, *(d for d in dosed if d < today)}, reverse=True):
        if day - timedelta(days=reinduction_days) < earliest:
            return None
        if episodes.missed_days_in_a_row(first_dose_on, day, covered, reinduction_days) >= reinduction_days:
            return day
    return None


def _dose_check(v: DoseInput, p: DosePolicy) -> Decision[DosePolicy, NoDetails]:
    """May this methadone dose be given now? The checks, in this order: a hold open or a sedated person
    stops the dose (`_stopped`); the hard bounds and the program's ceilings (past the hard bound refused);
    the re-dose interval (`_redose_interval`); missed days that need a prescriber's reassessment
    (`_missed_reassessment`); the active order (`_order_limit`); then the first day's limits
    (`_first_day_checks`: the first day, a new induction, no dose to compare), else the half dose after
    missed days (`_half_dose_check`), else the titration (`_titration_checks`); a plain reason when nothing
    was said; an extra ECG when the day's total first goes above EXTRA_ECG_ABOVE_MG (`_extra_ecg`)."""
    name, policy = "methadone-dose-check", p.copy()
    total = v["given_today_mg"] + v["requested_mg"]
    stopped = _stopped(name, v, policy)
    if stopped is not None:
        return stopped
    ceiling, reasons = ceilings(name, v["requested_mg"], total, p, v["documented_rationale"])
    if ceiling == REFUSED:
        return Decision(name, "1", REFUSED, tuple(reasons), policy, {})
    limits = _Limits(v["documented_rationale"], reasons, ceiling)  # `reasons` grows with `limits`
    _redose_interval(name, v, p, limits)
    missed = v["missed_days_in_a_row"] if v["treatment_day"] > 1 else 0
    reassess = _missed_reassessment(name, v, p, policy, missed, limits)
    if reassess is not None:
        return reassess
    comparison = v["last_observed_mg"] if v["last_observed_mg"] is not None else v["previous_day_mg"]
    why = first_day_limits(v["treatment_day"], missed, comparison, p)
    _order_limit(v, why, limits)
    if why is not None:
        _first_day_checks(v, p, why, missed, total, limits)
    elif comparison is None:  # never: first_day_limits says NO_COMPARISON then
        raise AssertionError("no comparison dose outside the first day's limits")
    elif missed >= p["missed_half_dose_days"]:
        _half_dose_check(p, missed, comparison, total, limits)
    else:
        _titration_checks(v, p, comparison, total, limits)
    if not reasons:
        reasons.append(
            Reason.said(
                gettext_noop("Today's total would be %(mg)s mg: within the program's limits."),
                ("42cfr8.12-2024",),
                mg=total,
            )
        )
    _extra_ecg(comparison, total, reasons)
    return Decision(name, "1", limits.verdict, tuple(reasons), policy, {})


def _stopped(name: str, v: DoseInput, policy: DosePolicy) -> Decision[DosePolicy, NoDetails] | None:
    """The first guard: a hold earlier today that no prescriber released (HOLD_OPEN), or a person sedated or
    intoxicated now (hold the dose); None: neither."""
    if v["hold_open"]:
        return Decision(name, "1", HOLD_OPEN, hold_open_reasons(), policy, {})
    if v["sedated_or_intoxicated"]:
        return Decision(
            name,
            "1",
            "hold",
            (
                Reason.said(
                    gettext_noop(
                        "Sedated or intoxicated now: hold the dose and ask a prescriber to assess before any dose."
                    ),
                    ("tip63-summary", "reference-13"),
                ),
            ),
            policy,
            {},
        )
    return None


def _redose_interval(name: str, v: DoseInput, p: DosePolicy, limits: _Limits) -> None:
    """The re-dose interval guard (`window.redose`): too soon after the last dose needs an override, or
    passes on the prescriber's documented reason."""
    interval, interval_reasons = redose(name, v["hours_since_last_dose"], p, v["documented_rationale"])
    if interval is not None:
        limits.blocked = limits.blocked or interval == "needs_override"
        limits.rationale = limits.rationale or interval == "allowed_with_rationale"
        limits.reasons.extend(interval_reasons)


def _missed_reassessment(
    name: str,
    v: DoseInput,
    p: DosePolicy,
    policy: DosePolicy,
    missed: int,
    limits: _Limits,
) -> Decision[DosePolicy, NoDetails] | None:
    """The missed-days guard: `reassess_after_missed_days` missed in a row (after the first day) need a
    prescriber's reassessment (the decision returned), or pass on the documented reason (logged); None:
    go on to the next checks."""
    if missed < p["reassess_after_missed_days"]:
        return None
    if not v["documented_rationale"]:
        return Decision(
            name,
            "1",
            "needs_reassessment",
            (
                Reason.said(
                    gettext_noop(
                        "%(n)s missed days in a row (the program reassesses after %(after)s): tolerance may "
                        "be lower. A prescriber must reassess before the usual dose."
                    ),
                    ("keel-policy", "anmg-2003-missed"),
                    n=missed,
                    after=p["reassess_after_missed_days"],
                ),
            ),
            policy,
            {},
        )
    limits.rationale = True
    limits.reasons.append(
        Reason.said(
            gettext_noop(
                "%(n)s missed days in a row; a prescriber reassessed and documented the dose (logged)."
            ),
            ("keel-policy", "anmg-2003-missed"),
            n=missed,
        )
    )
    return None


def _order_limit(v: DoseInput, why: str | None, limits: _Limits) -> None:
    """The order guard: the dose follows the active order; a supplementary dose on a day the first day's
    limits govern (`why`: the first day, a new induction) is measured by those limits, not the order."""
    if why is None or v["given_today_mg"] == 0:
        beyond = order_over(v["ordered_mg"], v["given_today_mg"], v["requested_mg"])
        if beyond is not None:
            limits.over(beyond[0], beyond[1], **beyond[2])


def _first_day_checks(
    v: DoseInput, p: DosePolicy, why: str, missed: int, total: float, limits: _Limits
) -> None:
    """The first day's limits guard (`first_day_over`), on the day `first_day_limits` says why (a new
    induction or no dose to compare with is said first)."""
    if why == REINDUCTION:
        limits.reasons.append(
            Reason.said(
                gettext_noop(
                    "%(n)s missed days in a row: a new induction (program policy from %(after)s days); the "
                    "first day's limits apply."
                ),
                ("anmg-2003-missed", "keel-policy"),
                n=missed,
                after=p["missed_reinduction_days"],
            )
        )
    elif why == NO_COMPARISON:
        limits.reasons.append(
            Reason.said(
                gettext_noop("No observed dose to compare with: the first day's limits apply."),
                ("methadone-label-first-day",),
            )
        )
    first_of_day = v["given_today_mg"] == 0
    for template, sources, params in first_day_over(v["requested_mg"], total, first_of_day, p):
        limits.over(template, sources, **params)


def _half_dose_check(p: DosePolicy, missed: int, comparison: float, total: float, limits: _Limits) -> None:
    """The missed-days guard short of a new induction: at most half the last observed dose (and at most
    `missed_restart_max_mg` from `missed_restart_days` on)."""
    cap = comparison / 2
    if missed >= p["missed_restart_days"]:
        cap = min(cap, p["missed_restart_max_mg"])
    if total > cap:
        limits.over(
            gettext_noop(
                "%(n)s missed days in a row: at most %(cap)s mg today (half the last observed dose of "
                "%(last)s mg, program policy); %(mg)s mg is more. %(then)s"
            ),
            ("anmg-2003-missed", "keel-policy"),
            n=missed,
            cap=cap,
            last=comparison,
            mg=total,
        )


def _titration_checks(v: DoseInput, p: DosePolicy, comparison: float, total: float, limits: _Limits) -> None:
    """The titration guards: the step over the last observed dose, the days since the last increase and the
    rise over the titration window."""
    step = total - comparison
    if step > p["titration_step_max_mg"]:
        limits.over(
            gettext_noop(
                "An increase of %(step)s mg over the last observed dose (%(last)s mg) is above the program's "
                "%(limit)s mg titration step. %(then)s"
            ),
            ("baxter-2013", "tip63-summary"),
            step=step,
            last=comparison,
            limit=p["titration_step_max_mg"],
        )
    since = v["days_since_last_increase"]
    if step > 0 and since is not None and since < p["titration_min_days_between"]:
        limits.over(
            gettext_noop(
                "The last increase was %(days)s days ago; the program waits %(min)s days between increases. "
                "%(then)s"
            ),
            ("baxter-2013", "keel-policy"),
            days=since,
            min=p["titration_min_days_between"],
        )
    low = v["window_low_mg"]
    if low is not None and total - low > p["titration_window_max_mg"]:
        limits.over(
            gettext_noop(
                "The daily total would rise %(rise)s mg over %(days)s days (from %(low)s mg), above the "
                "program's %(limit)s mg. %(then)s"
            ),
            ("baxter-2013", "keel-policy"),
            rise=total - low,
            days=p["titration_window_days"],
            low=low,
            limit=p["titration_window_max_mg"],
        )


def _extra_ecg(comparison: float | None, total: float, reasons: list[Reason]) -> None:
    """Not a guard: the advice of an extra ECG when the day's total first goes above EXTRA_ECG_ABOVE_MG."""
    previous = comparison if comparison is not None else 0
    if total > EXTRA_ECG_ABOVE_MG and previous <= EXTRA_ECG_ABOVE_MG:
        reasons.append(
            Reason.said(
                gettext_noop("The daily dose goes above %(mg)s mg: get an extra ECG."),
                ("krantz-2009",),
                mg=EXTRA_ECG_ABOVE_MG,
            )
        )


DOSE_CHECK: Rule[DoseInput, DosePolicy, NoDetails] = Rule(
    "methadone-dose-check",
    "1",
    "May this methadone dose be given now?",
    DOSE_INPUTS,
    DOSE_POLICY,
    _dose_check,
)

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
        help=N_("a program limit; may only tighten the federal one"),
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


# --- Take-home supplies beyond the eligibility ladder (issue #13) --------------------------------------------


def closure_day_supply(
    closure_day: date, closure_days: Sequence[date], today: date
) -> Decision[NoPolicy, TakeHomeDetails]:
    """One take-home dose for a day the program is closed (42 CFR 8.12(i)): allowed to a person who is not
    otherwise eligible, only for a closure day the program configured, and never for a day already past."""
    name = "take-home-eligibility"
    if closure_day < today:
        raise InvalidInput(
            [FieldError("closure_day", N_("is already past: give today or a later closure day"))]
        )
    if closure_day not in set(closure_days):
        raise InvalidInput(
            [FieldError("closure_day", N_("is not one of the program's closure days (program settings)"))]
        )
    reason = Reason.said(
        gettext_noop("The program is closed on %(day)s: one take-home dose for that day."),
        ("42cfr8.12-2024",),
        day=closure_day.isoformat(),
    )
    return Decision(
        name, "1", "closure_day", (reason,), {}, {"max_supply_days": 1, "bottles": [closure_day.isoformat()]}
    )


def bottle_schedule_problems(days: Sequence[date], limit: int, today: date) -> list[FieldError]:
    """A supply schedule below the maximum (weekends only, say): at most `limit` bottles, each on its own day,
    none before today, all within `limit` days of the first one."""
    if not days:
        return [FieldError("bottle_days", N_("give at least one day, or leave it empty for every day"))]
    problems = []
    if len(set(days)) != len(days):
        problems.append(FieldError("bottle_days", N_("each day once")))
    if len(days) > limit:
        problems.append(
            FieldError.said("bottle_days", N_("at most %(limit)s days: the supply allowed now"), limit=limit)
        )
    if min(days) < today:
        problems.append(FieldError("bottle_days", N_("a day already past cannot be covered")))
    elif (max(days) - min(days)).days >= max(limit, 1):
        problems.append(
            FieldError.said("bottle_days", N_("all within %(limit)s days of the first one"), limit=limit)
        )
    return problems
