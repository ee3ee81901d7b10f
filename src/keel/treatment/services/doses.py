"""The observed dose at the window (the guard rails, holds, the slot of the day) and its append-only
amendments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action, Outcome
from keel.core import rules
from keel.core.decision import Decision, Reason, shown
from keel.core.rules.buprenorphine import NOT_READY_TO_DOSE, induction_total_over, low_dose_total_over
from keel.core.rules.buprenorphine.day_limits import DayLimitPolicy
from keel.core.rules.inputs import FieldError
from keel.core.rules.methadone import FIRST_DAY, first_day_limits, first_day_over
from keel.core.rules.methadone import DosePolicy as MethadoneDosePolicy
from keel.core.rules.qtc import above_order_on_high_qtc, deferred_raise_on_high_qtc
from keel.core.rules.window import HOLD_OPEN, REFUSED, ceilings, order_over
from keel.core.words import gettext_noop
from keel.core.words import gettext_noop as N_
from keel.db import rows
from keel.patients.flags import raise_flag
from keel.patients.models import FlagKind, Patient, local_today, zone_of
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import (
    IN_FORCE_SQL,
    DoseAmendment,
    DoseOverride,
    DoseRecord,
    DoseStatus,
    Medication,
    MedicationOrder,
    OverrideKind,
    in_force_params,
)
from keel.treatment.queries import (
    DoseContext,
    RecordedDose,
    dose_context,
    dose_context_and_reads,
    effective_mg,
    hours_since,
)
from keel.treatment.queries.contexts import bottle_held_today, hold_open_today
from keel.treatment.queries.policy import effective_policy
from keel.treatment.queries.qtc import recent_qtc, recent_qtc_ms
from keel.treatment.services.agonists import second_agonist_gate
from keel.treatment.services.common import (
    GUARD_RAILS,
    DoseBlocked,
    DoseConflict,
    DoseOutcome,
    GuardRailPolicy,
    HeldDoseNotAllowed,
    _audit,
    _decimal,
    _reason,
    _scoped_for,
    guard_rail_policy,
    lock_person,
)
from keel.treatment.services.hours import dosing_hours_gate
from keel.treatment.services.start import _start_gate, low_dose_step, window_phase
from keel.treatment.services.take_homes import TAKE_HOME_DAY, record_bottle_returned, suspend_take_home_plans


def _dose_decision(
    patient: Patient,
    medication: str,
    ctx: DoseContext,
    amount: Decimal,
    sedated: bool,
    documented: bool,
    start: dict[str, Any] | None = None,
    hours_since_last: float | None = None,
    ordered_mg: Decimal | None = None,
) -> Decision:
    """The guard-rail rule of this medication, with the program's policy. `start`: the buprenorphine
    first-dose inputs (first_dose, start_verdict, start_override); `hours_since_last`: since the last dose of
    this medication given, whatever the day (the re-dose interval); `ordered_mg`: the active order's dose (a
    dose past it needs the prescriber's override for the day)."""
    name = GUARD_RAILS.get(medication)
    if name is None:
        raise TreatmentInvalid(
            [FieldError("medication", N_("doses at the window are methadone or buprenorphine"))]
        )
    common: dict[str, Any] = {
        "given_today_mg": float(ctx.given_today_mg),
        "requested_mg": float(amount),
        "sedated_or_intoxicated": sedated,
        "documented_rationale": documented,
        "hold_open": ctx.hold_open,
    }
    if hours_since_last is not None:
        common["hours_since_last_dose"] = hours_since_last
    if ordered_mg is not None:
        common["ordered_mg"] = float(ordered_mg)
    if medication == "methadone":
        settings = effective_policy(patient, name)
        since = ctx.today - timedelta(days=int(settings["titration_window_days"]))
        window = [mg for day, mg in ctx.observed.items() if day >= since]
        last = ctx.last_observed_mg
        raw: dict[str, Any] = {
            **common,
            "treatment_day": ctx.treatment_day,
            "previous_day_mg": None if ctx.previous_day_mg is None else float(ctx.previous_day_mg),
            "missed_days_in_a_row": ctx.missed_days_in_a_row,
            "last_observed_mg": None if last is None else float(last),
            "days_since_last_increase": ctx.days_since_last_increase,
            "window_low_mg": float(min(window)) if window else None,
        }
        return rules.get(name).run(raw, settings)
    else:
        # The start gate gives the induction's phase, counted in dosing days (keel.core.induction); a
        # low-dose schedule's step (no phase given) keeps the treatment day's.
        phase = "day1" if ctx.treatment_day == 1 else "day2" if ctx.treatment_day == 2 else "maintenance"
        raw = {**common, "phase": phase, **(start or {})}
    return rules.get(name).run(raw, effective_policy(patient, name))


def _slot_taken(slot: int) -> str:
    return (
        f"Already given today: dose {slot} of today is already recorded for this person. "
        "Reload the list before recording another."
    )


def _given_at(raw: object, patient: Patient, now: datetime, errors: list[FieldError]) -> datetime | None:
    """When a dose recorded now was given, if earlier: today (the dose's day), with its time zone, not later
    than now. Blank: given when recorded."""
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
    elif raw.astimezone(zone_of(patient)).date() != local_today(patient, now):
        errors.append(FieldError("given_at", N_("must be today, the day of this dose")))
    return raw


def _slot_recorded(patient: Patient, medication: str, today: date, slot: int) -> bool:
    """Whether this dose slot of today is recorded now (read again, after the day's context was read)."""
    return DoseRecord.objects.filter(
        patient=patient, medication=medication, local_date=today, sequence=slot
    ).exists()


def active_order(
    patient: Patient, medication: str, day: date, *, lock: bool = False
) -> MedicationOrder | None:
    """The person's order of this medication in force on `day` (`models.IN_FORCE_SQL`: an order written to
    start later does not govern the day), in hand-written SQL: every dose reads it
    (tests/treatment/test_dose_queries.py holds it to the ORM's `.first()`). `lock` (inside a transaction):
    on PostgreSQL the same statement also takes the person's lock (`common.lock_person`'s FOR NO KEY UPDATE,
    review 18a); SQLite's IMMEDIATE transaction already holds the one writer lock."""
    locked = lock and connection.vendor == "postgresql"
    return rows.fetch_one(
        'FROM "treatment_medicationorder" o '
        + ('JOIN "patients_patient" lp ON lp."id" = o."patient_id" ' if locked else "")
        + 'WHERE o."patient_id" = %s AND o."medication" = %s AND '
        + IN_FORCE_SQL
        + ' ORDER BY o."created_at" DESC, o."id" DESC LIMIT 1'
        + (" FOR NO KEY UPDATE OF lp" if locked else ""),
        [patient.pk, medication, *in_force_params(day)],
        MedicationOrder,
        "o",
    )


def day_overrides(patient: Patient, medication: str, today: date) -> list[DoseOverride]:
    """A prescriber's overrides of this medication for today, newest first; an override ended with its
    episode (discharge) no longer applies. Hand-written, as `active_order`."""
    return [
        o
        for (o,) in rows.fetch(
            'FROM "treatment_doseoverride" v WHERE v."patient_id" = %s AND v."medication" = %s '
            'AND v."local_date" = %s AND v."ended_at" IS NULL ORDER BY v."created_at" DESC',
            [patient.pk, medication, connection.ops.adapt_datefield_value(today)],
            (DoseOverride, "v"),
        )
    ]


HOLD_STOPS_RAISE = N_(
    "A dose was held that day for sedation or intoxication and no prescriber has released the hold: a "
    "correction cannot raise a dose of that day. A prescriber assesses the person and releases the hold "
    "first."
)
UNKNOWN_MEDICATION = N_("methadone or buprenorphine: the medications given at the window")

BLOCKING = ("needs_override", "needs_reassessment", REFUSED, HOLD_OPEN, NOT_READY_TO_DOSE)


def record_dose(
    *,
    by: User,
    patient_id: int,
    sequence: int | None = None,
    amount_mg: object = None,  # a JSON number or text, the form's text: _decimal reads it, with its words
    sedated: bool = False,
    medication: str = Medication.METHADONE,
    given_at: object = None,  # ISO text or a datetime: _given_at reads it, with its words
    now: datetime | None = None,
    slot_required: bool = False,
    bottle_returned: bool = False,
    then: Callable[[RecordedDose], None] | None = None,
) -> DoseOutcome:
    """Record an observed dose at the window. The amount is always given (never the ordered dose by default;
    only a hold needs none). Guard rails (the medication's rule with the program's policy, issue #13): a hold
    earlier today that no prescriber released stops every dose; a first buprenorphine dose waits for the
    readiness verdict "ready" or a prescriber's start override; ceilings against entry errors (past the hard
    bound nothing passes); methadone's first day, titration over time, missed doses and re-induction need a
    prescriber's override for the day (DoseBlocked otherwise, the denial audited); a sedated or intoxicated
    person is held (recorded, flagged to a prescriber). A person whose episode of care ended is not dosed.
    The slot `sequence` defaults to the next one, except where `slot_required` (the API: a client's retry or
    double tap must not become a second dose); a slot already recorded is DoseConflict ("already given
    today"). A medication other than methadone or buprenorphine (another spelling, an injection) is refused,
    naming `medication`: a dose is never recorded as a medication it was not posted as. The checks run in
    this order, one step each: the order, the fields, the day, the prescriber's cover, the rule's verdict;
    then the dose is saved. `then`: called with the dose saved and what it read (the dosing page swaps its
    row in from them, `window.row_after_dose`), inside the dose's transaction on SQLite (one writer: its
    reads and its audit row commit with the dose's), after it commits on PostgreSQL (the row's audit row is
    in another chain; two chains locked in one transaction could wait on each other)."""
    patient = _scoped_for(
        by, patient_id, "dose", policy.can_record_dose(by), "record doses", emergency_access=True
    )
    if medication not in GUARD_RAILS:  # "Buprenorphine", "" or an injection: never read as another medication
        raise TreatmentInvalid([FieldError("medication", UNKNOWN_MEDICATION)])
    now = now or timezone.now()
    today = local_today(patient, now)
    inside = connection.vendor == "sqlite"  # `then` in the transaction on SQLite, after its commit otherwise
    blocked: DoseBlocked | None = None
    # Review 18a: the day is read, checked and written in one transaction under the person's lock (on
    # PostgreSQL folded into the order's read, `active_order(lock=True)`; SQLite's IMMEDIATE transaction holds
    # the one writer lock from its start): two nurses, or a hold of another medication, one after the other.
    with transaction.atomic():
        try:
            order = _order_for_dose(patient, medication, today)
            amount, given = _dose_fields(
                patient, order, amount_mg, sedated, sequence, slot_required, given_at, now
            )
            # The day's context, read once (this medication's recent doses and their amendments, the
            # episode, its take-home days, today's holds of any medication): the take-home day, the slot,
            # the holds and the re-dose interval below are all answered from it
            # (tests/treatment/test_dose_queries.py counts them).
            ctx, reads = dose_context_and_reads(patient, medication, today, with_other_holds=True)
            held = bottle_held_today(patient, medication, ctx, today)  # review 20a: an ended plan's bottle
            slot = _day_guards(
                by, patient, medication, ctx, today, given or now, sedated, bottle_returned, sequence
            )
            cover = _prescriber_cover(patient, medication, order, ctx, today, given or now, amount)
            since = hours_since(ctx.taken_times, given or now)  # hours_since_last_dose, from the rows read
            decision = _dose_decision(
                patient,
                medication,
                ctx,
                amount,
                bool(sedated),
                cover.documented,
                cover.start,
                since,
                order.dose_mg,
            )
            decision = _above_order_on_high_qtc(patient, medication, order, today, cover.total, decision)
            _refuse_if_blocked(by, patient, medication, ctx, today, slot, decision, amount, cover.total)
            bottle = None
            if bottle_returned and medication == Medication.METHADONE and today in ctx.take_home_days:
                bottle = record_bottle_returned(reads.plans, today, held)  # review 19a, 20a: on the plan
            after = None
            if then is not None:
                after = lambda dose: then(RecordedDose(patient, order, medication, today, reads, dose))  # noqa: E731
            dose = _save_dose(
                by,
                patient,
                order,
                medication,
                ctx,
                today,
                slot,
                amount,
                decision,
                cover,
                given,
                now,
                after if inside else None,
                bottle,
            )
        except DoseBlocked as exc:  # its denial's audit row commits (the transaction wrote nothing else)
            blocked = exc
    if blocked is not None:
        raise blocked
    if after is not None and not inside:
        after(dose)
    return DoseOutcome(dose, decision)


def _order_for_dose(patient: Patient, medication: str, today: date) -> MedicationOrder:
    """Guard 1, the order: a dose is given against the person's active order of this medication; none is
    TreatmentInvalid (a prescriber writes one first). Read with the person's lock (`active_order`)."""
    order = active_order(patient, medication, today, lock=True)
    if order is None:
        raise TreatmentInvalid(
            [FieldError("order", N_("no active order for this medication: a prescriber writes one first"))]
        )
    return order


def _dose_fields(
    patient: Patient,
    order: MedicationOrder,
    amount_mg: object,
    sedated: bool,
    sequence: int | None,
    slot_required: bool,
    given_at: object,
    now: datetime,
) -> tuple[Decimal, datetime | None]:
    """Guard 2, the fields: the amount (never the ordered dose by default; a hold gives nothing, so it needs
    none), the slot of the day (1 to 10; required where `slot_required`) and when it was given
    (`_given_at`). Every bad field is named at once (TreatmentInvalid). Returns the amount and the time
    given (None: when recorded)."""
    errors: list[FieldError] = []
    if amount_mg in (None, "") or (isinstance(amount_mg, str) and not amount_mg.strip()):
        if sedated:  # a hold gives nothing: the amount is not needed
            amount = order.dose_mg
        else:  # never the ordered dose by default: the nurse types what is given
            amount = Decimal(0)
            errors.append(FieldError("amount_mg", N_("write the amount to give (mg)")))
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
    given = _given_at(given_at, patient, now, errors)
    if errors:
        raise TreatmentInvalid(errors)
    return amount, given


def _day_guards(
    by: User,
    patient: Patient,
    medication: str,
    ctx: DoseContext,
    today: date,
    at: datetime,
    sedated: bool,
    bottle_returned: bool,
    sequence: int | None,
) -> int:
    """Guard 3, the day (answered from the context read once): a person whose episode of care ended is not
    dosed; a take-home bottle covering today stops an observed methadone dose (unless the bottle came back,
    or the dose is a hold; issue #13); the program's dosing hours at `at` (issue #18); a slot already
    recorded today is DoseConflict; methadone after buprenorphine given today waits for a prescriber's switch
    override (review 19a). Returns the slot (`sequence`, else the next one); a hold on another
    medication today stands for this one too (`ctx.hold_open`)."""
    if not ctx.in_episode:
        raise TreatmentInvalid(
            [FieldError("patient", N_("this person's episode of care has ended: no dose can be recorded"))]
        )
    if (
        medication == Medication.METHADONE and not bottle_returned and today in ctx.take_home_days
    ) and not sedated:  # issue #13: a bottle covers today (take_home_day_problem, from the context)
        raise TreatmentInvalid([TAKE_HOME_DAY])
    dosing_hours_gate(
        by=by, patient=patient, medication=medication, at=at, today=today, held=bool(sedated)
    )  # issue #18
    second_agonist_gate(  # review 19a: methadone after buprenorphine given today
        by=by, patient=patient, medication=medication, ctx=ctx, today=today, held=bool(sedated)
    )
    slot = sequence or ctx.next_sequence
    if any(d.sequence == slot for d in ctx.doses_today):
        raise DoseConflict(_slot_taken(slot))
    if not ctx.hold_open:  # a hold on another medication today stops this one too
        ctx.hold_open = ctx.other_hold_open
    return slot


@dataclass(frozen=True)
class _Cover:
    """What a prescriber allowed for today's dose (`_prescriber_cover`)."""

    total: Decimal  # the day's total with this dose
    override: DoseOverride | None  # the override the dose names if the rule passes it on a rationale
    documented: bool  # a limit override for today covers the day's total
    start: dict[str, Any] | None  # buprenorphine: the start gate's inputs to the rule


def _prescriber_cover(
    patient: Patient,
    medication: str,
    order: MedicationOrder,
    ctx: DoseContext,
    today: date,
    at: datetime,
    amount: Decimal,
) -> _Cover:
    """Guard 4, a prescriber's cover for today: the newest limit override of the day covering the day's total
    (`documented`), and for buprenorphine the start gate at `at` (the readiness verdict or a start override;
    a start override that passes names the dose's override when no limit override does)."""
    overrides = day_overrides(patient, medication, today)
    total = ctx.given_today_mg + amount
    override = max(
        (o for o in overrides if o.kind == OverrideKind.LIMIT), key=lambda o: o.created_at, default=None
    )
    documented = override is not None and total <= override.max_total_mg
    start = None
    if medication == Medication.BUPRENORPHINE:
        start = _start_gate(patient, order, ctx, at, total, overrides)
        if start.get("start_override") and not documented:
            override = next(o for o in overrides if o.kind == OverrideKind.START and total <= o.max_total_mg)
    return _Cover(total, override, documented, start)


def _above_order_on_high_qtc(
    patient: Patient,
    medication: str,
    order: MedicationOrder,
    today: date,
    total: Decimal,
    decision: Decision,
) -> Decision:
    """Guard 4b, the order on a high QTc: a methadone dose that takes the day's total above the active order
    while the person's recent QTc is 500 ms or more (`keel.core.rules.qtc.above_order_on_high_qtc`, Krantz
    2009) is blocked whatever day's override covers it, an override made before the QTc included: the
    prescriber raises the order itself, where the QTc reason is recorded. The QTc is read only for a dose
    above the order that the rule would pass (the ordinary dose, within its order, reads nothing more),
    under the person's lock (`_order_for_dose`)."""
    if medication != Medication.METHADONE or decision.decision in BLOCKING or decision.decision == "hold":
        return decision
    if order.deferred:  # review 19c: a raise written to start later, then a QTc of 500 ms or more
        return _deferred_raise_on_high_qtc(patient, order, today, total, decision)
    if total <= order.dose_mg:
        return decision
    reason = above_order_on_high_qtc(recent_qtc_ms(patient, today), float(order.dose_mg), float(total))
    if reason is None:
        return decision
    return Decision(
        decision.rule, decision.version, "needs_override", (reason,), decision.policy, decision.details
    )


def _deferred_raise_on_high_qtc(
    patient: Patient, order: MedicationOrder, today: date, total: Decimal, decision: Decision
) -> Decision:
    """Guard 4b for an order written to start later (`deferred`, review 19c): the gate on a raise ran when it
    was written; a QTc of 500 ms or more measured on or after that day, with the order not written with the
    prescriber's QTc reason (its `qtc_reason`, review 20a), blocks a total above the order it superseded
    (`keel.core.rules.qtc.deferred_raise_on_high_qtc`, Krantz 2009): a prescriber re-writes the order. Above
    the order itself, `above_order_on_high_qtc` as for any order. Reads the superseded order and the QTc
    only for a deferred order (the ordinary dose reads nothing more), under the person's lock."""
    qtc = recent_qtc(patient, today)
    qtc_ms = None if qtc is None else qtc.qtc_ms
    before = (
        MedicationOrder.objects.filter(pk=order.supersedes_id).values_list("dose_mg", flat=True).first()
        if order.supersedes_id is not None and qtc_ms is not None
        else None
    )
    reason = deferred_raise_on_high_qtc(
        qtc_ms,
        None if qtc is None else qtc.measured_on,
        local_today(patient, order.created_at),
        None if before is None else float(before),
        float(order.dose_mg),
        float(total),
        reason_recorded=bool(order.qtc_reason),
    ) or above_order_on_high_qtc(qtc_ms, float(order.dose_mg), float(total))
    if reason is None:
        return decision
    return Decision(
        decision.rule, decision.version, "needs_override", (reason,), decision.policy, decision.details
    )


def _refuse_if_blocked(
    by: User,
    patient: Patient,
    medication: str,
    ctx: DoseContext,
    today: date,
    slot: int,
    decision: Decision,
    amount: Decimal,
    total: Decimal,
) -> None:
    """Guard 5, the rule's verdict: a blocking one (BLOCKING) is DoseBlocked, its denial audited; but if the
    slot was recorded meanwhile it is DoseConflict instead."""
    if decision.decision in BLOCKING and _slot_recorded(patient, medication, today, slot):
        # Two nurses on the same slot: the other's dose landed after this one read the day, so the re-dose
        # interval (or any check) sees it. The slot conflict wins: "already given", never a guard rail.
        raise DoseConflict(_slot_taken(slot))
    if decision.decision in BLOCKING:
        _audit(
            by,
            patient,
            Action.DENIED,
            "dose",
            outcome=Outcome.DENIED,
            reason=f"guard rail: {decision.decision}",
            detail={"requested_mg": str(amount), "total_mg": str(total), "treatment_day": ctx.treatment_day},
        )
        raise DoseBlocked(decision)


def _save_dose(
    by: User,
    patient: Patient,
    order: MedicationOrder,
    medication: str,
    ctx: DoseContext,
    today: date,
    slot: int,
    amount: Decimal,
    decision: Decision,
    cover: _Cover,
    given: datetime | None,
    now: datetime,
    after: Callable[[DoseRecord], None] | None = None,
    detail: dict[str, object] | None = None,
) -> DoseRecord:
    """The dose row (a hold gives 0 mg), its audit row and, for a hold, its flag (`_flag_hold`), in one
    transaction; the slot recorded meanwhile (the unique slot of the day) is DoseConflict. `after`: called
    with the dose (`record_dose`'s `then`), last in the transaction on SQLite, after the commit otherwise.
    `detail`: the audit row's (a bottle returned on a take-home day, review 19a)."""
    held = decision.decision == "hold"
    inside = after is not None and connection.vendor == "sqlite"
    try:
        with transaction.atomic(savepoint=False):  # in `record_dose`'s: a conflict rolls all of it back
            # Hand-written INSERT (`rows.insert`: the values `save()` sends; DoseRecord has no save() or
            # signals of its own): the ORM compiled this statement on every dose (issue #21).
            dose = rows.insert(
                DoseRecord(
                    patient=patient,
                    order=order,
                    medication=medication,
                    local_date=today,
                    sequence=slot,
                    status=DoseStatus.HELD if held else DoseStatus.GIVEN,
                    amount_mg=Decimal(0) if held else amount,
                    treatment_day=ctx.treatment_day,
                    decision=decision.as_dict(),
                    override=cover.override
                    if (cover.documented and decision.decision == "allowed_with_rationale")
                    or (cover.start is not None and cover.start.get("start_override"))
                    else None,
                    recorded_by=by,
                    recorded_at=now,
                    given_at=given,
                )
            )
            # A new dose has no amendments yet: its answer (effective_mg, the amendments list) reads none.
            dose._prefetched_objects_cache = {"amendments": DoseAmendment.objects.none()}  # type: ignore[attr-defined]
            _audit(by, patient, Action.CREATE, "dose", dose.pk, reason=decision.decision, detail=detail)
            if held:
                _flag_hold(by, patient, dose, decision, today, now)
            if inside:
                after(dose)  # type: ignore[misc]
    except IntegrityError:
        raise DoseConflict(_slot_taken(slot)) from None
    if after is not None and not inside:
        after(dose)
    return dose


def _flag_hold(
    by: User, patient: Patient, dose: DoseRecord, decision: Decision, today: date, now: datetime
) -> None:
    """A held dose (inside `_save_dose`'s transaction): a flag to a prescriber with the rule's reasons,
    audited, and the person's take-home plans suspended from today."""
    raise_flag(
        by=by,
        patient=patient,
        kind=FlagKind.DOSE_HELD,
        priority=1,
        reasons=[r.text for r in decision.reasons],
        said=[{"template": r.template, "params": dict(r.params)} for r in decision.reasons],
        sources=decision.sources,
        source_type="dose",
        source_id=dose.pk,
        now=now,
        audit_reason="dose held: prescriber to assess",
    )
    suspend_take_home_plans(by=by, patient=patient, held_on=today, now=now)


def amendment_ceilings(patient: Patient, dose: DoseRecord, corrected: Decimal) -> None:
    """A correction meets the same ceilings against entry errors as a dose at the window (issue #13): past
    the hard bound refused; past the program's value only with a prescriber's override for that day that
    covers the day's total. A dose on an induction's day also meets the limits the window applied to it that
    day (`induction_limits_over`), with the same override; a lowering is never refused. Raises
    TreatmentInvalid naming corrected_mg."""
    rule = GUARD_RAILS.get(dose.medication)
    if rule is None:
        return
    others = list(
        DoseRecord.objects.filter(patient=patient, medication=dose.medication, local_date=dose.local_date)
        .exclude(pk=dose.pk)
        .prefetch_related("amendments")
    )
    total = corrected + sum((effective_mg(d) for d in others), Decimal(0))
    covered = (
        DoseOverride.objects.filter(
            patient=patient,
            medication=dose.medication,
            local_date=dose.local_date,
            kind=OverrideKind.LIMIT,
            max_total_mg__gte=total,
        )
        .filter(  # in effect when the dose was recorded (discharge ends the episode's overrides)
            Q(ended_at__isnull=True) | Q(ended_at__gt=dose.recorded_at)
        )
        .exists()
    )
    if covered and corrected > effective_mg(dose) and dose.medication == Medication.METHADONE:
        # A day's override takes no methadone dose above its order on a QTc of 500 ms or more known that day
        # (as at the window, `_above_order_on_high_qtc`): the prescriber raises the order itself.
        high = above_order_on_high_qtc(
            recent_qtc_ms(patient, dose.local_date, until=dose.local_date),
            float(dose.order.dose_mg),
            float(total),
        )
        if high is not None:
            params = {key: shown(value) for key, value in high.params}
            raise TreatmentInvalid(
                [
                    FieldError.said(
                        "corrected_mg",
                        N_(
                            "The latest QTc is %(ms)s ms (500 or more): a day's override cannot take "
                            "methadone above the order (%(ordered)s mg a day; %(mg)s mg asked). Krantz 2009 "
                            "advises considering a lower dose or stopping. To give more, a prescriber raises "
                            "the order itself, where the reason for a raise on this QTc is recorded."
                        ),
                        **params,
                    )
                ]
            )
    settings = guard_rail_policy(patient, rule)
    verdict, reasons = ceilings(rule, float(corrected), float(total), settings, documented=covered)
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
    if covered or corrected <= effective_mg(dose):  # the override for that day passes; never a lowering
        return
    before = sum((effective_mg(d) for d in others if d.sequence < dose.sequence), Decimal(0))
    over = induction_limits_over(patient, dose, corrected, total, before == 0, settings)
    if over:
        raise TreatmentInvalid([FieldError("corrected_mg", " ".join(r.text for r in over))])
    over = window_limits_over(patient, dose, corrected, total - corrected, settings)
    if over:
        raise TreatmentInvalid([FieldError("corrected_mg", " ".join(r.text for r in over))])


def window_limits_over(
    patient: Patient, dose: DoseRecord, corrected: Decimal, others: Decimal, settings: GuardRailPolicy
) -> list[Reason]:
    """The window's checks of that day that a corrected (raised) amount goes over, read from the context of
    that day (review 13d): methadone's titration step, its days between increases and window, missed days,
    and the order of either medication (the rule the window ran, `_dose_decision`, with the dose's order and
    `others` the day's other doses); a buprenorphine dose meets its order (`window.order_over`; an
    induction's day: the single dose). A dose before the current episode's first is not checked here."""
    ctx = dose_context(patient, dose.medication, dose.local_date)
    if ctx.first_dose_on is None or dose.local_date < ctx.first_dose_on:
        return []
    if dose.medication == Medication.METHADONE:
        day = replace(ctx, given_today_mg=others, hold_open=False)
        decision = _dose_decision(
            patient, dose.medication, day, corrected, False, False, ordered_mg=dose.order.dose_mg
        )
        return list(decision.reasons) if decision.decision in BLOCKING else []
    if dose.order.schedule:  # a low-dose schedule's planned total is its order (the induction limits)
        return []
    phase = window_phase(patient, dose.order, ctx, dose.given_at or dose.recorded_at)
    beyond = order_over(float(dose.order.dose_mg), float(others), float(corrected), phase != "maintenance")
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
        phase = window_phase(patient, dose.order, ctx, dose.given_at or dose.recorded_at)
    else:
        phase = "day1" if dose.treatment_day == 1 else "day2" if dose.treatment_day == 2 else "maintenance"
    reasons.append(induction_total_over(phase, float(total), cast(DayLimitPolicy, settings)))
    return [r for r in reasons if r is not None]


def amend_dose(
    *,
    by: User,
    patient_id: int,
    dose_id: int,
    corrected_mg: object = None,  # as amount_mg: read by _decimal, with its words
    void: bool = False,
    reason: str = "",
    now: datetime | None = None,
) -> DoseAmendment:
    """Correct a recorded dose with a reason (append-only: the original row is never changed)."""
    patient = _scoped_for(
        by, patient_id, "dose_amendment", policy.can_record_dose(by), "amend doses", emergency_access=False
    )
    errors: list[FieldError] = []
    text = _reason(reason, errors)
    corrected = None
    if void and corrected_mg not in (None, ""):
        errors.append(
            FieldError("corrected_mg", N_("either give the corrected amount or void the dose, not both"))
        )
    elif not void:
        corrected = _decimal(corrected_mg, "corrected_mg", errors, minimum="0")
    if errors:
        raise TreatmentInvalid(errors)
    dose = DoseRecord.objects.filter(patient=patient, pk=dose_id).first()
    if dose is None:  # not this patient's dose (or none at all): the same answer, audited
        _audit(by, patient, Action.DENIED, "dose", dose_id, outcome=Outcome.DENIED, reason="no such dose")
        raise policy.PatientNotFound()
    if dose.status == DoseStatus.HELD and corrected and not policy.can_prescribe(by):
        # A held dose gave nothing: correcting it into an amount given walks around the hold. Only a
        # prescriber (who also releases holds) may, with the reason; a nurse is refused, audited.
        _audit(
            by,
            patient,
            Action.DENIED,
            "dose",
            dose.pk,
            outcome=Outcome.DENIED,
            reason="role may not correct a held dose into a given dose",
        )
        raise HeldDoseNotAllowed(
            _(
                "A held dose can be changed into a given dose only by a prescriber, who assesses the "
                "person first."
            )
        )
    with transaction.atomic():
        if corrected is not None:
            lock_person(patient)  # review 18a: the checks and a hold or dose of that day, one after the other
            amendment_ceilings(patient, dose, corrected)
        amendment = DoseAmendment.objects.create(
            dose=dose,
            corrected_mg=corrected,
            voided=bool(void),
            reason=text,
            amended_by=by,
            amended_at=now or timezone.now(),
        )
        _audit(
            by,
            patient,
            Action.UPDATE,
            "dose",
            dose.pk,
            reason="amendment",
            detail={"amendment_id": amendment.pk},
        )
    return amendment
