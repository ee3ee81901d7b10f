"""The checks a dose at the window meets before it is saved, one step each and in this order
(`window.record_dose` runs them inside its transaction, under the person's lock, after the body's own
fields, checked before the record is read: `body_fields`): the order in force (`order_for_dose`), the
fields as they meet the record (`dose_fields`), the day read once (`day_guards`: the episode, a take-home
bottle, the dosing hours, a second agonist, the slot), a prescriber's cover for today (`prescriber_cover`),
the order on a high QTc (`order_on_high_qtc`) and the rule's verdict (`refuse_if_blocked`: a blocking one is
DoseBlocked, its denial audited, unless the slot was recorded meanwhile)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from keel.accounts.models import User
from keel.audit.models import Action, Outcome
from keel.core.decision import Decision, Reason
from keel.core.rules.buprenorphine import StartGate
from keel.core.rules.inputs import FieldError
from keel.core.rules.qtc import NEEDS_NEW_ORDER, above_order_on_high_qtc, raise_on_later_qtc
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today, zone_of
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseOverride, DoseRecord, Medication, MedicationOrder, OverrideKind
from keel.treatment.queries import DoseContext, RecordedDose
from keel.treatment.queries.contexts import _Reads
from keel.treatment.queries.doses import hours_since, slot_recorded
from keel.treatment.queries.orders import level_given_under, order_and_overrides
from keel.treatment.queries.policy import effective_policy
from keel.treatment.queries.qtc import recent_qtc
from keel.treatment.services.agonists import second_agonist_gate
from keel.treatment.services.common import (
    GUARD_RAILS,
    DoseBlocked,
    DoseConflict,
    _audit,
    _decimal,
)
from keel.treatment.services.doses.rule import BLOCKING, dose_decision
from keel.treatment.services.hours import dosing_hours_gate
from keel.treatment.services.qtc import level_since, qtc_reason_covers, qtc_unseen, restart_day
from keel.treatment.services.start import start_gate
from keel.treatment.services.take_homes import TAKE_HOME_DAY


@dataclass(frozen=True)
class DoseDay:
    """What the steps of one dose at the window share: who records it, for whom, the medication, its order
    in force, the person's day and the clock, and the day's context read once (`ctx`, with the rows it was
    read from: `reads`). Frozen: the steps read it and replace none of it (`day_guards` still marks a hold
    of another medication on `ctx`, as before)."""

    by: User
    patient: Patient
    medication: str
    order: MedicationOrder
    today: date
    now: datetime
    ctx: DoseContext
    reads: _Reads
    overrides: list[DoseOverride]  # a prescriber's overrides of this medication for today, newest first

    @cached_property
    def policy(self) -> dict[str, Any]:
        """The medication's guard-rail policy for the person (the program's, with the person's overrides:
        `effective_policy`), read once for the dose when a step first needs it: the start gate's restart gap
        and the rule's verdict share it (issue #21: a buprenorphine dose read it twice)."""
        return effective_policy(self.patient, GUARD_RAILS[self.medication])

    def recorded(self, dose: DoseRecord) -> RecordedDose:
        """The dose saved with what it read (`record_dose`'s `then`)."""
        return RecordedDose(self.patient, self.order, self.medication, self.today, self.reads, dose)


def slot_taken(slot: int) -> str:
    """DoseConflict's words for a slot of today already recorded, in the reader's language (the API's 409)."""
    return _(
        "Already given today: dose %(slot)s of today is already recorded for this person. "
        "Reload the list before recording another."
    ) % {"slot": slot}


def order_for_dose(
    patient: Patient, medication: str, today: date
) -> tuple[MedicationOrder, list[DoseOverride]]:
    """Guard 1, the order: a dose is given against the person's active order of this medication; none is
    TreatmentInvalid (a prescriber writes one first). Read with the person's lock, in the same statement as
    a prescriber's overrides of this medication for today (`order_and_overrides`: `active_order` and
    `day_overrides` merged, issue #21), which `prescriber_cover` weighs."""
    order, overrides = order_and_overrides(patient, medication, today, lock=True)
    if order is None:
        raise TreatmentInvalid(
            [FieldError("order", N_("no active order for this medication: a prescriber writes one first"))]
        )
    return order, overrides


class PostedFields(NamedTuple):
    """The dose's own fields, checked before the record is read (`body_fields`): the amount (None: a hold
    posted with none, given the order's dose once it is read) and when it was given (None: when recorded)."""

    amount: Decimal | None
    given: datetime | None


def body_fields(
    amount_mg: object,
    sedated: bool,
    sequence: int | None,
    slot_required: bool,
    given_at: object,
    now: datetime,
) -> PostedFields:
    """Guard 0, the body alone (lane after28): what holds for every person, checked before the record is
    read (no order, no episode, no lock): the amount (required unless a hold; a number of mg between 0.01
    and the absolute 1000, at most 2 decimals), the slot of the day (1 to 10; required where
    `slot_required`) and when it was given (a date and time with its zone, not after now). Every bad field
    is named at once, marked `body_alone`: the API says it to a staff token too, it says nothing of the
    record. Whether `given_at` is the person's today (her program's zone) is `dose_fields`', after the
    order."""
    errors: list[FieldError] = []
    amount: Decimal | None = None
    if amount_mg in (None, "") or (isinstance(amount_mg, str) and not amount_mg.strip()):
        if not sedated:  # never the ordered dose by default: the nurse types what is given
            errors.append(FieldError("amount_mg", N_("write the amount to give (mg)")))
        # a hold gives nothing: the amount is not needed (the order's dose, `dose_fields`)
    else:
        amount = _decimal(amount_mg, "amount_mg", errors)
    if sequence is not None and (not isinstance(sequence, int) or not 1 <= sequence <= 10):
        errors.append(FieldError("sequence", N_("the dose slot of the day, 1 to 10")))
    elif sequence is None and slot_required:
        errors.append(
            FieldError(
                "sequence",
                N_("which dose of the day this is (1 for the first): a retry is then 'already given'"),
            )
        )
    given = _given_at(given_at, now, errors)
    if errors:
        raise TreatmentInvalid(errors).body_alone()
    return PostedFields(amount, given)


def dose_fields(
    patient: Patient, order: MedicationOrder, posted: PostedFields, now: datetime
) -> tuple[Decimal, datetime | None]:
    """Guard 2, the fields as they meet the record (their shape was checked before it was read:
    `body_fields`): a hold posted with no amount is the order's dose; the time given must be the person's
    today (her program's zone). Returns the amount and the time given (None: when recorded)."""
    amount = order.dose_mg if posted.amount is None else posted.amount
    given = posted.given
    if given is not None and given.astimezone(zone_of(patient)).date() != local_today(patient, now):
        raise TreatmentInvalid([FieldError("given_at", N_("must be today, the day of this dose"))])
    return amount, given


def _given_at(raw: object, now: datetime, errors: list[FieldError]) -> datetime | None:
    """When a dose recorded now was given, if earlier: with its time zone, not later than now (whether it
    is the dose's day is `dose_fields`'). Blank: given when recorded."""
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        try:
            raw = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            errors.append(FieldError("given_at", N_("a date and time like 2026-11-20T09:30:00-05:00")))
            return None
    if not isinstance(raw, datetime) or raw.tzinfo is None:
        errors.append(FieldError("given_at", N_("a date and time with its time zone")))
        return None
    if raw > now:
        errors.append(FieldError("given_at", N_("cannot be after the dose is recorded")))
        return None
    return raw


def day_guards(day: DoseDay, at: datetime, sedated: bool, bottle_returned: bool, sequence: int | None) -> int:
    """Guard 3, the day (answered from the context read once): a person whose episode of care ended is not
    dosed; a take-home bottle covering today stops an observed methadone dose (unless the bottle came back,
    or the dose is a hold; issue #13); the program's dosing hours at `at` (issue #18); a slot already
    recorded today is DoseConflict; methadone within the program's `switch_hours` of buprenorphine waits for
    a prescriber's switch override (review 19a, 22m). Returns the slot (`sequence`, else the next one); a
    hold on another medication today stands for this one too (`ctx.hold_open`)."""
    by, patient, medication, ctx, today = day.by, day.patient, day.medication, day.ctx, day.today
    if not ctx.in_episode:
        raise TreatmentInvalid(
            [FieldError("patient", N_("this person's episode of care has ended: no dose can be recorded"))]
        )
    take_home_day_guard(ctx, medication, today, bottle_returned, sedated)
    dosing_hours_gate(
        by=by, patient=patient, medication=medication, at=at, today=today, held=bool(sedated)
    )  # issue #18
    second_agonist_gate(  # review 19a: methadone after buprenorphine; review 22m: in hours, not days
        by=by, patient=patient, medication=medication, ctx=ctx, today=today, at=at, held=bool(sedated)
    )
    slot = sequence or ctx.next_sequence
    if any(d.sequence == slot for d in ctx.doses_today):
        raise DoseConflict(slot_taken(slot))
    if not ctx.hold_open:  # a hold on another medication today stops this one too
        ctx.hold_open = ctx.other_hold_open
    return slot


def take_home_day_guard(
    ctx: DoseContext, medication: str, today: date, bottle_returned: bool, sedated: bool
) -> None:
    """Issue #13: a take-home bottle covering `today` (from the context) stops an observed methadone dose
    given that day, unless the bottle came back unopened or the dose is a hold: the person may take two
    doses. The window's one check (`day_guards`); lane fix30d (review 30d hole 1): a held dose corrected
    into a given one asks it too (`limits.amendment_ceilings`), refused with the same words."""
    if (
        medication == Medication.METHADONE
        and not bottle_returned
        and not sedated
        and today in ctx.take_home_days
    ):
        raise TreatmentInvalid([TAKE_HOME_DAY])


@dataclass(frozen=True)
class Cover:
    """What a prescriber allowed for today's dose (`prescriber_cover`)."""

    total: Decimal  # the day's total with this dose
    override: DoseOverride | None  # the override the dose names if the rule passes it on a rationale
    documented: bool  # a limit override for today covers the day's total
    start: StartGate | None  # buprenorphine: the start gate's inputs to the rule


def prescriber_cover(day: DoseDay, at: datetime, amount: Decimal) -> Cover:
    """Guard 4, a prescriber's cover for today: the newest limit override of the day covering the day's total
    (`documented`), and for buprenorphine the start gate at `at` (the readiness verdict or a start override;
    a start override that passes names the dose's override when no limit override does)."""
    patient, medication, order, ctx, overrides = (
        day.patient,
        day.medication,
        day.order,
        day.ctx,
        day.overrides,
    )
    total = ctx.given_today_mg + amount
    override = max(
        (o for o in overrides if o.kind == OverrideKind.LIMIT), key=lambda o: o.created_at, default=None
    )
    documented = override is not None and total <= override.max_total_mg
    start = None
    if medication == Medication.BUPRENORPHINE:
        start = start_gate(patient, order, ctx, at, total, overrides, dose_limit=day.policy)
        if start.get("start_override") and not documented:
            override = next(o for o in overrides if o.kind == OverrideKind.START and total <= o.max_total_mg)
    return Cover(total, override, documented, start)


# The verdicts the QTc guard looks past: a dose the rule passes, or one a day's override would release.
PASSED_OR_RELEASABLE = ("allowed", "allowed_with_rationale", "needs_override", "needs_reassessment")


def window_verdict(day: DoseDay, at: datetime, amount: Decimal, sedated: bool, cover: Cover) -> Decision:
    """The window's whole verdict on an observed dose of `amount` on the day (the one definition: the window
    runs it on every dose, a take-home bottle's amount is put to it, `bottles.bottle_verdict`): the rule's
    verdict (`dose_decision`: titration step, day limits, missed days, a hold, with the hours since the
    last dose at `at` answered from the rows read), then the order on a high QTc (`order_on_high_qtc`, guard
    4b). Blocking verdicts are `rule.BLOCKING`."""
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
    )
    return order_on_high_qtc(day, cover.total, decision)


def order_on_high_qtc(day: DoseDay, total: Decimal, decision: Decision) -> Decision:
    """Guard 4b, the order on a high QTc (Krantz 2009: at 500 ms or more consider reducing or stopping): a
    methadone total above the active order on a recent QTc of 500 ms or more is blocked whatever day's
    override covers it (`above_order_on_high_qtc`: the prescriber raises the order itself, where the QTc
    reason is recorded); and a total above the dose the order raised from (`raised_from_mg`, what the
    prescriber's gate compared it with; 0: a start) on such a QTc recorded after the order was written, the
    order without the prescriber's QTc reason, is blocked whatever day's override covers it
    (`high_qtc_since_order`, review 19c and 20a), never below the level already given under the order.
    Reads the QTc only for a dose above the order or above both what it raised from and the last observed
    day's total (`ctx.last_observed_mg`): the ordinary dose reads nothing more (a start's first dose reads
    the QTc, two statements). Under the person's lock.

    Its verdict is NEEDS_NEW_ORDER, never "needs_override": no day's override releases it. It also replaces
    a verdict a day's override would release ("needs_override", "needs_reassessment": a titration step, say),
    whose words would call for an override that cannot give this dose (session 21), keeping a reassessment's
    own reasons after the QTc's (review 21x: missed days, a lower restart: the order is re-written knowing
    she may have lost tolerance); once the prescriber
    re-writes the order, the rule's own checks apply as before. Past the hard bound, a hold and a
    buprenorphine start's gate stay as they are."""
    if day.medication != Medication.METHADONE or decision.decision not in PASSED_OR_RELEASABLE:
        return decision
    days = decision.policy.get("missed_reinduction_days")  # the rule's policy, read with the dose
    restart = restart_day(day.patient, day.ctx, days if isinstance(days, int) else None)  # review 22m
    given = level_since(day.ctx, restart)
    reason = high_qtc_since_order(day.patient, day.order, day.today, total, given, restart=restart)
    if reason is None:
        return decision
    kept = decision.reasons if decision.decision == "needs_reassessment" else ()  # review 21x: missed days
    return Decision(  # no day's override releases it: the prescriber re-writes the order (NEEDS_NEW_ORDER)
        decision.rule, decision.version, NEEDS_NEW_ORDER, (reason, *kept), decision.policy, decision.details
    )


def high_qtc_since_order(
    patient: Patient,
    order: MedicationOrder,
    day: date,
    total: Decimal,
    given: Decimal | None,
    *,
    until: date | None = None,
    restart: date | None = None,
) -> Reason | None:
    """Why a methadone total of `total` on `day` under `order` is refused on the recent QTc (None: it is
    not): above the order (`above_order_on_high_qtc`), or above the dose it raised from on a QTc saved after
    the order's gate read the QTc (`raise_on_later_qtc`, `qtc.qtc_unseen`, review 21m), not below `given`
    (the level given under it, as read by the caller) nor the level given under it on any day (read here,
    only when the QTc would refuse). The window and a correction (`limits.amendment_ceilings`: `until` its
    day, then the QTc known when it is made) share it. Reads nothing when the total is within the order and
    not above what it raised from and `given`. `restart`: the first day of a new induction after missed days
    (`qtc.restart_day`, the missed-days rule's REINDUCTION): an order written before it is a start from that
    day (review 22m: 80 mg a month before the gap is not a level she still takes), and `given` and the level
    under any order are counted from it."""
    from_mg = order.raised_from_mg  # None: written before it was kept (checked above the order only)
    since = restart
    if restart is not None and local_today(patient, order.created_at) < restart:
        from_mg = Decimal(0)
    level = max(from_mg if from_mg is not None else total, given or Decimal(0))
    if total <= order.dose_mg and total <= level:
        return None
    qtc = recent_qtc(patient, day, until=until)
    qtc_ms = None if qtc is None else qtc.qtc_ms
    above = above_order_on_high_qtc(qtc_ms, float(order.dose_mg), float(total))
    if above is not None or qtc is None:
        return above
    later = qtc_unseen(order, qtc)  # saved after the order's gate read the QTc (review 21m)

    def reason(level_given: Decimal | None) -> Reason | None:
        return raise_on_later_qtc(
            qtc_ms,
            later,
            None if from_mg is None else float(from_mg),
            float(order.dose_mg),
            float(total),
            None if level_given is None else float(level_given),
            reason_recorded=qtc_reason_covers(order, qtc),  # review 21x: a worse QTc saved after it
        )

    if reason(given) is None:
        return None
    under = level_given_under(order, day, since=since)  # a day before this episode's lookback, say
    return reason(given if under is None or (given is not None and given > under) else under)


def refuse_if_blocked(day: DoseDay, slot: int, decision: Decision, amount: Decimal, total: Decimal) -> None:
    """Guard 5, the rule's verdict: a blocking one (BLOCKING) is DoseBlocked, its denial audited; but if the
    slot was recorded meanwhile it is DoseConflict instead."""
    if decision.decision in BLOCKING and slot_recorded(day.patient, day.medication, day.today, slot):
        # Two nurses on the same slot: the other's dose landed after this one read the day, so the re-dose
        # interval (or any check) sees it. The slot conflict wins: "already given", never a guard rail.
        raise DoseConflict(slot_taken(slot))
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
