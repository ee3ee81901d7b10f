"""Methadone titration: the step over the last observed dose, the days between increases and the rise over the
rolling window; and the advice of an extra ECG when the day's total first goes above 100 mg.

Sources: Baxter 2013 and TIP 63 summaries (step commonly 5-10 mg, UNVERIFIED: program policy, default 10 mg;
increases no more often than every 3-5 days, correction 7); extra ECG above 100 mg/day (Krantz 2009) [V]; a new
induction after missed days (Australian guidelines 2003, 3.5; correction 8) starts titration again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TypeVar

from keel.core import episodes
from keel.core.decision import Reason
from keel.core.rules.inputs import FieldError, InvalidInput
from keel.core.rules.methadone.dose_inputs import DoseInput
from keel.core.rules.methadone.dose_policy import DosePolicy
from keel.core.rules.methadone.overrides import _Limits
from keel.core.rules.qtc import EXTRA_ECG_ABOVE_MG
from keel.core.words import gettext_noop
from keel.core.words import gettext_noop as N_

T = TypeVar("T")


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
    if step > 0:
        _days_between_increases(v, p, limits)
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


def titration_from_day(first_dose_on: date | None, reinduction_on: date | None) -> int:
    """The treatment day titration counts from (the rule's `titration_from_day`): the first day of the latest
    new induction after missed days (`reinduction_on`, `induction.reinduction_day`: REINDUCTION, the first
    day's limits again) when it is after the episode's first dose, else 1 (the episode's first dose; a
    readmission is a new episode, so it counts from its own). Lane meth35 (review 34c hole 3, left open by
    fix34c): a new induction is a new start for titration, as the episode's first dose is: the tolerance
    built before the gap is lost (correction 8), so the first raise after it waits the program's days between
    increases from its first dose. One definition: the window, a bottle's verdict and a correction
    (`treatment.services.doses.rule.dose_decision`)."""
    if first_dose_on is None or reinduction_on is None or reinduction_on <= first_dose_on:
        return 1
    return episodes.treatment_day(first_dose_on, reinduction_on)


def comparison_days(observed: Mapping[date, T], today: date, earlier_day_counts: bool) -> dict[date, T]:
    """The observed days' totals (`observed`: before `today`) titration compares a dose's counted total with,
    like with like (lane fix38l, re-attack 38m finding 3): when a dose of the previous program day counts
    with this one (`earlier_day_counts`, within the program's same_day_hours), that day's doses are in the
    counted set, so that day is no comparison: the days before it are (40 mg at 23:00 and 40 mg at 01:30
    after 80 mg a day is 80 mg against 80, not against the 40 already counted). All of them when no day
    before it was observed."""
    if not earlier_day_counts:
        return dict(observed)
    previous = today - timedelta(days=1)
    before = {day: mg for day, mg in observed.items() if day != previous}
    return before if before else dict(observed)


def refuse_a_start_after_today(v: DoseInput) -> None:
    """A `titration_from_day` after today (`treatment_day`) is no start: refused by name (InvalidInput)."""
    if v["titration_from_day"] > v["treatment_day"]:
        raise InvalidInput(
            [
                FieldError.said(
                    "titration_from_day", N_("must be at most %(maximum)s"), maximum=v["treatment_day"]
                )
            ]
        )


def _days_between_increases(v: DoseInput, p: DosePolicy, limits: _Limits) -> None:
    """An increase sooner than `titration_min_days_between` after the last one, the start titration counts
    from (`titration_from_day`: the episode's first dose, or the latest new induction's first day) counting
    as the first "increase" (lane fix34c, review 34c hole 3: 30 mg on day 1 and 40 mg on day 2 was never
    counted; lane meth35: nor 30 then 40 mg on the two first days of a new induction): methadone builds up
    over 4-5 days, so the first raise waits as any raise does. An increase on or before that start (one over
    a dose given before the missed days) is no increase of this titration: the count is from the start."""
    since = v["days_since_last_increase"]
    wait = p["titration_min_days_between"]
    start = v["titration_from_day"]  # at most today (`refuse_a_start_after_today`)
    if since is not None and v["treatment_day"] - since <= start:
        since = None  # the last increase was at or before the start: count from the start
    if since is not None and since < wait:
        limits.over(
            gettext_noop(
                "The last increase was %(days)s days ago; the program waits %(min)s days between increases. "
                "%(then)s"
            ),
            ("baxter-2013", "keel-policy"),
            days=since,
            min=wait,
        )
    elif since is None and v["treatment_day"] - start < wait:
        _too_soon_after_the_start(v["treatment_day"], start, wait, limits)


def _too_soon_after_the_start(day: int, start: int, wait: int, limits: _Limits) -> None:
    """A first raise sooner than `wait` days after the start titration counts from (treatment day `start`):
    the episode's first dose (day 1) or a new induction's first dose, said as such."""
    if start == 1:
        limits.over(
            gettext_noop(
                "The first dose was on treatment day 1 and today is day %(day)s. The program waits %(min)s "
                "days between increases, counting from the first dose: the first increase can come on day "
                "%(earliest)s. %(then)s"
            ),
            ("baxter-2013", "keel-policy"),
            day=day,
            min=wait,
            earliest=1 + wait,
        )
        return
    limits.over(
        gettext_noop(
            "A new induction after missed days began on treatment day %(start)s and today is day %(day)s. The "
            "program waits %(min)s days between increases, counting from the new induction's first dose: the "
            "first increase can come on day %(earliest)s. %(then)s"
        ),
        ("baxter-2013", "anmg-2003-missed", "keel-policy"),
        start=start,
        day=day,
        min=wait,
        earliest=start + wait,
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
