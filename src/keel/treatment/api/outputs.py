"""The JSON each medication record reads as, one builder per kind of row, shared by the routes that return it
(a dose is also an injection's body and a line of the medication record). The response schemas the OpenAPI
document states are the routes' own; these types are for the code that builds the bodies."""

from __future__ import annotations

from typing import Any, TypedDict

from keel.treatment import services
from keel.treatment.models import (
    DoseRecord,
    LastUseCorrection,
    LastUseReport,
    MedicationFill,
    MedicationOrder,
    QtcRecord,
    TakeHomePlan,
)
from keel.treatment.readiness import LastUses


class OrderOut(TypedDict):
    id: int
    medication: str
    rxnorm: str
    dose_mg: str
    status: str
    starts_on: str
    supersedes: int | None
    home_start: bool
    schedule: list[Any]
    fhir: dict[str, Any]


class AmendmentOut(TypedDict):
    corrected_mg: str | None
    voided: bool
    reason: str
    at: str


class DoseOut(TypedDict):
    id: int
    date: str
    sequence: int
    status: str
    amount_mg: str
    effective_mg: str
    treatment_day: int | None
    decision: dict[str, Any]
    override_id: int | None
    amendments: list[AmendmentOut]
    recorded_at: str


class InjectionOut(DoseOut):
    site: str


class OverrideOut(TypedDict):
    id: int
    date: str
    max_total_mg: str
    reason: str


class TakeHomeOut(TypedDict):
    id: int
    decided_at: str
    days_in_treatment: int
    max_supply_days: int
    bottles: list[str]
    open_flags: list[dict[str, str]]
    ended_on: str | None
    ended_by: int | None
    ended_at: str | None
    end_reason: str
    returned_days: list[str]
    episode_id: int | None
    criteria: dict[str, bool]
    decision: dict[str, Any]


class QtcOut(TypedDict):
    id: int
    qtc_ms: int
    measured_on: str
    decision: dict[str, Any]


class MedicationRecordOut(TypedDict):
    orders: list[OrderOut]
    doses: list[DoseOut]
    overrides: list[OverrideOut]
    take_homes: list[TakeHomeOut]
    qtc: list[QtcOut]


class CorrectionOut(TypedDict):
    id: int
    opioid: str
    struck_at: str
    corrected_at: str | None
    reason: str
    corrected_by: str
    recorded_at: str


class LastUseOut(TypedDict):
    opioid: str
    last_use_at: str | None
    source: str  # intake | report | corrected | dose | take_home | fill
    correction: CorrectionOut | None  # source "corrected": the prescriber's correction that gave the time


class LastUseReportOut(TypedDict):
    id: int
    opioids: list[dict[str, Any]]
    source: str
    reported_at: str


class FillOut(TypedDict):
    id: int
    order: int
    filled_on: str
    days_supply: int
    source: str
    voids: int | None
    reason: str


def order_out(o: MedicationOrder) -> OrderOut:
    return {
        "id": o.pk,
        "medication": o.medication,
        "rxnorm": o.rxnorm,
        "dose_mg": str(o.dose_mg),
        "status": o.status,
        "starts_on": o.starts_on.isoformat(),
        "supersedes": o.supersedes_id,
        "home_start": o.home_start,
        "schedule": o.schedule,
        "fhir": services.order_fhir(o),
    }


def dose_out(d: DoseRecord) -> DoseOut:
    return {
        "id": d.pk,
        "date": d.local_date.isoformat(),
        "sequence": d.sequence,
        "status": d.status,
        "amount_mg": str(d.amount_mg),
        "effective_mg": str(services.effective_mg(d)),
        "treatment_day": d.treatment_day,
        "decision": d.decision,
        "override_id": d.override_id,
        "amendments": [
            {
                "corrected_mg": None if a.corrected_mg is None else str(a.corrected_mg),
                "voided": a.voided,
                "reason": a.reason,
                "at": a.amended_at.isoformat(),
            }
            for a in d.amendments.all()
        ],
        "recorded_at": d.recorded_at.isoformat(),
    }


def take_home_out(t: TakeHomePlan) -> TakeHomeOut:
    return {
        "id": t.pk,
        "decided_at": t.decided_at.isoformat(),
        "days_in_treatment": t.days_in_treatment,
        "max_supply_days": t.max_supply_days,
        "bottles": t.bottles,
        "open_flags": t.open_flags,
        "ended_on": t.ended_on.isoformat() if t.ended_on else None,
        "ended_by": t.ended_by_id,
        "ended_at": t.ended_at.isoformat() if t.ended_at else None,
        "end_reason": t.end_reason,
        "returned_days": t.returned_days,
        "episode_id": t.enrollment_id,
        "criteria": t.criteria,
        "decision": t.decision,
    }


def qtc_out(q: QtcRecord) -> QtcOut:
    return {"id": q.pk, "qtc_ms": q.qtc_ms, "measured_on": q.measured_on.isoformat(), "decision": q.decision}


def last_uses_out(uses: LastUses | None) -> list[LastUseOut]:
    """Each opioid's latest known last use and where Keel knows it from (intake, report, corrected, dose,
    take_home, fill), with the prescriber's correction that gave it."""
    if uses is None:
        return []
    return [
        {
            "opioid": u.opioid,
            "last_use_at": u.at.isoformat() if u.at else None,
            "source": u.source,
            "correction": correction_out(u.correction) if u.correction is not None else None,
        }
        for u in uses.uses.values()
    ]


def correction_out(row: LastUseCorrection) -> CorrectionOut:
    return {
        "id": row.pk,
        "opioid": row.opioid,
        "struck_at": row.struck_at.isoformat(),
        "corrected_at": row.corrected_at.isoformat() if row.corrected_at else None,
        "reason": row.reason,
        "corrected_by": row.corrected_by.username,
        "recorded_at": row.recorded_at.isoformat(),
    }


def report_out(row: LastUseReport) -> LastUseReportOut:
    return {
        "id": row.pk,
        "opioids": row.opioids,
        "source": row.source,
        "reported_at": row.reported_at.isoformat(),
    }


def fill_out(f: MedicationFill) -> FillOut:
    return {
        "id": f.pk,
        "order": f.order_id,
        "filled_on": f.filled_on.isoformat(),
        "days_supply": f.days_supply,
        "source": f.source,
        "voids": f.voids_id,
        "reason": f.reason,
    }
