"""The buprenorphine start: the intake (with its overdose-risk summary), the first dose's readiness gate and
a low-dose start's schedule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from keel.access import policy
from keel.accounts.models import User
from keel.api_body import Posted
from keel.audit.models import Action
from keel.core import induction as induction_rules
from keel.core import intake as core_intake
from keel.core import rules
from keel.core.rules.buprenorphine import (
    DOSE_LIMIT,
    LowDoseStep,
    ScheduleStep,
    StartGate,
    schedule_rise_problem,
)
from keel.core.rules.buprenorphine.dose_limit import DosePolicy as DoseLimitPolicy
from keel.core.rules.inputs import InvalidInput
from keel.patients.models import Patient
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import (
    DoseOverride,
    DoseRecord,
    DoseStatus,
    Intake,
    Medication,
    MedicationOrder,
    NaloxoneKit,
    OverrideKind,
)
from keel.treatment.queries import DoseContext, dose_context, effective_mg, taken_doses
from keel.treatment.queries.doses import episode_first_day_before, given_before, given_order, mg_given_before
from keel.treatment.queries.policy import effective_policy
from keel.treatment.readiness import ReadinessRead, methadone_times, readiness_for_dose
from keel.treatment.services.common import _audit, _scoped_for
from keel.treatment.services.doses.rule import earlier_day_mg

if TYPE_CHECKING:  # the schemas read the services; the service only names the body's type
    from keel.treatment.schemas import IntakeIn


def start_gate_and_read(
    patient: Patient,
    order: MedicationOrder,
    ctx: DoseContext,
    now: datetime,
    total: Decimal,
    overrides: list[DoseOverride],
    *,
    dose_limit: DoseLimitPolicy | None = None,
    dose: DoseRecord | None = None,
    entered_by: datetime | None = None,
) -> tuple[StartGate, ReadinessRead | None]:
    """The buprenorphine start gate and today's induction day (`keel.core.induction`, counted in dosing
    days): an induction's first dose (the episode's first, a restart after `restart_gap_days` without
    buprenorphine, or buprenorphine after methadone taken since the last buprenorphine dose) waits for the
    readiness verdict "ready" (the one definition, `readiness.buprenorphine_readiness`), unless a prescriber
    recorded a start override today that covers the total; the day-1 and day-2 limits follow the
    induction's first and second dosing days. A low-dose start follows its schedule instead (methadone
    alongside it is the method), for a day's total up to today's step only (review 21m, as review 20a's
    `agonists.low_dose_steps_today` for methadone after it): more than the step is no low-dose step, so the
    gate applies to it (a readiness verdict "ready" or a start override covering the total), on the start's
    day whatever dose of the day takes the total there (review 21x: after the morning's 0.5 mg step, 8 mg
    more was "not a first dose" and skipped the gate); on a later day above the step, the step's words (the
    schedule's planned total still needs a limit override for the day, clin13). `dose_limit`: the dose limit's
    policy for the person when the caller read it (the window's, `guards.DoseDay.policy`); None: read.
    `dose`: a recorded dose whose gate is read again (`recorded_dose_gate`; None at the window). `now`: the
    dose's time given (else recorded); "before it" is by that time (`queries.doses.given_before`, fix36a).
    `entered_by`: at the window, the moment the dose is being recorded (a report of last use typed in by then
    counts, its use before `now`: `readiness.readiness_for_dose`); a recorded dose reads its recording.
    With the readiness verdict the gate read (None: it read none), for the dose's stored decision to keep
    what it rested on without reading it again (lane fix37c item 4, `doses.window._stored_decision`)."""
    step = _step_by_hours(patient, order, ctx, now, dose_limit)
    if step is not None and total <= Decimal(str(step["schedule_mg"])):  # today's step: no gate
        return _with_step({"first_dose": False}, step), None
    entered = dose.recorded_at if dose is not None else entered_by
    read = _GateRead(patient, ctx, now, total, overrides, dose_limit, dose, entered)
    if step is not None:  # above the step: the gate, then the step's planned total (no phase of its own)
        gate, verdict = _start_gate_read(read, any_dose=True)
        gate.pop("phase", None)
        gate.pop("restart_after_days", None)
        return _with_step(gate, step), verdict
    return _start_gate_read(read)


def _step_by_hours(
    patient: Patient,
    order: MedicationOrder,
    ctx: DoseContext,
    now: datetime,
    dose_limit: DoseLimitPolicy | None,
) -> LowDoseStep | None:
    """Today's low-dose step (`low_dose_step`), or the previous program day's when a dose of that day was
    given within the program's same_day_hours before `now` (lane fix38o, re-attack 38t finding 2: a step at
    01:30 after step 1 at 23:00 counts as step 1's day, so a second step that day is refused as the schedule
    refuses two steps a day; `rule.earlier_day_mg`, the one count)."""
    step = low_dose_step(patient, order, ctx.today)
    if step is None or not ctx.earlier_taken:
        return step
    settings = effective_policy(patient, DOSE_LIMIT) if dose_limit is None else dose_limit
    if earlier_day_mg(ctx, settings, now) <= 0:
        return step
    return low_dose_step(patient, order, ctx.today - timedelta(days=1)) or step


def recorded_dose_gate(
    patient: Patient, dose: DoseRecord, total: Decimal | None = None
) -> tuple[StartGate, DoseContext] | None:
    """The start gate the window puts to a recorded buprenorphine dose, read again as it was given, with the
    context it is read on (lane fix35a, review 34e; a correction's gate, `doses.limits.start_gate_over`,
    and the first-dose COWS flag, `treatment.first_dose_cows`): its day's context with the day's doses
    before it by time given (`queries.doses.given_before`, lane fix36a: never by slot) as `given_today_mg`,
    the episode's earlier dosing days as the record holds them now (`queries.doses.episode_first_day_before`:
    none, and its day is the episode's first, whatever a correction did to it since or a later day holds),
    the dose's time (given, else recorded), `total` the day's total with it (None: the doses before it and
    its own amount as it stands), and the overrides the window read for it: of its day, written by the time
    it was recorded and not ended then (one written after it does not count: review 34e item 5). None: not
    a buprenorphine dose under an order."""
    if dose.medication != Medication.BUPRENORPHINE or dose.order is None:
        return None
    day = DoseRecord.objects.filter(
        patient=patient, medication=dose.medication, local_date=dose.local_date
    ).prefetch_related("amendments")
    before = sum((effective_mg(d) for d in given_before(day, dose)), Decimal(0))
    total = before + effective_mg(dose) if total is None else total
    earlier = episode_first_day_before(dose)
    ctx = replace(
        dose_context(patient, dose.medication, dose.local_date),
        given_today_mg=before,
        hold_open=False,
        first_dose_on=earlier if earlier is not None else dose.local_date,
    )
    overrides = list(
        DoseOverride.objects.filter(
            patient=patient,
            medication=dose.medication,
            local_date=dose.local_date,
            created_at__lte=dose.recorded_at,
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=dose.recorded_at))
        .order_by("-created_at")
    )
    at = dose.given_at or dose.recorded_at
    return start_gate_and_read(patient, dose.order, ctx, at, total, overrides, dose=dose)[0], ctx


def _with_step(gate: StartGate, step: LowDoseStep) -> StartGate:
    """The gate with today's low-dose step, its keys last."""
    gate["schedule_mg"] = step["schedule_mg"]
    gate["schedule_step"] = step["schedule_step"]
    gate["schedule_missed_days"] = step["schedule_missed_days"]
    return gate


@dataclass(frozen=True)
class _GateRead:
    """What `start_gate_and_read` reads the gate from: the day's context (`given_today_mg`: the day's doses
    before this one), the dose's time, the day's total with it, the day's overrides, the dose limit's policy
    if read, the recorded dose read again (None at the window) and the moment what it reads was typed in by
    (the dose's recording; at the window, now; None: `now`)."""

    patient: Patient
    ctx: DoseContext
    now: datetime
    total: Decimal
    overrides: list[DoseOverride]
    dose_limit: DoseLimitPolicy | None
    dose: DoseRecord | None
    entered_by: datetime | None = None


def _start_gate_read(read: _GateRead, *, any_dose: bool = False) -> tuple[StartGate, ReadinessRead | None]:
    """`start_gate_and_read` without a low-dose step: the induction's phase and, on its first day, the
    readiness verdict just before the dose (`readiness.readiness_for_dose`) and a start override covering
    `total`, the day's total with this dose. The gate is put to the day's first dose; to a later dose of the
    induction's first day when the day's first dose rested on a start override (`_day_rested_on_override`:
    lane fix34c, review 34c hole 1: 6 mg after a 2 mg test dose on a 2 mg start override, readiness "wait";
    the override limits the day's total); and to every dose with `any_dose` (a low-dose day above its step,
    review 21x). A later dose after a first dose given on "ready" is not gated again (a fresh COWS is not
    asked for it), a start override recorded or not (lane fix35a, review 34e item 4). "The day's first" and
    "before it" are by time given (`queries.doses.given_before`, lane fix36a, review 35h hole 1)."""
    patient, ctx, overrides = read.patient, read.ctx, read.overrides
    induction = _induction(
        patient, ctx, read.now, read.dose_limit, leave_out=read.dose, entered_by=read.entered_by
    )
    gated = (
        any_dose or _taken_before_mg(read) == 0 or (induction.starts_today and _day_rested_on_override(read))
    )
    first = (induction.starts_today and gated) or induction.after_full_agonist
    gate: StartGate = {"first_dose": first}
    verdict = None
    if first:
        verdict = readiness_for_dose(patient, read.now, dose=read.dose, now=read.entered_by)
        gate["start_verdict"] = verdict.readiness.decision if verdict.readiness is not None else "undecided"
        gate["start_override"] = any(
            o.kind == OverrideKind.START and read.total <= o.max_total_mg for o in overrides
        )
        gate["after_full_agonist"] = induction.after_full_agonist
    gate["phase"] = induction.phase
    if induction.restart_after_days:
        gate["restart_after_days"] = induction.restart_after_days
    return gate, verdict


def _taken_before_mg(read: _GateRead) -> Decimal:
    """The mg of the day's doses before this one by time given (`queries.doses.given_before`): a recorded
    dose read again has them as its context's `given_today_mg` (`recorded_dose_gate`); at the window, the
    day's doses given by the dose's time (all of them, unless it is recorded late for an earlier time)."""
    if read.dose is not None:
        return read.ctx.given_today_mg
    return mg_given_before(read.ctx, read.now)


def _day_rested_on_override(read: _GateRead) -> bool:
    """Whether the day's first dose taken before this one (by time given, `queries.doses.given_before`: the
    recorded dose read again, or the window's dose at its time given) rested on a start override of the
    day: one is recorded and the readiness verdict just before that first dose
    (`readiness.readiness_for_dose`) was not "ready" (lane fix35a, review 34e item 4: an override the first
    dose did not need gates no later dose, as a day without one)."""
    if not any(o.kind == OverrideKind.START for o in read.overrides):
        return False
    day = taken_doses(
        DoseRecord.objects.filter(
            patient=read.patient,
            medication=Medication.BUPRENORPHINE,
            status=DoseStatus.GIVEN,
            local_date=read.ctx.today,
        )
    )
    before = given_before(day, read.dose if read.dose is not None else read.now)
    first = min(before, key=given_order, default=None)
    patient = read.patient
    return (
        first is None
        or not readiness_for_dose(patient, first.given_at or first.recorded_at, dose=first).ready
    )


def window_phase(patient: Patient, order: MedicationOrder, ctx: DoseContext, at: datetime) -> str:
    """The buprenorphine day limit's phase the window applies on `ctx.today` to a dose given at `at`: a
    low-dose step keeps the treatment day's (as `doses.rule.dose_decision`), else the induction's, counted in
    dosing days (`_induction`: the episode's first, a restart after a gap, a switch after methadone). A
    correction of a dose meets the limit of its day's phase (issue #13)."""
    if low_dose_step(patient, order, ctx.today) is not None:
        return "day1" if ctx.treatment_day == 1 else "day2" if ctx.treatment_day == 2 else "maintenance"
    return _induction(patient, ctx, at).phase


def _induction(
    patient: Patient,
    ctx: DoseContext,
    now: datetime,
    dose_limit: DoseLimitPolicy | None = None,
    *,
    leave_out: DoseRecord | None = None,
    entered_by: datetime | None = None,
) -> induction_rules.Induction:
    """Today's place in the buprenorphine induction, from this episode's latest buprenorphine doses (today's
    and those of the two dosing days before: at most 10 slots a day, so 30 rows) and the methadone taken
    since the earliest of them. `dose_limit`: the dose limit's policy for the person, if read (None: read).
    `leave_out`: a recorded dose whose gate is read again, not counted before itself (lane fix35a);
    `entered_by`: methadone typed in by then counts (`readiness.methadone_times`; None: `now`)."""
    settings = effective_policy(patient, DOSE_LIMIT) if dose_limit is None else dose_limit
    doses: list[tuple[date, datetime]] = []
    if ctx.first_dose_on is not None:
        doses = [
            (day, given or recorded)
            for day, given, recorded in taken_doses(
                DoseRecord.objects.filter(
                    patient=patient,
                    medication=Medication.BUPRENORPHINE,
                    status=DoseStatus.GIVEN,
                    local_date__gte=ctx.first_dose_on,
                    local_date__lte=ctx.today,
                )
            )
            .exclude(pk=leave_out.pk if leave_out is not None else 0)
            .order_by("-local_date", "-sequence")
            .values_list("local_date", "given_at", "recorded_at")[:30]
        ]
    past = sorted({day for day, _ in doses if day < ctx.today})[-2:]
    doses = [(day, at) for day, at in doses if day == ctx.today or day in past]
    since = min((day for day, _ in doses), default=ctx.today)
    return induction_rules.buprenorphine_induction(
        doses,
        episode_first=ctx.first_dose_on,
        today=ctx.today,
        now=now,
        full_agonist=methadone_times(patient, since, now, entered_by=entered_by) if doses else [],
        restart_gap_days=float(settings["restart_gap_days"]),
    )


def low_dose_problem(patient: Patient, steps: Sequence[ScheduleStep]) -> str:
    """Why a schedule is not a low-dose start ("" when it is): it starts on day 1 at or below the program's
    low-dose ceiling (policy, reference 9.5: about 0.2-0.5 mg on the first day) and rises gradually
    (`keel.core.rules.buprenorphine.schedule_rise_problem`, review 13d)."""
    if not steps:
        return ""
    ceiling = effective_policy(patient, DOSE_LIMIT)["low_dose_day1_max_mg"]
    first = min(steps, key=lambda step: step["day"])
    if first["day"] != 1 or Decimal(str(first["mg"])) > Decimal(str(ceiling)):
        return f"a low-dose start begins on day 1 with at most {ceiling:g} mg (program policy)"
    return schedule_rise_problem(sorted(steps, key=lambda step: step["day"]))


def low_dose_step(patient: Patient, order: MedicationOrder, today: date) -> LowDoseStep | None:
    """Today's step of an active low-dose schedule, as the dose limit rule's inputs (schedule_mg,
    schedule_step, schedule_missed_days); None: no low-dose step today, so the standard readiness gate
    applies. The order is a low-dose start by its amounts, it has begun (its start date), and its next step
    is one of its days: counted in doses given under it, one step a dosing day (`keel.core.induction.
    low_dose_progress`, issue #13): a schedule never begun is at its first step, whenever the person first
    comes, and missed days resume at the step after the last one given, not the calendar day's."""
    if not order.schedule or low_dose_problem(patient, order.schedule) or today < order.starts_on:
        return None
    progress = induction_rules.low_dose_progress(step_days(order, today), today)
    planned = next((step["mg"] for step in order.schedule if step["day"] == progress.step), None)
    if planned is None:
        return None
    return {
        "schedule_mg": planned,
        "schedule_step": progress.step,
        "schedule_missed_days": progress.missed_days,
    }


def step_days(order: MedicationOrder, today: date) -> list[date]:
    """The days, up to today, a dose under this order was taken (a held or voided dose, or one corrected to
    0 mg, was not): each is one step of a low-dose schedule."""
    return list(
        taken_doses(DoseRecord.objects.filter(order=order, status=DoseStatus.GIVEN, local_date__lte=today))
        .order_by("local_date")
        .values_list("local_date", flat=True)
        .distinct()
    )


def record_intake(
    *, by: User, patient_id: int, data: Posted[IntakeIn], now: datetime | None = None
) -> Intake:
    """A new intake (counselors, nurses, prescribers), with the overdose-risk summary made now."""
    patient = _scoped_for(
        by, patient_id, "intake", policy.can_write_care_record(by), "record intakes", emergency_access=True
    )
    now = now or timezone.now()
    try:
        values = data.parse(now).model_dump()
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
