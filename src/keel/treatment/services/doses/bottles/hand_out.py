"""The hand-out record: which days a run holds (`run_from`: the bottles leaving at an observed dose today),
the mg each bottle holds and the window's verdict on it (`bottle_amounts`, `bottle_verdict`), what a plan
records as handed out and taken back (`_set_bottles`, the one writer of `bottle_mg` and
`bottles_taken_back`), the audit row of bottles handed out again (`_audit_handed_out`, through the one audit
row of a write to a plan, `common._audit_plan`), and the words of bottles handed out, taken back or at home
(`_handed_out`, `_taken_back`, `_call_back_or`, `at_home_reason`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property

from django.utils.translation import gettext as _

from keel.accounts.models import User
from keel.core.decision import Decision, Reason
from keel.core.rules.agonists import BLOCKADE, BLOCKADE_RULE, ELSEWHERE, HERE, UNKNOWN_TIME
from keel.core.rules.methadone import CLOSURE_DAY
from keel.core.rules.switching import switched_away
from keel.core.take_home_bottles import run_start
from keel.patients.models import Patient, zone_of
from keel.treatment import words
from keel.treatment.models import (
    DoseRecord,
    DoseStatus,
    Medication,
    MedicationOrder,
    OverrideKind,
    TakeHomePlan,
    order_in_force,
)
from keel.treatment.queries import DoseContext, bottle_days
from keel.treatment.queries.orders import day_overrides
from keel.treatment.services.agonists import second_agonist_read
from keel.treatment.services.common import GUARD_RAILS, GuardRailPolicy, _audit_plan, guard_rail_policy
from keel.treatment.services.doses.bottles.not_before import bottle_moment, first_counted
from keel.treatment.services.doses.bottles.reasons import (
    CLOSURE_CALLED_OFF,
    HANDED_OUT,
    KEPT_BACK_WHY,
    SWITCH_TODAY_ONLY,
    TAKEN_BACK_PLAN_STOPS,
)
from keel.treatment.services.doses.bottles.told import note_told
from keel.treatment.services.doses.guards import Cover, window_verdict
from keel.treatment.services.doses.rule import BLOCKING
from keel.web.dates import shown_date


def bottle_amounts(
    patient: Patient,
    days: Iterable[date],
    today: date,
    given: Decimal | None,
    ctx: DoseContext,
    now: datetime,
    dosed_today: bool,
    *,
    left_with: int | None = None,
    recorded: dict[str, str] | None = None,
    plan: TakeHomePlan | None = None,
) -> tuple[dict[str, str], tuple[date, Decimal, Reason] | None]:
    """The mg each bottle of `days` holds (ISO day -> decimal text): the dose of the methadone order in force
    on its day (else today's), and the first bottle the window's verdict would block (its day, its mg and
    the window's reason; None: none is). `given`: the level already given, as the window reads it (the last
    observed day's total, or today's with the dose just given); `ctx`: today's dose context as the window
    read it (`bottle_verdict`). Review 24b hole 1: bottles that already left the clinic (`left_with`: the
    order of the dose they went with) are judged by the orders written by then (`orders_by`), never one
    written after; a bottle whose mg was `recorded` when it left is judged at that mg (what it holds) and
    keeps it. Review 39a hole 2: a bottle of `plan`, a closure-day plan, not yet recorded, whose day is no
    longer a closure day is kept back (`closure_called_off`). Lane switch39: a bottle for a day the order no
    longer covers after a switch to another medication (`ends_on`) is blocked (`switching.switched_away`)."""
    called_off = closure_called_off(plan, days)
    orders = list(MedicationOrder.objects.filter(patient=patient, medication=Medication.METHADONE))
    if left_with is not None:
        orders = [o for o in orders if o.pk <= left_with] or orders
    amounts: dict[str, str] = {}
    run = sorted(days)
    counted = first_counted(patient, run, today, given, now, dosed_today)  # lane bottle39, re-attack 39m
    for day in run:
        order = order_in_force(orders, day) or order_in_force(orders, today)
        if order is None:
            continue
        kept = (recorded or {}).get(day.isoformat())
        mg = Decimal(kept) if kept is not None else order.dose_mg
        if order.ends_on is not None and order.ends_on <= day:  # lane switch39: switched away from it
            return amounts, (day, mg, switched_away(order.ends_on.isoformat()))
        if kept is None and day in called_off:
            return amounts, (
                day,
                mg,
                Reason.said(CLOSURE_CALLED_OFF, ("42cfr8.12-2024",), day=day.isoformat()),
            )
        first = counted if day == run[0] else None
        reason = bottle_verdict(
            patient, order, ctx, today, now, mg, given, dosed_today, on=day, counted=first
        )
        if reason is not None:
            return amounts, (day, mg, reason)
        amounts[day.isoformat()] = kept if kept is not None else str(order.dose_mg)
    return amounts, None


def closure_called_off(plan: TakeHomePlan | None, days: Iterable[date]) -> set[date]:
    """Review 39a hole 2: the days of `days` that are no longer closure days of the program, when `plan` is a
    closure-day plan (the one take-home dose 42 CFR 8.12(i) allows a person not otherwise eligible, for a day
    the clinic is closed: `supplies.closure_day_supply`); read from the program's row as it is now (an admin
    may have removed the day since the decision). Empty for any other plan."""
    if plan is None or (plan.decision or {}).get("decision") != CLOSURE_DAY:
        return set()
    closed = Patient.objects.values_list("program__closure_days", flat=True).get(pk=plan.patient_id)
    return {d for d in days if d.isoformat() not in set(closed or [])}


@dataclass(frozen=True)
class _BottleDay:
    """A methadone bottle's day as the window's verdict reads it (`guards.VerdictDay`; a dose's is
    `guards.DoseDay`): its person, the order, the decision's day and its context, the bottle's own day
    (`taken_on`: the blockade is read on it, lane fix37h); its policy read when first asked."""

    patient: Patient
    order: MedicationOrder
    today: date
    ctx: DoseContext
    taken_on: date
    medication: str = Medication.METHADONE

    @cached_property
    def policy(self) -> GuardRailPolicy:
        return guard_rail_policy(self.patient, GUARD_RAILS[self.medication])


def bottle_verdict(
    patient: Patient,
    order: MedicationOrder,
    ctx: DoseContext,
    today: date,
    now: datetime,
    mg: Decimal,
    given: Decimal | None,
    dosed_today: bool,
    *,
    on: date,
    counted: list[tuple[datetime, Decimal]] | None = None,
) -> Reason | None:
    """Why the window would refuse a bottle of `mg` under `order` for the day `on` (None: it would give it):
    the window's
    whole verdict (`guards.window_verdict`, the function every observed dose is put to: titration step, day
    limits, missed days, a hold, the QTc, NEEDS_NEW_ORDER) on an observed dose of `mg` on the day, with no
    prescriber's cover (a day's override is for the dose at the window, never a bottle's). The bottle is its
    day's whole dose (nothing else given that day, no re-dose interval); `dosed_today` (an observed dose
    given today, at `given` mg in all): the bottle's day follows it (the next treatment day, today's total
    the last observed, no missed day), else today's context as the window reads it (missed days, the first
    day's limit). Review 22n hole
    4: a raise written to start tomorrow goes home only if the window would give it. Lane fix37c item 2:
    inside an XR-naltrexone blockade a prescriber's switch override for today covers today's bottle only
    (`_blockade_for_today`). Lane bottle39 (re-attack 38t finding 1): the bottle for the day after today's
    doses (`counted`: those that count with its day, `not_before.first_counted`: a run's first bottle,
    tomorrow's after today's dose or today's at a decision the morning after a late dose) is judged at the
    earliest moment she may take it (`not_before.bottle_moment`), with them as its previous day's doses:
    what would count then counts."""
    dosed = dosed_today and given is not None and given > 0
    last = ctx.last_observed_mg
    day_ctx = replace(ctx, given_today_mg=Decimal(0), doses_today=[], taken_times=[], earlier_taken=[])
    if dosed and given is not None:  # the bottle's day follows today's observed dose (`given`, its level)
        day_ctx = replace(
            day_ctx,
            treatment_day=ctx.treatment_day + 1,
            observed={**ctx.observed, today: given},
            previous_day_mg=given,
            missed_days_in_a_row=0,
            days_since_last_increase=1 if last is None or given > last else ctx.days_since_last_increase,
        )
    at = now
    if counted:  # lane bottle39, re-attack 39m: judged when she may take it (the first bottle of its run)
        day_ctx = replace(day_ctx, earlier_taken=list(counted))
        at = bottle_moment(patient, counted, on, now)
    day = _BottleDay(patient, order, today, day_ctx, on)
    decision = window_verdict(day, at, mg, False, Cover(mg, None, False, None))
    if decision.decision in BLOCKING and decision.rule == BLOCKADE_RULE:
        switched = _blockade_for_today(day, now, mg, on, decision)
        if isinstance(switched, Reason):
            return switched
        decision = switched
    if decision.decision not in BLOCKING:
        return _second_agonist_on(day, now, on)
    return decision.reasons[0] if decision.reasons else Reason.said(KEPT_BACK_WHY, ())


def _second_agonist_on(day: _BottleDay, now: datetime, on: date) -> Reason | None:
    """Lane fix37k (re-attack 37n item 1): the bottle for `on` is kept back when, taken at the start of its
    day (the earliest she may take it; today's: now), it is within the switch hours of buprenorphine as the
    window reads it (`agonists.second_agonist_read`, the one reading: a fill in hand through its supply, a
    told use, a dose given here; a low-dose start's pharmacy fill on its schedule's days is the planned
    overlap). A day's switch override never covers a bottle. None: it goes home. Session 39: still read at
    the start of its day even when the bottle says a later time (lane bottle39's "not before"): the label is
    an instruction, and reading the switch hours from it would loosen a guard that stood."""
    at = max(datetime.combine(on, time.min).replace(tzinfo=zone_of(day.patient)), now)
    decision, _covers = second_agonist_read(day.patient, day.ctx, on, at, now, switch=False)
    return decision.reasons[0] if decision is not None and decision.reasons else None


def _blockade_for_today(
    day: _BottleDay, now: datetime, mg: Decimal, on: date, blocked: Decision
) -> Decision | Reason:
    """Lane fix37c item 2: a bottle the window refuses for an XR-naltrexone blockade (`blocked`), with a
    prescriber's switch override of methadone for today (`orders.day_overrides`, read only then): the
    override is for its day only, so the bottle for today (`on`, a run handed out at the decision) gets the
    window's verdict with it, a later day's stays kept back, saying so (`SWITCH_TODAY_ONLY`). No override:
    `blocked` as it was."""
    overrides = day_overrides(day.patient, day.medication, day.today)
    if not any(o.kind == OverrideKind.SWITCH for o in overrides):
        return blocked
    if on != day.today:
        return Reason.said(SWITCH_TODAY_ONLY, blocked.sources, day=on.isoformat())
    return window_verdict(day, now, mg, False, Cover(mg, None, False, None, switch=True))


def bottle_refusal(day: date, mg: Decimal, reason: Reason) -> str:
    """A decision's refusal of a bottle the window would block today, in the request's language. Lane fix37h
    (re-attack 37m item 4): a bottle inside an XR-naltrexone blockade says the blockade's remedy (its days
    go home once the blockade ends; until then each day's dose is at the window), not the order's."""
    if reason.template in (BLOCKADE, SWITCH_TODAY_ONLY):
        return _(
            "the bottle for %(day)s is inside an XR-naltrexone blockade: %(why)s Take-home bottles go home "
            "only for the days after the blockade ends; until then each day's dose is given at the window, "
            "with a prescriber's switch override of that day"
        ) % {"day": shown_date(day), "why": words.reason_text(reason)}
    if reason.template in (HERE, ELSEWHERE, UNKNOWN_TIME):  # lane fix37k: a second agonist on its day
        return _(
            "the bottle for %(day)s would be methadone within the switch hours of buprenorphine: %(why)s A "
            "prescriber's switch override never covers a take-home bottle: its day's dose is given at the "
            "window"
        ) % {"day": shown_date(day), "why": words.reason_text(reason)}
    return _(
        "the bottle for %(day)s would hold %(mg)s mg, a dose the window would not give today: %(why)s A "
        "prescriber re-writes the order (a lower dose, or the QTc reason) before take-home bottles go home"
    ) % {"day": shown_date(day), "mg": f"{mg.normalize():f}", "why": words.reason_text(reason)}


def run_from(plan: TakeHomePlan, today: date) -> list[date]:
    """The run of consecutive bottle days of `plan` starting tomorrow, which leaves the clinic at an
    observed dose today (`take_home_bottles.handed_out`); empty when tomorrow is no run's first day. Lane
    fix29a: a run is the plan's bottle days up to its end, a bottle recorded brought back included (on the
    shelf, a clinic day for `plan_days`, yet the run left with that dose: each step passes over it,
    `on_shelf`, `brought_back_days`)."""
    days = bottle_days(plan)
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


def at_home_reason(
    patient: Patient, today: date, template: str, plans: Iterable[TakeHomePlan] | None = None
) -> Reason | None:
    """The reason naming the methadone bottles at home for a day after `today` (their days and mg, handed
    out, not brought back; `bottles_at_home_above`), None: none is. `plans`: every plan of the person as the
    caller read them under the person's lock (a held dose: its context's, issue #21); None: read here."""
    from keel.treatment.queries.take_home_plans import bottles_at_home_above

    found = bottles_at_home_above(
        patient, Medication.METHADONE, today + timedelta(days=1), Decimal(0), plans=plans
    )
    if not found:
        return None
    shown = "; ".join(f"{day.isoformat()} {mg.normalize():f} mg" for day, mg in found)
    return Reason.said(template, ("42cfr8.12-2024",), bottles=shown)


def _run_unended(plan: TakeHomePlan, today: date) -> list[date]:
    """The run `run_from` would give were the plan not ended (the plan is left as it was)."""
    ended = plan.ended_on
    plan.ended_on = None
    try:
        return run_from(plan, today)
    finally:
        plan.ended_on = ended


def brought_back_days(plan: TakeHomePlan) -> set[str]:
    """Review 27a: the plan's bottle days recorded brought back (ISO days; `returned_days`, the one record of
    bottles on the clinic's shelf, which `queries.bottles_at_home` and `held_bottles` read). A fact: no
    correction nor later dose puts such a bottle back at home or has the plan cover its day again
    (`on_shelf`); every step of the bottles' decisions reads it here."""
    return set(plan.returned_days or [])


def on_shelf(plan: TakeHomePlan, run: list[date], today: date) -> list[date]:
    """Review 27a holes 1-3: the days of `run` from `today` (the person's own day) on whose bottle is recorded
    brought back (`brought_back_days`). A plan ended since its run left does not go on over them (a keep
    back or "nothing given" undone, a void or a take-back undone): the day would be covered with its bottle
    on the shelf, so the person would have no dose for it and the window no missed-dose check."""
    back = brought_back_days(plan)
    return [d for d in run if d >= today and d.isoformat() in back]


def _run_recorded(plan: TakeHomePlan, run: list[date]) -> tuple[dict[str, str], dict[str, str]]:
    """The plan's record of bottles handed out, split: the run's days in it (ISO day -> mg) and the rest."""
    recorded = dict(plan.bottle_mg or {})
    isos = [d.isoformat() for d in run]
    had = {iso: recorded[iso] for iso in isos if iso in recorded}
    rest = {iso: mg for iso, mg in recorded.items() if iso not in isos}
    return had, rest


def _set_bottles(plan: TakeHomePlan, bottle_mg: dict[str, str], left: dict[str, str] | None = None) -> None:
    """The plan's bottles handed out are now `bottle_mg`: a day it had and no longer has is kept as taken
    back (with the mg it was recorded with), a day handed out again is no longer taken back (review 22t
    holes 1 and 2: the one record of which bottles left, as the FHIR export reads it). Review 25c hole 2:
    `left`, the days (and mg) at home that a take-back takes back whatever the record held
    (`bottles_at_home`): a plan whose record was silent on them keeps them as taken back too, so the
    hand-out is remembered (a later void leaves them on the call-back list: `recorded_as_left`, `maybe`)."""
    before = dict(plan.bottle_mg or {})
    taken_back = {iso: mg for iso, mg in dict(plan.bottles_taken_back or {}).items() if iso not in bottle_mg}
    taken_back.update(
        {iso: mg for iso, mg in (left or {}).items() if iso not in bottle_mg and iso not in before}
    )
    taken_back.update({iso: mg for iso, mg in before.items() if iso not in bottle_mg})
    plan.bottle_mg, plan.bottles_taken_back = bottle_mg, taken_back
    TakeHomePlan.objects.filter(pk=plan.pk).update(bottle_mg=bottle_mg, bottles_taken_back=taken_back)


def _taken_back_in(plan: TakeHomePlan, run: list[date]) -> dict[str, str]:
    """The days of `run` the plan keeps as taken back (`bottles_taken_back`, ISO day -> the mg they left
    with): what undoing a take-back hands out again."""
    taken = dict(plan.bottles_taken_back or {})
    return {d.isoformat(): taken[d.isoformat()] for d in run if d.isoformat() in taken}


def _audit_handed_out(by: User, patient: Patient, plan: TakeHomePlan, bottles: list[str], day: date) -> None:
    """The audit row of bottles handed out again (a take-back, a keep back or a void undone, a plan's end
    restored): their ISO days and the dose's day."""
    _audit_plan(
        by,
        patient,
        plan,
        "bottles handed out: the day's total changed",
        {"bottles": bottles, "dose_day": day.isoformat()},
    )


def _handed_out(amounts: dict[str, str]) -> Reason:
    shown = "; ".join(f"{day} {Decimal(mg).normalize():f} mg" for day, mg in sorted(amounts.items()))
    return Reason.said(HANDED_OUT, ("42cfr8.12-2024",), bottles=shown)


def _taken_back(template: str, had: dict[str, str], plan_pk: int | None) -> Reason:
    """The words of bottles recorded as handed out that the record takes back (`TAKEN_BACK`,
    `TAKEN_BACK_PLAN_STOPS`): their days, and their mg (each distinct amount once, in day order). Lane
    take31: noted as told for plan `plan_pk` (`told.note_told`)."""
    note_told(plan_pk, had)
    days = sorted(had)
    amounts: list[str] = []
    for iso in days:
        mg = f"{Decimal(had[iso]).normalize():f}"
        if mg not in amounts:
            amounts.append(mg)
    return Reason.said(template, ("42cfr8.12-2024",), days=", ".join(days), mg=", ".join(amounts))


def _call_back_or(call: dict[str, str], otherwise: Reason, plan_pk: int) -> Reason:
    """The nurse's message of a take-back or a keep back: the bottles still at home to call the person back
    for (`call`, ISO day -> mg: `TAKEN_BACK_PLAN_STOPS`), else `otherwise` (none at home)."""
    return _taken_back(TAKEN_BACK_PLAN_STOPS, call, plan_pk) if call else otherwise


def _left_with(patient: Patient, day: date) -> int | None:
    """The order of the methadone dose of `day` the bottles going home after it left with (the day's last
    standing dose's; None: no dose of that day stands)."""
    from keel.treatment.queries.doses import taken_doses

    doses = DoseRecord.objects.filter(
        patient=patient, medication=Medication.METHADONE, status=DoseStatus.GIVEN, local_date=day
    )
    return taken_doses(doses).order_by("-recorded_at", "-id").values_list("order_id", flat=True).first()
