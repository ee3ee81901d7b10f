"""Take-home bottles handed out (session 22): each bottle holds an explicit amount, recorded on its plan
(`TakeHomePlan.bottle_mg`) when it leaves the clinic, and only an amount the window's verdict today allows.

A bottle leaves the clinic at the observed dose the day before its run of bottle days, or at the decision
for a run that starts that day (`keel.core.take_home_bottles.handed_out`, the one definition). It holds the
dose of the order in force on its day (`models.order_in_force`). Before it goes, that dose is put to the
window's whole verdict (`guards.window_verdict`, the function the window runs on every observed dose:
the titration step, day limits, missed days, a hold, and `order_on_high_qtc`'s QTc checks; review 22n
hole 4: not the QTc alone), with no prescriber's cover for the day (`bottle_verdict`). Nothing here
re-states that verdict: a bottle is judged as the window judges an observed dose of that total.

Refused, never capped. The window refuses an observed dose its verdict blocks (NEEDS_NEW_ORDER, which no
day's override releases) and leaves the amount to a person: it never gives less than what was asked on its
own (`record_dose`: "never the ordered dose by default"). A bottle filled with less than the order, on no
one's decision, would be a dose nobody chose, carried home where nobody watches it taken; and the act the
window asks for, the prescriber re-writing the order (a lower dose, or the QTc reason), is the act that
makes the bottles right. So a decision whose bottles the window would block today is refused (naming the
field that asked for them), and at the dose the run due to go home is not handed out: the plan stops
covering days after today (as a hold stops it), the person comes to the window, and the prescriber decides
the take-home doses again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django.utils.translation import gettext as _

from keel.accounts.models import User
from keel.audit.models import Action
from keel.core.decision import Reason
from keel.core.take_home_bottles import run_start
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient
from keel.treatment import words
from keel.treatment.models import (
    DoseRecord,
    DoseStatus,
    Medication,
    MedicationOrder,
    TakeHomePlan,
    order_in_force,
)
from keel.treatment.queries import DoseContext, plan_days
from keel.treatment.queries.doses import taken_doses
from keel.treatment.services.common import _audit
from keel.treatment.services.doses.guards import Cover, DoseDay, window_verdict
from keel.treatment.services.doses.rule import BLOCKING

# The end reason kept on a plan whose run the window would not let go home (English, as every end reason).
NOT_HANDED_OUT = (
    "The bottles for {days} were not handed out: the window would not give their {mg} mg today ({why}). "
    "The person comes to the window until a prescriber re-writes the order and decides take-home doses again."
)
# The reasons a dose's check carries of the bottles that went home with it, or did not (the dose row shows
# them; the page in the reader's language).
HANDED_OUT = N_("Take-home bottles handed out with this dose: %(bottles)s.")
KEPT_BACK = N_(
    "Take-home bottles for %(days)s not handed out: the window would not give their %(mg)s mg today. The "
    "take-home plan stops; a prescriber re-writes the order and decides take-home doses again."
)

KEPT_BACK_WHY = N_("the window's verdict on this dose today blocks it")
BOTTLE_REASONS = (HANDED_OUT, KEPT_BACK)  # the dosing page tells the nurse these with the dose given
KEPT_BACK_BEFORE = timedelta(microseconds=1)  # a kept-back plan's end, before the dose's instant


def bottle_amounts(
    patient: Patient,
    days: Iterable[date],
    today: date,
    given: Decimal | None,
    ctx: DoseContext,
    now: datetime,
    dosed_today: bool,
) -> tuple[dict[str, str], tuple[date, Decimal, Reason] | None]:
    """The mg each bottle of `days` holds (ISO day -> decimal text): the dose of the methadone order in force
    on its day (else today's), and the first bottle the window's verdict would block (its day, its mg and
    the window's reason; None: none is). `given`: the level already given, as the window reads it (the last
    observed day's total, or today's with the dose just given); `ctx`: today's dose context as the window
    read it (`bottle_verdict`)."""
    orders = list(MedicationOrder.objects.filter(patient=patient, medication=Medication.METHADONE))
    amounts: dict[str, str] = {}
    for day in sorted(days):
        order = order_in_force(orders, day) or order_in_force(orders, today)
        if order is None:
            continue
        reason = bottle_verdict(patient, order, ctx, today, now, order.dose_mg, given, dosed_today)
        if reason is not None:
            return amounts, (day, order.dose_mg, reason)
        amounts[day.isoformat()] = str(order.dose_mg)
    return amounts, None


def bottle_verdict(
    patient: Patient,
    order: MedicationOrder,
    ctx: DoseContext,
    today: date,
    now: datetime,
    mg: Decimal,
    given: Decimal | None,
    dosed_today: bool,
) -> Reason | None:
    """Why the window would refuse a bottle of `mg` under `order` (None: it would give it): the window's
    whole verdict (`guards.window_verdict`, the function every observed dose is put to: titration step, day
    limits, missed days, a hold, the QTc, NEEDS_NEW_ORDER) on an observed dose of `mg` on the day, with no
    prescriber's cover (a day's override is for the dose at the window, never a bottle's). The bottle is its
    day's whole dose (nothing else given that day, no re-dose interval); `dosed_today` (an observed dose
    given today, at `given` mg in all): the bottle's day follows it (the next treatment day, today's total
    the last observed, no missed day), else today's context as the window reads it (missed days, the first
    day's limit). Review 22n hole
    4: a raise written to start tomorrow goes home only if the window would give it."""
    dosed = dosed_today and given is not None and given > 0
    last = ctx.last_observed_mg
    day_ctx = replace(ctx, given_today_mg=Decimal(0), doses_today=[], taken_times=[])
    if dosed and given is not None:  # the bottle's day follows today's observed dose (`given`, its level)
        day_ctx = replace(
            day_ctx,
            treatment_day=ctx.treatment_day + 1,
            observed={**ctx.observed, today: given},
            previous_day_mg=given,
            missed_days_in_a_row=0,
            days_since_last_increase=1 if last is None or given > last else ctx.days_since_last_increase,
        )
    day = DoseDay(
        cast(Any, None), patient, Medication.METHADONE, order, today, now, day_ctx, cast(Any, None), []
    )
    decision = window_verdict(day, now, mg, False, Cover(mg, None, False, None))
    if decision.decision not in BLOCKING:
        return None
    return decision.reasons[0] if decision.reasons else Reason.said(KEPT_BACK_WHY, ())


def bottle_refusal(day: date, mg: Decimal, reason: Reason) -> str:
    """A decision's refusal of a bottle the window would block today, in the request's language."""
    return _(
        "the bottle for %(day)s would hold %(mg)s mg, a dose the window would not give today: %(why)s A "
        "prescriber re-writes the order (a lower dose, or the QTc reason) before take-home bottles go home"
    ) % {"day": day.isoformat(), "mg": f"{mg.normalize():f}", "why": words.reason_text(reason)}


def run_from(plan: TakeHomePlan, today: date) -> list[date]:
    """The run of consecutive bottle days of `plan` starting tomorrow, which leaves the clinic at an
    observed dose today (`take_home_bottles.handed_out`); empty when tomorrow is no run's first day."""
    days = plan_days(plan)
    tomorrow = today + timedelta(days=1)
    if tomorrow not in days or run_start(tomorrow, days) != tomorrow:
        return []
    run = []
    day = tomorrow
    while day in days:
        run.append(day)
        day += timedelta(days=1)
    return run


def runs_going_home(plan: TakeHomePlan, today: date) -> list[date]:
    """The bottle days of `plan` that leave the clinic at an observed dose today (`run_from`), less those
    already recorded."""
    return [d for d in run_from(plan, today) if d.isoformat() not in (plan.bottle_mg or {})]


def take_back_at_void(by: User, patient: Patient, dose: DoseRecord) -> list[str]:
    """Review 22n hole 3: a methadone dose voided (recorded in error: she was not given it) handed nothing
    out, so the bottles recorded as going home with it (the run starting the day after its day, on every
    plan of the person) are taken off `bottle_mg`, unless another dose of that day still stands (a split
    dose's other part handed them out). They are re-decided, re-recorded and re-checked by the window's
    verdict, at the next observed dose that hands them out (`hand_out_at_dose`); until then the plan, the
    API and FHIR say no amount. Inside the void's transaction, under the person's lock. Returns the days
    taken back (audited on their plan)."""
    if dose.medication != Medication.METHADONE or dose.status != DoseStatus.GIVEN:
        return []
    others = DoseRecord.objects.filter(
        patient=patient, medication=Medication.METHADONE, local_date=dose.local_date, status=DoseStatus.GIVEN
    ).exclude(pk=dose.pk)
    if taken_doses(others).exists():
        return []
    taken_back: list[str] = []
    for plan in TakeHomePlan.objects.filter(patient=patient).exclude(bottle_mg={}):
        recorded = dict(plan.bottle_mg or {})
        days = [d.isoformat() for d in run_from(plan, dose.local_date) if d.isoformat() in recorded]
        if not days:
            continue
        plan.bottle_mg = {iso: mg for iso, mg in recorded.items() if iso not in days}
        TakeHomePlan.objects.filter(pk=plan.pk).update(bottle_mg=plan.bottle_mg)
        _audit(
            by,
            patient,
            Action.UPDATE,
            "take_home_plan",
            plan.pk,
            reason="bottles taken back: the dose they went home with was voided",
            detail={"bottles": days, "dose_id": dose.pk, "mg": [recorded[d] for d in days]},
        )
        taken_back.extend(days)
    return taken_back


def hand_out_at_dose(
    by: User,
    patient: Patient,
    plans: list[TakeHomePlan],
    today: date,
    now: datetime,
    given: Decimal | None,
    ctx: DoseContext,
) -> tuple[Reason, ...]:
    """At an observed methadone dose given today (inside its transaction, under the person's lock): each
    standing plan's run going home now gets its amounts recorded, or, when the window would block one of
    them today, is not handed out (the plan ends today, audited). `plans`: the episode's plans the dose read
    (changed in place). Returns the reasons the dose's check carries of it."""
    said: list[Reason] = []
    for plan in plans:
        run = runs_going_home(plan, today)
        if not run:
            continue
        amounts, blocked = bottle_amounts(patient, run, today, given, ctx, now, True)
        if blocked is None:
            plan.bottle_mg = {**(plan.bottle_mg or {}), **amounts}
            TakeHomePlan.objects.filter(pk=plan.pk).update(bottle_mg=plan.bottle_mg)
            shown = "; ".join(f"{day} {Decimal(mg).normalize():f} mg" for day, mg in sorted(amounts.items()))
            said.append(Reason.said(HANDED_OUT, ("42cfr8.12-2024",), bottles=shown))
            continue
        _day, mg, reason = blocked
        days = ", ".join(d.isoformat() for d in run)
        # Review 22n hole 5: the plan stops just before the dose's instant (its `recorded_at`, `now`): the
        # dose handed nothing out, and every reader comparing a dose's instant with the plan's end
        # (`at <= ended_at`: FHIR's MedicationDispense, `held_bottles`) reads it so, with no tie.
        plan.ended_on, plan.ended_by, plan.ended_at = today, by, now - KEPT_BACK_BEFORE
        plan.end_reason = NOT_HANDED_OUT.format(days=days, mg=f"{mg.normalize():f}", why=reason.text)
        plan.save(update_fields=["ended_on", "ended_by", "ended_at", "end_reason"])
        _audit(
            by,
            patient,
            Action.UPDATE,
            "take_home_plan",
            plan.pk,
            reason="bottles not handed out: the window would not give their dose",
            detail={"bottles": [d.isoformat() for d in run], "mg": str(mg)},
        )
        said.append(
            Reason.said(KEPT_BACK, (*reason.sources, "42cfr8.12-2024"), days=days, mg=f"{mg.normalize():f}")
        )
    return tuple(said)
