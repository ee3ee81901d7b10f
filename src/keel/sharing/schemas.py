"""What the sharing API takes and sends (42 CFR Part 2): consents, the accounting of disclosures, emergency
access and its review. Dates and times as ISO text, as always."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from keel.api_body import CoreIn
from keel.core import disclosure_words, sharing
from keel.core.reasons import REASON_FIELD_HELP
from keel.schemas import In
from keel.sharing.models import Consent, Disclosure, EmergencyReview
from keel.sharing.queries import ConsentView, Sharing


class ConsentIn(In):
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


class EmergencyIn(In):
    record_number: str = Field(description="the patient's record number in your program")
    reason: str = Field(description=f"the medical emergency: {REASON_FIELD_HELP}")
    password: str = Field(description="your password again")
    program: int | None = Field(
        None,
        description="the program's id, when the record number is in more than one of your programs",
    )


class AttestIn(In):
    note: str = Field(description="what you checked (5 to 2000 characters)")


class PatientSignerOut(BaseModel):
    signer: Literal["patient"]


class RepresentativeSignerOut(BaseModel):
    """A representative signed for the patient, with their relationship and authority (2.14, 2.15)."""

    signer: Literal["representative"]
    representative_name: str
    representative_relationship: str
    representative_authority: str
    patient_also_signed: bool


SignerOut = Annotated[PatientSignerOut | RepresentativeSignerOut, Field(discriminator="signer")]


def signer_of(c: Consent) -> PatientSignerOut | RepresentativeSignerOut:
    """Who signed: the patient, or a representative with their relationship and authority (2.14, 2.15)."""
    if not c.by_representative:
        return PatientSignerOut(signer="patient")
    return RepresentativeSignerOut(
        signer="representative",
        representative_name=c.representative_name,
        representative_relationship=c.representative_relationship,
        representative_authority=c.representative_authority,
        patient_also_signed=bool(c.patient_signature),
    )


class ConsentOut(BaseModel):
    id: int
    status: str  # active | expired | revoked | signer_ended (its signer can no longer consent)
    recipient_name: str
    purpose: str
    purpose_text: str
    categories: list[str]
    expires_on: str  # ISO date
    signed_at: str  # ISO datetime
    language: str
    revoked_at: str | None  # ISO datetime
    signed_by: SignerOut

    @classmethod
    def of(cls, view: ConsentView) -> ConsentOut:
        c = view.consent
        return cls(
            id=c.pk,
            status=view.status,
            recipient_name=c.recipient_name,
            purpose=c.purpose,
            purpose_text=c.purpose_text,
            categories=c.categories,
            expires_on=c.expires_on.isoformat(),
            signed_at=c.signed_at.isoformat(),
            language=c.language,
            revoked_at=view.revoked_at.isoformat() if view.revoked_at else None,
            signed_by=signer_of(c),
        )


class DisclosureOut(BaseModel):
    id: int
    basis: str  # consent | emergency
    consent: int | None
    recipient_name: str
    recipient_affiliation: str
    recipient_role: str
    purpose: str
    purpose_text: str
    emergency_nature: str
    categories: list[str]
    description: str
    notice: str
    scope: str
    disclosed_at: str  # ISO datetime
    disclosed_by_role: str  # the discloser's role when they disclosed (review 28a H3); never a name
    sha256: str  # of the document that left

    @classmethod
    def of(cls, d: Disclosure) -> DisclosureOut:
        return cls(
            id=d.pk,
            basis=d.basis,
            consent=d.consent_id,
            recipient_name=d.recipient_name,
            recipient_affiliation=d.recipient_affiliation,
            recipient_role=d.recipient_role,
            purpose=d.purpose,
            purpose_text=d.purpose_text,
            emergency_nature=d.emergency_nature,
            categories=d.categories,
            description=disclosure_words.current(d.description),  # earlier rows in today's words (33b H1)
            notice=d.notice,
            scope=d.scope,
            disclosed_at=d.disclosed_at.isoformat(),
            disclosed_by_role=d.disclosed_by_role,
            sha256=d.document_sha256,
        )


class SharingOut(BaseModel):
    """A patient's consents and the accounting of every disclosure of their record (3 years)."""

    patient: int
    accounting_since: str  # ISO date
    consents: list[ConsentOut]
    disclosures: list[DisclosureOut]

    @classmethod
    def of(cls, view: Sharing) -> SharingOut:
        return cls(
            patient=view.patient.pk,
            accounting_since=view.since.isoformat(),
            consents=[ConsentOut.of(c) for c in view.consents],
            disclosures=[DisclosureOut.of(d) for d in view.disclosures],
        )


class ConsentSignedOut(BaseModel):
    id: int
    expires_on: str  # ISO date


class PaperConsentOut(BaseModel):
    id: int
    expires_on: str  # ISO date
    on_paper: bool


class ConsentRevokedOut(BaseModel):
    id: int
    status: Literal["revoked"]


class DisclosedOut(BaseModel):
    disclosure: DisclosureOut
    # The progress report as it left (`sharing.services.disclosures.ReleasedReport`): the sections named, the
    # notice, the scope and the disclosure's stamp. Declared as any JSON object, as the API has always
    # described it (its OpenAPI schema and its JSON unchanged).
    document: Mapping[str, object]


class EmergencyAccessOut(BaseModel):
    patient: int
    expires_at: str  # ISO datetime


class EmergencyEndedOut(BaseModel):
    patient: int
    ended: bool  # False: it had already ended (or expired); nothing was changed
    ended_at: str  # ISO datetime: when it ended (or expired)
    detail: str


class EmergencyReviewOut(BaseModel):
    id: int
    kind: str  # emergency_access | emergency_disclosure | refused_after_death (no grant named)
    patient: int
    used_by: int
    reason: str
    raised_at: str  # ISO datetime
    disclosure: int | None
    emergency_access: int | None
    attested_by: int | None
    attested_at: str | None  # ISO datetime
    note: str

    @classmethod
    def of(cls, r: EmergencyReview) -> EmergencyReviewOut:
        return cls(
            id=r.pk,
            kind=r.kind,
            patient=r.patient_id,
            used_by=r.used_by_id,
            reason=r.reason,
            raised_at=r.raised_at.isoformat(),
            disclosure=r.disclosure_id,
            emergency_access=r.emergency_access_id,
            attested_by=r.attested_by_id,
            attested_at=r.attested_at.isoformat() if r.attested_at else None,
            note=r.note,
        )


class EmergencyReviewsOut(BaseModel):
    reviews: list[EmergencyReviewOut]


class DisclosureIn(CoreIn):
    """A disclosure request, as the API and the page post it: the fields of `keel.core.sharing.DISCLOSURE`,
    checked by `sharing.parse_disclosure` (the basis, the categories, then the terms, each refused alone)."""

    FIELDS = sharing.DISCLOSURE

    basis: str
    consent: int | None
    categories: list[str] | None
    recipient_name: str
    purpose: str | None
    purpose_text: str
    recipient_role: str | None
    recipient_affiliation: str
    nature: str
    password: str

    @classmethod
    def core_parse(cls, raw: Mapping[str, object], now: datetime | None = None) -> Mapping[str, object]:
        return sharing.parse_disclosure(raw)

    def request(self) -> sharing.DisclosureRequest:
        """Under a consent: the recipient and the purpose, to match against the consent's."""
        return sharing.DisclosureRequest(self.recipient_name, str(self.purpose), self.purpose_text)

    def emergency(self) -> sharing.EmergencyTerms:
        """In a medical emergency: the receiving medical personnel, the emergency and what it needs."""
        return sharing.EmergencyTerms(
            self.recipient_name,
            str(self.recipient_role),
            self.recipient_affiliation,
            self.nature,
            tuple(self.categories or ()),
        )
