"""Sharing under 42 CFR Part 2 over the API: the patient's consents and accounting (`/me/...`), the care
team's disclosures, and emergency access. Same services, same checks and audit rows as the pages."""

from __future__ import annotations

from ninja import Router, Status
from ninja.errors import HttpError

from keel.access.http import AuthenticatedApiRequest
from keel.api_auth import emergency_only_signed_in, release_token, releases_record
from keel.api_body import request_body
from keel.sharing import queries, services
from keel.sharing.schemas import (
    AttestIn,
    ConsentIn,
    ConsentRevokedOut,
    ConsentSignedOut,
    DisclosedOut,
    DisclosureIn,
    DisclosureOut,
    EmergencyAccessOut,
    EmergencyEndedOut,
    EmergencyIn,
    EmergencyReviewOut,
    EmergencyReviewsOut,
    PaperConsentOut,
    SharingOut,
)

router = Router(tags=["sharing"])


@router.get(
    "/me/sharing", response=SharingOut, summary="My consents and every disclosure of my record (3 years)"
)
def get_my_sharing(request: AuthenticatedApiRequest) -> SharingOut:
    return SharingOut.of(queries.my_sharing(request.auth))


@router.post(
    "/me/consents", summary="Sign a consent to share a progress report", response={201: ConsentSignedOut}
)
def sign_consent(request: AuthenticatedApiRequest, body: ConsentIn) -> Status[ConsentSignedOut]:
    consent = services.sign_consent(by=request.auth, raw=body.model_dump())
    return Status(201, ConsentSignedOut(id=consent.pk, expires_on=consent.expires_on.isoformat()))


@router.post("/me/consents/{consent_id}/revoke", response=ConsentRevokedOut, summary="Take a consent back")
def revoke_consent(request: AuthenticatedApiRequest, consent_id: int) -> ConsentRevokedOut:
    consent = services.revoke_consent(by=request.auth, consent_id=consent_id)
    return ConsentRevokedOut(id=consent.pk, status="revoked")


@router.get(
    "/patients/{patient_id}/sharing",
    response=SharingOut,
    summary="A patient's consents and accounting of disclosures",
)
def get_patient_sharing(request: AuthenticatedApiRequest, patient_id: int) -> SharingOut:
    return SharingOut.of(queries.patient_sharing(request.auth, patient_id))


@router.post(
    "/patients/{patient_id}/consents",
    summary="Record a consent the patient signed on paper (counselors, nurses, prescribers on the team)",
    response={201: PaperConsentOut},
)
def record_paper_consent(
    request: AuthenticatedApiRequest, patient_id: int, body: ConsentIn
) -> Status[PaperConsentOut]:
    try:
        consent = services.record_paper_consent(by=request.auth, patient_id=patient_id, raw=body.model_dump())
    except services.SharingNotAllowed:
        raise HttpError(
            403, "Only counselors, nurses and prescribers on the care team record consents."
        ) from None
    return Status(
        201, PaperConsentOut(id=consent.pk, expires_on=consent.expires_on.isoformat(), on_paper=True)
    )


@router.post(
    "/patients/{patient_id}/consents/{consent_id}/revoked-in-writing",
    response=ConsentRevokedOut,
    summary="Record that the patient revoked a consent in writing",
)
def record_written_revocation(
    request: AuthenticatedApiRequest, patient_id: int, consent_id: int
) -> ConsentRevokedOut:
    try:
        consent = services.record_written_revocation(
            by=request.auth, patient_id=patient_id, consent_id=consent_id
        )
    except services.SharingNotAllowed:
        raise HttpError(
            403, "Only counselors, nurses, prescribers and the program's admins record revocations."
        ) from None
    return ConsentRevokedOut(id=consent.pk, status="revoked")


@router.post(
    "/patients/{patient_id}/disclosures",
    summary="Disclose a progress report under a consent or in a medical emergency (password required)",
    response={201: DisclosedOut},
    openapi_extra=request_body(DisclosureIn),
)
@releases_record
def create_disclosure(request: AuthenticatedApiRequest, patient_id: int) -> Status[DisclosedOut]:
    try:
        disclosure, document = services.disclose(
            by=request.auth,
            patient_id=patient_id,
            data=DisclosureIn.read(request),
            token=release_token(request),
        )
    except (services.TokenOtherRecipient, services.TokenEmergency) as exc:  # audited by the release
        raise HttpError(403, str(exc)) from None
    except services.SharingNotAllowed:
        raise HttpError(403, "Only counselors, nurses and prescribers on the care team disclose.") from None
    return Status(201, DisclosedOut(disclosure=DisclosureOut.of(disclosure), document=document))


@router.post(
    "/emergency-access",
    summary="Break the glass: open a record for a medical emergency",
    response={201: EmergencyAccessOut},
)
@emergency_only_signed_in
def open_emergency_access(request: AuthenticatedApiRequest, body: EmergencyIn) -> Status[EmergencyAccessOut]:
    """Lane tok26: refused to every API token (403 audited, `api_auth.emergency_only_signed_in`): breaking the
    glass hands the caller's account access to a record outside their care team, a clinician's own decision
    in an emergency, signed in with their password again (as a disclosure in an emergency is refused to a
    token); by a token it also said which record numbers exist, to whoever held the token and the
    password."""
    try:
        patient, grant = services.emergency_access(by=request.auth, **body.model_dump())
    except services.SharingNotAllowed:
        raise HttpError(403, "Emergency access is for counselors, nurses and prescribers.") from None
    return Status(201, EmergencyAccessOut(patient=patient.pk, expires_at=grant.expires_at.isoformat()))


@router.post(
    "/emergency-access/{patient_id}/end",
    summary="End my emergency access to a record before it expires",
    response=EmergencyEndedOut,
)
def end_emergency_access(request: AuthenticatedApiRequest, patient_id: int) -> EmergencyEndedOut:
    try:
        grant, ended = services.end_emergency_access(by=request.auth, patient_id=patient_id)
    except services.SharingNotAllowed:
        raise HttpError(403, "Emergency access is for counselors, nurses and prescribers.") from None
    except services.NoEmergencyAccess:
        raise HttpError(404, "You have no emergency access to this record.") from None
    return EmergencyEndedOut(
        patient=patient_id,
        ended=ended,
        ended_at=(grant.ended_at or grant.expires_at).isoformat(),
        detail="Emergency access ended." if ended else "Emergency access had already ended.",
    )


@router.get(
    "/emergency-reviews",
    response=EmergencyReviewsOut,
    summary="Emergency accesses and disclosures waiting for a program admin",
)
def list_emergency_reviews(request: AuthenticatedApiRequest, all: bool = False) -> EmergencyReviewsOut:
    try:
        rows = queries.emergency_reviews(request.auth, include_attested=all)
    except services.SharingNotAllowed:
        raise HttpError(403, "Program admins review uses of emergency powers.") from None
    return EmergencyReviewsOut(reviews=[EmergencyReviewOut.of(r) for r in rows])


@router.post(
    "/emergency-reviews/{review_id}/attest",
    response=EmergencyReviewOut,
    summary="Attest a use of emergency powers",
)
def attest_emergency_review(
    request: AuthenticatedApiRequest, review_id: int, body: AttestIn
) -> EmergencyReviewOut:
    try:
        review = services.attest_review(by=request.auth, review_id=review_id, note=body.note)
    except services.SharingNotAllowed:
        raise HttpError(403, "The person who used emergency powers cannot attest them.") from None
    return EmergencyReviewOut.of(review)
