"""Medication treatment: orders, the methadone dosing window (guard rails, holds, misses, append-only doses),
prescriber overrides, take-home plans and QTc — each through the access policy and the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.assessments.queries import diagnosis, latest_by_instrument
from keel.assessments.services import NotAllowed
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core import episodes, rules
from keel.core import intake as core_intake
from keel.core.decision import Decision
from keel.core.rules.buprenorphine import NOT_READY_TO_DOSE, parse_schedule
from keel.core.rules.inputs import FieldError, InvalidInput, record_id
from keel.core.rules.methadone import CRITERIA
from keel.core.rules.naltrexone import repeat_injection
from keel.core.rules.window import HOLD_OPEN, REFUSED, hard_bound, reason_problem
from keel.patients.models import (
    Enrollment,
    EnrollmentStatus,
    FlagKind,
    Patient,
    PatientFlag,
    local_today,
    zone_of,
)
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import (
    RXNORM,
    CareArea,
    CareGoal,
    DoseAmendment,
    DoseOverride,
    DoseRecord,
    DoseStatus,
    FillSource,
    Intake,
    Medication,
    MedicationFill,
    MedicationOrder,
    NaloxoneKit,
    NaloxoneProduct,
    OrderStatus,
    OverrideKind,
    QtcRecord,
    TakeHomePlan,
)
from keel.treatment.policy_store import effective_policy
from keel.treatment.readiness import SCREENS, naltrexone_readiness
from keel.treatment.readiness import HomeStart as HomeStart  # the one definition of readiness lives there
from keel.treatment.readiness import ReadinessRead as ReadinessRead
from keel.treatment.readiness import buprenorphine_readiness as buprenorphine_readiness

MISS_LOOKBACK = 30  # days the missed-dose count looks back


class DoseBlocked(Exception):
    """A guard rail stops this dose until a prescriber acts (the decision says why). Audited."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(" ".join(r.text for r in decision.reasons))
        self.decision = decision


class DoseConflict(Exception):
    """Another person recorded this dose slot first."""


_audit = audit.record_for_patient


def _scoped_for(user: Any, patient_id: int, target_type: str, allowed: bool, what: str) -> Patient:
    """The patient in scope for a write, else 404; a role that may not do `what`: 403, audited."""
    patient = policy.get_patient_or_404(
        user,
        patient_id,
        area=Area.CLINICAL,
        action=Action.CREATE,
        target_type=target_type,
        audit_success=False,
    )
    if not allowed:
        _audit(
            user, patient, Action.DENIED, target_type, outcome=Outcome.DENIED, reason=f"role may not {what}"
        )
        raise NotAllowed(f"Your role cannot {what}.")
    return patient


def _decimal(
    raw: Any, name: str, errors: list[FieldError], *, minimum: str = "0.01", maximum: str = "1000"
) -> Decimal:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        errors.append(FieldError(name, "must be a number of mg"))
        return Decimal(0)
    if not value.is_finite() or not Decimal(minimum) <= value <= Decimal(maximum):
        errors.append(FieldError(name, f"must be between {minimum} and {maximum} mg"))
    elif value != value.quantize(Decimal("0.01")):
        errors.append(FieldError(name, "at most 2 decimals"))
    return value


def _reason(raw: Any, errors: list[FieldError], name: str = "reason") -> str:
    text = str(raw or "").strip()
    if not text:
        errors.append(FieldError(name, "write the reason (required)"))
    elif len(text) > 2000:
        errors.append(FieldError(name, "at most 2000 characters"))
    return text


# --- Orders -----------------------------------------------------------------------------------------------


def prescribe(
    *,
    by: Any,
    patient_id: int,
    medication: str,
    dose_mg: Any,
    starts_on: date | None = None,
    note: str = "",
    home_start: bool = False,
    schedule: Any = None,
    now: datetime | None = None,
) -> MedicationOrder:
    """A new order; an active order for the same medication is superseded (kept, never edited)."""
    patient = _scoped_for(by, patient_id, "medication_order", policy.can_prescribe(by), "prescribe")
    errors: list[FieldError] = []
    if medication not in Medication.values:
        errors.append(FieldError("medication", f"one of {', '.join(Medication.values)}"))
    dose = _decimal(dose_mg, "dose_mg", errors)
    steps: list[dict[str, Any]] = []
    if (home_start or schedule) and medication != Medication.BUPRENORPHINE:
        errors.append(FieldError("medication", "home and low-dose starts are for buprenorphine"))
    try:
        steps = parse_schedule(schedule)
    except InvalidInput as exc:
        errors += exc.errors
    if errors:
        raise TreatmentInvalid(errors)
    now = now or timezone.now()
    with transaction.atomic():
        current = (
            MedicationOrder.objects.select_for_update()
            .filter(patient=patient, medication=medication, status=OrderStatus.ACTIVE)
            .first()
        )
        if current is not None:
            current.status = OrderStatus.SUPERSEDED
            current.save(update_fields=["status"])
        order = MedicationOrder.objects.create(
            patient=patient,
            medication=medication,
            rxnorm=RXNORM[medication],
            dose_mg=dose,
            starts_on=starts_on or local_today(patient, now),
            note=(note or "")[:2000],
            home_start=bool(home_start),
            schedule=steps,
            prescriber=by,
            created_at=now,
            supersedes=current,
        )
        _audit(by, patient, Action.CREATE, "medication_order", order.pk, detail={"medication": medication})
    return order


def order_fhir(order: MedicationOrder) -> dict[str, Any]:
    """The order as a FHIR R4 MedicationRequest."""
    return {
        "resourceType": "MedicationRequest",
        "id": str(order.pk),
        "status": {"active": "active", "stopped": "stopped", "superseded": "completed"}[order.status],
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [
                {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": order.rxnorm,
                    "display": order.medication,
                }
            ]
        },
        "subject": {"reference": f"Patient/{order.patient_id}"},
        "authoredOn": order.created_at.isoformat(),
        "requester": {"reference": f"Practitioner/{order.prescriber_id}"},
        "dosageInstruction": [
            {
                "text": f"{order.dose_mg.normalize():f} mg {order.route} {order.frequency}",
                "route": {"text": order.route},
                "doseAndRate": [{"doseQuantity": {"value": float(order.dose_mg), "unit": "mg"}}],
            }
        ],
        **(
            {"priorPrescription": {"reference": f"MedicationRequest/{order.supersedes_id}"}}
            if order.supersedes_id
            else {}
        ),
    }


# --- The dosing window ------------------------------------------------------------------------------------


def effective_mg(dose: DoseRecord, amendments: list[DoseAmendment] | None = None) -> Decimal:
    """The amount after its latest amendment (a voided dose counts 0). `amendments`: the dose's, oldest first,
    when the caller read them already (else they are read from the dose)."""
    amendments = list(dose.amendments.all()) if amendments is None else amendments
    if not amendments:
        return dose.amount_mg if dose.status == DoseStatus.GIVEN else Decimal(0)
    last = amendments[-1]
    return Decimal(0) if last.voided else Decimal(last.corrected_mg or 0)


@dataclass
class DoseContext:
    """What the dose check needs, read from the records (all for one patient and medication)."""

    today: date
    treatment_day: int
    given_today_mg: Decimal
    previous_day_mg: Decimal | None
    missed_days_in_a_row: int
    next_sequence: int
    last_dose: DoseRecord | None
    doses_today: list[DoseRecord] = field(default_factory=list)
    hold_open: bool = False  # a dose held today whose hold no prescriber has released
    observed: dict[date, Decimal] = field(default_factory=dict)  # this episode's observed totals before today
    days_since_last_increase: int | None = None
    first_dose_on: date | None = None  # the episode's first dose day (keel.core.episodes)
    in_episode: bool = True  # the person has an active enrollment (an ended episode cannot be dosed)

    @property
    def last_observed_mg(self) -> Decimal | None:
        return self.observed[max(self.observed)] if self.observed else None


def dose_context(patient: Patient, medication: str, today: date) -> DoseContext:
    return dose_contexts([(patient, today)], medication)[patient.pk]


def dose_contexts(patients: list[tuple[Patient, date]], medication: str) -> dict[int, DoseContext]:
    """Dose contexts for many patients at once, in four set-based queries (the dosing list)."""
    if not patients:
        return {}
    ids = [p.pk for p, _ in patients]
    earliest = min(today for _, today in patients) - timedelta(days=MISS_LOOKBACK)
    doses: dict[int, list[DoseRecord]] = {pk: [] for pk in ids}
    recent = DoseRecord.objects.filter(patient_id__in=ids, medication=medication, local_date__gte=earliest)
    for d in recent.order_by("patient_id", "local_date", "sequence"):
        doses[d.patient_id].append(d)
    # The amendments of those doses in one query (few doses have any); Django's per-row prefetch cost 1 s for
    # 20,000 doses (bench/measures.py, the caseload).
    amended: dict[int, list[DoseAmendment]] = {}
    for a in DoseAmendment.objects.filter(dose__in=recent).order_by("amended_at", "id"):
        amended.setdefault(a.dose_id, []).append(a)
    # The episode's first dose: the first observed dose on or after the current enrollment's start (one query
    # for everyone; a readmission starts a new episode). No active enrollment: no episode, no dosing.
    first_dose = (
        DoseRecord.objects.filter(
            patient_id=OuterRef("patient_id"),
            medication=medication,
            status=DoseStatus.GIVEN,
            local_date__gte=OuterRef("started_on"),
        )
        .order_by("local_date")
        .values("local_date")[:1]
    )
    firsts: dict[int, date | None] = {}
    for pk, first_on in (
        Enrollment.objects.filter(patient_id__in=ids, status=EnrollmentStatus.ACTIVE)
        .order_by("patient_id", "started_on")
        .annotate(first=Subquery(first_dose))
        .values_list("patient_id", "first")
    ):
        firsts[pk] = first_on  # the latest active enrollment wins
    covered: dict[int, set[date]] = {pk: set() for pk in ids}
    for pk, bottles in TakeHomePlan.objects.filter(patient_id__in=ids).values_list("patient_id", "bottles"):
        covered[pk] |= {date.fromisoformat(iso) for iso in bottles or []}
    contexts = {
        p.pk: _context(today, doses[p.pk], firsts.get(p.pk), covered[p.pk], amended) for p, today in patients
    }
    for pk, ctx in contexts.items():
        ctx.in_episode = pk in firsts
    held = [d.pk for ctx in contexts.values() for d in ctx.doses_today if d.status == DoseStatus.HELD]
    if held:  # a hold stands until a prescriber releases it (resolves its flag): one query, only when held
        released = set(
            PatientFlag.objects.filter(
                kind=FlagKind.DOSE_HELD, source_type="dose", source_id__in=held, resolved_at__isnull=False
            ).values_list("source_id", flat=True)
        )
        for ctx in contexts.values():
            ctx.hold_open = any(d.status == DoseStatus.HELD and d.pk not in released for d in ctx.doses_today)
    return contexts


def _context(
    today: date,
    doses: list[DoseRecord],
    first: date | None,
    covered: set[date],
    amended: dict[int, list[DoseAmendment]],
) -> DoseContext:
    if first is not None and first > today:  # a record dated after "today" (a clock set back): ignore it
        first = None
    doses = [d for d in doses if today - timedelta(days=MISS_LOOKBACK) <= d.local_date <= today]
    by_day: dict[date, Decimal] = {}
    for d in doses:
        by_day[d.local_date] = by_day.get(d.local_date, Decimal(0)) + effective_mg(d, amended.get(d.pk, []))
    today_doses = [d for d in doses if d.local_date == today]
    # Observed days of this episode before today: the titration's comparison (a take-home, closure or
    # missed day never replaces it) and the rolling window.
    observed = {
        day: mg for day, mg in sorted(by_day.items()) if first is not None and first <= day < today and mg > 0
    }
    last_increase = None
    for before, after in pairwise(observed):
        if observed[after] > observed[before]:
            last_increase = after
    missed = 0
    if first is not None and first < today:
        day = today - timedelta(days=1)
        while (
            day >= first
            and by_day.get(day, Decimal(0)) == 0
            and day not in covered
            and missed < MISS_LOOKBACK
        ):
            missed += 1
            day -= timedelta(days=1)
    yesterday = today - timedelta(days=1)
    return DoseContext(
        today=today,
        treatment_day=episodes.treatment_day(first, today),
        given_today_mg=by_day.get(today, Decimal(0)),
        previous_day_mg=observed.get(yesterday),
        missed_days_in_a_row=missed,
        next_sequence=(max((d.sequence for d in today_doses), default=0) + 1),
        last_dose=doses[-1] if doses else None,
        doses_today=today_doses,
        observed=observed,
        days_since_last_increase=(today - last_increase).days if last_increase else None,
        first_dose_on=first,
    )


GUARD_RAILS = {"methadone": "methadone-dose-check", "buprenorphine": "buprenorphine-dose-limit"}


def _dose_decision(
    patient: Patient,
    medication: str,
    ctx: DoseContext,
    amount: Decimal,
    sedated: bool,
    documented: bool,
    start: dict[str, Any] | None = None,
) -> Decision:
    """The guard-rail rule of this medication, with the program's policy. `start`: the buprenorphine
    first-dose inputs (first_dose, start_verdict, start_override)."""
    name = GUARD_RAILS.get(medication)
    if name is None:
        raise TreatmentInvalid(
            [FieldError("medication", "doses at the window are methadone or buprenorphine")]
        )
    common: dict[str, Any] = {
        "given_today_mg": float(ctx.given_today_mg),
        "requested_mg": float(amount),
        "sedated_or_intoxicated": sedated,
        "documented_rationale": documented,
        "hold_open": ctx.hold_open,
    }
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
        phase = "day1" if ctx.treatment_day == 1 else "day2" if ctx.treatment_day == 2 else "maintenance"
        raw = {**common, "phase": phase, **(start or {})}
    return rules.get(name).run(raw, effective_policy(patient, name))


def _slot_taken(slot: int) -> str:
    return (
        f"Already given today: dose {slot} of today is already recorded for this person. "
        "Reload the list before recording another."
    )


@dataclass(frozen=True)
class DoseOutcome:
    dose: DoseRecord
    decision: Decision


def _given_at(raw: Any, patient: Patient, now: datetime, errors: list[FieldError]) -> datetime | None:
    """When a dose recorded now was given, if earlier: today (the dose's day), with its time zone, not later
    than now. Blank: given when recorded."""
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        try:
            raw = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            errors.append(FieldError("given_at", "a date and time like 2026-11-20T09:30:00-05:00"))
            return None
    if not isinstance(raw, datetime) or raw.tzinfo is None:
        errors.append(FieldError("given_at", "a date and time with its time zone"))
        return None
    if raw > now:
        errors.append(FieldError("given_at", "cannot be after the dose is recorded"))
    elif raw.astimezone(zone_of(patient)).date() != local_today(patient, now):
        errors.append(FieldError("given_at", "must be today, the day of this dose"))
    return raw


BLOCKING = ("needs_override", "needs_reassessment", REFUSED, HOLD_OPEN, NOT_READY_TO_DOSE)


def _start_gate(
    patient: Patient,
    order: MedicationOrder,
    ctx: DoseContext,
    now: datetime,
    total: Decimal,
    overrides: list[DoseOverride],
) -> dict[str, Any]:
    """The first standard buprenorphine dose waits for the readiness verdict "ready" (the one definition,
    `readiness.buprenorphine_readiness`), unless a prescriber recorded a start override today that covers the
    total. A low-dose start follows its schedule instead."""
    if order.schedule:  # a low-dose start: today's planned total instead of the readiness gate
        day = (ctx.today - order.starts_on).days + 1
        planned = next((step["mg"] for step in order.schedule if step["day"] == day), None)
        return {"first_dose": False, "schedule_mg": planned}
    first = ctx.treatment_day == 1 and ctx.given_today_mg == 0
    if not first:
        return {"first_dose": False}
    read = buprenorphine_readiness(patient, now)
    verdict = read.readiness.decision if read.readiness is not None else "undecided"
    covered = any(o.kind == OverrideKind.START and total <= o.max_total_mg for o in overrides)
    return {"first_dose": True, "start_verdict": verdict, "start_override": covered}


def record_dose(
    *,
    by: Any,
    patient_id: int,
    sequence: int | None = None,
    amount_mg: Any = None,
    sedated: bool = False,
    medication: str = Medication.METHADONE,
    given_at: Any = None,
    now: datetime | None = None,
    slot_required: bool = False,
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
    today")."""
    patient = _scoped_for(by, patient_id, "dose", policy.can_record_dose(by), "record doses")
    now = now or timezone.now()
    today = local_today(patient, now)
    order = MedicationOrder.objects.filter(
        patient=patient, medication=medication, status=OrderStatus.ACTIVE
    ).first()
    if order is None:
        raise TreatmentInvalid(
            [FieldError("order", "no active order for this medication: a prescriber writes one first")]
        )
    errors: list[FieldError] = []
    if amount_mg in (None, "") or (isinstance(amount_mg, str) and not amount_mg.strip()):
        if sedated:  # a hold gives nothing: the amount is not needed
            amount = order.dose_mg
        else:  # never the ordered dose by default: the nurse types what is given
            amount = Decimal(0)
            errors.append(FieldError("amount_mg", "write the amount to give (mg)"))
    else:
        amount = _decimal(amount_mg, "amount_mg", errors)
    if sequence is not None and (not isinstance(sequence, int) or not 1 <= sequence <= 10):
        errors.append(FieldError("sequence", "the dose slot of the day, 1 to 10"))
    elif sequence is None and slot_required:
        errors.append(
            FieldError(
                "sequence", "which dose of the day this is (1 for the first): a retry is then 'already given'"
            )
        )
    given = _given_at(given_at, patient, now, errors)
    if errors:
        raise TreatmentInvalid(errors)
    ctx = dose_context(patient, medication, today)
    if not ctx.in_episode:
        raise TreatmentInvalid(
            [FieldError("patient", "this person's episode of care has ended: no dose can be recorded")]
        )
    slot = sequence or ctx.next_sequence
    if any(d.sequence == slot for d in ctx.doses_today):
        raise DoseConflict(_slot_taken(slot))
    if not ctx.hold_open:  # a hold on another medication today stops this one too
        other = DoseRecord.objects.filter(patient=patient, local_date=today, status=DoseStatus.HELD).exclude(
            medication=medication
        )
        released = PatientFlag.objects.filter(
            kind=FlagKind.DOSE_HELD,
            source_type="dose",
            source_id__in=other.values("pk"),
            resolved_at__isnull=False,
        )
        ctx.hold_open = other.exclude(pk__in=released.values("source_id")).exists()
    overrides = list(DoseOverride.objects.filter(patient=patient, medication=medication, local_date=today))
    total = ctx.given_today_mg + amount
    override = max(
        (o for o in overrides if o.kind == OverrideKind.LIMIT), key=lambda o: o.created_at, default=None
    )
    documented = override is not None and total <= override.max_total_mg
    start = None
    if medication == Medication.BUPRENORPHINE:
        start = _start_gate(patient, order, ctx, now, total, overrides)
        if start.get("start_override") and not documented:
            override = next(o for o in overrides if o.kind == OverrideKind.START and total <= o.max_total_mg)
    decision = _dose_decision(patient, medication, ctx, amount, bool(sedated), documented, start)
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
    held = decision.decision == "hold"
    try:
        with transaction.atomic():
            dose = DoseRecord.objects.create(
                patient=patient,
                order=order,
                medication=medication,
                local_date=today,
                sequence=slot,
                status=DoseStatus.HELD if held else DoseStatus.GIVEN,
                amount_mg=Decimal(0) if held else amount,
                treatment_day=ctx.treatment_day,
                decision=decision.as_dict(),
                override=override
                if (documented and decision.decision == "allowed_with_rationale")
                or (start is not None and start.get("start_override"))
                else None,
                recorded_by=by,
                recorded_at=now,
                given_at=given,
            )
            _audit(by, patient, Action.CREATE, "dose", dose.pk, reason=decision.decision)
            if held:
                flag = PatientFlag.objects.create(
                    patient=patient,
                    kind=FlagKind.DOSE_HELD,
                    priority=1,
                    reasons=[r.text for r in decision.reasons],
                    said=[{"template": r.template, "params": dict(r.params)} for r in decision.reasons],
                    sources=list(decision.sources),
                    source_type="dose",
                    source_id=dose.pk,
                    raised_at=now,
                )
                _audit(
                    by,
                    patient,
                    Action.CREATE,
                    "patient_flag",
                    flag.pk,
                    reason="dose held: prescriber to assess",
                )
    except IntegrityError:
        raise DoseConflict(_slot_taken(slot)) from None
    return DoseOutcome(dose, decision)


def amend_dose(
    *,
    by: Any,
    patient_id: int,
    dose_id: int,
    corrected_mg: Any = None,
    void: bool = False,
    reason: str = "",
    now: datetime | None = None,
) -> DoseAmendment:
    """Correct a recorded dose with a reason (append-only: the original row is never changed)."""
    patient = _scoped_for(by, patient_id, "dose_amendment", policy.can_record_dose(by), "amend doses")
    errors: list[FieldError] = []
    text = _reason(reason, errors)
    corrected = None
    if void and corrected_mg not in (None, ""):
        errors.append(
            FieldError("corrected_mg", "either give the corrected amount or void the dose, not both")
        )
    elif not void:
        corrected = _decimal(corrected_mg, "corrected_mg", errors, minimum="0")
    if errors:
        raise TreatmentInvalid(errors)
    dose = DoseRecord.objects.filter(patient=patient, pk=dose_id).first()
    if dose is None:  # not this patient's dose (or none at all): the same answer, audited
        _audit(by, patient, Action.DENIED, "dose", dose_id, outcome=Outcome.DENIED, reason="no such dose")
        raise policy.PatientNotFound()
    with transaction.atomic():
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


def add_override(
    *,
    by: Any,
    patient_id: int,
    max_total_mg: Any,
    reason: str,
    medication: str = Medication.METHADONE,
    kind: str = OverrideKind.LIMIT,
    now: datetime | None = None,
) -> DoseOverride:
    """A prescriber documents a reason of substance to give up to `max_total_mg` today past a guard rail, or
    (kind "start") a first buprenorphine dose before the verdict is ready (audited). It ends with the day and
    never passes the hard bound of the day's total."""
    patient = _scoped_for(by, patient_id, "dose_override", policy.can_prescribe(by), "override dose limits")
    errors: list[FieldError] = []
    rule = GUARD_RAILS.get(medication)
    if rule is None:
        errors.append(FieldError("medication", "methadone or buprenorphine"))
    if kind not in OverrideKind.values:
        errors.append(FieldError("kind", f"one of {', '.join(OverrideKind.values)}"))
    elif kind == OverrideKind.START and medication != Medication.BUPRENORPHINE:
        errors.append(FieldError("kind", "a start override is for a first buprenorphine dose"))
    limit = _decimal(max_total_mg, "max_total_mg", errors)
    if rule is not None and limit > Decimal(str(hard_bound(rule, "daily_total_max_mg"))):
        errors.append(
            FieldError(
                "max_total_mg",
                f"at most {hard_bound(rule, 'daily_total_max_mg'):g} mg: the hard bound no override passes",
            )
        )
    text = " ".join(str(reason or "").split())
    problem = reason_problem(text)
    if problem:
        errors.append(FieldError("reason", problem))
    if errors:
        raise TreatmentInvalid(errors)
    now = now or timezone.now()
    with transaction.atomic():
        row = DoseOverride.objects.create(
            patient=patient,
            medication=medication,
            kind=kind,
            local_date=local_today(patient, now),
            max_total_mg=limit,
            reason=text,
            prescriber=by,
            created_at=now,
        )
        _audit(by, patient, Action.CREATE, "dose_override", row.pk, reason=text[:200], detail={"kind": kind})
    return row


# --- Today's list -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DosingRow:
    patient: Patient
    order: MedicationOrder
    today: DoseContext
    take_home: TakeHomePlan | None
    open_flags: int
    due: bool
    status: str  # due, given, held, take_home


def dosing_list(
    user: Any, *, medication: str = Medication.METHADONE, now: datetime | None = None
) -> list[DosingRow]:
    """Today's window: every patient in the caller's clinical scope with an active order, in name order,
    one audit row naming them."""
    if not policy.can_record_dose(user) and not policy.can_prescribe(user):
        raise NotAllowed("The dosing list is for nurses and prescribers.")
    patients = list(
        policy.patients_visible_to(user, Area.CLINICAL)
        .filter(medication_orders__medication=medication, medication_orders__status=OrderStatus.ACTIVE)
        .filter(enrollments__status=EnrollmentStatus.ACTIVE)  # discharge ends dosing
        .select_related("program")
        .order_by("family_name", "given_name", "id")
        .distinct()
    )
    ids = [p.pk for p in patients]
    orders = {
        o.patient_id: o
        for o in MedicationOrder.objects.filter(
            patient_id__in=ids, medication=medication, status=OrderStatus.ACTIVE
        )
    }
    plans: dict[int, TakeHomePlan] = {}
    for row in TakeHomePlan.objects.filter(patient_id__in=ids).order_by("patient_id", "-decided_at"):
        plans.setdefault(row.patient_id, row)
    flags = dict(
        PatientFlag.objects.filter(patient_id__in=ids, resolved_at__isnull=True)
        .values("patient_id")
        .annotate(n=Count("id"))
        .values_list("patient_id", "n")
    )
    contexts = dose_contexts([(p, local_today(p, now)) for p in patients], medication)
    rows = []
    for p in patients:
        today = local_today(p, now)
        ctx = contexts[p.pk]
        plan = plans.get(p.pk)
        on_take_home = bool(plan and today.isoformat() in (plan.bottles or []))
        status = (
            "held"
            if ctx.hold_open
            else "given"
            if ctx.given_today_mg > 0
            else "take_home"
            if on_take_home
            else "due"
        )
        rows.append(DosingRow(p, orders[p.pk], ctx, plan, flags.get(p.pk, 0), status == "due", status))
    policy.audit_list_read(user, target_type="dosing_list", patient_ids=ids)
    return rows


# --- Take-homes and QTc -----------------------------------------------------------------------------------

CRITERIA_KEYS = tuple(key for key, _text in CRITERIA)


def decide_take_home(
    *,
    by: Any,
    patient_id: int,
    criteria: Mapping[str, Any],
    state_max_days: Any = None,
    start_on: date | None = None,
    now: datetime | None = None,
) -> TakeHomePlan:
    """Run take-home eligibility on the documented criteria with the program's policy; store the decision
    and the bottle schedule (prescribers: the OTP practitioner decides)."""
    patient = _scoped_for(
        by, patient_id, "take_home_plan", policy.can_prescribe(by), "decide take-home doses"
    )
    now = now or timezone.now()
    today = local_today(patient, now)
    enrollment = patient.enrollments.filter(status="active").order_by("-started_on").first()
    if enrollment is None:  # discharge ends dosing: no take-home supply after the episode ended
        raise TreatmentInvalid(
            [FieldError("patient", "this person's episode of care has ended: no take-home doses")]
        )
    admitted = enrollment.started_on  # the current episode's admission (a readmission starts again)
    raw: dict[str, Any] = {
        "admitted_on": admitted.isoformat(),
        "today": today.isoformat(),
        "start_on": (start_on or today + timedelta(days=1)).isoformat(),
        **{k: bool(criteria.get(k, False)) for k in CRITERIA_KEYS},
    }
    if state_max_days not in (None, ""):
        raw["state_max_days"] = state_max_days
    decision = rules.get("take-home-eligibility").run(raw, effective_policy(patient, "take-home-eligibility"))
    days = (today - admitted).days + effective_policy(patient, "take-home-eligibility")[
        "admission_day_number"
    ]
    with transaction.atomic():
        plan = TakeHomePlan.objects.create(
            patient=patient,
            decided_by=by,
            decided_at=now,
            days_in_treatment=max(days, 0),
            criteria={k: raw[k] for k in CRITERIA_KEYS},
            decision=decision.as_dict(),
            max_supply_days=decision.details.get("max_supply_days", 0),
            bottles=decision.details.get("bottles", []),
        )
        _audit(by, patient, Action.CREATE, "take_home_plan", plan.pk, reason=decision.decision)
    return plan


def record_qtc(
    *, by: Any, patient_id: int, qtc_ms: Any, measured_on: date | None = None, now: datetime | None = None
) -> QtcRecord:
    patient = _scoped_for(by, patient_id, "qtc", policy.can_record_measurement(by), "record QTc")
    now = now or timezone.now()
    current = MedicationOrder.objects.filter(
        patient=patient, medication=Medication.METHADONE, status=OrderStatus.ACTIVE
    ).first()
    raw: dict[str, Any] = {"qtc_ms": qtc_ms}
    if current is not None:
        raw["daily_dose_mg"] = float(current.dose_mg)
    try:
        decision = rules.get("qtc-monitoring").run(raw)
    except InvalidInput as exc:
        raise TreatmentInvalid(exc.errors) from None
    with transaction.atomic():
        row = QtcRecord.objects.create(
            patient=patient,
            qtc_ms=int(qtc_ms),
            measured_on=measured_on or local_today(patient, now),
            decision=decision.as_dict(),
            recorded_by=by,
            recorded_at=now,
        )
        _audit(by, patient, Action.CREATE, "qtc", row.pk, reason=decision.decision)
    return row


# --- The patient's medication record (one audited read) ---------------------------------------------------


@dataclass(frozen=True)
class MedicationRecord:
    patient: Patient
    orders: list[MedicationOrder]
    doses: list[DoseRecord]
    overrides: list[DoseOverride]
    take_homes: list[TakeHomePlan]
    qtc: list[QtcRecord]
    context: DoseContext | None
    fills: list[MedicationFill] = field(default_factory=list)


def medication_record(user: Any, *, patient_id: int, now: datetime | None = None) -> MedicationRecord:
    patient = policy.get_patient_or_404(user, patient_id, area=Area.CLINICAL, target_type="medication_record")
    active = MedicationOrder.objects.filter(
        patient=patient, medication=Medication.METHADONE, status=OrderStatus.ACTIVE
    )
    return MedicationRecord(
        patient=patient,
        orders=list(MedicationOrder.objects.filter(patient=patient)[:50]),
        doses=list(
            DoseRecord.objects.filter(patient=patient)
            .prefetch_related("amendments")
            .select_related("recorded_by")[:60]
        ),
        overrides=list(DoseOverride.objects.filter(patient=patient)[:20]),
        take_homes=list(TakeHomePlan.objects.filter(patient=patient)[:10]),
        qtc=list(QtcRecord.objects.filter(patient=patient)[:10]),
        fills=list(MedicationFill.objects.filter(patient=patient).select_related("order", "voids")[:30]),
        context=dose_context(patient, Medication.METHADONE, local_today(patient, now))
        if active.exists()
        else None,
    )


# --- Intake, readiness, naloxone, the care plan, naltrexone ------------------------------------------------


def record_intake(*, by: Any, patient_id: int, raw: Mapping[str, Any], now: datetime | None = None) -> Intake:
    """A new intake (counselors, nurses, prescribers), with the overdose-risk summary made now."""
    patient = _scoped_for(by, patient_id, "intake", policy.can_write_care_record(by), "record intakes")
    now = now or timezone.now()
    try:
        values = core_intake.parse_intake(raw, now)
    except InvalidInput as exc:
        raise TreatmentInvalid(exc.errors) from None
    has_kit = NaloxoneKit.objects.filter(patient=patient).exists()
    risk = rules.get("overdose-risk").run(core_intake.overdose_inputs(values, has_kit=has_kit))
    with transaction.atomic():
        row = Intake.objects.create(
            patient=patient, values=values, overdose_risk=risk.as_dict(), recorded_by=by, recorded_at=now
        )
        _audit(by, patient, Action.CREATE, "intake", row.pk)
    return row


@dataclass(frozen=True)
class StartView:
    """Everything the buprenorphine start page shows, read once (one audit row)."""

    patient: Patient
    intake: Intake | None
    cows: Any  # the latest COWS Assessment, or None
    readiness: Decision | None
    missing: tuple[str, ...]  # what the readiness verdict still needs
    overdose: Decision | None
    naloxone_kits: list[NaloxoneKit]
    order: MedicationOrder | None
    context: DoseContext | None
    goals: list[CareGoal]
    latest: dict[str, Any]  # instrument code -> latest Assessment (dsm5-oud, phq9, gad7, cssrs-screen, ort)
    read: ReadinessRead | None = None  # the readiness read: every opioid's last use, the COWS's age, policy
    now: datetime | None = None


def start_view(user: Any, *, patient_id: int, now: datetime | None = None) -> StartView:
    patient = policy.get_patient_or_404(user, patient_id, area=Area.CLINICAL, target_type="treatment_start")
    now = now or timezone.now()
    read = buprenorphine_readiness(patient, now)
    intake, cows, readiness, missing = read.intake, read.cows, read.readiness, read.missing
    latest = {**read.latest, **latest_by_instrument(patient, SCREENS, as_of=now)}
    latest.pop("dsm5-oud", None)  # the diagnosis is the clinician's, never a self-check (issue #15)
    found = diagnosis(patient, as_of=now)
    if found is not None:
        latest["dsm5-oud"] = found
    kits = list(NaloxoneKit.objects.filter(patient=patient)[:5])
    overdose = None
    if intake is not None:
        overdose = rules.get("overdose-risk").run(
            core_intake.overdose_inputs(intake.values, has_kit=bool(kits))
        )
    order = MedicationOrder.objects.filter(
        patient=patient, medication=Medication.BUPRENORPHINE, status=OrderStatus.ACTIVE
    ).first()
    return StartView(
        patient=patient,
        intake=intake,
        cows=cows,
        readiness=readiness,
        missing=missing,
        overdose=overdose,
        naloxone_kits=kits,
        order=order,
        context=dose_context(patient, Medication.BUPRENORPHINE, local_today(patient, now)) if order else None,
        goals=list(CareGoal.objects.filter(patient=patient).select_related("responsible")),
        latest=latest,
        read=read,
        now=now,
    )


def dispense_naloxone(
    *, by: Any, patient_id: int, product: str, quantity: Any = 1, now: datetime | None = None
) -> NaloxoneKit:
    patient = _scoped_for(by, patient_id, "naloxone_kit", policy.can_record_dose(by), "dispense naloxone")
    errors: list[FieldError] = []
    if product not in NaloxoneProduct.values:
        errors.append(FieldError("product", f"one of {', '.join(NaloxoneProduct.values)}"))
    try:
        count = int(quantity)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= 10:
        errors.append(FieldError("quantity", "between 1 and 10"))
    if errors:
        raise TreatmentInvalid(errors)
    now = now or timezone.now()
    with transaction.atomic():
        kit = NaloxoneKit.objects.create(
            patient=patient,
            product=product,
            quantity=count,
            dispensed_on=local_today(patient, now),
            dispensed_by=by,
            recorded_at=now,
        )
        _audit(by, patient, Action.CREATE, "naloxone_kit", kit.pk)
    return kit


def record_fill(
    *,
    by: Any,
    patient_id: int,
    order_id: Any,
    filled_on: Any,
    days_supply: Any,
    source: Any,
    now: datetime | None = None,
) -> MedicationFill:
    """An order filled at a pharmacy (nurses, prescribers): the days it covers count in the measures."""
    patient = _scoped_for(by, patient_id, "medication_fill", policy.can_record_dose(by), "record fills")
    now = now or timezone.now()
    today = local_today(patient, now)
    errors: list[FieldError] = []
    order_pk = record_id(order_id)
    order = MedicationOrder.objects.filter(patient=patient, pk=order_pk).first() if order_pk else None
    if order is None:
        errors.append(FieldError("order", "no such order for this patient"))
    day = None
    try:
        day = date.fromisoformat(str(filled_on))
        if day > today:
            errors.append(FieldError("filled_on", "cannot be after today"))
        elif order is not None and day < order.starts_on:
            errors.append(FieldError("filled_on", f"cannot be before the order starts ({order.starts_on})"))
    except ValueError:
        errors.append(FieldError("filled_on", "must be a date like 2026-11-20"))
    supply = int(days_supply) if isinstance(days_supply, int) or str(days_supply).isdigit() else 0
    if not 1 <= supply <= 365:
        errors.append(FieldError("days_supply", "must be a whole number of days from 1 to 365"))
    if source not in FillSource.values:
        errors.append(FieldError("source", f"must be one of: {', '.join(FillSource.values)}"))
    if errors:
        raise TreatmentInvalid(errors)
    assert order is not None and day is not None
    with transaction.atomic():
        fill = MedicationFill.objects.create(
            patient=patient,
            order=order,
            filled_on=day,
            days_supply=supply,
            source=source,
            recorded_by=by,
            recorded_at=now,
        )
        _audit(by, patient, Action.CREATE, "medication_fill", fill.pk)
    return fill


def void_fill(
    *, by: Any, patient_id: int, fill_id: Any, reason: Any, now: datetime | None = None
) -> MedicationFill:
    """A fill recorded by mistake stops counting: a new row voids it, with a reason; nothing is edited."""
    patient = _scoped_for(by, patient_id, "medication_fill", policy.can_record_dose(by), "void fills")
    now = now or timezone.now()
    why = " ".join(reason.split()) if isinstance(reason, str) else ""
    fill_pk = record_id(fill_id)
    with transaction.atomic():
        fill = (
            MedicationFill.objects.select_for_update()
            .filter(patient=patient, pk=fill_pk, voids__isnull=True)
            .first()
            if fill_pk
            else None
        )
        errors = []
        if fill is None:
            errors.append(FieldError("fill", "no such fill for this patient"))
        elif MedicationFill.objects.filter(voids=fill).exists():
            errors.append(FieldError("fill", "is already voided"))
        if len(why) < 5:
            errors.append(FieldError("reason", "say why (at least 5 characters)"))
        if errors:
            raise TreatmentInvalid(errors)
        assert fill is not None
        void = MedicationFill.objects.create(
            patient=patient,
            order=fill.order,
            filled_on=fill.filled_on,
            days_supply=fill.days_supply,
            source=fill.source,
            voids=fill,
            reason=why[:300],
            recorded_by=by,
            recorded_at=now,
        )
        _audit(by, patient, Action.UPDATE, "medication_fill", fill.pk, reason="voided")
    return void


def add_goal(
    *,
    by: Any,
    patient_id: int,
    area: str,
    goal: str,
    responsible_id: Any,
    review_on: Any,
    now: datetime | None = None,
) -> CareGoal:
    """A care-plan goal (counselors, nurses, prescribers); the responsible person is on the care team."""
    from keel.patients.models import CareTeamMember

    patient = _scoped_for(by, patient_id, "care_goal", policy.can_write_care_record(by), "edit care plans")
    errors: list[FieldError] = []
    if area not in CareArea.values:
        errors.append(FieldError("area", f"one of {', '.join(CareArea.values)}"))
    text = (goal or "").strip()
    if not text or len(text) > 300:
        errors.append(FieldError("goal", "write the goal (at most 300 characters)"))
    responsible = record_id(responsible_id)  # from the page's form it is text
    member = (
        CareTeamMember.objects.filter(patient=patient, user_id=responsible).select_related("user").first()
        if responsible is not None
        else None
    )
    if member is None:
        errors.append(FieldError("responsible", "choose someone on the care team"))
    try:
        review = date.fromisoformat(str(review_on))
    except ValueError:
        errors.append(FieldError("review_on", "a date like 2026-12-20"))
        review = None
    now = now or timezone.now()
    if review is not None and review < local_today(patient, now):
        errors.append(FieldError("review_on", "cannot be in the past"))
    if errors or member is None or review is None:
        raise TreatmentInvalid(errors)
    with transaction.atomic():
        row = CareGoal.objects.create(
            patient=patient,
            area=area,
            goal=text,
            responsible=member.user,
            review_on=review,
            created_by=by,
            created_at=now,
        )
        _audit(by, patient, Action.CREATE, "care_goal", row.pk)
    return row


def my_care_plan(user: Any) -> tuple[Patient, list[CareGoal], list[NaloxoneKit]]:
    """The patient's own care plan, in plain words on their page (one audit row)."""
    patient = policy.own_patient_or_404(user, target_type="care_plan")
    goals = list(CareGoal.objects.filter(patient=patient, status="active").select_related("responsible"))
    return patient, goals, list(NaloxoneKit.objects.filter(patient=patient)[:3])


SITES = ("left_gluteal", "right_gluteal")


def record_injection(
    *,
    by: Any,
    patient_id: int,
    site: str,
    naloxone_challenge_negative: bool = False,
    now: datetime | None = None,
) -> DoseOutcome:
    """An extended-release naltrexone injection (380 mg, gluteal, alternating sides; reference 11). The first
    one: the naltrexone-readiness rule on every opioid's last use (the opioid-free interval, program policy,
    default 7 days; the switching guidance after methadone or buprenorphine; a naloxone challenge done today);
    then the site alternation, the next due date and the lost-tolerance warning."""
    patient = _scoped_for(by, patient_id, "dose", policy.can_record_dose(by), "give injections")
    if site not in SITES:
        raise TreatmentInvalid([FieldError("site", "left_gluteal or right_gluteal")])
    order = MedicationOrder.objects.filter(
        patient=patient, medication=Medication.NALTREXONE_XR, status=OrderStatus.ACTIVE
    ).first()
    if order is None:
        raise TreatmentInvalid(
            [FieldError("order", "no active naltrexone order: a prescriber writes one first")]
        )
    now = now or timezone.now()
    today = local_today(patient, now)
    last = DoseRecord.objects.filter(
        patient=patient, medication=Medication.NALTREXONE_XR, status=DoseStatus.GIVEN
    ).first()
    if last is not None and last.site == site:
        raise TreatmentInvalid(
            [FieldError("site", f"alternate sides: the last injection was {last.site.replace('_', ' ')}")]
        )
    if last is not None:  # on XR-naltrexone already: the next due date and the tolerance warning
        decision = repeat_injection(today)
    else:
        read = naltrexone_readiness(
            patient,
            now,
            naloxone_challenge_negative=bool(naloxone_challenge_negative),
            last_injection_on=today,
        )
        if read.decision is None:
            raise TreatmentInvalid(
                [FieldError("last_use", "record the time of last use of each opioid first (the intake)")]
            )
        decision = read.decision
        if not read.may_inject:
            _audit(
                by,
                patient,
                Action.DENIED,
                "dose",
                outcome=Outcome.DENIED,
                reason=f"guard rail: {decision.decision}",
            )
            raise DoseBlocked(decision)
    with transaction.atomic():
        dose = DoseRecord.objects.create(
            patient=patient,
            order=order,
            medication=Medication.NALTREXONE_XR,
            local_date=today,
            sequence=1,
            status=DoseStatus.GIVEN,
            amount_mg=order.dose_mg,
            site=site,
            treatment_day=1 if last is None else (today - last.local_date).days,
            decision=decision.as_dict(),
            recorded_by=by,
            recorded_at=now,
        )
        _audit(by, patient, Action.CREATE, "dose", dose.pk, reason="naltrexone injection")
    return DoseOutcome(dose, decision)


def schedule_rows(order: MedicationOrder) -> list[dict[str, Any]]:
    """A low-dose schedule against what was given each day (day 1 = the order's start date)."""
    if not order.schedule:
        return []
    given: dict[int, Decimal] = {}
    for d in DoseRecord.objects.filter(order=order).prefetch_related("amendments"):
        n = (d.local_date - order.starts_on).days + 1
        given[n] = given.get(n, Decimal(0)) + effective_mg(d)
    return [{"day": s["day"], "planned_mg": s["mg"], "given_mg": given.get(s["day"])} for s in order.schedule]
