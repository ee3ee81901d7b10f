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
the take-home doses again.

Review 24b: the record of what left the clinic is never rewritten after the fact, and every reader agrees on
what is at home.
- A bottle handed out is a fact: its day and mg are never rewritten by a later correction or a later order.
  A bottle is judged by the order in force when it LEFT (`bottle_amounts`' `left_with`, at its recorded mg),
  never re-judged at an order written after it left; a correction re-decides only bottles not yet recorded.
- At home = handed out - brought back: `queries.take_home_plans.bottles_at_home`, the one function every
  reader uses (the warnings of a new order, a QTc or a hold, the supply check, the call-back list, the
  window's and the page's record of bottles brought back). A "take back" (`bottles_taken_back`, what the
  FHIR export reads) is an instruction to call the person back for bottles still at home: they stay counted
  at home until they are recorded brought back (`returned_days`).
- Bottles brought back after a plan ended, whatever ended it, can be recorded (the window's
  `bottle_returned`, and the prescriber's end form: `take_homes.end_take_home_plan` on an ended plan).
- The call-back instruction is kept where the next shift sees it: the kept end reason says the bottles are
  still at home and the person is to be called back (`TAKEN_BACK_FROM_TODAY`), and the plan's call-back
  list (`queries.take_home_plans.call_back`: bottles at home for days the plan no longer covers) is shown
  on the medication page (`words.CALL_BACK`) and in the API (`call_back`). Words: "still at home, call
  the person back", never "taken back" for bottles in the person's hands.
- Undoing a slip (a correction down, then back up the same day) restores what the slip took back, for an
  earlier day's dose (`_undo_take_back`) as for yesterday's (`_go_on_after_kept_back`).
- A plan without recorded amounts (older plans): the bottles that left are still named (their mg: the
  order in force when they left), never "not handed out".
- A bottle of a day already past was drunk: no void nor correction asks to call the person back for it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from keel.accounts.models import User
from keel.audit.models import Action
from keel.core.decision import Reason
from keel.core.take_home_bottles import hand_out_day, run_start
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today, zone_of
from keel.treatment import words
from keel.treatment.models import (
    DoseRecord,
    DoseStatus,
    Medication,
    MedicationOrder,
    PlanEnd,
    TakeHomePlan,
    order_in_force,
)
from keel.treatment.queries import DoseContext, plan_days
from keel.treatment.services.common import _audit
from keel.treatment.services.doses.guards import Cover, DoseDay, window_verdict
from keel.treatment.services.doses.rule import BLOCKING

# The end reason kept on a plan whose run the window would not let go home (English, as every end reason).
NOT_HANDED_OUT = (
    "The bottles for {days} were not handed out: the window would not give their {mg} mg today ({why}). "
    "The person comes to the window until a prescriber re-writes the order and decides take-home doses again."
)
# Review 23b holes 2 and 3: the end reasons kept on a plan whose run did not leave the clinic because the
# dose it was to go home with no longer stands (corrected to 0 mg or voided; no hold: `_end_not_handed_out`),
# English as every end reason (the page shows it as written, beside the prescriber's). Of today's dose: the
# plan ends today, an end a dose given later today undoes (as a keep back's, `_kept_back_on`). Of an earlier
# day's dose whose run holds today or a later day: the plan ends on that dose's day, never undone by a dose.
NOTHING_GIVEN = (
    "The bottles for {days} were not handed out: no dose given today stands (corrected to 0 mg or voided). "
    "The person comes to the window until a dose given today hands them out or a prescriber decides "
    "take-home doses again."
)
VOIDED_NOT_HANDED_OUT = (
    "The bottles for {days} were not handed out: the dose of {day} they were to go home with was voided "
    "or corrected to 0 mg. The person comes to the window until a prescriber decides take-home doses again."
)
# Review 23c (lane fix23d): a correction down of an earlier day's dose whose run reaches today: the bottles
# of days before today stand (they left and were drunk); those of today and later are taken back, and the
# plan ends yesterday, the last day it covers (never earlier than today's eve), with this reason.
# Review 24b hole 6: the bottles were handed over and may still be at home: the kept reason says so and that
# the person is to be called back (the next shift reads it, and the plan's call-back list, on the page).
TAKEN_BACK_FROM_TODAY = (
    "The bottles for {days} were handed over and are still at home until brought back: call the person back "
    "to bring them in. The dose of {day} they went home with was corrected to a total after which the window "
    "would not give their {mg} mg ({why}). The bottles of earlier days stand. The person comes to the window "
    "until a prescriber re-writes the order and decides take-home doses again."
)
# Lane bot25 (review 24c hole 2): the same keep back when the run's bottles had already been handed out with
# the dose now corrected down (today's or yesterday's): they are still at home, and the person is called back
# (the plan's call-back list, `queries.call_back`, names them until they are recorded brought back).
KEPT_BACK_AT_HOME = (
    "The bottles for {days} were handed over and are still at home until brought back: call the person back "
    "to bring them in. The dose of {day} they went home with was corrected, and after it the window would "
    "not give their {mg} mg ({why}). The person comes to the window until a prescriber re-writes the order "
    "and decides take-home doses again."
)
ALL_BACK_FROM_TODAY = (
    "The bottles for {days} were brought back: the dose of {day} they went home with was corrected to a "
    "total after which the window would not give their {mg} mg ({why}). The bottles of earlier days stand. "
    "The person comes to the window until a prescriber re-writes the order and decides take-home doses again."
)
# Review 22t hole 6: a plan a prescriber (or a hold) had already ended after today, kept back today: the
# earlier end is kept in the reason, and such a plan is never resumed by a later part (its end stays today).
EARLIER_END = " The plan had been ended before from {day} on: {reason}"
# The reasons a dose's check carries of the bottles that went home with it, or did not (the dose row shows
# them; the page in the reader's language).
HANDED_OUT = N_("Take-home bottles handed out with this dose: %(bottles)s.")
KEPT_BACK = N_(
    "Take-home bottles for %(days)s not handed out: the window would not give their %(mg)s mg today. The "
    "take-home plan stops; a prescriber re-writes the order and decides take-home doses again."
)

KEPT_BACK_WHY = N_("the window's verdict on this dose today blocks it")
# Review 22o holes 3 and 4: a QTc or a hold while bottles are at home names them (nothing at home is
# changed: the bottles are in the person's hands; a person acts on them).
AT_HOME_AFTER_QTC = N_(
    "Take-home bottles at home: %(bottles)s. After this QTc the window may not give their dose: tell the "
    "prescriber, and call the person back to bring or swap the bottles before those days."
)
AT_HOME_AFTER_HOLD = N_(
    "Take-home bottles at home: %(bottles)s, with a person held today for sedation or intoxication: tell "
    "the prescriber now, and ask the person to bring the bottles back before those days."
)
# Review 22t hole 4: bottles the record had handed out, taken back by a change of the day's total (a dose
# corrected to 0 or voided; a correction down, or a later part, after which the window would not give them):
# they may be in the person's hands, so the nurse is told which, their mg and whom to call. Review 23c (not
# reached; lane bot24): nothing given stands, so the plan's end says the run was not handed out
# (`NOTHING_GIVEN`, `VOIDED_NOT_HANDED_OUT`: a dose recorded in error, she never came) while the nurse was
# told "already handed over": one sentence, true whether or not the bottles left the clinic.
TAKEN_BACK = N_(
    "The take-home bottles for %(days)s (%(mg)s mg) were recorded as handed out with this dose and are no "
    "longer covered by it: the record takes them back, so if they left the clinic call the person back to "
    "bring them in, and tell the prescriber."
)
TAKEN_BACK_PLAN_STOPS = N_(
    "The take-home bottles for %(days)s (%(mg)s mg), already handed over, are no longer covered by this "
    "dose: the window would not give their dose after it, so the record takes them back and the take-home "
    "plan stops. Call the person back to bring them in, and tell the prescriber, who decides take-home "
    "doses again."
)
# Review 24b hole 7: a correction down after which the window would not give the run, whose bottles from
# today on were all brought back already: nobody to call.
PLAN_STOPS_ALL_BACK = N_(
    "The take-home bottles for %(days)s were brought back already; the window would not give their dose "
    "after this correction, so the take-home plan stops. Tell the prescriber, who decides take-home doses "
    "again."
)
# Review 24b hole 3: the correction that took bottles back is undone the same day (a slip corrected back).
TAKE_BACK_UNDONE = N_(
    "The take-home bottles for %(days)s are covered by this dose again: the take-home plan goes on, and "
    "nobody needs to call the person back for them."
)
# the dosing page tells the nurse these with the dose given; the medication page with a correction
BOTTLE_REASONS = (
    HANDED_OUT,
    KEPT_BACK,
    TAKEN_BACK,
    TAKEN_BACK_PLAN_STOPS,
    AT_HOME_AFTER_HOLD,
    PLAN_STOPS_ALL_BACK,
    TAKE_BACK_UNDONE,
)
KEPT_BACK_BEFORE = timedelta(microseconds=1)  # a kept-back plan's end, before the dose's instant


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
) -> tuple[dict[str, str], tuple[date, Decimal, Reason] | None]:
    """The mg each bottle of `days` holds (ISO day -> decimal text): the dose of the methadone order in force
    on its day (else today's), and the first bottle the window's verdict would block (its day, its mg and
    the window's reason; None: none is). `given`: the level already given, as the window reads it (the last
    observed day's total, or today's with the dose just given); `ctx`: today's dose context as the window
    read it (`bottle_verdict`). Review 24b hole 1: bottles that already left the clinic (`left_with`: the
    order of the dose they went with) are judged by the orders written by then (`orders_by`), never one
    written after; a bottle whose mg was `recorded` when it left is judged at that mg (what it holds) and
    keeps it."""
    orders = list(MedicationOrder.objects.filter(patient=patient, medication=Medication.METHADONE))
    if left_with is not None:
        orders = [o for o in orders if o.pk <= left_with] or orders
    amounts: dict[str, str] = {}
    for day in sorted(days):
        order = order_in_force(orders, day) or order_in_force(orders, today)
        if order is None:
            continue
        kept = (recorded or {}).get(day.isoformat())
        mg = Decimal(kept) if kept is not None else order.dose_mg
        reason = bottle_verdict(patient, order, ctx, today, now, mg, given, dosed_today)
        if reason is not None:
            return amounts, (day, mg, reason)
        amounts[day.isoformat()] = kept if kept is not None else str(order.dose_mg)
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


def _kept_back_on(plan: TakeHomePlan, today: date) -> bool:
    """A plan ended today by the keep back itself (`_keep_back`) or by nothing given today
    (`_nothing_given_on`), nothing else, with a run from today to hand out: review 22t holes 3 and 6, an end
    a prescriber or a hold set, or one written over an earlier end (`EARLIER_END`), is never resumed. Read
    from the plan's stored end kind (`TakeHomePlan.end_kind`, session 24), never from its English reason."""
    if plan.ended_on != today or plan.ended_by_id is None:
        return False
    if plan.end_kind not in (PlanEnd.KEPT_BACK, PlanEnd.NOTHING_GIVEN):
        return False
    return bool(_run_unended(plan, today))


def _nothing_given_on(plan: TakeHomePlan, today: date) -> bool:
    """A plan ended on `today` by nothing given that day (`_end_not_handed_out`, `NOTHING_GIVEN`; no earlier
    end carried), with a run from today to hand out: its stored end kind (`PlanEnd.NOTHING_GIVEN`)."""
    if plan.ended_on != today or plan.ended_by_id is None or plan.end_kind != PlanEnd.NOTHING_GIVEN:
        return False
    return bool(_run_unended(plan, today))


def goes_home_at_a_dose_today(plan: TakeHomePlan, today: date) -> bool:
    """Review 23b hole 3 beside review 22t hole 1: the plan ended today because nothing given today stands
    (`NOTHING_GIVEN`), the end a dose given later today undoes: its run due to go home today can still go
    home (FHIR sends its bottles as `preparation`, as a standing plan's, `interop.fhir.treatment`)."""
    return _nothing_given_on(plan, today)


def kept_back_today(plan: TakeHomePlan, today: date) -> bool:
    """Review 23b hole 4: the plan's end is today's keep back (`_kept_back_on`), the one end a later dose
    today undoes: a prescriber may still end such a plan (`take_homes.end_take_home_plan`; their end and
    reason replace the keep back, so it is never resumed), and the medication page offers the form."""
    return _kept_back_on(plan, today)


def redecide_bottles(
    by: User,
    patient: Patient,
    plans: list[TakeHomePlan],
    today: date,
    now: datetime,
    total: Decimal,
    ctx: DoseContext,
) -> tuple[Reason, ...]:
    """Review 22o: the one decision of the bottles going home after a day, made again at every change of
    that day's given methadone total (`total`: the doses standing, as corrected; a dose, a split dose's
    later part, a correction up or down, a void; review 22t hole 5: of that day's dose whatever the day,
    `today` the dose's day and `ctx` that day's context as the window read it, `now` the change's instant):
    the run starting the next day is judged by the window's verdict against that total (`bottle_amounts`,
    never the higher of the day before and the day). Nothing given (0): the run's bottles are taken back
    (`TAKEN_BACK`) and, no hold ending it, its plan ends before the run (`_end_not_handed_out`, review 23b
    holes 2 and 3). Judged and allowed: recorded at their mg (a plan kept back earlier that day at a lower
    total goes on again). Blocked: taken back and the plan stops (`TAKEN_BACK_PLAN_STOPS` when they had been
    handed out, else `KEPT_BACK`). A bottle taken back is kept as such on its plan (`_set_bottles`,
    `TakeHomePlan.bottles_taken_back`). Review 23c: a correction of an earlier day's dose that leaves a total
    above 0 (up or down) never touches a run wholly past (every bottle day before today): its bottles left
    the clinic and were drunk, the record of what left is never rewritten, the plan (and its later runs, a
    prescriber's) stands, and the nurse is told nothing about calling back. A run reaching today or later is
    judged as above (allowed: recorded at their mg). Blocked, when the run starts today or later (the dose
    was today's or yesterday's): taken back, `TAKEN_BACK_PLAN_STOPS`, call the person back; the plan stops
    on the dose's day as a keep back stops it. Blocked, when the run began before today and reaches today
    (lane fix23d): the bottles of days before today stand as recorded (they left the clinic and were
    drunk; what left is never rewritten); those of today and later are taken back (`bottles_taken_back`,
    `TAKEN_BACK_PLAN_STOPS` naming only them, call the person back), and the plan ends yesterday
    (`_take_back_from_today`, `TAKEN_BACK_FROM_TODAY`): never earlier, so the days gone stay take-home
    days, and today on are clinic days for every reader of `plan_days` (the window, the medication page,
    the API, FHIR). Inside the change's transaction, under the person's lock. Returns
    the reasons the dose's check carries and the correction tells (`amend_dose`)."""
    said: list[Reason] = []
    not_out: list[tuple[TakeHomePlan, list[date]]] = []  # nothing given: runs that did not leave
    zone = zone_of(patient)
    real_today = local_today(patient, now)
    for plan in plans:
        if _not_judged_on(plan, today, zone):
            continue
        if _kept_back_on(plan, today):
            said.extend(_after_keep_back(by, patient, plan, today, now, total, ctx))
            continue
        if today < real_today and _taken_back_from(plan, today, real_today):
            said.extend(_undo_take_back(by, patient, plan, today, now, total, ctx))
            continue  # review 24b hole 3: the slip's take-back, undone when the total lets the run go
        run = run_from(plan, today)
        if today < real_today and total > 0 and plan.ended_on is not None and plan.ended_on > today:
            # review 24b hole 8: the run that left at that day's dose, whatever ended the plan since
            run = _run_unended(plan, today)
        if not run:
            continue
        had, rest = _run_recorded(plan, run)
        if total <= 0:
            not_out.append((plan, run))
            said.extend(_take_back_nothing_given(by, patient, plan, had, rest, real_today))
            continue
        said.extend(_judge_run(by, patient, plan, run, had, rest, today, now, total, ctx))
    if total <= 0:
        _end_after_hold(by, patient, plans, today, now)
        _end_not_handed_out(by, patient, not_out, today, now)
    return tuple(said)


def take_back_after_end(by: User, patient: Patient, today: date, now: datetime) -> tuple[Reason, ...]:
    """Review 25c hole 4: nothing given stands on `today` (the dose's day: a void, a correction to 0 mg),
    and a plan that ended since (a prescriber's end, any end: `redecide_bottles` judges only the run of a
    plan that still covers it; one it took back is not taken back twice) holds as handed out the run that
    went home with that day's dose: its bottles
    are taken back as a standing plan's are (`_take_back_nothing_given`: `bottles_taken_back`, audited, the
    nurse told to call back), so every reader tells the same story of them whichever came first, the end or
    the void (FHIR `entered-in-error`, the call-back list's "maybe", `recorded_as_left(maybe=True)`). The
    plan's end is left as it was."""
    real_today = local_today(patient, now)
    said: list[Reason] = []
    ended = TakeHomePlan.objects.filter(patient=patient, ended_on__isnull=False)
    for plan in ended.order_by("decided_at", "id"):
        run = _run_unended(plan, today)
        if run:
            had, rest = _run_recorded(plan, run)
            said.extend(_take_back_nothing_given(by, patient, plan, had, rest, real_today))
    return tuple(said)


def _not_judged_on(plan: TakeHomePlan, today: date, zone: ZoneInfo) -> bool:
    """`redecide_bottles`' first step: a plan ended before `today` (the dose's day) hands nothing out at it,
    nor does a plan decided after that day (a correction of an earlier day's dose: its first run went home at
    the decision, `take_home_bottles.handed_out`)."""
    if plan.ended_on is not None and plan.ended_on < today:
        return True
    return plan.decided_at.astimezone(zone).date() > today


def _after_keep_back(
    by: User,
    patient: Patient,
    plan: TakeHomePlan,
    today: date,
    now: datetime,
    total: Decimal,
    ctx: DoseContext,
) -> list[Reason]:
    """A plan kept back on `today` (`_kept_back_on`) goes on when the day's total now lets its run go home
    (`_go_on_after_kept_back`); a "nothing given" end of an earlier day is undone only by a dose given that
    day, never by a correction."""
    if today == local_today(patient, now) or not _nothing_given_on(plan, today):
        return _go_on_after_kept_back(by, patient, plan, today, now, total, ctx)
    return []


def _run_recorded(plan: TakeHomePlan, run: list[date]) -> tuple[dict[str, str], dict[str, str]]:
    """The plan's record of bottles handed out, split: the run's days in it (ISO day -> mg) and the rest."""
    recorded = dict(plan.bottle_mg or {})
    isos = [d.isoformat() for d in run]
    had = {iso: recorded[iso] for iso in isos if iso in recorded}
    rest = {iso: mg for iso, mg in recorded.items() if iso not in isos}
    return had, rest


def _take_back_nothing_given(
    by: User,
    patient: Patient,
    plan: TakeHomePlan,
    had: dict[str, str],
    rest: dict[str, str],
    real_today: date,
) -> list[Reason]:
    """Nothing given on the day stands (a void, a correction to 0): the run's bottles recorded as handed
    out are taken back, audited, and the nurse is told (`TAKEN_BACK`); the plan's end follows the loop
    (`_end_after_hold`, `_end_not_handed_out`)."""
    if not had:
        return []
    _set_bottles(plan, rest)
    _audit(
        by,
        patient,
        Action.UPDATE,
        "take_home_plan",
        plan.pk,
        reason="bottles taken back: the dose they went home with was voided",
        detail={"bottles": sorted(had), "mg": [had[d] for d in sorted(had)]},
    )
    # review 24b: a bottle of a day already past was drunk, one brought back is on the shelf: the nurse
    # calls back for neither
    back = set(plan.returned_days or [])
    call = {iso: mg for iso, mg in had.items() if iso >= real_today.isoformat() and iso not in back}
    return [_taken_back(TAKEN_BACK, call)] if call else []


def _judge_run(
    by: User,
    patient: Patient,
    plan: TakeHomePlan,
    run: list[date],
    had: dict[str, str],
    rest: dict[str, str],
    today: date,
    now: datetime,
    total: Decimal,
    ctx: DoseContext,
) -> list[Reason]:
    """A day's total above 0: the run is judged by the window's verdict against it (`bottle_amounts`) and
    its bottles not yet recorded are recorded at their mg (review 24b hole 1: bottles already handed out
    keep their mg and are judged by the order in force when they left), or, blocked, taken back from today
    (a run that began before today, `_take_back_from_today`) or kept back (`_keep_back`, the call-back
    naming the bottles at home: review 24b holes 4 and 7); a run wholly past is never touched (review
    23c)."""
    real_today = local_today(patient, now)
    if today < real_today and run[-1] < real_today:
        return []  # review 23c: a run wholly past left the clinic and was drunk; its record stands
    recorded = {**rest, **had}
    left_with = _left_with(patient, today) if had else None
    amounts, blocked = bottle_amounts(
        patient, run, today, total, ctx, now, True, left_with=left_with, recorded=had
    )
    if blocked is None:
        new = {iso: mg for iso, mg in amounts.items() if iso not in had}
        if new:
            _set_bottles(plan, {**recorded, **new})
            return [_handed_out(new)]
        return []
    if run[0] < real_today:  # lane fix23d: the run began before today, reaches today
        return [_take_back_from_today(by, patient, plan, run, today, now, blocked)]
    back = set(plan.returned_days or [])
    if today < real_today:  # review 24b holes 4 and 7: what left with yesterday's dose and is at home
        from keel.treatment.queries.take_home_plans import bottles_at_home

        home = bottles_at_home(patient, real_today).get(plan.pk, {})
        call = {d.isoformat(): str(mg) for d, mg in home.items() if d in run}
    else:
        call = {iso: mg for iso, mg in had.items() if iso not in back}
    if had or call:  # review 25c hole 2: the hand-out taken back is recorded, silent record or not
        _set_bottles(plan, rest, left=call)
    kept = _keep_back(by, patient, plan, run, today, now, blocked, home=call)
    return [_taken_back(TAKEN_BACK_PLAN_STOPS, call) if call else kept]


def _end_not_handed_out(
    by: User, patient: Patient, not_out: list[tuple[TakeHomePlan, list[date]]], day: date, now: datetime
) -> None:
    """Review 23b holes 2 and 3: nothing given on `day` stands (its dose corrected to 0 or voided) and no
    hold ended the plans (`_end_after_hold`): each plan whose run was due to go home at that day's dose
    (`not_out`, from `redecide_bottles`, the one decision of every change of a day's total, whichever day)
    ends on `day`, before the run's first day, as the run did not leave the clinic:
    - `day` is today (`NOTHING_GIVEN`): a dose given later today undoes this end as it undoes a keep back
      (`_go_on_after_kept_back`: not after a hold today, nor over a prescriber's end);
    - an earlier day (`VOIDED_NOT_HANDED_OUT`): only when the run holds today or a later day (those are clinic
      days; a run wholly past is left as it is, only its record of the bottles taken back), and never undone
      by a dose.
    An end already on or before `day` stands (a hold, a keep back, a prescriber); a later one (a
    prescriber's) is kept in the reason, never undone.

    Why end the plan rather than make the window read the bottle record: a take-home day has ONE
    definition, a day a plan covers (`queries.plan_days`, with a bottle of an ended plan still in the
    person's hands, `held_bottles`), read by the window (`ctx.take_home_days`, `take_home_day_problem`),
    the medication page, the API and FHIR. A day whose bottle never left the clinic is a clinic day, so the
    plan stops covering it, as a hold and a keep back stop it: every reader then says the same, and nothing
    counts a bottle recorded as handed out that never was. A run whose hand-out day passed with no dose at
    all has no write to end its plan: the same end is derived on read (`queries.as_handed_out`, session
    24)."""
    today = local_today(patient, now)
    for plan, run in not_out:
        if plan.ended_on is not None and plan.ended_on <= day:
            continue
        if day < today and run[-1] < today:
            continue  # a run wholly past: its bottles' days are gone, the plan stands
        days = ", ".join(d.isoformat() for d in run)
        if day >= today:
            text, kind = NOTHING_GIVEN.format(days=days), PlanEnd.NOTHING_GIVEN
            reason = "bottles not handed out: no dose given today"
        else:
            text, kind = VOIDED_NOT_HANDED_OUT.format(days=days, day=day.isoformat()), PlanEnd.VOIDED
            reason = "bottles not handed out: the dose they were to go home with was voided"
        _end_keeping_earlier(plan, by, day, now, text, kind)
        _audit(
            by,
            patient,
            Action.UPDATE,
            "take_home_plan",
            plan.pk,
            reason=reason,
            detail={"bottles": [d.isoformat() for d in run], "dose_day": day.isoformat()},
        )


def _end_keeping_earlier(
    plan: TakeHomePlan, by: User, last: date, at: datetime, text: str, kind: PlanEnd
) -> None:
    """The plan ends after `last` (its last covered day), by `by` at `at`, with `text` as its reason and
    `kind` as its stored end kind, saved (the caller audits it): an end it already had (a prescriber's later
    one, review 22t hole 6) is kept in the reason (`EARLIER_END`) and the kind says so
    (`PlanEnd.AFTER_EARLIER_END`: never undone). The one end of a keep back (`_keep_back`), of nothing given
    (`_end_not_handed_out`) and of a take back from today (`_take_back_from_today`)."""
    earlier = plan.ended_on, plan.end_reason
    plan.ended_on, plan.ended_by, plan.ended_at = last, by, at
    plan.end_reason, plan.end_kind = text, kind
    if earlier[0] is not None:
        from_day = earlier[0] + timedelta(days=1)
        plan.end_reason += EARLIER_END.format(day=from_day.isoformat(), reason=earlier[1] or "")
        plan.end_kind = PlanEnd.AFTER_EARLIER_END
    plan.save(update_fields=["ended_on", "ended_by", "ended_at", "end_reason", "end_kind"])


def _end_after_hold(
    by: User, patient: Patient, plans: list[TakeHomePlan], today: date, now: datetime
) -> None:
    """Review 22t hole 7: nothing given today after a hold (a dose corrected to 0 or voided after the hold
    kept the run covered because a dose stood): the plans end as the hold ends them when no dose was
    given (`suspend_take_home_plans`, the other order of the same events), so no day stays covered with
    no bottle."""
    from keel.treatment.queries.contexts import hold_open_today
    from keel.treatment.services.take_homes import suspend_take_home_plans

    if not hold_open_today(patient, today):
        return
    if suspend_take_home_plans(by=by, patient=patient, held_on=today, now=now):
        for plan in plans:
            plan.refresh_from_db(fields=["ended_on", "ended_by", "ended_at", "end_reason", "end_kind"])


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


def _handed_out(amounts: dict[str, str]) -> Reason:
    shown = "; ".join(f"{day} {Decimal(mg).normalize():f} mg" for day, mg in sorted(amounts.items()))
    return Reason.said(HANDED_OUT, ("42cfr8.12-2024",), bottles=shown)


def _taken_back(template: str, had: dict[str, str]) -> Reason:
    """The words of bottles recorded as handed out that the record takes back (`TAKEN_BACK`,
    `TAKEN_BACK_PLAN_STOPS`): their days, and their mg (each distinct amount once, in day order)."""
    days = sorted(had)
    amounts: list[str] = []
    for iso in days:
        mg = f"{Decimal(had[iso]).normalize():f}"
        if mg not in amounts:
            amounts.append(mg)
    return Reason.said(template, ("42cfr8.12-2024",), days=", ".join(days), mg=", ".join(amounts))


def _go_on_after_kept_back(
    by: User,
    patient: Patient,
    plan: TakeHomePlan,
    today: date,
    now: datetime,
    total: Decimal,
    ctx: DoseContext,
) -> list[Reason]:
    """A plan kept back earlier today (its run judged at a lower total, e.g. a split dose's first part) goes
    on when today's total now lets its run go home; else it stays ended."""
    if total <= 0 or _resume_refused(patient, plan, today):
        return []
    ended = (plan.ended_on, plan.ended_by, plan.ended_at, plan.end_reason, plan.end_kind)
    plan.ended_on, plan.ended_by, plan.ended_at, plan.end_reason, plan.end_kind = None, None, None, "", ""
    run = run_from(plan, today)
    amounts, blocked = bottle_amounts(patient, run, today, total, ctx, now, True) if run else ({}, None)
    if not run or blocked is not None:
        plan.ended_on, plan.ended_by, plan.ended_at, plan.end_reason, plan.end_kind = ended
        return []
    plan.save(update_fields=["ended_on", "ended_by", "ended_at", "end_reason", "end_kind"])
    _set_bottles(plan, {**(plan.bottle_mg or {}), **amounts})
    _audit(
        by,
        patient,
        Action.UPDATE,
        "take_home_plan",
        plan.pk,
        reason="bottles handed out: the day's total changed",
        detail={"bottles": sorted(amounts), "mg": [amounts[d] for d in sorted(amounts)]},
    )
    return [_handed_out(amounts)]


def _resume_refused(patient: Patient, plan: TakeHomePlan, today: date) -> bool:
    """Review 22t hole 3: a kept-back plan is not resumed after a hold today (review 23b hole 1: released or
    not, `held_today`), nor when another plan of the person covers a day of its run (a prescriber decided
    take-home doses again: no double supply)."""
    if held_today(patient, today):
        return True
    run = set(_run_unended(plan, today))
    others = TakeHomePlan.objects.filter(patient=patient).exclude(pk=plan.pk)
    return any(run & plan_days(other) for other in others)


def held_today(patient: Patient, today: date) -> bool:
    """Review 23b hole 1: a dose of any medication held today (sedation, intoxication), released or not. A
    hold ends the take-home plans (`suspend_take_home_plans`) and releasing it does not bring them back (a
    prescriber decides take-home doses again), so no plan kept back today is resumed after a hold today."""
    return DoseRecord.objects.filter(patient=patient, local_date=today, status=DoseStatus.HELD).exists()


def _keep_back(
    by: User,
    patient: Patient,
    plan: TakeHomePlan,
    run: list[date],
    today: date,
    now: datetime,
    blocked: tuple[date, Decimal, Reason],
    *,
    home: dict[str, str] | None = None,
) -> Reason:
    """The run is not handed out: the plan ends today, just before `now` (review 22n hole 5), audited.
    `home`: the run's bottles already handed out with the dose of `today` and not brought back (ISO day ->
    mg; a correction down after they left): the kept reason says they are still at home and the person is
    to be called back (`KEPT_BACK_AT_HOME`, lane bot25, review 24c hole 2), never "not handed out"."""
    _day, mg, reason = blocked
    days = ", ".join(d.isoformat() for d in run)
    text = NOT_HANDED_OUT.format(days=days, mg=f"{mg.normalize():f}", why=reason.text)
    if home:
        text = KEPT_BACK_AT_HOME.format(
            days=", ".join(sorted(home)), day=today.isoformat(), mg=f"{mg.normalize():f}", why=reason.text
        )
    _end_keeping_earlier(plan, by, today, now - KEPT_BACK_BEFORE, text, PlanEnd.KEPT_BACK)  # review 22t: 6
    _audit(
        by,
        patient,
        Action.UPDATE,
        "take_home_plan",
        plan.pk,
        reason="bottles not handed out: the window would not give their dose",
        detail={"bottles": [d.isoformat() for d in run], "mg": str(mg)},
    )
    return Reason.said(KEPT_BACK, (*reason.sources, "42cfr8.12-2024"), days=days, mg=f"{mg.normalize():f}")


def _take_back_from_today(
    by: User,
    patient: Patient,
    plan: TakeHomePlan,
    run: list[date],
    day: date,
    now: datetime,
    blocked: tuple[date, Decimal, Reason],
) -> Reason:
    """Lane fix23d: a correction of the dose of `day` (before yesterday) blocks its run, which began before
    today and reaches today: the bottles of days before today stand; those of today and later are taken back
    and the plan ends yesterday (a later end, a prescriber's, kept in the reason), audited. Review 24b: the
    bottles of today and later that are at home (`bottles_at_home`: handed out with that dose and not
    brought back, recorded or not, whatever ended the plan since; holes 4, 7 and 8) are named in the
    call-back (`TAKEN_BACK_PLAN_STOPS`) and in the kept reason (`TAKEN_BACK_FROM_TODAY`); they stay at home
    for every reader until recorded brought back. None at home: `PLAN_STOPS_ALL_BACK`."""
    from keel.treatment.queries.take_home_plans import bottles_at_home

    _day, mg, reason = blocked
    today = local_today(patient, now)
    ahead = [d for d in run if d >= today]
    home = {d: held for d, held in bottles_at_home(patient, today).get(plan.pk, {}).items() if d in ahead}
    recorded = dict(plan.bottle_mg or {})
    back = set(plan.returned_days or [])
    had = {d.isoformat(): recorded[d.isoformat()] for d in ahead if d.isoformat() in recorded}
    had = {iso: held for iso, held in had.items() if iso not in back}
    left = {d.isoformat(): str(held) for d, held in home.items()}
    if had or left:  # review 25c hole 2: the hand-out taken back is recorded, silent record or not
        _set_bottles(plan, {iso: held for iso, held in recorded.items() if iso not in had}, left=left)
    days = ", ".join(d.isoformat() for d in sorted(home)) if home else ", ".join(d.isoformat() for d in ahead)
    template = TAKEN_BACK_FROM_TODAY if home else ALL_BACK_FROM_TODAY
    text = template.format(days=days, day=day.isoformat(), mg=f"{mg.normalize():f}", why=reason.text)
    _end_keeping_earlier(plan, by, today - timedelta(days=1), now, text, PlanEnd.TAKEN_BACK)
    _audit(
        by,
        patient,
        Action.UPDATE,
        "take_home_plan",
        plan.pk,
        reason="bottles taken back: the dose they went home with was corrected down",
        detail={
            "bottles": [d.isoformat() for d in ahead],
            "still_at_home": [d.isoformat() for d in sorted(home)],
            "dose_day": day.isoformat(),
        },
    )
    if home:
        return _taken_back(TAKEN_BACK_PLAN_STOPS, {d.isoformat(): str(held) for d, held in home.items()})
    return Reason.said(PLAN_STOPS_ALL_BACK, (*reason.sources, "42cfr8.12-2024"), days=days)


def _left_with(patient: Patient, day: date) -> int | None:
    """The order of the methadone dose of `day` the bottles going home after it left with (the day's last
    standing dose's; None: no dose of that day stands)."""
    from keel.treatment.queries.doses import taken_doses

    doses = DoseRecord.objects.filter(
        patient=patient, medication=Medication.METHADONE, status=DoseStatus.GIVEN, local_date=day
    )
    return taken_doses(doses).order_by("-recorded_at", "-id").values_list("order_id", flat=True).first()


def _taken_back_from(plan: TakeHomePlan, day: date, today: date) -> bool:
    """Review 24b hole 3: the plan's end is today's take-back of the run that left at the dose of `day`
    (`_take_back_from_today`: ended yesterday, today, its stored kind `PlanEnd.TAKEN_BACK`, and today's
    bottle day in the run handed out at `day`'s dose; an end carrying an earlier one, a prescriber's,
    `PlanEnd.AFTER_EARLIER_END`, is never undone). Read from the stored kind, never the English reason
    (bot24 item 4)."""
    if plan.ended_on != today - timedelta(days=1) or plan.ended_by_id is None or plan.ended_at is None:
        return False
    zone = zone_of(plan.patient)
    if plan.ended_at.astimezone(zone).date() != today or plan.end_kind != PlanEnd.TAKEN_BACK:
        return False
    bottles = {date.fromisoformat(iso) for iso in plan.bottles or []}
    return today in bottles and hand_out_day(today, bottles, plan.decided_at.astimezone(zone).date()) == day


def _undo_take_back(
    by: User,
    patient: Patient,
    plan: TakeHomePlan,
    day: date,
    now: datetime,
    total: Decimal,
    ctx: DoseContext,
) -> list[Reason]:
    """Review 24b hole 3: a correction of the dose of `day` after which the window gives again the run that
    left with it undoes the same day's take-back (`_take_back_from_today`), as `_go_on_after_kept_back`
    undoes yesterday's: the plan stands again and the bottles taken back are handed out again at the mg they
    left with (judged by the order in force when they left). Not after a hold today, nor when another plan
    covers a day of the run (`_resume_refused`)."""
    today = local_today(patient, now)
    if total <= 0 or held_today(patient, today) or _resume_refused(patient, plan, day):
        return []
    run = _run_unended(plan, day)
    taken = dict(plan.bottles_taken_back or {})
    kept = {
        **{d.isoformat(): taken[d.isoformat()] for d in run if d.isoformat() in taken},
        **(plan.bottle_mg or {}),
    }
    had = {d.isoformat(): kept[d.isoformat()] for d in run if d.isoformat() in kept}
    _amounts, blocked = bottle_amounts(
        patient, run, day, total, ctx, now, True, left_with=_left_with(patient, day), recorded=had
    )
    if not run or blocked is not None:
        return []
    plan.ended_on, plan.ended_by, plan.ended_at, plan.end_reason = None, None, None, ""
    plan.save(update_fields=["ended_on", "ended_by", "ended_at", "end_reason"])
    _set_bottles(plan, kept)
    ahead = [d.isoformat() for d in run if d >= today]
    _audit(
        by,
        patient,
        Action.UPDATE,
        "take_home_plan",
        plan.pk,
        reason="bottles handed out: the day's total changed",
        detail={"bottles": ahead, "dose_day": day.isoformat()},
    )
    return [Reason.said(TAKE_BACK_UNDONE, ("42cfr8.12-2024",), days=", ".join(ahead))]


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
    return redecide_bottles(by, patient, plans, today, now, given or Decimal(0), ctx)
