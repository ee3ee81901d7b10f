"""FHIR over the API: a record out as a Bundle; a PHQ-9 QuestionnaireResponse in."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from keel.api_body import json_object
from keel.assessments.services import NotAllowed
from keel.interop import services

router = Router(tags=["fhir"])


class ExportIn(Schema):
    password: str = Field(description="your password again: a record leaves only after it")


@router.post(
    "/patients/{patient_id}/fhir/export",
    summary="The record as a FHIR R4 Bundle (what my role may see), after my password again",
)
def export_patient_fhir(request: HttpRequest, patient_id: int, body: ExportIn) -> dict[str, Any]:
    return services.export_record(getattr(request, "auth", None), patient_id, password=body.password)


@router.get("/me/fhir", summary="My own record as a FHIR R4 Bundle")
def export_my_fhir(request: HttpRequest) -> dict[str, Any]:
    return services.my_record(getattr(request, "auth", None))


@router.post(
    "/patients/{patient_id}/fhir/questionnaire-responses",
    summary="File a PHQ-9 FHIR R4 QuestionnaireResponse from another system",
    response={200: dict[str, Any], 201: dict[str, Any]},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/fhir+json": {"schema": {"type": "object"}},
                "application/json": {"schema": {"type": "object"}},
            },
        }
    },
)
def import_questionnaire_response(request: HttpRequest, patient_id: int) -> Status[dict[str, Any]]:
    try:
        assessment, created = services.import_response(
            getattr(request, "auth", None), patient_id, json_object(request)
        )
    except NotAllowed as exc:
        raise HttpError(403, str(exc)) from None
    body = {
        "id": assessment.pk,
        "instrument": assessment.instrument,
        "total": assessment.total,
        "band": assessment.band,
        "created": created,
    }
    return Status(201 if created else 200, body)
