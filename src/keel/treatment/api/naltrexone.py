"""API: XR-naltrexone: an injection."""

from __future__ import annotations

from ninja import Status

from keel.access.http import AuthenticatedApiRequest
from keel.treatment import services
from keel.treatment.api.common import router
from keel.treatment.queries.take_homes import admission_day_number
from keel.treatment.schemas import InjectionIn, InjectionOut


@router.post(
    "/patients/{patient_id}/injections",
    response={201: InjectionOut},
    tags=["medication"],
    summary="Give XR-naltrexone",
)
def injection(
    request: AuthenticatedApiRequest, patient_id: int, payload: InjectionIn
) -> Status[InjectionOut]:
    outcome = services.record_injection(
        by=request.auth,
        patient_id=patient_id,
        site=payload.site,
        naloxone_challenge_negative=payload.naloxone_challenge_negative,
    )
    return Status(201, InjectionOut.of(outcome.dose, admission_day_number(outcome.dose.patient)))
