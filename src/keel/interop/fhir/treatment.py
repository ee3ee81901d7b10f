"""Methadone taken at home and the QTc as FHIR R4 (review 20c: an emergency department reading Keel's record
must see Sunday's take-home bottle, not only Friday's observed dose, and the QTc that governs the dose).

- Each take-home bottle day a person was given (or will be handed, under a plan that stands) is a
  MedicationDispense: `authorizingPrescription` the order in force that day (`models.order_in_force`), the day
  the bottle covers in `dosageInstruction[0].timing.event` and its text, one day's supply. Which bottles left
  the clinic is Keel's one definition, `keel.core.take_home_bottles` (`handed_out`; a plan that ended stops
  covering days, a bottle already handed out stays in the person's hands). Status: `completed` when handed out
  (at the observed dose the day before its run, or on the day the plan was decided), `stopped` when brought
  back unopened or the day's dose was given at the window instead (`returned_days`), `preparation` when a
  standing plan will hand it out, `unknown` when a standing plan covers it but no observed dose the day
  before its run is recorded (the supply check counts it as held all the same). A bottle day of an ended plan
  that never left the clinic was never given: it is not sent.
- Each QTc reading is an Observation: LOINC 8636-3, the value in UCUM `ms`, the day measured.

Sources: `fhir-r4` (MedicationDispense, Observation, their required status codes).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from keel.core.take_home_bottles import handed_out, run_start
from keel.interop.fhir.base import LOINC, RXNORM, UCUM, instant, ref
from keel.treatment.models import RXNORM as RXNORM_CODES
from keel.treatment.models import Medication, MedicationOrder, order_in_force

if TYPE_CHECKING:
    from keel.treatment.models import QtcRecord, TakeHomePlan

QTC_LOINC = "8636-3"
METHADONE = "methadone"
RETURNED = "Bottle brought back unopened, or the day's dose given at the window instead"
NOT_RECORDED = "The plan covers this day; no observed dose is recorded on the day the bottle was to go home"


def bottle_id(plan_id: int, day: date) -> str:
    """`bottle-<plan>-<yyyymmdd>`: a FHIR id in the shape Keel's ids take (`prefix-<n>-<suffix>`)."""
    return f"bottle-{plan_id}-{day:%Y%m%d}"


def _hand_out_day(day: date, bottles: set[date], decided_on: date) -> date:
    start = run_start(day, bottles)
    return start if start == decided_on else start - timedelta(days=1)


def bottle_dispenses(
    plans: Iterable[TakeHomePlan],
    orders: list[MedicationOrder],
    visits: list[tuple[date, datetime]],
    zone: ZoneInfo,
    today: date,
) -> list[dict[str, Any]]:
    """The bottle days of these plans a person was given or will be handed, as MedicationDispense resources,
    in plan and day order. `orders`: the person's methadone orders; `visits`: the days (and the instants
    recorded) an observed methadone dose was given and not voided; `today`: the person's today."""
    out = []
    for plan in plans:
        days = sorted(date.fromisoformat(iso) for iso in plan.bottles or [])
        bottles = set(days)
        decided_on = plan.decided_at.astimezone(zone).date()
        if plan.ended_on is None:
            ended_day = None
        elif plan.ended_at is not None:
            ended_day = plan.ended_at.astimezone(zone).date()
        else:  # discharge ends a plan on its day, without a time
            ended_day = plan.ended_on
        # Review 22n hole 5: a dose counts when it was recorded (the instant its bottles were decided) no
        # later than the plan's end; a run kept back at a dose ends its plan just before that dose's instant
        # (`doses.bottles.hand_out_at_dose`), so that dose handed nothing out.
        seen = {d for d, at in visits if plan.ended_at is None or at <= plan.ended_at}
        back = {date.fromisoformat(iso) for iso in plan.returned_days or []}
        for day in days:
            covered = plan.ended_on is None or day <= plan.ended_on
            out_of_clinic = handed_out(day, bottles, decided_on, seen, ended_day)
            if not covered and not out_of_clinic:
                continue  # the plan ended before this bottle left the clinic: never given
            given_on = _hand_out_day(day, bottles, decided_on)
            if day in back:
                status, reason = "stopped", RETURNED
            elif out_of_clinic:
                status, reason = "completed", ""
            elif given_on >= today:
                status, reason = "preparation", ""
            else:
                status, reason = "unknown", NOT_RECORDED
            order = order_in_force(orders, day) or order_in_force(orders, given_on)
            out.append(_dispense(plan, day, given_on, status, reason, order))
    return out


def _dispense(
    plan: TakeHomePlan,
    day: date,
    given_on: date,
    status: str,
    reason: str,
    order: MedicationOrder | None,
) -> dict[str, Any]:
    """One bottle day. Its dose: the mg recorded when the bottle was handed out (`TakeHomePlan.bottle_mg`,
    session 22), else (not handed out yet, or a plan from before amounts were kept) the order's."""
    recorded = (plan.bottle_mg or {}).get(day.isoformat())
    mg = Decimal(recorded) if recorded is not None else order.dose_mg if order is not None else None
    dose = f"{mg.normalize():f} mg " if mg is not None else ""
    dosage: dict[str, Any] = {
        "text": f"{dose}methadone by mouth, take-home dose for {day.isoformat()}",
        "timing": {"event": [day.isoformat()]},
    }
    if mg is not None:
        dosage["doseAndRate"] = [
            {"doseQuantity": {"value": float(mg), "unit": "mg", "system": UCUM, "code": "mg"}}
        ]
    res: dict[str, Any] = {
        "resourceType": "MedicationDispense",
        "id": bottle_id(plan.pk, day),
        "status": status,
        "medicationCodeableConcept": {
            "coding": [
                {"system": RXNORM, "code": RXNORM_CODES[Medication.METHADONE], "display": "methadone"}
            ],
            "text": METHADONE,
        },
        "subject": ref("Patient", plan.patient_id),
        "daysSupply": {"value": 1, "unit": "day", "system": UCUM, "code": "d"},
        "dosageInstruction": [dosage],
    }
    if order is not None:
        res["authorizingPrescription"] = [ref("MedicationRequest", order.pk)]
    if status == "completed":
        res["whenHandedOver"] = given_on.isoformat()
    if reason:
        res["statusReasonCodeableConcept"] = {"text": reason}
    return res


def qtc_observation(q: QtcRecord) -> dict[str, Any]:
    """One QTc reading: LOINC 8636-3, the value in milliseconds, the day it was measured."""
    return {
        "resourceType": "Observation",
        "id": f"qtc-{q.pk}",
        "status": "final",
        "code": {
            "coding": [{"system": LOINC, "code": QTC_LOINC, "display": "Q-T interval corrected"}],
            "text": "QTc interval",
        },
        "subject": ref("Patient", q.patient_id),
        "effectiveDateTime": q.measured_on.isoformat(),
        "issued": instant(q.recorded_at),
        "performer": [ref("Practitioner", q.recorded_by_id)],
        "valueQuantity": {"value": q.qtc_ms, "unit": "ms", "system": UCUM, "code": "ms"},
    }
