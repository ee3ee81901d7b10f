"""API: XR-naltrexone: an injection."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Status

from keel.treatment import services
from keel.treatment.api.common import _caller, router
from keel.treatment.schemas import InjectionIn, InjectionOut


@router.post(
    "/patients/{patient_id}/injections",
    response={201: InjectionOut},
    tags=["medication"],
    summary="Give XR-naltrexone",
)
def injection(request: HttpRequest, patient_id: int, payload: InjectionIn) -> Status[InjectionOut]:
    outcome = services.record_injection(
        by=_caller(request),
        patient_id=patient_id,
        site=payload.site,
        naloxone_challenge_negative=payload.naloxone_challenge_negative,
    )
    return Status(201, InjectionOut.of(outcome.dose))
