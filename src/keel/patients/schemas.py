from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from keel.api_body import CoreIn
from keel.core import desk


class EnrollmentOut(Schema):
    id: int
    program: str
    started_on: date
    ended_on: date | None
    end_reason: str
    status: str
    kind: str = ""  # otp | obot | counseling; blank on episodes from before the kind was asked


class AddressOut(Schema):
    line: str
    city: str
    region: str
    postal_code: str


class EmergencyContactOut(Schema):
    name: str
    relationship: str
    phone: str


class CareTeamMemberOut(Schema):
    id: int
    name: str
    role: str


class PatientOut(Schema):
    id: int
    display_name: str
    program: str
    areas: list[str]
    record_number: str | None = None
    date_of_birth: date | None = None
    pronouns: str | None = None
    enrollment_status: str | None = None


class PatientDetailOut(PatientOut):
    address: AddressOut | None = None  # protected: only roles that see the clinical area
    email: str | None = None  # protected
    emergency_contact: EmergencyContactOut | None = None  # protected
    enrollments: list[EnrollmentOut]
    care_team: list[CareTeamMemberOut]


class EnrollmentRefOut(Schema):
    id: int
    started_on: str  # ISO date, as the API has always sent it


class RegistrationOut(Schema):
    id: int
    record_number: str
    display_name: str
    program: str
    preferred_language: str
    enrollment: EnrollmentRefOut


class CareTeamAddedOut(Schema):
    patient: int
    user_id: int
    role: str


class EpisodeOut(Schema):
    id: int
    started_on: str  # ISO date
    ended_on: str | None
    end_reason: str
    status: str
    kind: str = ""


class ActivationCodeOut(Schema):
    code: str
    expires_at: str  # ISO datetime (Python's isoformat, as before)


class CareTeamsAddedOut(Schema):
    patient_ids: list[int]
    user_id: int


class SecondFactorResetOut(Schema):
    id: int
    second_factor: str


class ContactChangedOut(Schema):
    id: int
    changed: list[str]  # the names of the fields that changed (none: nothing was different)
    version: int


class PhotoOut(Schema):
    """A patient's identity photo as Keel keeps it (the image itself: GET the same path)."""

    patient: int
    content_type: str
    width: int
    height: int
    sha256: str
    uploaded_at: datetime


class CareTeamIn(Schema):
    user_id: int


class FlagOut(Schema):
    id: int
    kind: str
    priority: int
    reasons: list[str]
    raised_at: datetime
    resolved_at: datetime | None
    resolved_by_id: int | None
    resolution_note: str


class ResolveIn(Schema):
    note: str = Field(max_length=2000)


class SecondFactorResetIn(CoreIn):
    """Why a patient's two-step sign-in is reset, and that their identity was checked
    (`keel.core.desk.SECOND_FACTOR_RESET`, checked by `desk.parse_second_factor_reset`)."""

    FIELDS = desk.SECOND_FACTOR_RESET

    reason: str
    identity_checked: bool

    @classmethod
    def core_parse(cls, raw: Mapping[str, object], now: datetime | None = None) -> Mapping[str, object]:
        return desk.parse_second_factor_reset(raw)


class ResetCodeIn(CoreIn):
    """That the desk checked who the patient is before giving a password reset code
    (`keel.core.desk.RESET_CODE`, checked by `desk.parse_reset_code`)."""

    FIELDS = desk.RESET_CODE

    identity_checked: bool

    @classmethod
    def core_parse(cls, raw: Mapping[str, object], now: datetime | None = None) -> Mapping[str, object]:
        return desk.parse_reset_code(raw)


class ActivationCodeIn(CoreIn):
    """How an activation code also goes to the patient (`keel.core.desk.ACTIVATION_CODE`, read by
    `desk.parse_activation_code`: only true sends)."""

    FIELDS = desk.ACTIVATION_CODE

    send_by_text: bool
    send_by_email: bool

    @classmethod
    def core_parse(cls, raw: Mapping[str, object], now: datetime | None = None) -> Mapping[str, object]:
        return desk.parse_activation_code(raw)
