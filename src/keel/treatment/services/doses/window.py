"""The observed dose at the window (`record_dose`): the guards in order (`guards`), then the dose row (a hold
gives 0 mg), its audit row and, for a hold, a flag to a prescriber and the take-home plans suspended
(`_save_dose`, `_flag_hold`), all in one transaction under the person's lock (review 18a), the audit rows
appended at its end (`audit.deferred`, issue #21); a take-home bottle brought back is recorded on its plan
with the dose (review 19a)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from keel.access import policy
from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.decision import Decision, Reason
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.db import rows
from keel.patients.flags import raise_flag
from keel.patients.models import FlagKind, Patient, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseAmendment, DoseRecord, DoseStatus, Medication, TakeHomePlan
from keel.treatment.queries import RecordedDose, dose_context_and_reads
from keel.treatment.queries.contexts import _Reads, bottle_held_today, bottle_named_today
from keel.treatment.queries.doses import is_taken
from keel.treatment.readiness import readiness_for_dose
from keel.treatment.services.common import (
    GUARD_RAILS,
    DoseBlocked,
    DoseConflict,
    DoseOutcome,
    _audit,
    _scoped_for,
)
from keel.treatment.services.doses.bottles import (
    AT_HOME_AFTER_HOLD,
    BOTTLE_NAMED_TODAY,
    at_home_reason,
    hand_out_at_dose,
)
from keel.treatment.services.doses.bottles.not_before import note_not_before
from keel.treatment.services.doses.guards import (
    Cover,
    DoseDay,
    PostedFields,
    body_fields,
    day_guards,
    dose_fields,
    order_for_dose,
    prescriber_cover,
    refuse_if_blocked,
    slot_taken,
    window_verdict,
)
from keel.treatment.services.take_homes import (
    record_bottle_returned,
    suspend_take_home_plans,
    unlocked_plans,
)
from keel.treatment.start_rested_on import KEY as RESTED_ON
from keel.treatment.start_rested_on import passed_on_readiness, rested_on_now

UNKNOWN_MEDICATION = N_("methadone or buprenorphine: the medications given at the window")


def record_dose(
    *,
    by: User,
    patient_id: int,
    sequence: int | None = None,
    amount_mg: object = None,  # a JSON number or text, the form's text: _decimal reads it, with its words
    sedated: bool = False,
    medication: str = Medication.METHADONE,
    given_at: object = None,  # ISO text or a datetime: guards._given_at reads it, with its words
    now: datetime | None = None,
    slot_required: bool = False,
    bottle_returned: bool = False,
    then: Callable[[RecordedDose], None] | None = None,
) -> DoseOutcome:
    """Record an observed dose at the window. The amount is always given (never the ordered dose by default;
    only a hold needs none). Guard rails (the medication's rule with the program's policy, issue #13): a hold
    that no prescriber released stops every dose, whatever day it was (review 33c hole 2); a first
    buprenorphine dose waits for the readiness verdict "ready" or a prescriber's start override; ceilings
    against entry errors (past the hard bound nothing passes); methadone's first day, titration over time,
    missed doses and re-induction need a prescriber's override for the day (DoseBlocked otherwise, the denial
    audited); a sedated or intoxicated person is held (recorded, flagged to a prescriber). A person whose
    episode of care ended is not dosed. The slot `sequence` defaults to the next one, except where
    `slot_required` (the API: a client's retry or double tap must not become a second dose); a slot already
    recorded is DoseConflict ("already given today"). A medication other than methadone or buprenorphine
    (another spelling, an injection) is refused, naming `medication`: a dose is never recorded as a medication
    it was not posted as. The checks run in this order, one step each: the body's own fields (before the
    record is read: `guards.body_fields`), the order, the fields as they meet the record, the day, the
    prescriber's cover, the rule's verdict; then the dose is saved. `then`: called with the dose saved and
    what it read (the dosing page swaps its row in from them, `window.row_after_dose`), inside the dose's
    transaction on SQLite, after the dose's audit rows (one writer: its reads and its audit row commit with
    the dose's), after it commits on PostgreSQL (the row's audit row is in another chain; two chains locked in
    one transaction could wait on each other)."""
    patient = _scoped_for(
        by, patient_id, "dose", policy.can_record_dose(by), "record doses", emergency_access=True
    )
    _refuse_unknown_medication(medication)
    now = now or timezone.now()
    # Lane after28: the body's own fields, before the record is read (said to a staff token too).
    fields = body_fields(amount_mg, sedated, sequence, slot_required, given_at, now)
    today = local_today(patient, now)
    posted = _Posted(by, patient, medication, today, now, sequence, fields, sedated)
    inside = connection.vendor == "sqlite"  # `then` in the transaction on SQLite, after its commit otherwise
    # Review 18a: the day is read, checked and written in one transaction under the person's lock (on
    # PostgreSQL folded into the order's read, `order_and_overrides(lock=True)`; SQLite's IMMEDIATE
    # transaction holds the one writer lock from its start): two nurses, or a hold of another medication, one
    # after the other. Its audit rows (the dose's, a denial's, a hold's flag and the plans it ends, the
    # bottles') are appended last, still in this transaction (`audit.deferred`, issue #21): the program's
    # chain head is locked for the last statements only, after the person's lock, as a check-in's is. On
    # SQLite `then` (the page's row and its list audit row) runs after them, in the same transaction.
    with transaction.atomic() if then is not None and inside else nullcontext():
        saved = _dose_audited_last(posted, bottle_returned)
        if not isinstance(saved, DoseBlocked) and then is not None and inside:
            then(saved.day.recorded(saved.dose))
    if isinstance(saved, DoseBlocked):  # its denial's audit row committed (nothing else was written)
        raise saved
    if then is not None and not inside:
        then(saved.day.recorded(saved.dose))
    return DoseOutcome(saved.dose, saved.decision)


@dataclass(frozen=True)
class _Posted:
    """The dose as the window posted it, with who, whom, the medication and the day: each guard reads its
    own fields (`fields`: the amount and the time given, their shape checked before the record was read,
    `guards.body_fields`)."""

    by: User
    patient: Patient
    medication: str
    today: date
    now: datetime
    sequence: int | None
    fields: PostedFields
    sedated: bool


class _Saved(NamedTuple):
    """The dose saved, the day it read and the rule's decision (with the bottles going home)."""

    day: DoseDay
    dose: DoseRecord
    decision: Decision


def _refuse_unknown_medication(medication: str) -> None:
    """A medication other than methadone or buprenorphine ("Buprenorphine", "" or an injection) is refused,
    naming `medication` (TreatmentInvalid): never read as another medication. A check of the body alone,
    before the record is read: said to a staff token too (lane fix27b, `FieldsInvalid.body_alone`)."""
    if medication not in GUARD_RAILS:
        raise TreatmentInvalid([FieldError("medication", UNKNOWN_MEDICATION)]).body_alone()


def _dose_audited_last(posted: _Posted, bottle_returned: bool) -> _Saved | DoseBlocked:
    """The checks and the dose (`_checked_dose`) with their audit rows appended at the end (`audit.deferred`,
    issue #21). A refusal (DoseBlocked) is returned, not raised, once its denial's audit row is appended:
    the caller raises it after the transaction commits that row."""
    with audit.deferred():
        try:
            return _checked_dose(posted, bottle_returned)
        except DoseBlocked as exc:
            return exc


def _checked_dose(posted: _Posted, bottle_returned: bool) -> _Saved:
    """The checks in this order, one step each (the body's own fields were checked before): the order, the
    fields as they meet the record, the day, the prescriber's cover, the
    rule's verdict; then the bottles going home, a bottle brought back and the dose saved."""
    by, patient, medication = posted.by, posted.patient, posted.medication
    today, now = posted.today, posted.now
    order, overrides, ended = order_for_dose(patient, medication, today, posted.fields.given)
    amount, given = dose_fields(patient, order, posted.fields, now)
    # The day's context, read once (this medication's recent doses and their amendments, the episode, its
    # take-home days, today's holds of any medication): the take-home day, the slot, the holds and the
    # re-dose interval below are all answered from it (tests/treatment/test_dose_queries.py counts them).
    # A late entry before today's discharge reads the episode it ended (`ended`, lane discharge39).
    ctx, reads = dose_context_and_reads(
        patient, medication, today, with_other_holds=True, ended_episode=ended
    )
    held = bottle_held_today(patient, medication, ctx, today)  # review 20a: an ended plan's
    day = DoseDay(by, patient, medication, order, today, now, ctx, reads, overrides)
    slot, covered = day_guards(day, given or now, posted.sedated, bottle_returned, posted.sequence)
    cover = prescriber_cover(day, given or now, amount)
    decision = window_verdict(day, given or now, amount, bool(posted.sedated), cover)
    if covered:  # lane fix37c: the second agonist's cover named beside the blockade's (one switch override)
        decision = replace(decision, reasons=(*decision.reasons, *covered))
    refuse_if_blocked(day, slot, decision, amount, cover.total)
    decision = _bottles_going_home(day, decision, amount)  # session 22: their mg, or none
    bottle = _bottle_brought_back(day, bottle_returned, held)
    if held is None and bottle is None and decision.decision != "hold" and medication == Medication.METHADONE:
        bottle, decision = _bottle_named_today(day, bottle_returned, decision)
    saved = _Saved(day, _save_dose(day, slot, amount, decision, cover, given, bottle), decision)
    if medication == Medication.METHADONE:  # lane bottle39: when she may take tomorrow's bottle
        note_not_before(patient, today, now, reads.plans)
    return saved


def _bottle_named_today(
    day: DoseDay, bottle_returned: bool, decision: Decision
) -> tuple[dict[str, object] | None, Decision]:
    """Lane fix29c (review 29c hole 5): the call-back list names today's bottle of an ended plan
    (`bottle_named_today`: maybe at home, its dose voided or corrected since) and the person is not known to
    hold it, so the window does not refuse the dose for it: brought back (the nurse ticked "today's bottle
    returned unopened", which the row offers for it), it is recorded on its plan as any bottle brought back
    (`record_bottle_returned`) and leaves the call-back list; not brought back, the dose's check tells the
    nurse to ask for it (`BOTTLE_NAMED_TODAY`), as the call-back list still names it."""
    named = bottle_named_today(day.patient, day.ctx, day.today)
    if named is None:
        return None, decision
    plan, mg = named
    if bottle_returned:
        said = record_bottle_returned(day.reads.plans, day.today, plan)
        if said is not None:  # every copy the dose read holds the day on the shelf (`plan_days`)
            for copy in (*day.reads.plans, *day.reads.every_plan):
                if copy.pk == said["take_home_plan"]:
                    copy.returned_days = sorted({*(copy.returned_days or []), day.today.isoformat()})
        return said, decision
    told = Reason.said(BOTTLE_NAMED_TODAY, ("42cfr8.12-2024",), mg=f"{mg.normalize():f}")
    return None, replace(decision, reasons=(*decision.reasons, told))


def _bottle_brought_back(
    day: DoseDay, bottle_returned: bool, held: TakeHomePlan | None
) -> dict[str, object] | None:
    """Review 19a, 20a: a take-home bottle brought back to the window on a methadone take-home day is
    recorded on its plan (`take_homes.record_bottle_returned`), what it says goes on the dose's audit row."""
    if bottle_returned and day.medication == Medication.METHADONE and day.today in day.ctx.take_home_days:
        said = record_bottle_returned(day.reads.plans, day.today, held)
        if said is not None:  # lane fix29a: every copy the dose read holds the day on the shelf (`plan_days`)
            for plan in (*day.reads.plans, *day.reads.every_plan):
                if plan.pk == said["take_home_plan"]:
                    plan.returned_days = sorted({*(plan.returned_days or []), day.today.isoformat()})
        return said
    return None


def _bottles_going_home(day: DoseDay, decision: Decision, amount: Decimal) -> Decision:
    """An observed methadone dose given (not a hold) hands out the take-home bottles of the run starting
    tomorrow (`bottles.hand_out_at_dose`: their mg recorded, or not handed out when the window's verdict
    today would block their dose); the dose's check says which, so the dose row shows it. Review 22o hole 6:
    judged against today's total with this dose (never the higher of yesterday and today); a later part of
    a split dose re-decides them. Hole 4: a hold names the bottles already at home (days, mg)."""
    if decision.decision == "hold":  # the bottles at home, told from every plan the day read (issue #21)
        at_home = at_home_reason(day.patient, day.today, AT_HOME_AFTER_HOLD, day.reads.every_plan)
        return replace(decision, reasons=(*decision.reasons, at_home)) if at_home else decision
    if day.medication != Medication.METHADONE or amount <= 0:
        return decision
    given = day.ctx.given_today_mg + amount
    said = hand_out_at_dose(day.by, day.patient, day.reads.plans, day.today, day.now, given, day.ctx)
    return replace(decision, reasons=(*decision.reasons, *said)) if said else decision


def _stored_decision(
    day: DoseDay, decision: Decision, cover: Cover, given: datetime | None
) -> dict[str, object]:
    """The dose's stored decision; a first buprenorphine dose whose start gate passed on readiness adds what
    it rested on (`start_rested_on`: the COWS and the threshold the gate's readiness read at the dose's time;
    lane fix36d), for the first-dose COWS flag to read instead of re-deriving it. Read as the gate read it
    (`now=day.now`: what was typed in by the recording; lane fix36j item 5): the gate's own read, handed over
    (`cover.readiness`, lane fix37c item 4: the same arguments, nothing written between), else read here."""
    stored: dict[str, object] = dict(decision.as_dict())
    if decision.decision != "hold" and passed_on_readiness(cover.start):
        read = cover.readiness or readiness_for_dose(day.patient, given or day.now, now=day.now)
        rested = rested_on_now(read)
        if rested is not None:
            stored[RESTED_ON] = rested
    return stored


def _save_dose(
    day: DoseDay,
    slot: int,
    amount: Decimal,
    decision: Decision,
    cover: Cover,
    given: datetime | None,
    detail: dict[str, object] | None = None,
) -> DoseRecord:
    """The dose row (a hold gives 0 mg), its audit row and, for a hold, its flag (`_flag_hold`), in one
    transaction; the slot recorded meanwhile (the unique slot of the day) is DoseConflict. `detail`: the
    audit row's (a bottle returned on a take-home day, review 19a)."""
    by, patient, today, now = day.by, day.patient, day.today, day.now
    held = decision.decision == "hold"
    try:
        with transaction.atomic(savepoint=False):  # in `record_dose`'s: a conflict rolls all of it back
            # Hand-written INSERT (`rows.insert`: the values `save()` sends; DoseRecord has no save() or
            # signals of its own): the ORM compiled this statement on every dose (issue #21).
            dose = rows.insert(
                DoseRecord(
                    patient=patient,
                    order=day.order,
                    medication=day.medication,
                    local_date=today,
                    sequence=slot,
                    status=DoseStatus.HELD if held else DoseStatus.GIVEN,
                    amount_mg=Decimal(0) if held else amount,
                    treatment_day=day.ctx.treatment_day,
                    decision=_stored_decision(day, decision, cover, given),
                    override=cover.override
                    if ((cover.documented or cover.redose) and decision.decision == "allowed_with_rationale")
                    or (cover.start is not None and cover.start.get("start_override"))
                    else None,
                    # the early re-dose override that lifted the interval, beside a limit override (fix36c)
                    redose_override=cover.redose_row
                    if decision.decision == "allowed_with_rationale"
                    else None,
                    recorded_by=by,
                    recorded_at=now,
                    given_at=given,
                )
            )
            # A new dose has no amendments yet: its answer (effective_mg, the amendments list) reads none.
            dose._prefetched_objects_cache = {"amendments": _no_amendments()}  # type: ignore[attr-defined]
            _audit(by, patient, Action.CREATE, "dose", dose.pk, reason=decision.decision, detail=detail)
            if held:
                _flag_hold(by, patient, dose, decision, today, now, day.reads)
    except IntegrityError:
        raise DoseConflict(slot_taken(slot)) from None
    return dose


def _no_amendments() -> QuerySet[DoseAmendment]:
    """A new dose's amendments (none), as Django's prefetch leaves a related set it read: the queryset with
    its rows (`_result_cache`) set. Iterating `DoseAmendment.objects.none()` still compiled a SELECT (to find
    it empty) on every dose's answer (issue #21; tests/treatment/test_new_dose_amendments.py)."""
    none = DoseAmendment.objects.none()
    none._result_cache = []
    return none


def _flag_hold(
    by: User,
    patient: Patient,
    dose: DoseRecord,
    decision: Decision,
    today: date,
    now: datetime,
    reads: _Reads,
) -> None:
    """A held dose (inside `_save_dose`'s transaction, under the person's lock): a flag to a prescriber with
    the rule's reasons, audited, and the person's take-home plans suspended from today, told from the day the
    dose read (`reads`): whether a dose was given today (`given_on`) and, where no other writer can have
    changed them since (SQLite: `take_homes.unlocked_plans`), the plans themselves (issue #21)."""
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
    suspend_take_home_plans(
        by=by,
        patient=patient,
        held_on=today,
        now=now,
        given_today=given_on(reads, patient.pk, today),
        plans=unlocked_plans(reads.every_plan),
    )


def given_on(reads: _Reads, patient_id: int, today: date) -> bool:
    """Whether a dose of any medication was given on `today` and taken (`taken_doses`' test, `is_taken`: not
    voided nor corrected to 0), told from the day the dose read under the person's lock (read
    `with_other_holds`: every medication's doses of today, with their amendments) instead of asking again
    (`suspend_take_home_plans`; tests/treatment/test_dose_audit_last.py holds it to the ORM's answer)."""
    doses = [*reads.doses.get(patient_id, []), *reads.other_held.get(patient_id, [])]
    return any(
        d.local_date == today and d.status == DoseStatus.GIVEN and is_taken(d, reads.amended.get(d.pk, []))
        for d in doses
    )
