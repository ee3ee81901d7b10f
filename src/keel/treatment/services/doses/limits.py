"""A correction's limits: a raised amount meets the ceilings against entry errors a dose at the window meets
(`amendment_ceilings`, issue #13), the limits the window applied on that day (`window_limits_over`: the rule
run again on that day's context, review 13d) and an induction's day limits (`induction_limits_over`); a
prescriber's override for that day passes them, a lowering is never refused, and a hold of that day or a
QTc of 500 ms or more stops a raise whatever override covers it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import cast

from django.db.models import Q
from django.utils import timezone

from keel.core.decision import Decision, Reason
from keel.core.rules.agonists import NEEDS_OVERRIDE
from keel.core.rules.buprenorphine import NOT_READY_TO_DOSE, induction_total_over, low_dose_total_over
from keel.core.rules.buprenorphine.day_limits import DayLimitPolicy
from keel.core.rules.inputs import FieldError
from keel.core.rules.methadone import FIRST_DAY, first_day_limits, first_day_over
from keel.core.rules.methadone import DosePolicy as MethadoneDosePolicy
from keel.core.rules.qtc import RAISE_ON_LATER_QTC, START_GIVEN_ON_LATER_QTC, START_ON_LATER_QTC
from keel.core.rules.window import REFUSED, ceilings, order_over
from keel.core.words import gettext_noop
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import (
    DoseOverride,
    DoseRecord,
    DoseStatus,
    Medication,
    MedicationOrder,
    OverrideKind,
    in_force_q,
)
from keel.treatment.queries import dose_context, effective_mg
from keel.treatment.queries.contexts import hold_open_today
from keel.treatment.queries.doses import episode_first_day_before, given_before, in_current_episode, taken_on
from keel.treatment.queries.qtc import recent_qtc
from keel.treatment.services.agonists import blockade_verdict
from keel.treatment.services.common import GUARD_RAILS, GuardRailPolicy, guard_rail_policy, has_qtc_reason
from keel.treatment.services.doses.guards import high_qtc_since_order, take_home_day_guard
from keel.treatment.services.doses.rule import (
    BLOCKING,
    buprenorphine_counted,
    dose_decision,
    earlier_day_mg,
    override_counted_mg,
    within_hours_mg,
)
from keel.treatment.services.qtc import qtc_reason_covers, qtc_unseen
from keel.treatment.services.start import low_dose_step, recorded_dose_gate, window_phase

CORRECTION_RULE = "dose-correction"  # a correction put to the blockade as a dose that gives (lane fix36i)
HOLD_STOPS_RAISE = N_(
    "A dose was held that day for sedation or intoxication and no prescriber has released the hold: a "
    "correction cannot raise a dose of that day. A prescriber assesses the person and releases the hold "
    "first."
)


def amendment_ceilings(
    patient: Patient, dose: DoseRecord, corrected: Decimal, now: datetime | None = None
) -> None:
    """A correction meets the same ceilings against entry errors as a dose at the window (issue #13): past
    the hard bound refused; past the program's value only with a prescriber's override for that day that
    covers the day's total. A dose on an induction's day also meets the limits the window applied to it that
    day (`induction_limits_over`), with the same override; a lowering is never refused. A methadone raise
    meets the window's QTc checks on the QTc known that day and on the QTc known `now` (review 21m: a
    correction of yesterday made after today's 520 ms lifted today's block). Raises TreatmentInvalid naming
    corrected_mg. Lane fix30d (review 30d hole 1): a held dose turned given on a day a take-home bottle
    covers is refused as the window refuses that dose (`guards.take_home_day_guard`, "today is a take-home
    day")."""
    rule = GUARD_RAILS.get(dose.medication)
    if rule is None:
        return
    if dose.status == DoseStatus.HELD and corrected > 0:  # lane fix30d (review 30d hole 1): as the window
        take_home_day_guard(
            dose_context(patient, dose.medication, dose.local_date),
            dose.medication,
            dose.local_date,
            False,
            False,
        )
    blockade_over(patient, dose, corrected)  # lane fix36i: as the window asks the blockade
    others = list(
        DoseRecord.objects.filter(patient=patient, medication=dose.medication, local_date=dose.local_date)
        .exclude(pk=dose.pk)
        .prefetch_related("amendments")
    )
    settings = guard_rail_policy(patient, rule)
    later = next_day_mg(patient, dose, settings)  # lane fix38l: the hours after it count too
    total = corrected + sum((effective_mg(d) for d in others), Decimal(0)) + later
    counted = counted_total(patient, dose, corrected, total, settings)  # lane fix38h: as the window's cover
    covered = _override_covers(patient, dose, counted)
    if corrected > effective_mg(dose) and dose.medication == Medication.METHADONE and dose.order is not None:
        _refuse_raise_on_high_qtc(patient, dose, dose.order, total, now)
    verdict, reasons = ceilings(rule, float(corrected), float(counted), settings, documented=covered)
    if verdict in (REFUSED, "needs_override"):
        raise TreatmentInvalid([FieldError("corrected_mg", " ".join(r.text for r in reasons))])
    if (
        corrected > effective_mg(dose)
        and dose.status != DoseStatus.HELD
        and hold_open_today(patient, dose.local_date)
    ):
        # review 18a: a hold of that day (any medication; the window's one definition) stops a raise as it
        # stops a dose, whatever override covers the day; a held dose itself is the prescriber's (amend_dose)
        raise TreatmentInvalid([FieldError("corrected_mg", HOLD_STOPS_RAISE)])
    if corrected <= effective_mg(dose):  # never a lowering
        return
    start_gate_over(patient, dose, corrected, total - corrected)  # no limit override passes the start gate
    if covered:  # the override for that day passes the rest
        return
    before = sum((effective_mg(d) for d in given_before(others, dose)), Decimal(0))  # by time given
    over = induction_limits_over(patient, dose, corrected, total, before == 0, settings)
    if over:
        raise TreatmentInvalid([FieldError("corrected_mg", " ".join(r.text for r in over))])
    over = window_limits_over(patient, dose, corrected, total - corrected, settings)
    if over:
        raise TreatmentInvalid([FieldError("corrected_mg", " ".join(r.text for r in over))])


def next_day_mg(patient: Patient, dose: DoseRecord, settings: GuardRailPolicy) -> Decimal:
    """The next program day's doses within the program's same_day_hours after `dose` (lane fix38l, re-attack
    38m finding 1: a raise counts every dose within the hours of it, after as before; `rule.within_hours_mg`,
    the one count). 0 for a dose of an earlier episode (its day is not this episode's)."""
    if not in_current_episode(dose):
        return Decimal(0)
    later = taken_on(patient, dose.medication, dose.local_date + timedelta(days=1))
    return within_hours_mg(later, settings, dose.given_at or dose.recorded_at) if later else Decimal(0)


def counted_total(
    patient: Patient, dose: DoseRecord, corrected: Decimal, total: Decimal, settings: GuardRailPolicy
) -> Decimal:
    """The day's total with a corrected dose as the window's cover counts it (lane fix38h, left by fix38e:
    `guards.prescriber_cover`; `total`: that day's doses with the corrected amount): with the previous
    program day's doses within the program's same_day_hours before the dose (`rule.earlier_day_mg`); for
    buprenorphine the rule's one count (`rule.buprenorphine_counted`: a dose within them of a first dose
    day's counts that whole day's total). A dose of an earlier episode or of a low-dose schedule counts its
    own day, as the rule. The override a correction needs and the ceilings read this total."""
    if not in_current_episode(dose):
        return total
    ctx = dose_context(patient, dose.medication, dose.local_date)
    at = dose.given_at or dose.recorded_at
    if dose.medication != Medication.BUPRENORPHINE:
        return total + earlier_day_mg(ctx, settings, at)
    if dose.order is None or dose.order.schedule or ctx.first_dose_on is None:
        return total
    phase = window_phase(patient, dose.order, ctx, at)
    return buprenorphine_counted(ctx, settings, at, phase, total - corrected)[1] + corrected


def start_gate_over(patient: Patient, dose: DoseRecord, corrected: Decimal, others: Decimal) -> None:
    """The window's start gate on a raised buprenorphine dose (lane fix34c, review 34c hole 2): the gate the
    window puts to the dose, read again as it was given (`start.recorded_dose_gate`: on an induction's first
    day the day's first dose, and a later one when the first rested on a start override; the readiness
    verdict just before the dose, "ready", or a start override of that day covering the day's total),
    run by the window's rule (`dose_decision`) with the day's other doses, `others`. Lane fix35a (review 34e
    items 1, 2, 5): a dose of the episode's first dosing day is gated whatever a correction made of it since
    (to 0 mg and up again) or a later day holds; the dose is not its own last use; an override written
    after it does not count. Refused naming corrected_mg, in the rule's words; a limit override does not
    pass it, as at the window."""
    read = recorded_dose_gate(patient, dose, others + corrected)
    if read is None:
        return
    gate, ctx = read
    decision = dose_decision(patient, dose.medication, ctx, corrected, False, False, gate)
    if decision.decision == NOT_READY_TO_DOSE:
        raise TreatmentInvalid([FieldError("corrected_mg", " ".join(r.text for r in decision.reasons))])


def blockade_over(patient: Patient, dose: DoseRecord, corrected: Decimal) -> None:
    """Lane fix36i (review 36f hole 3, left by fix36f): a held methadone or buprenorphine dose (or one
    corrected to 0 mg) corrected into a given one inside an XR-naltrexone injection's blockade is refused as
    the window refuses that dose (`agonists.blockade_verdict`, the one definition: the same reasons), unless
    a prescriber's switch override of that medication for the dose's day, in effect when the dose was
    recorded, covers it (the window's cover). Raises TreatmentInvalid naming corrected_mg."""
    if corrected <= 0 or effective_mg(dose) > 0:
        return
    switch = (
        DoseOverride.objects.filter(
            patient=patient, medication=dose.medication, local_date=dose.local_date, kind=OverrideKind.SWITCH
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=dose.recorded_at))
        .exists()
    )
    given = Decision(CORRECTION_RULE, "1", "allowed", ())  # the correction's own checks come after
    verdict = blockade_verdict(patient, dose.medication, dose.local_date, given, switch=switch)
    if verdict.decision == NEEDS_OVERRIDE:
        raise TreatmentInvalid([FieldError("corrected_mg", " ".join(r.text for r in verdict.reasons))])


def _override_covers(patient: Patient, dose: DoseRecord, total: Decimal) -> bool:
    """Whether a prescriber's override for the dose's day covers the day's `total`, in effect when the dose
    was recorded (discharge ends the episode's overrides), with the doses counted when it was written (lane
    fix38o, re-attack 38t finding 3: `rule.override_counted_mg`, as the window's cover)."""
    overrides = DoseOverride.objects.filter(
        patient=patient, medication=dose.medication, local_date=dose.local_date, kind=OverrideKind.LIMIT
    ).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=dose.recorded_at))
    rule = GUARD_RAILS.get(dose.medication)
    if rule is None or not overrides:
        return False
    settings = guard_rail_policy(patient, rule)
    earlier = taken_on(patient, dose.medication, dose.local_date - timedelta(days=1))
    at = dose.given_at or dose.recorded_at
    return any(
        override_counted_mg(total, earlier, settings, o.created_at, at) <= o.max_total_mg for o in overrides
    )


def _refuse_raise_on_high_qtc(
    patient: Patient, dose: DoseRecord, order: MedicationOrder, total: Decimal, now: datetime | None
) -> None:
    """The window's QTc checks (`guards.high_qtc_since_order`, review 20a) on a methadone raise, whatever
    override covers the day: no day's override takes methadone above its order on a QTc of 500 ms or more
    known that day, and no correction gives a raise (or a start) the window refused on such a QTc recorded
    after the order was written: the prescriber re-writes the order, where the reason is recorded."""
    high = high_qtc_since_order(patient, order, dose.local_date, total, None, until=dose.local_date)
    today = local_today(patient, now or timezone.now())
    if high is None and dose.local_date < today and not _weighed_today(patient, today, total):
        high = high_qtc_since_order(patient, order, today, total, None)  # today's QTc (review 21m)
    if high is not None:
        raise TreatmentInvalid([_qtc_refusal(high)])


def _weighed_today(patient: Patient, today: date, total: Decimal) -> bool:
    """Whether today's QTc was weighed by the prescriber of the methadone order in force today: written with
    a QTc reason after that QTc was known (`qtc.qtc_unseen` false for it: its id up to the order's
    `qtc_seen_id`) and covering it (`qtc.qtc_reason_covers`), and `total` (a past day's corrected total)
    within that order. Then a correction of a past day up to what was really given lifts no block of today
    (review 21x: the record could not be made true after the prescriber re-wrote the order on the QTc);
    otherwise the correction meets today's QTc (review 21m)."""
    order = (
        MedicationOrder.objects.filter(in_force_q(today), patient=patient, medication=Medication.METHADONE)
        .order_by("-created_at", "-id")
        .first()
    )
    if order is None or total > order.dose_mg or not has_qtc_reason(order):
        return False
    qtc = recent_qtc(patient, today)
    return qtc is not None and not qtc_unseen(order, qtc) and qtc_reason_covers(order, qtc)


def _qtc_refusal(high: Reason) -> FieldError:
    """The window's QTc refusal (`guards.high_qtc_since_order`) naming corrected_mg, in the same words: what
    releases it (the prescriber re-writing the order with a reason for the QTc; no day's override) and the
    level still given."""
    params = dict(high.params)
    if high.template == RAISE_ON_LATER_QTC:
        return FieldError.said(
            "corrected_mg",
            N_(
                "The latest QTc is %(ms)s ms (500 or more), recorded after this order was written: the order "
                "raised methadone before this QTc was known (%(before)s to %(ordered)s mg a day; %(mg)s mg "
                "asked). Krantz 2009 advises considering a lower dose or stopping. No day's override "
                "releases this: up to %(level)s mg a day (the level already given) can be given; to give "
                "more, the prescriber re-writes the order with a reason for a raise on this QTc."
            ),
            **params,
        )
    if high.template == START_ON_LATER_QTC:
        return FieldError.said(
            "corrected_mg",
            N_(
                "The latest QTc is %(ms)s ms (500 or more), recorded after this methadone start was written "
                "(%(ordered)s mg a day; %(mg)s mg asked). Krantz 2009 advises considering a lower dose, "
                "stopping or another treatment, not starting methadone. No day's override releases this: no "
                "methadone until the prescriber re-writes the start with a reason for a start on this QTc."
            ),
            **params,
        )
    if high.template == START_GIVEN_ON_LATER_QTC:
        return FieldError.said(
            "corrected_mg",
            N_(
                "The latest QTc is %(ms)s ms (500 or more), recorded after this methadone start was written "
                "(%(ordered)s mg a day; %(mg)s mg asked). Krantz 2009 advises considering a lower dose, "
                "stopping or another treatment. No day's override releases this: up to %(level)s mg a day "
                "(the level already given) can be given; to give more, the prescriber re-writes the start "
                "with a reason for a start on this QTc."
            ),
            **params,
        )
    return FieldError.said(
        "corrected_mg",
        N_(
            "The latest QTc is %(ms)s ms (500 or more): a day's override cannot take "
            "methadone above the order (%(ordered)s mg a day; %(mg)s mg asked). Krantz 2009 "
            "advises considering a lower dose or stopping. To give more, a prescriber raises "
            "the order itself, where the reason for a raise on this QTc is recorded."
        ),
        **params,
    )


def window_limits_over(
    patient: Patient, dose: DoseRecord, corrected: Decimal, others: Decimal, settings: GuardRailPolicy
) -> list[Reason]:
    """The window's checks of that day that a corrected (raised) amount goes over, read from the context of
    that day (review 13d): methadone's titration step, its days between increases and window, missed days,
    and the order of either medication (the rule the window ran, `dose_decision`, with the dose's order and
    `others` the day's other doses); a buprenorphine dose meets its order (`window.order_over`; an
    induction's day: the single dose). A dose of an earlier episode (before a readmission) is not checked
    here. Lane fix36d: the episode's first dosing day is read as the window read it for the dose
    (`recorded_dose_gate`'s read: the episode's earlier days as the record holds them, none and its day is
    the first), so a first day corrected to 0 mg or voided and up again, or after a later day's dose, meets
    the order's checks as any dose does (the day-1 limit alone let an amount above the order through)."""
    if not in_current_episode(dose):
        return []
    earlier = episode_first_day_before(dose)
    ctx = replace(
        dose_context(patient, dose.medication, dose.local_date),
        first_dose_on=earlier if earlier is not None else dose.local_date,
    )
    if dose.medication == Medication.METHADONE:
        day = replace(ctx, given_today_mg=others, hold_open=False)
        decision = dose_decision(
            patient,
            dose.medication,
            day,
            corrected,
            False,
            False,
            ordered_mg=dose.order.dose_mg,
            at=dose.given_at or dose.recorded_at,  # lane fix38e: the previous day's within the hours count
        )
        return list(decision.reasons) if decision.decision in BLOCKING else []
    if dose.order.schedule:  # a low-dose schedule's planned total is its order (the induction limits)
        return []
    at = dose.given_at or dose.recorded_at
    phase = window_phase(patient, dose.order, ctx, at)
    phase, before, _ = buprenorphine_counted(ctx, settings, at, phase, others)  # lane fix38h: as the window
    beyond = order_over(float(dose.order.dose_mg), float(before), float(corrected), phase != "maintenance")
    if beyond is None:
        return []
    template, sources, params = beyond
    then = gettext_noop("Needs a prescriber's override for that day, with a reason.")
    return [Reason.said(template, sources, **params, then=then)]


def induction_limits_over(
    patient: Patient,
    dose: DoseRecord,
    corrected: Decimal,
    total: Decimal,
    first_of_day: bool,
    settings: GuardRailPolicy,
) -> list[Reason]:
    """The induction limits the window applied to this dose on its day that a corrected amount goes over
    (the window's definitions in keel.core, read from the context of that day): methadone's first day's
    limits on the episode's first day, a re-induction after missed days, or a day with no observed dose to
    compare (`methadone.first_day_limits`); buprenorphine's day-1 or day-2 limit on an induction's days (the
    episode's first, a restart after a gap, a switch after methadone: `start.window_phase`), and a low-dose
    schedule's planned amount for that day's step (`start.low_dose_step`)."""
    ctx = dose_context(patient, dose.medication, dose.local_date)
    # A dose before the current episode's first (an earlier episode's, before a readmission): that day's
    # context is not this episode's, so only its stored treatment day says whether it was a first day.
    known = ctx.first_dose_on is not None
    if dose.medication == Medication.METHADONE:
        last = ctx.last_observed_mg if ctx.last_observed_mg is not None else ctx.previous_day_mg
        why = (
            first_day_limits(
                dose.treatment_day,
                ctx.missed_days_in_a_row,
                None if last is None else float(last),
                cast(MethadoneDosePolicy, settings),
            )
            if known
            else FIRST_DAY
            if dose.treatment_day == 1
            else None
        )
        if why is None:
            return []
        then = gettext_noop("Needs a prescriber's override for that day, with a reason.")
        return [
            Reason.said(template, sources, **params, then=then)
            for template, sources, params in first_day_over(
                float(corrected), float(total), first_of_day, cast(MethadoneDosePolicy, settings)
            )
        ]
    reasons = []
    step = low_dose_step(patient, dose.order, dose.local_date) if dose.order is not None else None
    if step is not None:  # that day's step of a low-dose schedule (counted in doses given before it)
        reasons.append(low_dose_total_over(float(total), float(step["schedule_mg"])))
    if known:
        at = dose.given_at or dose.recorded_at
        phase = window_phase(patient, dose.order, ctx, at)
        if step is None:  # lane fix38h: the window's count (`rule.buprenorphine_counted`), not the calendar's
            phase, before, _ = buprenorphine_counted(ctx, settings, at, phase, total - corrected)
            total = before + corrected
    else:
        phase = "day1" if dose.treatment_day == 1 else "day2" if dose.treatment_day == 2 else "maintenance"
    reasons.append(induction_total_over(phase, float(total), cast(DayLimitPolicy, settings)))
    return [r for r in reasons if r is not None]
