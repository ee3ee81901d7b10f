"""API: a treatment start: the intake, the start page's read, the time of last use of each opioid, and
naloxone."""

from __future__ import annotations

from ninja import Status

from keel.access.http import AuthenticatedApiRequest
from keel.accounts.names import staff_name
from keel.api_body import request_body
from keel.treatment import queries, services
from keel.treatment.api.common import router
from keel.treatment.schemas import (
    CareGoalLineOut,
    DecisionOut,
    IntakeIn,
    IntakeOut,
    KitIn,
    LastUseCorrectionIn,
    LastUseCorrectionOut,
    LastUseIn,
    LastUseReportOut,
    NaloxoneKitOut,
    NaloxoneKitSavedOut,
    ScoreOut,
    StartOut,
    last_uses_out,
)


@router.post(
    "/patients/{patient_id}/intakes",
    response={201: IntakeOut},
    tags=["medication"],
    openapi_extra=request_body(IntakeIn),
    summary="Record an intake (substance-use history, risks); returns the overdose-risk summary",
)
def create_intake(request: AuthenticatedApiRequest, patient_id: int) -> Status[IntakeOut]:
    row = services.record_intake(by=request.auth, patient_id=patient_id, data=IntakeIn.read(request))
    return Status(201, IntakeOut(id=row.pk, values=row.values, overdose_risk=row.overdose_risk))


@router.get(
    "/patients/{patient_id}/start",
    response=StartOut,
    tags=["medication"],
    summary="Treatment start: intake, COWS, buprenorphine readiness, overdose risk, naloxone, care plan",
)
def treatment_start(request: AuthenticatedApiRequest, patient_id: int) -> StartOut:
    v = queries.start_view(request.auth, patient_id=patient_id)
    read = v.read
    return StartOut(
        intake=v.intake.values if v.intake else None,
        cows=ScoreOut(
            total=v.cows.total,
            filled_at=v.cows.filled_at.isoformat(),
            age_hours=round(read.cows_age_hours, 2) if read and read.cows_age_hours is not None else None,
        )
        if v.cows
        else None,
        last_uses=last_uses_out(read.uses if read else None),
        ready=bool(read and read.ready),
        readiness=DecisionOut.of(v.readiness) if v.readiness else None,
        readiness_needs=list(v.missing),
        overdose_risk=DecisionOut.of(v.overdose) if v.overdose else None,
        naloxone_kits=[
            NaloxoneKitOut(product=k.product, dispensed_on=k.dispensed_on.isoformat())
            for k in v.naloxone_kits
        ],
        care_goals=[
            CareGoalLineOut(
                area=g.area,
                goal=g.goal,
                responsible=g.responsible.username,
                responsible_name=staff_name(g.responsible),
                review_on=g.review_on.isoformat(),
            )
            for g in v.goals
        ],
    )


@router.post(
    "/patients/{patient_id}/last-use",
    response={201: LastUseReportOut},
    tags=["medication"],
    summary="The care team records the time of last use of each opioid (asked again before a start)",
)
def report_last_use(
    request: AuthenticatedApiRequest, patient_id: int, payload: LastUseIn
) -> Status[LastUseReportOut]:
    row = services.record_last_use(by=request.auth, patient_id=patient_id, raw=payload.model_dump())
    return Status(201, LastUseReportOut.of(row))


@router.post(
    "/me/last-use",
    response={201: LastUseReportOut},
    tags=["medication"],
    summary="I tell my care team when I last used each opioid (before a home start)",
)
def report_my_last_use(request: AuthenticatedApiRequest, payload: LastUseIn) -> Status[LastUseReportOut]:
    row = services.record_last_use(by=request.auth, patient_id=None, raw=payload.model_dump())
    return Status(201, LastUseReportOut.of(row))


@router.post(
    "/patients/{patient_id}/last-use-corrections",
    response={201: LastUseCorrectionOut},
    tags=["medication"],
    summary="A prescriber corrects a mistaken time of last use (struck, with the right earlier time or none)",
)
def correct_last_use(
    request: AuthenticatedApiRequest, patient_id: int, payload: LastUseCorrectionIn
) -> Status[LastUseCorrectionOut]:
    row = services.correct_last_use(
        by=request.auth,
        patient_id=patient_id,
        opioid=payload.opioid,
        struck_at=payload.struck_at,
        corrected_at=payload.corrected_at,
        reason=payload.reason,
    )
    return Status(201, LastUseCorrectionOut.of(row))


@router.post(
    "/patients/{patient_id}/naloxone-kits",
    response={201: NaloxoneKitSavedOut},
    tags=["medication"],
    summary="Record a naloxone kit",
)
def naloxone(
    request: AuthenticatedApiRequest, patient_id: int, payload: KitIn
) -> Status[NaloxoneKitSavedOut]:
    kit = services.dispense_naloxone(
        by=request.auth, patient_id=patient_id, product=payload.product, quantity=payload.quantity
    )
    return Status(
        201, NaloxoneKitSavedOut(id=kit.pk, product=kit.product, dispensed_on=kit.dispensed_on.isoformat())
    )
