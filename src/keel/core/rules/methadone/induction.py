"""Methadone induction: the first day's limits (the label's first dose and first-day total) on the episode's
first day, on a new induction after missed days in a row, or with no observed dose to compare with; the first
day of the latest new induction (review 22m).

Sources: the methadone label's first day (reference correction 6: 30 mg first dose, 40 mg total by default);
42 CFR 8.12 (2024 rule: 50 mg day-one total the bound); a new induction after missed days (Australian
guidelines 2003, 3.5; correction 8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from keel.core import episodes
from keel.core.decision import Param, Reason
from keel.core.rules.methadone.dose_inputs import DoseInput, counted_today_mg, first_of_day
from keel.core.rules.methadone.dose_policy import DosePolicy
from keel.core.rules.methadone.overrides import _Limits
from keel.core.words import gettext_noop


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
# Lane fix38e: a dose within the program's same_day_hours of a dose of the induction's first day.
FIRST_DAY_HOURS = "first_day_hours"


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


def first_day_of_dose(v: DoseInput, missed: int, comparison_mg: float | None, p: DosePolicy) -> str | None:
    """Why this dose meets the first day's limits (`first_day_limits`), or FIRST_DAY_HOURS (lane fix38e,
    review 38e hole 2): the day after an induction's first day (the episode's first dose, or a new
    induction's, `titration_from_day`), with a dose of that first day within the program's same_day_hours
    before it (`given_within_hours_mg`): it counts as the first day's, whatever the program's midnight
    says. None: neither."""
    why = first_day_limits(v["treatment_day"], missed, comparison_mg, p)
    if why is None and v["given_within_hours_mg"] > 0 and v["titration_from_day"] == v["treatment_day"] - 1:
        return FIRST_DAY_HOURS
    return why


def first_day_total(v: DoseInput, why: str, total: float) -> float:
    """The first day's total a dose makes (`total`: the doses counted with it and the dose): on a dose that
    counts as the first day's by the hours (FIRST_DAY_HOURS), the whole first day's total (`previous_day_mg`,
    else what of it counts with the dose) with today's doses and this one."""
    if why != FIRST_DAY_HOURS:
        return total
    first_day = v["previous_day_mg"] if v["previous_day_mg"] is not None else v["given_within_hours_mg"]
    return max(first_day, v["given_within_hours_mg"]) + v["given_today_mg"] + v["requested_mg"]


def counted_total_mg(v: DoseInput, p: DosePolicy) -> float:
    """The day's total a dose makes as the rule counts it (lane fix38l, left by fix38h): the doses counted
    with it and the dose (`counted_today_mg`); on a dose that counts as the first day's by the hours, the whole
    first day's (`first_day_total`, the first day's limits' count). A prescriber's override for the day
    covers this total (`guards.prescriber_cover`), so the override a refusal asks for is the one that passes."""
    total = counted_today_mg(v) + v["requested_mg"]
    missed = v["missed_days_in_a_row"] if v["treatment_day"] > 1 else 0
    comparison = v["last_observed_mg"] if v["last_observed_mg"] is not None else v["previous_day_mg"]
    why = first_day_of_dose(v, missed, comparison, p)
    return total if why is None else first_day_total(v, why, total)


def titration_comparison(v: DoseInput, comparison: float) -> float:
    """The dose titration compares a dose's day with (lane fix38h, left by fix38e): on the day after an
    induction's first day (`titration_from_day`), that first day's total as counted, the doses of today
    before this one that counted with it (within the program's same_day_hours after one of its doses,
    `given_today_with_earlier_day_mg`) with it; otherwise the last observed dose."""
    if v["titration_from_day"] != v["treatment_day"] - 1:
        return comparison
    return comparison + v["given_today_with_earlier_day_mg"]


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
    elif why == FIRST_DAY_HOURS:
        limits.reasons.append(
            Reason.said(
                gettext_noop(
                    "A dose of the first day was given less than %(hours)s hours before this one: the first "
                    "day's limits apply."
                ),
                ("methadone-label-first-day", "keel-same-day-hours"),
                hours=p["same_day_hours"],
            )
        )
    elif why == NO_COMPARISON:
        limits.reasons.append(
            Reason.said(
                gettext_noop("No observed dose to compare with: the first day's limits apply."),
                ("methadone-label-first-day",),
            )
        )
    first = first_of_day(v)  # by time given (lane fix36i): a late entry for an earlier time is the first
    for template, sources, params in first_day_over(
        v["requested_mg"], first_day_total(v, why, total), first, p
    ):
        limits.over(template, sources, **params)
