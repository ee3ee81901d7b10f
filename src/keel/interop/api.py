"""FHIR over the JSON API: a record out as a Bundle; a PHQ-9 QuestionnaireResponse in. FHIR bodies are sent
as `application/fhir+json`."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import Router
from ninja.errors import HttpError

from keel.access.errors import ClinicalNotAllowed
from keel.access.http import AuthenticatedApiRequest
from keel.api_auth import release_token, releases_record
from keel.api_body import json_object
from keel.api_errors import ApiRefused, error_body
from keel.interop import queries, services
from keel.interop.fhir.base import FHIR_JSON, Base, labelled
from keel.interop.schemas import ExportIn
from keel.sharing.services import SharingNotAllowed, TokenOtherRecipient

router = Router(tags=["fhir"])


def base_for(request: HttpRequest) -> Base:
    """Keel's FHIR endpoint as the caller reaches it: every full URL and canonical starts with it."""
    return Base(request.build_absolute_uri("/fhir/R4/"))


def fhir_response(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body), content_type=FHIR_JSON, status=status)


_BUNDLE = {200: {"description": "a FHIR R4 Bundle", "content": {FHIR_JSON: {"schema": {"type": "object"}}}}}


@router.post(
    "/patients/{patient_id}/fhir/export",
    summary="Release the record as a FHIR R4 Bundle: a disclosure with a basis, after my password again",
    openapi_extra={"responses": _BUNDLE},
)
@releases_record
def export_patient_fhir(request: AuthenticatedApiRequest, patient_id: int, body: ExportIn) -> HttpResponse:
    try:
        bundle = services.export_record(
            request.auth,
            patient_id,
            raw=body.model_dump(),
            base=base_for(request),
            token=release_token(request),
        )
    except TokenOtherRecipient as exc:  # audited by the release
        raise HttpError(403, str(exc)) from None
    except SharingNotAllowed:
        raise HttpError(
            403, "Only counselors, nurses and prescribers on the care team release a record."
        ) from None
    return fhir_response(bundle)


@router.get("/me/fhir", summary="My own record as a FHIR R4 Bundle", openapi_extra={"responses": _BUNDLE})
def export_my_fhir(request: AuthenticatedApiRequest) -> HttpResponse:
    return fhir_response(queries.my_record(request.auth, base=base_for(request)))


@router.post(
    "/patients/{patient_id}/fhir/questionnaire-responses",
    summary="File a PHQ-9 FHIR R4 QuestionnaireResponse (or a Bundle holding it) from another system",
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
def import_questionnaire_response(request: AuthenticatedApiRequest, patient_id: int) -> HttpResponse:
    try:
        filed = services.import_response(
            request.auth, patient_id, json_object(request), base=base_for(request)
        )
    except ClinicalNotAllowed as exc:
        raise HttpError(403, str(exc)) from None
    except services.AlreadyFiled:  # review 33d H1, H2: never a second row; the clinic corrects the first
        said = gettext(services.ALREADY_FILED)
        raise ApiRefused(409, error_body(said, [{"field": "identifier", "reason": said}])) from None
    a = filed.assessment
    body = {
        "id": a.pk,
        "instrument": a.instrument,
        "total": a.total,
        "band": a.band,
        "created": filed.created,
        "notes": filed.notes,
        "provenance": labelled(services.provenance_resource(filed)),
    }
    return HttpResponse(
        json.dumps(body), content_type="application/json", status=201 if filed.created else 200
    )
