"""A second opioid agonist the same day at the window (review 19a): methadone after buprenorphine given here
today waits for a prescriber's switch override for the day (`keel.core.rules.agonists`, the one rule; the
reverse is the buprenorphine start gate's)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from keel.accounts.models import User
from keel.audit.models import Action, Outcome
from keel.core.decision import Decision, Reason
from keel.core.rules.agonists import (
    low_dose_fill_day,
    planned_overlap,
    planned_steps,
    second_agonist,
    switch_covered,
    within_switch_hours,
)
from keel.core.rules.base import NoPolicy
from keel.core.rules.methadone import DOSE_CHECK
from keel.patients.models import Patient
from keel.treatment.models import (
    DoseOverride,
    DoseRecord,
    Medication,
    MedicationOrder,
    OverrideKind,
    in_force_q,
)
from keel.treatment.queries import DoseContext, effective_mg
from keel.treatment.queries.blockade import blockade_of, joined
from keel.treatment.queries.policy import effective_policy
from keel.treatment.readiness import LastUses, read_last_uses
from keel.treatment.services.common import DoseBlocked, _audit
from keel.treatment.services.start import low_dose_problem, low_dose_step, step_days


def second_agonist_gate(
    *,
    by: User,
    patient: Patient,
    medication: str,
    ctx: DoseContext,
    today: date,
    at: datetime,
    held: bool,
    now: datetime | None = None,
) -> tuple[Reason, ...]:
    """Nothing unless a dose of methadone at `at` comes within the person's `switch_hours` (program policy,
    `methadone-dose-check`, with a prescriber's override for the person) of buprenorphine given here and
    taken (its time given, else recorded: `agonists.within_switch_hours`, review 22m: 23:30 and 00:30 the
    next day are an hour apart; the context read with the other medications of the days that cover the
    policy's ceiling: `ctx.others_taken_recently`, `agonists.SWITCH_LOOKBACK_DAYS`), outside a low-dose
    buprenorphine start, with no switch override of the prescriber's for today; then the denial is audited
    and DoseBlocked says why, with the hours. A hold gives nothing: it passes (it must reach a prescriber).
    Review 36f hole 2: buprenorphine is read as the readiness reads its last use, the one definition
    (`readiness.read_last_uses`: a pharmacy fill in hand through its supply, a reported use, a dose given
    here): one not given here within the hours is a second agonist too, unless it is a pharmacy fill of the
    low-dose start's own order on its schedule's days (lane fix37c item 1, `_planned_fill`: the overlap
    that order plans). Reads nothing more (not even the policy) when the record knows no buprenorphine. Lane
    fix36j (re-attack 36j): buprenorphine listed with its time not known counts as within the hours (item 3)
    unless it became unknown the hours or more before `at` (lane fix36n, `_maybe_within`), and the last uses
    are those typed in by the dose's recording, `now` (item 4, lane fix36a's `entered_by`). Lane fix37h
    (re-attack 37m item 1): every buprenorphine source within the hours is read, not only the latest (a
    fill in hand through now hid a street use reported hours ago): the person's own latest as told
    (`LastUses.told`), each fill (`LastUses.fills`), the doses given here (`ctx`); the planned overlap covers
    the fill only, so a told use within the hours still needs the switch override. Returns the
    reasons a dose that passes on a cover carries (lane fix37c): the low-dose fill's planned overlap, a
    prescriber's switch override for today (`agonists.switch_covered`, item 3); () otherwise."""
    if held or medication != Medication.METHADONE:
        return ()
    decision, covers = second_agonist_read(patient, ctx, today, at, now)
    if decision is None:
        return covers
    _audit(
        by,
        patient,
        Action.DENIED,
        "dose",
        outcome=Outcome.DENIED,
        reason="guard rail: a second opioid agonist the same day",
    )
    raise DoseBlocked(decision)


def second_agonist_read(
    patient: Patient,
    ctx: DoseContext,
    today: date,
    at: datetime,
    now: datetime | None,
    *,
    switch: bool = True,
) -> tuple[Decision[NoPolicy] | None, tuple[Reason, ...]]:
    """The one reading of buprenorphine beside methadone at `at` on `today` (`second_agonist_gate`'s, which
    see): the rule's refusal (None: none) and the reasons of a cover the dose passes on. Lane fix37k
    (re-attack 37n item 1): a take-home bottle's verdict reads it too, on the bottle's day
    (`bottles.hand_out.bottle_verdict`), with `switch` False: a day's switch override never covers a
    bottle. Item 2 (re-attack 37n item 3): a time not known beside an ordinary fill in hand is refused
    naming the fill (the time recorded would not release the dose), not the time."""
    agonists = (Medication.METHADONE, Medication.BUPRENORPHINE)
    recent = [d for d in ctx.others_taken_recently if d.medication in agonists]
    uses = read_last_uses(patient, at, entered_by=now)
    told = uses.told.get(Medication.BUPRENORPHINE)
    if not recent and told is None and not uses.fills:
        return None, ()
    hours = float(effective_policy(patient, DOSE_CHECK)["switch_hours"])
    taken = [d for d in recent if within_switch_hours(d.given_at or d.recorded_at, at, hours=hours)]
    unknown = told is not None and told.at is None and _maybe_within(uses, at, hours)
    said = told is not None and told.at is not None and within_switch_hours(told.at, at, hours=hours)
    filled = any(within_switch_hours(f.until, at, hours=hours) for f in uses.fills)
    elsewhere = unknown or said or filled
    if not taken and not elsewhere:
        return None, ()
    overlap = _planned_fill(patient, uses, at, today, hours) if filled else None
    planned = overlap if not (unknown or said) else None
    decision, documented = _switch_decision(
        patient,
        today,
        taken,
        elsewhere=elsewhere,
        hours=hours,
        unknown=unknown and not (filled and overlap is None),  # lane fix37k item 2: a fill in hand is named
        planned=planned,
        switch=switch,
    )
    if decision is not None:
        return decision, ()
    steps = _steps_here(patient, taken)  # lane fix38a item 2: the steps given here say so too
    covers = (*([planned] if planned else []), *([steps] if steps else []))
    return None, (*covers, *([switch_covered(hours)] if documented else []))


def _steps_here(patient: Patient, taken: list[DoseRecord]) -> Reason | None:
    """Lane fix38a item 2: the planned overlap (`agonists.planned_steps`) of the latest buprenorphine given
    here within the hours (`taken`) when every buprenorphine of its day is a low-dose start's step
    (`low_dose_steps_today`, the rule's own reading): the step it was (`start.low_dose_step`) of how many
    (the schedule's last step's day). None: no such dose."""
    bup = [d for d in taken if d.medication == Medication.BUPRENORPHINE]
    if not bup:
        return None
    last = max(bup, key=lambda d: (d.given_at or d.recorded_at, d.pk))
    day = last.local_date
    if not low_dose_steps_today(patient, [d for d in bup if d.local_date == day], day):
        return None
    step = low_dose_step(patient, last.order, day)
    days = max(int(s["day"]) for s in last.order.schedule or [])
    return None if step is None else planned_steps(int(step["schedule_step"]), days)


def _planned_fill(patient: Patient, uses: LastUses, at: datetime, today: date, hours: float) -> Reason | None:
    """Lane fix37c item 1 (re-attack 36l item 3): buprenorphine in hand within `hours` of `at` only from
    pharmacy fills of the buprenorphine order in force on `today` (`in_force_q`: never a stopped or a
    replaced one), a low-dose start (`start.low_dose_problem`: none), begun, and `today` one of its
    schedule's days counted from its first step (`agonists.low_dose_fill_day`; lane fix37h, re-attack 37m
    item 2: the first given here under the order, `start.step_days` as the window's `low_dose_step` counts
    them, or its first fill, whichever is first; in calendar days, the safe side: past the schedule's last
    day the switch override is needed again): the order carries the overlap
    (Hammig 2016), so methadone alongside it is not a second agonist; the reason the dose carries
    (`agonists.planned_overlap`). None: a fill of another order, or after the schedule's days."""
    near = {f.order_id: f for f in uses.fills if within_switch_hours(f.until, at, hours=hours)}
    order = MedicationOrder.objects.filter(
        in_force_q(today), patient=patient, medication=Medication.BUPRENORPHINE
    ).first()
    if order is None or set(near) != {order.pk} or not order.schedule or today < order.starts_on:
        return None
    if low_dose_problem(patient, order.schedule):
        return None
    days = max(int(step["day"]) for step in order.schedule)
    first = min([*step_days(order, today)[:1], near[order.pk].first_filled_on])  # lane fix37h: first step
    day = low_dose_fill_day(max(first, order.starts_on), today, days)
    return None if day is None else planned_overlap(day, days)


def _maybe_within(uses: LastUses, at: datetime, hours: float) -> bool:
    """Lane fix36n (re-attack 36l item 2): buprenorphine at a time not known may be within `hours` of a dose
    at `at` unless it became unknown (`LastUses.unknown_since`, the one definition: the intake's or the
    strike's recording; the use was before it) `hours` or more before `at`."""
    since = uses.unknown_since(Medication.BUPRENORPHINE)
    return since is None or at - since < timedelta(hours=hours)


def _switch_decision(
    patient: Patient,
    today: date,
    taken: list[DoseRecord],
    *,
    elsewhere: bool,
    hours: float,
    unknown: bool = False,
    planned: Reason | None = None,
    switch: bool = True,
) -> tuple[Decision[NoPolicy] | None, bool]:
    """The rule's decision on methadone after the agonists `taken` here within the hours and, `elsewhere`,
    buprenorphine not given here (a fill in hand, a reported use): the low-dose start's steps (given here,
    or `planned`: a pharmacy fill of its order on its schedule's days, `_planned_fill`) and a prescriber's
    switch override for today read (`second_agonist_gate`); `unknown`: its time is not known (the refusal
    says so). With whether that switch override is on record (the dose passing on it says so); `switch`
    False: none is read (a take-home bottle's, lane fix37k)."""
    medication = Medication.METHADONE
    low_dose = (not elsewhere or planned is not None) and all(
        low_dose_steps_today(patient, [d for d in taken if d.local_date == day], day)
        for day in {d.local_date for d in taken if d.medication == Medication.BUPRENORPHINE}
    )
    documented = (
        switch
        and DoseOverride.objects.filter(
            patient=patient,
            medication=medication,
            local_date=today,
            kind=OverrideKind.SWITCH,
            ended_at__isnull=True,
        ).exists()
    )
    here = [d.medication for d in taken]
    decision = second_agonist(
        medication,
        [*here, *([Medication.BUPRENORPHINE] if elsewhere else [])],
        low_dose_start=low_dose,
        documented=documented,
        hours=hours,
        given_here=Medication.BUPRENORPHINE in here,
        time_unknown=unknown,
    )
    return decision, documented


def low_dose_steps_today(patient: Patient, doses: list[DoseRecord], today: date) -> bool:
    """Whether every buprenorphine dose given on `today` (the doses' day) is a step of a low-dose schedule
    (review 20a): its order has one, today is one of its steps (`start.low_dose_step`: counted in days
    dosed under it, so a schedule that ended weeks ago, the person now on the full dose under the same
    order, has no step today) and the day's buprenorphine under that order is at most that step's mg.
    Hammig 2016 covers methadone alongside the schedule's days, not a month later; otherwise the
    prescriber's switch override is needed."""
    if not doses:
        return False
    by_order: dict[int, Decimal] = {}
    for d in doses:
        by_order[d.order_id] = by_order.get(d.order_id, Decimal(0)) + effective_mg(d)
    orders = MedicationOrder.objects.in_bulk(list(by_order))
    for pk, mg in by_order.items():
        order = orders.get(pk)
        step = None if order is None else low_dose_step(patient, order, today)
        if step is None or mg > Decimal(str(step["schedule_mg"])):
            return False
    return True


def blockade_verdict(
    patient: Patient, medication: str, today: date, decision: Decision, *, switch: bool
) -> Decision:
    """Review 36f hole 3: methadone or buprenorphine on `today` inside the blockade of her last XR-naltrexone
    injection (given, not voided or corrected to 0 mg: `blockade.last_injection`; the blockade is its
    dosing interval, `agonists.naltrexone_blockade`, read by `blockade.blockade_of`). Without a prescriber's
    switch override for today (`switch`) a verdict that would give the dose becomes "needs_override" (its
    reasons the injection's day, the blockade and the lowered tolerance afterwards); with one, or a verdict
    that already stops the dose (a hold, a start gate, a limit), the blockade's reasons are added to it
    (`blockade.joined`). The window's verdict on every dose and on a take-home bottle
    (`guards.window_verdict`), and a held dose corrected into a given one (`limits.amendment_ceilings`, lane
    fix36i); the person's home start reads the same two (`readiness.home_start`). One statement, for these
    medications only."""
    return joined(decision, blockade_of(patient, medication, today, switch=switch))


def in_blockade(patient: Patient, today: date) -> bool:
    """Whether `today` is inside the blockade of her last XR-naltrexone injection (`blockade_verdict`'s
    reading): a switch override of buprenorphine is then a prescriber's to write
    (`overrides.add_override`)."""
    return blockade_of(patient, Medication.BUPRENORPHINE, today, switch=True) is not None


def blockade_warning(patient: Patient, medication: str, day: date) -> tuple[Reason, ...]:
    """A new methadone or buprenorphine order whose first day `day` falls inside the blockade of her last
    XR-naltrexone injection (review 36f hole 3): the refusal's reasons (the injection's day, the blockade and
    the lowered tolerance, the switch override each dose needs), as the order's warnings (orders have no
    gate: each dose at the window does, `blockade_verdict`)."""
    blockade = blockade_of(patient, medication, day, switch=False)
    return () if blockade is None else blockade.reasons
