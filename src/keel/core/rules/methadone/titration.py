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
