"""The rule methadone-dose-check (`DOSE_CHECK`): may this methadone dose be given now? The hold, the hard
bounds and ceilings, the re-dose interval, missed days, the order, then the first day's limits, the half dose
or the titration, in that order.

Sources (Keel clinical reference section 10 and corrections 2, 3, 6-8): hold when sedated or intoxicated
(TIP 63 summary, reference 13); cumulative day-one total <= 50 mg unless documented (42 CFR 8.12, 2024 rule);
the checks' own sources in `induction`, `missed_doses` and `titration`.
"""

from __future__ import annotations

from keel.core.decision import Decision, NoDetails, Reason
from keel.core.rules.base import Rule
from keel.core.rules.methadone.dose_inputs import DOSE_INPUTS, DoseInput, counted_today_mg, first_of_day
from keel.core.rules.methadone.dose_policy import DOSE_POLICY, DosePolicy
from keel.core.rules.methadone.induction import _first_day_checks, first_day_of_dose, titration_comparison
from keel.core.rules.methadone.missed_doses import _half_dose_check, _missed_reassessment
from keel.core.rules.methadone.overrides import _Limits
from keel.core.rules.methadone.titration import _extra_ecg, _titration_checks, refuse_a_start_after_today
from keel.core.rules.window import (
    HOLD_OPEN,
    REFUSED,
    ceilings,
    earlier_day_counts,
    hold_open_reasons,
    order_over,
    redose,
)
from keel.core.words import gettext_noop


def _dose_check(v: DoseInput, p: DosePolicy) -> Decision[DosePolicy, NoDetails]:
    """May this methadone dose be given now? The checks, in this order: a hold open or a sedated person
    stops the dose (`_stopped`); the hard bounds and the program's ceilings (past the hard bound refused);
    the re-dose interval (`_redose_interval`); missed days that need a prescriber's reassessment
    (`_missed_reassessment`); the active order (`_order_limit`); then the first day's limits
    (`_first_day_checks`: the first day, a new induction, no dose to compare), else the half dose after
    missed days (`_half_dose_check`), else the titration (`_titration_checks`); a plain reason when nothing
    was said; an extra ECG when the day's total first goes above EXTRA_ECG_ABOVE_MG (`_extra_ecg`)."""
    refuse_a_start_after_today(v)
    name, policy = "methadone-dose-check", p.copy()
    total = counted_today_mg(v) + v["requested_mg"]  # lane fix38e: the previous day's within the hours too
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
    why = first_day_of_dose(v, missed, comparison, p)
    _order_limit(v, why, limits)
    if why is not None:
        _first_day_checks(v, p, why, missed, total, limits)
    elif comparison is None:  # never: first_day_limits says NO_COMPARISON then
        raise AssertionError("no comparison dose outside the first day's limits")
    elif missed >= p["missed_half_dose_days"]:
        _half_dose_check(p, missed, comparison, total, limits)
    else:
        _titration_checks(v, p, titration_comparison(v, comparison), total, limits)  # lane fix38h
    if not reasons:
        reasons.append(
            Reason.said(
                gettext_noop("Today's total would be %(mg)s mg: within the program's limits."),
                ("42cfr8.12-2024",),
                mg=total,
            )
        )
    _extra_ecg(comparison, total, reasons)
    if v["given_within_hours_mg"] > 0:  # said first: why "today's total" holds a dose of the day before
        reasons.insert(0, earlier_day_counts(v["given_within_hours_mg"], p["same_day_hours"]))
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
    passes on the prescriber's early re-dose override for today (`redose_override`; a limit override of the
    day's total does not lift it, lane meth35)."""
    interval, interval_reasons = redose(name, v["hours_since_last_dose"], p, v["redose_override"])
    if interval is not None:
        limits.blocked = limits.blocked or interval == "needs_override"
        limits.rationale = limits.rationale or interval == "allowed_with_rationale"
        limits.reasons.extend(interval_reasons)


def _order_limit(v: DoseInput, why: str | None, limits: _Limits) -> None:
    """The order guard: the dose follows the active order; a supplementary dose on a day the first day's
    limits govern (`why`: the first day, a new induction) is measured by those limits, not the order."""
    if why is None or first_of_day(v):  # the day's first dose by time given (lane fix36i)
        beyond = order_over(v["ordered_mg"], counted_today_mg(v), v["requested_mg"])
        if beyond is not None:
            limits.over(beyond[0], beyond[1], **beyond[2])


DOSE_CHECK: Rule[DoseInput, DosePolicy, NoDetails] = Rule(
    "methadone-dose-check",
    "1",
    "May this methadone dose be given now?",
    DOSE_INPUTS,
    DOSE_POLICY,
    _dose_check,
)
