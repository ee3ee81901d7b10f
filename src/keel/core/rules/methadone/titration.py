"""Methadone titration: the step over the last observed dose, the days between increases and the rise over the
rolling window; and the advice of an extra ECG when the day's total first goes above 100 mg.

Sources: Baxter 2013 and TIP 63 summaries (step commonly 5-10 mg, UNVERIFIED: program policy, default 10 mg;
increases no more often than every 3-5 days, correction 7); extra ECG above 100 mg/day (Krantz 2009) [V].
"""

from __future__ import annotations

from keel.core.decision import Reason
from keel.core.rules.methadone.dose_inputs import DoseInput
from keel.core.rules.methadone.dose_policy import DosePolicy
from keel.core.rules.methadone.overrides import _Limits
from keel.core.rules.qtc import EXTRA_ECG_ABOVE_MG
from keel.core.words import gettext_noop


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


def _days_between_increases(v: DoseInput, p: DosePolicy, limits: _Limits) -> None:
    """An increase sooner than `titration_min_days_between` after the last one, the episode's first dose
    counting as the first "increase" (lane fix34c, review 34c hole 3: 30 mg on day 1 and 40 mg on day 2 was
    never counted): methadone builds up over 4-5 days, so the first raise waits as any raise does."""
    since = v["days_since_last_increase"]
    wait = p["titration_min_days_between"]
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
    elif since is None and v["treatment_day"] - 1 < wait:  # no increase yet: count from the first dose
        limits.over(
            gettext_noop(
                "The first dose was on treatment day 1 and today is day %(day)s. The program waits %(min)s "
                "days between increases, counting from the first dose: the first increase can come on day "
                "%(earliest)s. %(then)s"
            ),
            ("baxter-2013", "keel-policy"),
            day=v["treatment_day"],
            min=wait,
            earliest=1 + wait,
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
