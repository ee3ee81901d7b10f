"""Sharing under 42 CFR Part 2 over the API: the patient's consents and accounting (`/me/...`), the care
team's disclosures, and emergency access. Same services, same checks and audit rows as the pages."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from keel.accounts.models import User
from keel.api_body import json_object
from keel.sharing import services
from keel.sharing.models import Consent, Disclosure, EmergencyReview

router = Router(tags=["sharing"])


def _caller(request: HttpRequest) -> User:
    """The signed-in person (the API's auth ran before any handler)."""
    return cast(User, getattr(request, "auth", None))


def _view(view: services.Sharing) -> dict[str, Any]:
    return {
        "patient": view.patient.pk,
        "accounting_since": view.since.isoformat(),
        "consents": [
            {
                "id": c.consent.pk,
                "status": c.status,
                "recipient_name": c.consent.recipient_name,
                "purpose": c.consent.purpose,
                "purpose_text": c.consent.purpose_text,
                "categories": c.consent.categories,
                "expires_on": c.consent.expires_on.isoformat(),
                "signed_at": c.consent.signed_at.isoformat(),
                "language": c.consent.language,
                "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
                "signed_by": _signer(c.consent),
            }
            for c in view.consents
        ],
        "disclosures": [_disclosure(d) for d in view.disclosures],
    }


def _signer(c: Consent) -> dict[str, str | bool]:
    """Who signed: the patient, or a representative with their relationship and authority (2.14, 2.15)."""
    if not c.by_representative:
        return {"signer": "patient"}
    return {
        "signer": "representative",
        "representative_name": c.representative_name,
        "representative_relationship": c.representative_relationship,
        "representative_authority": c.representative_authority,
        "patient_also_signed": bool(c.patient_signature),
    }


def _disclosure(d: Disclosure) -> dict[str, Any]:
    return {
        "id": d.pk,
        "basis": d.basis,
        "consent": d.consent_id,
        "recipient_name": d.recipient_name,
        "recipient_affiliation": d.recipient_affiliation,
        "recipient_role": d.recipient_role,
        "purpose": d.purpose,
        "purpose_text": d.purpose_text,
        "emergency_nature": d.emergency_nature,
        "categories": d.categories,
        "description": d.description,
        "notice": d.notice,
        "scope": d.scope,
        "disclosed_at": d.disclosed_at.isoformat(),
        "sha256": d.document_sha256,
    }


class ConsentIn(Schema):
    recipient_name: str = Field(description="who receives the report: a person, clinic or office")
    purpose: str = Field(description="patient_request | treatment | court_program | employment | other")
    purpose_text: str = Field("", description="the purpose in the patient's words (required for other)")
    categories: list[str] = Field(
        description="enrollment, medication, checkins, screenings: what may be shared"
    )
    expires_on: str = Field(description="the day the consent ends (YYYY-MM-DD, after today)")
    signature: str = Field(
        description="the signer's full name: the patient's as on the record, or the representative's"
    )
    understood: bool = Field(description="the patient read what the consent means")
    signer: str = Field("patient", description="patient | representative (42 CFR 2.14, 2.15)")
    representative_name: str = Field("", description="who signs for the patient (signer representative)")
    representative_relationship: str = Field(
        "", description="parent | guardian | health_care_agent | personal_representative"
    )
    representative_authority: str = Field(
        "", description="the legal authority the representative acts under (court order, power of attorney)"
    )
    patient_signature: str = Field(
        "", description="a minor's own signature next to their parent's or guardian's (42 CFR 2.14(b))"
    )


@router.get("/me/sharing", summary="My consents and every disclosure of my record (3 years)")
def get_my_sharing(request: HttpRequest) -> dict[str, Any]:
    return _view(services.my_sharing(_caller(request)))


@router.post(
    "/me/consents", summary="Sign a consent to share a progress report", response={201: dict[str, Any]}
)
def sign_consent(request: HttpRequest, body: ConsentIn) -> Status[dict[str, Any]]:
    consent = services.sign_consent(by=_caller(request), raw=body.model_dump())
    return Status(201, {"id": consent.pk, "expires_on": consent.expires_on.isoformat()})


@router.post("/me/consents/{consent_id}/revoke", summary="Take a consent back")
def revoke_consent(request: HttpRequest, consent_id: int) -> dict[str, Any]:
    consent = services.revoke_consent(by=_caller(request), consent_id=consent_id)
    return {"id": consent.pk, "status": "revoked"}


@router.get("/patients/{patient_id}/sharing", summary="A patient's consents and accounting of disclosures")
def get_patient_sharing(request: HttpRequest, patient_id: int) -> dict[str, Any]:
    return _view(services.patient_sharing(_caller(request), patient_id))


@router.post(
    "/patients/{patient_id}/consents",
    summary="Record a consent the patient signed on paper (counselors, nurses, prescribers on the team)",
    response={201: dict[str, Any]},
)
def record_paper_consent(request: HttpRequest, patient_id: int, body: ConsentIn) -> Status[dict[str, Any]]:
    try:
        consent = services.record_paper_consent(
            by=_caller(request), patient_id=patient_id, raw=body.model_dump()
        )
    except services.SharingNotAllowed:
        raise HttpError(
            403, "Only counselors, nurses and prescribers on the care team record consents."
        ) from None
    return Status(201, {"id": consent.pk, "expires_on": consent.expires_on.isoformat(), "on_paper": True})


@router.post(
    "/patients/{patient_id}/consents/{consent_id}/revoked-in-writing",
    summary="Record that the patient revoked a consent in writing",
)
def record_written_revocation(request: HttpRequest, patient_id: int, consent_id: int) -> dict[str, Any]:
    try:
        consent = services.record_written_revocation(
            by=_caller(request), patient_id=patient_id, consent_id=consent_id
        )
    except services.SharingNotAllowed:
        raise HttpError(
            403, "Only counselors, nurses and prescribers on the care team record revocations."
        ) from None
    return {"id": consent.pk, "status": "revoked"}


@router.post(
    "/patients/{patient_id}/disclosures",
    summary="Disclose a progress report under a consent or in a medical emergency (password required)",
    response={201: dict[str, Any]},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "basis": {"type": "string", "enum": ["consent", "emergency"]},
                            "consent": {"type": "integer"},
                            "categories": {"type": "array", "items": {"type": "string"}},
                            "recipient_name": {"type": "string"},
                            "purpose": {"type": "string"},
                            "purpose_text": {"type": "string"},
                            "recipient_role": {"type": "string"},
                            "recipient_affiliation": {"type": "string"},
                            "nature": {"type": "string"},
                            "password": {"type": "string"},
                        },
                        "required": ["basis", "password"],
                    }
                }
            },
        }
    },
)
def create_disclosure(request: HttpRequest, patient_id: int) -> Status[dict[str, Any]]:
    try:
        disclosure, document = services.disclose(
            by=_caller(request), patient_id=patient_id, raw=json_object(request)
        )
    except services.SharingNotAllowed:
        raise HttpError(403, "Only counselors, nurses and prescribers on the care team disclose.") from None
    return Status(201, {"disclosure": _disclosure(disclosure), "document": document})


class EmergencyIn(Schema):
    record_number: str = Field(description="the patient's record number in your program")
    reason: str = Field(description="the medical emergency (at least 10 characters)")
    password: str = Field(description="your password again")


@router.post(
    "/emergency-access",
    summary="Break the glass: open a record for a medical emergency",
    response={201: dict[str, Any]},
)
def open_emergency_access(request: HttpRequest, body: EmergencyIn) -> Status[dict[str, Any]]:
    try:
        patient, grant = services.emergency_access(by=_caller(request), **body.model_dump())
    except services.SharingNotAllowed:
        raise HttpError(403, "Emergency access is for counselors, nurses and prescribers.") from None
    return Status(201, {"patient": patient.pk, "expires_at": grant.expires_at.isoformat()})


def _review(r: EmergencyReview) -> dict[str, Any]:
    return {
        "id": r.pk,
        "kind": r.kind,
        "patient": r.patient_id,
        "used_by": r.used_by_id,
        "reason": r.reason,
        "raised_at": r.raised_at.isoformat(),
        "disclosure": r.disclosure_id,
        "emergency_access": r.emergency_access_id,
        "attested_by": r.attested_by_id,
        "attested_at": r.attested_at.isoformat() if r.attested_at else None,
        "note": r.note,
    }


@router.get("/emergency-reviews", summary="Emergency accesses and disclosures waiting for a program admin")
def list_emergency_reviews(request: HttpRequest, all: bool = False) -> dict[str, Any]:
    try:
        rows = services.emergency_reviews(_caller(request), include_attested=all)
    except services.SharingNotAllowed:
        raise HttpError(403, "Program admins review uses of emergency powers.") from None
    return {"reviews": [_review(r) for r in rows]}


class AttestIn(Schema):
    note: str = Field(description="what you checked (5 to 2000 characters)")


@router.post("/emergency-reviews/{review_id}/attest", summary="Attest a use of emergency powers")
def attest_emergency_review(request: HttpRequest, review_id: int, body: AttestIn) -> dict[str, Any]:
    try:
        review = services.attest_review(by=_caller(request), review_id=review_id, note=body.note)
    except services.SharingNotAllowed:
        raise HttpError(403, "The person who used emergency powers cannot attest them.") from None
    return _review(review)
