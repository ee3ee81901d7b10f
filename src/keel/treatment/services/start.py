"""The buprenorphine start: the intake (with its overdose-risk summary), the first dose's readiness gate and
a low-dose start's schedule."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action
from keel.core import intake as core_intake
from keel.core import rules
from keel.core.rules.inputs import InvalidInput
from keel.patients.models import Patient
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import (
    DoseOverride,
    Intake,
    Medication,
    MedicationOrder,
    NaloxoneKit,
    OverrideKind,
)
from keel.treatment.policy_store import effective_policy
from keel.treatment.queries import DoseContext, last_dose_day_before
from keel.treatment.readiness import buprenorphine_readiness
from keel.treatment.services.common import _audit, _scoped_for


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
    planned = low_dose_step(patient, order, ctx.today)
    if planned is not None:  # today's step of a low-dose start: its planned total instead of the gate
        return {"first_dose": False, "schedule_mg": planned}
    gap = restart_gap(patient, ctx)
    restart: dict[str, Any] = (
        {"phase": "day1", "restart_after_days": gap} if gap else day_after_restart(patient, ctx)
    )
    first = (ctx.treatment_day == 1 or bool(gap)) and ctx.given_today_mg == 0
    if not first:
        return {"first_dose": False, **restart}
    read = buprenorphine_readiness(patient, now)
    verdict = read.readiness.decision if read.readiness is not None else "undecided"
    covered = any(o.kind == OverrideKind.START and total <= o.max_total_mg for o in overrides)
    return {"first_dose": True, "start_verdict": verdict, "start_override": covered, **restart}


def restart_gap(patient: Patient, ctx: DoseContext) -> int:
    """A restart (review 13): the days in a row without a buprenorphine dose before today when they reach the
    program's `restart_gap_days` (policy, source keel-bup-restart), else 0. A restart meets the start's
    readiness gate (the same override) and the day-1 limit again, whatever the treatment day."""
    if ctx.first_dose_on is None or ctx.first_dose_on >= ctx.today:
        return 0
    last = last_dose_day_before(patient, Medication.BUPRENORPHINE, ctx.today, ctx.first_dose_on)
    if last is None:
        return 0
    missed = (ctx.today - last).days - 1
    limit = effective_policy(patient, "buprenorphine-dose-limit")["restart_gap_days"]
    return missed if missed >= Decimal(str(limit)) else 0


def day_after_restart(patient: Patient, ctx: DoseContext) -> dict[str, Any]:
    """The calendar day after a restart (a dose yesterday that came after `restart_gap_days` or more days in a
    row without buprenorphine) is day 2 of that restart: the day-2 limit applies again, as on an episode's
    second day, instead of maintenance. Any other day: {}."""
    if ctx.first_dose_on is None or ctx.treatment_day <= 2:
        return {}
    yesterday = ctx.today - timedelta(days=1)
    if last_dose_day_before(patient, Medication.BUPRENORPHINE, ctx.today, ctx.first_dose_on) != yesterday:
        return {}
    before = last_dose_day_before(patient, Medication.BUPRENORPHINE, yesterday, ctx.first_dose_on)
    if before is None:
        return {}
    missed = (yesterday - before).days - 1
    limit = effective_policy(patient, "buprenorphine-dose-limit")["restart_gap_days"]
    return {"phase": "day2", "restart_after_days": missed} if missed >= Decimal(str(limit)) else {}


def low_dose_problem(patient: Patient, steps: list[dict[str, Any]]) -> str:
    """Why a schedule is not a low-dose start ("" when it is): it starts on day 1 at or below the program's
    low-dose ceiling (policy, reference 9.5: about 0.2-0.5 mg on the first day)."""
    if not steps:
        return ""
    ceiling = effective_policy(patient, "buprenorphine-dose-limit")["low_dose_day1_max_mg"]
    first = min(steps, key=lambda step: step["day"])
    if first["day"] != 1 or Decimal(str(first["mg"])) > Decimal(str(ceiling)):
        return f"a low-dose start begins on day 1 with at most {ceiling:g} mg (program policy)"
    return ""


def low_dose_step(patient: Patient, order: MedicationOrder, today: date) -> Any:
    """Today's planned total of an active low-dose schedule (None: no low-dose step today, so the standard
    readiness gate applies): the order is a low-dose start by its amounts, and today is one of its days."""
    if not order.schedule or low_dose_problem(patient, order.schedule):
        return None
    day = (today - order.starts_on).days + 1
    return next((step["mg"] for step in order.schedule if step["day"] == day), None)


def record_intake(
    *, by: User, patient_id: int, raw: Mapping[str, Any], now: datetime | None = None
) -> Intake:
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
