"""Guards every dose at the window shares, whatever the medication (issue #13): a hold that stands until a
prescriber assesses, the ceilings against entry errors, the re-dose interval and the active order. What makes
an override's reason one of substance is `keel.core.reasons`.

Sources: holding a dose for sedation or intoxication and routing to a prescriber (TIP 63 summary, reference
section 13). The ceilings are not clinical maxima (there is no label maximum for buprenorphine, reference
correction 1, and none for methadone in the sources): they catch a typing error (300 for 30) before it is given.
Each is program policy with a Keel bound as its hard ceiling (`keel.core.rules.policy.LIMITS`): below the
policy value a dose is given; between the policy value and the hard bound it needs a prescriber's override for
the day; past the hard bound nothing lets it through.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Literal, TypedDict

from keel.core.decision import LIST_SEPARATOR, Param, Reason
from keel.core.rules.inputs import Field
from keel.core.rules.policy import limit_for
from keel.core.words import gettext_noop

HOLD_OPEN = "held_earlier"  # a hold that no prescriber has released, past midnight too: no dose
REFUSED = "refused"  # past a hard bound: no override can pass it
HOLD_SOURCES = ("tip63-summary", "reference-13")
CEILING_SOURCES = ("keel-policy",)


class CeilingPolicy(TypedDict):
    """The policy values `ceilings` reads; every dose rule's policy has them (methadone, buprenorphine)."""

    single_dose_max_mg: float
    daily_total_max_mg: float


class RedosePolicy(TypedDict):
    """The policy values `redose` reads; every dose rule's policy has them (`SAME_DOSE_FIELD` the second)."""

    redose_min_hours: float
    same_dose_minutes: int


SAME_DAY_SOURCES = ("keel-same-day-hours", "keel-policy")


def given_within_hours(others: Iterable[tuple[datetime, float]], at: datetime, hours: float) -> float:
    """The one definition of the other program days' doses that count with a dose given at `at` (lane
    fix38e, review 38e: a day limit never resets at the program's midnight): the mg of the doses of other
    program days (`others`: each dose's time given, else recorded, and its mg) given less than `hours`
    before or after `at`, on the time line (UTC: a night the clocks change has its real length). Lane fix38l
    (re-attack 38m finding 1): after too, for a correction of an evening dose whose next day's doses came
    after it; a dose at the window has none after it, so the window counts the earlier day's alone."""
    moment = at.astimezone(UTC)
    window = timedelta(hours=hours)
    return sum((mg for when, mg in others if abs(moment - when.astimezone(UTC)) < window), 0.0)


def counted_with_earlier_day(
    today: Iterable[tuple[datetime, float]], earlier: list[tuple[datetime, float]], at: datetime, hours: float
) -> float:
    """The mg of a day's doses given before `at` (`today`: each dose's time given, else recorded, and its mg)
    that counted with the previous program day's (lane fix38h): a dose of it within `hours` before each
    (`given_within_hours`, the one definition). On the day after a first day they are that day's doses."""
    moment = at.astimezone(UTC)
    return sum(
        (
            mg
            for when, mg in today
            if when.astimezone(UTC) < moment and given_within_hours(earlier, when, hours) > 0
        ),
        0.0,
    )


def earlier_day_counts(mg: float, hours: float) -> Reason:
    """Said beside a day limit's reasons when an earlier program day's dose counted with this one."""
    return Reason.said(
        gettext_noop(
            "%(mg)s mg was given on the previous program day within %(hours)s hours before this dose: it "
            "counts with today's doses towards the day's limits."
        ),
        SAME_DAY_SOURCES,
        mg=mg,
        hours=hours,
    )


def hold_open_reasons() -> tuple[Reason, ...]:
    return (
        Reason.said(
            gettext_noop(
                "A dose was held for sedation or intoxication and no prescriber has released the hold. No "
                "dose until a prescriber assesses the person and releases the hold."
            ),
            HOLD_SOURCES,
        ),
    )


def held_in_earlier_episode(days: list[str]) -> Reason:
    """Clin34: a hold that stands from an earlier episode of care (the person was discharged and came back):
    the day(s) it was held on (ISO days, said in the reader's words where shown). Closing an episode does not
    release a hold: a prescriber must."""
    return Reason.said(
        gettext_noop("Held on %(days)s during an earlier episode of care; a prescriber must release it."),
        HOLD_SOURCES,
        days=LIST_SEPARATOR.join(days),
    )


def hard_bound(rule: str, field: str) -> float:
    """The hard ceiling of a ceiling policy value: the Limit's ceiling, which no override passes."""
    limit = limit_for(rule, field)
    assert limit is not None and limit.ceiling is not None, f"{rule}.{field} needs a Limit with a ceiling"
    return limit.ceiling


_CeilingCheck = tuple[Literal["single_dose_max_mg", "daily_total_max_mg"], float, str]


def ceilings(
    rule: str, requested: float, total: float, p: CeilingPolicy, documented: bool
) -> tuple[str | None, list[Reason]]:
    """The single-dose and daily-total ceilings: (verdict, reasons). Verdict None: within both; "refused":
    past a hard bound (no override); "needs_override" or "allowed_with_rationale" between the policy value
    and the hard bound."""
    checks: tuple[_CeilingCheck, ...] = (
        ("single_dose_max_mg", requested, gettext_noop("A single dose")),
        ("daily_total_max_mg", total, gettext_noop("Today's total")),
    )
    past_bound = _past_hard_bound(rule, checks)
    if past_bound is not None:
        return REFUSED, [past_bound]
    verdict: str | None = None
    reasons: list[Reason] = []
    for field, value, what in checks:
        limit = p[field]
        if value <= limit:
            continue
        verdict = (verdict or "allowed_with_rationale") if documented else "needs_override"
        reasons.append(_past_program_check(what, value, limit, documented))
    return verdict, reasons


def _past_hard_bound(rule: str, checks: tuple[_CeilingCheck, ...]) -> Reason | None:
    """The first amount above its hard bound, which no override passes, said; None when none is."""
    for field, value, what in checks:
        bound = hard_bound(rule, field)
        if value > bound:
            return Reason.said(
                gettext_noop(
                    "%(what)s of %(mg)s mg is above %(bound)s mg, the hard bound no override passes. "
                    "Check the amount typed."
                ),
                CEILING_SOURCES,
                what=what,
                mg=value,
                bound=bound,
            )
    return None


def _past_program_check(what: str, value: float, limit: float, documented: bool) -> Reason:
    """An amount above the program's check against entry errors: with a prescriber's documented reason
    (logged), or to check and override."""
    if documented:
        template = gettext_noop(
            "%(what)s of %(mg)s mg is above the program's %(limit)s mg check; a prescriber "
            "documented a reason (logged)."
        )
    else:
        template = gettext_noop(
            "%(what)s of %(mg)s mg is above the program's %(limit)s mg check against entry "
            "errors. Check the amount; a prescriber may override for today with a reason."
        )
    return Reason.said(template, CEILING_SOURCES, what=what, mg=value, limit=limit)


# --- The re-dose interval (issue #13) ---------------------------------------------------------------------

REDOSE_FIELD_HELP = (
    "hours since the last dose of this medication was given (any day; absent: none given in the lookback). "
    "Below the program's re-dose interval a dose needs a prescriber's override (split dosing, a re-dose after "
    "reassessment)"
)
# Lane meth35 (review 34c's question; issue #13: "the re-dose interval is enforced at the window"): only an
# early re-dose override lifts the interval; a day's limit override (`documented_rationale`) never does.
REDOSE_OVERRIDE_FIELD = Field(
    "redose_override",
    "bool",
    required=False,
    default=False,
    help="a prescriber's early re-dose override for today, with a reason (a split dose, a re-dose after "
    "reassessment): a dose of this medication sooner than the re-dose interval. A limit override "
    "(documented_rationale) does not lift the interval",
)
REDOSE_SOURCES = {
    "methadone-dose-check": ("methadone-label-first-day", "keel-policy"),
    "buprenorphine-dose-limit": ("fda-bup-label-summary", "tip63-summary", "keel-policy"),
}


# Review 35f hole 1: a dose this soon after the last one is taken for the same dose entered twice (a retry, a
# second entry), which no override lifts: an early re-dose override lifts the interval, never this check.
# Program policy since lane fix36c (review 35f: a fixed bound held whatever the program decides), each dose
# rule's `same_dose_minutes`, bounded by its `Limit` (`core.rules.policy.LIMITS`): below every re-dose
# interval's floor (1 h). The core holds no number: the rule receives the value in its policy.
SAME_DOSE_FIELD = Field(
    "same_dose_minutes",
    "integer",
    required=False,
    default=5,
    minimum=1,
    maximum=15,
    help=gettext_noop(
        "program policy, default 5 minutes: no published source gives a bound; 5 keeps a split dose given 5 "
        "minutes apart possible. A dose within this many minutes of the last one looks like the same dose "
        "entered twice and is held, even with a prescriber's early re-dose override"
    ),
)


def redose(
    rule: str, hours_since_last: float | None, p: RedosePolicy, early_redose: bool
) -> tuple[str | None, list[Reason]]:
    """The minimum interval between two doses of one medication, whatever the day (23:59 and 00:01 are two
    minutes apart): (verdict, reasons). None: no dose within the interval; "needs_override" below it
    without a prescriber's early re-dose override for today (`early_redose`, REDOSE_OVERRIDE_FIELD; a limit
    override of the day's total is not one, lane meth35); "allowed_with_rationale" with one, except within
    the program's `same_dose_minutes` of the last dose: the same dose entered twice, held whatever the
    override, and said so (`_same_dose`: not "needs an override", which is there, lane fix36c)."""
    need = p["redose_min_hours"]
    if hours_since_last is None or hours_since_last >= need:
        return None, []
    minutes = int(hours_since_last * 60)
    if early_redose and hours_since_last * 60 < p["same_dose_minutes"]:
        return "needs_override", [_same_dose(rule, p["same_dose_minutes"])]
    if early_redose:
        return "allowed_with_rationale", [
            Reason.said(
                gettext_noop(
                    "The last dose was %(minutes)s minutes ago, within the program's %(hours)s h re-dose "
                    "interval; a prescriber documented a reason (split dose or re-dose after reassessment, "
                    "logged)."
                ),
                REDOSE_SOURCES[rule],
                minutes=minutes,
                hours=need,
            )
        ]
    return "needs_override", [_too_soon(rule, minutes, need)]


def _same_dose(rule: str, bound: int) -> Reason:
    """Why a dose within the program's same-dose bound is held although an early re-dose override stands."""
    return Reason.said(
        gettext_noop(
            "This is within %(bound)s minutes of the last dose: it looks like the same dose entered twice. The "
            "early re-dose override does not cover this."
        ),
        REDOSE_SOURCES[rule],
        bound=bound,
    )


def _too_soon(rule: str, minutes: int, need: float) -> Reason:
    """Why a dose within the interval is held: check it is not the same dose entered twice; else an override."""
    return Reason.said(
        gettext_noop(
            "The last dose was %(minutes)s minutes ago: the program waits %(hours)s h between doses. Check "
            "this is not the same dose entered twice; a split dose or a re-dose after reassessment needs a "
            "prescriber's early re-dose override for today, with a reason (a limit override does not lift "
            "the interval)."
        ),
        REDOSE_SOURCES[rule],
        minutes=minutes,
        hours=need,
    )


ORDERED_FIELD_HELP = (
    "the active order's dose (mg): a dose that brings the day's total above it needs a prescriber's override "
    "for the day (program policy: the dose given follows the order)"
)
ORDER_SOURCES = ("keel-dose-follows-order",)


def order_over(
    ordered_mg: float | None, given_today_mg: float, requested_mg: float, single_dose_only: bool = False
) -> tuple[str, tuple[str, ...], dict[str, Param]] | None:
    """Why a dose goes over the active order (program policy: the dose given follows the active order; 42 CFR
    8.12(h), medication given under the practitioner's order): the day's total (`given_today_mg` +
    `requested_mg`) above `ordered_mg`, or, on a day whose total other limits govern (`single_dose_only`: a
    buprenorphine induction day), the single dose above it. (template, sources, params), the template with a
    `%(then)s` for what follows; None when within the order or with no order given. Giving less than the order
    is always within it. One definition: the methadone and buprenorphine dose checks at the window."""
    if ordered_mg is None:
        return None
    if single_dose_only:
        if requested_mg <= ordered_mg:
            return None
        template = gettext_noop(
            "The order is %(ordered)s mg; a single dose of %(mg)s mg is more than the order. %(then)s"
        )
        return template, ORDER_SOURCES, {"ordered": ordered_mg, "mg": requested_mg}
    total = given_today_mg + requested_mg
    if total <= ordered_mg:
        return None
    template = gettext_noop(
        "The order is %(ordered)s mg a day; %(mg)s mg now would make today's total %(total)s mg, more than "
        "the order. %(then)s"
    )
    return template, ORDER_SOURCES, {"ordered": ordered_mg, "mg": requested_mg, "total": total}
