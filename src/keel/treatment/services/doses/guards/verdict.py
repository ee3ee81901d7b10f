"""The rule's verdict on a dose at the window: a prescriber's cover for today (`prescriber_cover`), the
window's whole verdict (`window_verdict`) and its refusal (`refuse_if_blocked`: a blocking verdict is
DoseBlocked, its denial audited, unless the slot was recorded meanwhile)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import cast

from keel.audit.models import Action, Outcome
from keel.core.decision import Decision
from keel.core.rules.buprenorphine import StartGate
from keel.core.rules.buprenorphine.dose_limit import DosePolicy as DoseLimitPolicy
from keel.core.rules.window import HOLD_OPEN, held_in_earlier_episode
from keel.treatment.models import DoseOverride, Medication, OverrideKind
from keel.treatment.queries.contexts import held_before
from keel.treatment.queries.doses import hours_since, mg_given_before, slot_recorded
from keel.treatment.readiness import ReadinessRead
from keel.treatment.services.agonists import blockade_verdict
from keel.treatment.services.common import (
    DoseBlocked,
    DoseConflict,
    _audit,
)
from keel.treatment.services.doses.guards.day import DoseDay, VerdictDay, slot_taken
from keel.treatment.services.doses.guards.qtc import order_on_high_qtc
from keel.treatment.services.doses.rule import (
    BLOCKING,
    buprenorphine_counted,
    buprenorphine_phase,
    dose_decision,
    earlier_day_mg,
    methadone_counted,
    override_counted_mg,
)
from keel.treatment.services.start import start_gate_and_read


@dataclass(frozen=True)
class Cover:
    """What a prescriber allowed for today's dose (`prescriber_cover`)."""

    total: Decimal  # the day's total with this dose
    override: DoseOverride | None  # the override the dose names if the rule passes it on a rationale
    documented: bool  # a limit override for today covers the day's total
    start: StartGate | None  # buprenorphine: the start gate's inputs to the rule
    # An early re-dose override of this medication for today (lane meth35): the only cover of the re-dose
    # interval; it covers no amount (a limit override covers the day's total, never the interval).
    redose: bool = False
    # That override when this dose is within the re-dose interval (it lifts the interval): the dose names it
    # (`DoseRecord.redose_override`) beside the limit or start override `override` names (lane fix36c).
    redose_row: DoseOverride | None = None
    # A prescriber's switch override of this medication for today (review 36f hole 3: a dose inside an
    # XR-naltrexone injection's blockade, `agonists.blockade_verdict`); a bottle's verdict has none.
    switch: bool = False
    # The readiness verdict the start gate read for a first buprenorphine dose (`start.start_gate_and_read`):
    # what the dose's stored decision says it rested on (lane fix37c item 4: read once, not again).
    readiness: ReadinessRead | None = None


def prescriber_cover(day: DoseDay, at: datetime, amount: Decimal) -> Cover:
    """Guard 4, a prescriber's cover for today: the newest limit override of the day covering the day's total
    (`documented`), an early re-dose override of the day (`redose`: the re-dose interval, lane meth35), and
    for buprenorphine the start gate at `at` (the readiness verdict or a start override; a start override
    that passes names the dose's override when no limit override does; a re-dose override, when neither
    does; the re-dose override that lifts the interval at `at` is `redose_row` whichever `override` is).
    `day.overrides`: this medication's, of the person's day, not ended (`order_and_overrides`)."""
    patient, medication, order, ctx, overrides = (
        day.patient,
        day.medication,
        day.order,
        day.ctx,
        day.overrides,
    )
    earlier = earlier_day_mg(ctx, day.policy, at) if ctx.earlier_taken else Decimal(0)  # lane fix38e
    total = ctx.given_today_mg + earlier + amount  # the day's total as the rule counts it
    if medication == Medication.METHADONE and earlier > 0:  # lane fix38l: the rule's count (the first day's)
        total = methadone_counted(ctx, day.policy, at, amount)
    override = max(
        (o for o in overrides if o.kind == OverrideKind.LIMIT), key=lambda o: o.created_at, default=None
    )
    start, readiness = None, None
    if medication == Medication.BUPRENORPHINE:
        dose_limit = cast(DoseLimitPolicy, day.policy)  # buprenorphine's guard rail: its dose limit
        start, readiness = start_gate_and_read(
            patient, order, ctx, at, total, overrides, dose_limit=dose_limit, entered_by=day.now
        )
        gate_total, total = total, _buprenorphine_total(day, at, amount, start)  # lane fix38h: the rule's
    documented = override is not None and _covers(day, override, at, total)
    if start is not None and start.get("start_override") and not documented:  # the override the gate found
        override = next(o for o in overrides if o.kind == OverrideKind.START and gate_total <= o.max_total_mg)
    redose = next((o for o in overrides if o.kind == OverrideKind.REDOSE), None)  # newest first
    if redose is not None and not documented and not (start and start.get("start_override")):
        override = redose
    since = hours_since(ctx.taken_times, at)
    lifts = redose is not None and since is not None and since < float(day.policy["redose_min_hours"])
    switch = any(o.kind == OverrideKind.SWITCH for o in overrides)
    lifted = redose if lifts else None
    return Cover(total, override, documented, start, redose is not None, lifted, switch, readiness)


def _covers(day: DoseDay, override: DoseOverride, at: datetime, total: Decimal) -> bool:
    """Whether a limit override covers the day's `total` with the doses counted when it was written (lane
    fix38o, re-attack 38t finding 3: `rule.override_counted_mg`, the union of the two counted sets)."""
    counted = override_counted_mg(total, day.ctx.earlier_taken, day.policy, override.created_at, at)
    return counted <= override.max_total_mg


def _buprenorphine_total(day: DoseDay, at: datetime, amount: Decimal, start: StartGate) -> Decimal:
    """The buprenorphine day's total with a dose of `amount` at `at` as the rule counts it (lane fix38h, left
    by fix38e: `rule.buprenorphine_counted`, the rule's one count: a dose within the program's same_day_hours
    of a first dose day's counts that whole day's total), so the override the rule's refusal asks for is the
    one that passes; a low-dose schedule's step counts the previous step's doses within the hours (as the
    rule, lane fix38o)."""
    if start.get("schedule_mg") is not None:
        return day.ctx.given_today_mg + earlier_day_mg(day.ctx, day.policy, at) + amount
    phase = buprenorphine_phase(day.ctx, start)
    counted = buprenorphine_counted(day.ctx, day.policy, at, phase, day.ctx.given_today_mg)[1]
    return counted + amount


# The verdicts the QTc guard looks past: a dose the rule passes, or one a day's override would release.


def window_verdict(day: VerdictDay, at: datetime, amount: Decimal, sedated: bool, cover: Cover) -> Decision:
    """The window's whole verdict on an observed dose of `amount` on the day (the one definition: the window
    runs it on every dose, a take-home bottle's amount is put to it, `bottles.bottle_verdict`): the rule's
    verdict (`dose_decision`: titration step, day limits, missed days, a hold, with the hours since the
    last dose at `at` answered from the rows read), then the order on a high QTc (`order_on_high_qtc`, guard
    4b), then an XR-naltrexone injection's blockade (`agonists.blockade_verdict`, review 36f hole 3: a
    switch override for the day, `cover.switch`) on the day the dose is taken (`day.taken_on`, lane fix37h:
    a take-home bottle's own day). Blocking verdicts are `rule.BLOCKING`."""
    since = hours_since(day.ctx.taken_times, at)  # hours_since_last_dose, from the rows read
    decision = dose_decision(
        day.patient,
        day.medication,
        day.ctx,
        amount,
        sedated,
        cover.documented,
        cover.start,
        since,
        day.order.dose_mg,
        settings=day.policy,
        redose_override=cover.redose,
        given_before_mg=mg_given_before(day.ctx, at),  # the day's first dose by time given (lane fix36i)
        at=at,  # lane fix38e: the previous program day's doses within the same-day hours count with it
    )
    decision = order_on_high_qtc(day, cover.total, decision)
    return blockade_verdict(day.patient, day.medication, day.taken_on, decision, switch=cover.switch)


def refuse_if_blocked(day: DoseDay, slot: int, decision: Decision, amount: Decimal, total: Decimal) -> None:
    """Guard 5, the rule's verdict: a blocking one (BLOCKING) is DoseBlocked, its denial audited; but if the
    slot was recorded meanwhile it is DoseConflict instead."""
    if decision.decision in BLOCKING and slot_recorded(day.patient, day.medication, day.today, slot):
        # Two nurses on the same slot: the other's dose landed after this one read the day, so the re-dose
        # interval (or any check) sees it. The slot conflict wins: "already given", never a guard rail.
        raise DoseConflict(slot_taken(slot))
    if decision.decision == HOLD_OPEN:
        decision = _with_earlier_episode(day, decision)
    if decision.decision in BLOCKING:
        _audit(
            day.by,
            day.patient,
            Action.DENIED,
            "dose",
            outcome=Outcome.DENIED,
            reason=f"guard rail: {decision.decision}",
            detail={
                "requested_mg": str(amount),
                "total_mg": str(total),
                "treatment_day": day.ctx.treatment_day,
            },
        )
        raise DoseBlocked(decision)


def _with_earlier_episode(day: DoseDay, decision: Decision) -> Decision:
    """A refusal for a hold that stands says when the hold is from an earlier episode of care (clin34):
    "held on <day> during an earlier episode; a prescriber must release it" (`held_in_earlier_episode`)."""
    episode = day.reads.episodes_of.get(day.patient.pk)
    days = held_before(day.patient.pk, episode[1]) if episode is not None else []
    if not days:
        return decision
    said = held_in_earlier_episode([d.isoformat() for d in days])
    return replace(decision, reasons=(*decision.reasons, said))
