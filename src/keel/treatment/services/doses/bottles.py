"""Take-home bottles handed out (session 22): each bottle holds an explicit amount, recorded on its plan
(`TakeHomePlan.bottle_mg`) when it leaves the clinic, and only an amount the window's verdict today allows.

A bottle leaves the clinic at the observed dose the day before its run of bottle days, or at the decision
for a run that starts that day (`keel.core.take_home_bottles.handed_out`, the one definition). It holds the
dose of the order in force on its day (`models.order_in_force`). Before it goes, that dose is put to the
window's own verdict on a methadone total today (`guards.high_qtc_since_order`, the check the window's
`order_on_high_qtc` makes of every dose: a raise not yet given, on a QTc of 500 ms or more saved after the
order's gate read the QTc, without the prescriber's QTc reason); a hold open today already stops every
bottle (the decision's supply check, the window's hold suspending the plans). Nothing here re-states that
verdict: a bottle is judged as the window judges a dose of that total today.

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
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from keel.accounts.models import User
from keel.audit.models import Action
from keel.core.decision import Reason
from keel.core.take_home_bottles import run_start
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient
from keel.treatment import words
from keel.treatment.models import Medication, MedicationOrder, TakeHomePlan, order_in_force
from keel.treatment.queries import plan_days
from keel.treatment.services.common import _audit
from keel.treatment.services.doses.guards import high_qtc_since_order

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

BOTTLE_REASONS = (HANDED_OUT, KEPT_BACK)  # the dosing page tells the nurse these with the dose given


def bottle_amounts(
    patient: Patient, days: Iterable[date], today: date, given: Decimal | None
) -> tuple[dict[str, str], tuple[date, Decimal, Reason] | None]:
    """The mg each bottle of `days` holds (ISO day -> decimal text): the dose of the methadone order in force
    on its day (else today's), and the first bottle the window's verdict today would block (its day, its mg
    and the window's reason; None: none is). `given`: the level already given, as the window reads it (the
    last observed day's total, or today's with the dose just given): never refused below it."""
    orders = list(MedicationOrder.objects.filter(patient=patient, medication=Medication.METHADONE))
    amounts: dict[str, str] = {}
    for day in sorted(days):
        order = order_in_force(orders, day) or order_in_force(orders, today)
        if order is None:
            continue
        reason = high_qtc_since_order(patient, order, today, order.dose_mg, given)
        if reason is not None:
            return amounts, (day, order.dose_mg, reason)
        amounts[day.isoformat()] = str(order.dose_mg)
    return amounts, None


def bottle_refusal(day: date, mg: Decimal, reason: Reason) -> str:
    """A decision's refusal of a bottle the window would block today, in the request's language."""
    return _(
        "the bottle for %(day)s would hold %(mg)s mg, a dose the window would not give today: %(why)s A "
        "prescriber re-writes the order (a lower dose, or the QTc reason) before take-home bottles go home"
    ) % {"day": day.isoformat(), "mg": f"{mg.normalize():f}", "why": words.reason_text(reason)}


def runs_going_home(plan: TakeHomePlan, today: date) -> list[date]:
    """The bottle days of `plan` that leave the clinic at an observed dose today: the run of consecutive
    bottle days starting tomorrow (`take_home_bottles.handed_out`), less those already recorded."""
    days = plan_days(plan)
    tomorrow = today + timedelta(days=1)
    if tomorrow not in days or run_start(tomorrow, days) != tomorrow:
        return []
    run = []
    day = tomorrow
    while day in days:
        run.append(day)
        day += timedelta(days=1)
    return [d for d in run if d.isoformat() not in (plan.bottle_mg or {})]


def hand_out_at_dose(
    by: User,
    patient: Patient,
    plans: list[TakeHomePlan],
    today: date,
    now: datetime,
    given: Decimal | None,
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
        amounts, blocked = bottle_amounts(patient, run, today, given)
        if blocked is None:
            plan.bottle_mg = {**(plan.bottle_mg or {}), **amounts}
            TakeHomePlan.objects.filter(pk=plan.pk).update(bottle_mg=plan.bottle_mg)
            shown = "; ".join(f"{day} {Decimal(mg).normalize():f} mg" for day, mg in sorted(amounts.items()))
            said.append(Reason.said(HANDED_OUT, ("42cfr8.12-2024",), bottles=shown))
            continue
        _day, mg, reason = blocked
        days = ", ".join(d.isoformat() for d in run)
        plan.ended_on, plan.ended_by, plan.ended_at = today, by, now
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
