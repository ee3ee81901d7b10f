"""API: the instrument catalog, stateless scoring, and patient-scoped assessments."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.throttling import SimpleRateThrottle

from keel import env
from keel.access.http import AuthenticatedApiRequest
from keel.api_auth import reads_no_one
from keel.assessments import queries, services
from keel.assessments.schemas import (
    AssessmentCorrectionIn,
    AssessmentCorrectionOut,
    AssessmentFilter,
    AssessmentIn,
    AssessmentOut,
    InstrumentOut,
    ResultOut,
    ScoreIn,
)
from keel.core.instruments import registry
from keel.core.instruments.model import InvalidAnswers
from keel.core.instruments.scoring import score
from keel.web.client_address import client_network

router = Router(tags=["instruments"])


class ScoreThrottle(SimpleRateThrottle):
    """Per-IP limit on the open scoring endpoint (KEEL_SCORE_RATE), whoever the caller is."""

    scope = "keel-score"

    def __init__(self) -> None:
        super().__init__(settings.KEEL_SCORE_RATE)

    def allow_request(self, request: HttpRequest) -> bool:
        # Read the rate per request, so a changed setting applies without rebuilding the routes.
        self.rate = settings.KEEL_SCORE_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return bool(super().allow_request(request))

    def parse_rate(self, rate: str | None) -> tuple[int, int]:
        """KEEL_SCORE_RATE by the parser settings checked it with at start (keel.env.parse_rate)."""
        return env.parse_rate("KEEL_SCORE_RATE", rate or "")

    def get_cache_key(self, request: HttpRequest) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_network(request)}


KEY = "Idempotency-Key"


def _create(
    request: AuthenticatedApiRequest, patient_id: int | None, payload: AssessmentIn
) -> Status[AssessmentOut]:
    try:
        assessment, _ = services.submit_assessment(
            by=request.auth,
            patient_id=patient_id,
            instrument=payload.instrument,
            answers=payload.answers,
            extras=payload.extras,
            filled_at=payload.filled_at,
            form_token=request.headers.get(
                "Idempotency-Key", ""
            ),  # review 36h hole 3: sent again, filed once
        )
    except InvalidAnswers as exc:  # the key's problem named as the client sent it, the header
        named = [replace(e, item=KEY) if e.item == "form_token" else e for e in exc.errors]
        raise InvalidAnswers(named) from None
    return Status(201, AssessmentOut.of(assessment))


# The check-in's header (`recovery.api`), optional here: a retry with it gets the first result; without it,
# the same answers by the same hand within `keel.core.resend.SAME_FORM_WINDOW` do (review 36h hole 3).
FILED_ONCE = {
    "parameters": [
        {
            "in": "header",
            "name": KEY,
            "required": False,
            "schema": {"type": "string", "maxLength": 64},
            "description": "a new random key per result; a retry with it gets the first result",
        }
    ]
}


@router.get("/instruments", auth=None, response=list[InstrumentOut], summary="The instrument catalog")
@reads_no_one
def list_instruments(request: HttpRequest) -> list[InstrumentOut]:
    return [queries.describe_instrument(code) for code in registry.codes()]


@router.get("/instruments/{code}", auth=None, summary="One instrument as a FHIR R4 Questionnaire")
@reads_no_one
def get_instrument(request: HttpRequest, code: str) -> dict[str, Any]:
    return registry.questionnaire(code)


@router.post(
    "/instruments/{code}/score",
    auth=None,
    response=ResultOut,
    throttle=[ScoreThrottle()],
    summary="Score answers without storing anything (open, rate-limited)",
)
def score_instrument(request: HttpRequest, code: str, payload: ScoreIn) -> ResultOut:
    return ResultOut.model_validate(score(code, payload.answers, payload.extras).as_dict())


@router.post(
    "/patients/{patient_id}/assessments",
    response={201: AssessmentOut},
    tags=["assessments"],
    summary="Record a completed instrument for a patient on my care team",
    openapi_extra=FILED_ONCE,
)
def create_assessment(
    request: AuthenticatedApiRequest, patient_id: int, payload: AssessmentIn
) -> Status[AssessmentOut]:
    return _create(request, patient_id, payload)


@router.get(
    "/patients/{patient_id}/assessments",
    response=list[AssessmentOut],
    tags=["assessments"],
    summary="A patient's assessments, oldest first",
)
def list_assessments(
    request: AuthenticatedApiRequest, patient_id: int, filters: Query[AssessmentFilter]
) -> list[AssessmentOut]:
    _, qs = queries.list_assessments(request.auth, patient_id=patient_id, instrument=filters.instrument)
    return [AssessmentOut.of(a) for a in qs]


@router.get(
    "/patients/{patient_id}/assessments/{assessment_id}/fhir",
    tags=["assessments"],
    summary="One assessment as a FHIR R4 Bundle (QuestionnaireResponse + Observations)",
)
def assessment_fhir(request: AuthenticatedApiRequest, patient_id: int, assessment_id: int) -> HttpResponse:
    """A collection Bundle that resolves on its own: the response, its Observations, the Questionnaire, the
    patient (identity only) and whoever filled it in (`interop.fhir.record.assessment_bundle`)."""
    from keel.interop.api import base_for, fhir_response
    from keel.interop.fhir.record import assessment_bundle

    assessment = queries.get_assessment(request.auth, patient_id=patient_id, assessment_id=assessment_id)
    return fhir_response(assessment_bundle(assessment, base_for(request), timezone.now()))


@router.post(
    "/patients/{patient_id}/assessments/{assessment_id}/corrections",
    response={201: AssessmentCorrectionOut},
    tags=["assessments"],
    summary="Correct a result: entered in error, or the corrected answers (with a reason; the original kept)",
)
def correct_assessment(
    request: AuthenticatedApiRequest, patient_id: int, assessment_id: int, payload: AssessmentCorrectionIn
) -> Status[AssessmentCorrectionOut]:
    row = services.correct_assessment(
        by=request.auth,
        patient_id=patient_id,
        assessment_id=assessment_id,
        entered_in_error=payload.entered_in_error,
        answers=payload.answers,
        extras=payload.extras,
        reason=payload.reason,
        read_version=payload.correction_version,
    )
    return Status(201, AssessmentCorrectionOut.of(row))


@router.post(
    "/me/assessments",
    response={201: AssessmentOut},
    tags=["assessments"],
    summary="File one of my own self-report instruments",
    openapi_extra=FILED_ONCE,
)
def create_my_assessment(request: AuthenticatedApiRequest, payload: AssessmentIn) -> Status[AssessmentOut]:
    return _create(request, None, payload)


@router.get("/me/assessments", response=list[AssessmentOut], tags=["assessments"], summary="My assessments")
def list_my_assessments(
    request: AuthenticatedApiRequest, filters: Query[AssessmentFilter]
) -> list[AssessmentOut]:
    _, qs = queries.list_assessments(request.auth, patient_id=None, instrument=filters.instrument)
    return [AssessmentOut.of(a) for a in qs]
