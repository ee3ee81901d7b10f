from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from keel.api_body import CoreIn, is_integer
from keel.core import desk
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.patients import checks
from keel.schemas import In


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
    left_on: date | None = Field(
        default=None,
        description="a past member (review 35d): the day they left (account turned off, or no longer in the "
        "program); null for a current member",
    )


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
    care_team: list[CareTeamMemberOut]  # who can act for her now
    past_care_team: list[CareTeamMemberOut]  # who left: not counted as her team (review 35d)


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


class DischargedOut(EpisodeOut):
    """The episode a discharge ended, and the version of the person's medication orders it left."""

    orders_version: str = Field(
        description="the version of all this person's medication orders as this discharge left them (its "
        "active and pending orders stopped; opaque text, as `orders_version` of GET "
        "/patients/{id}/medication): send it back as `orders_version` with the next order after a "
        "readmission, no read needed. Read under the episode's lock that every order's write takes: no "
        "order written meanwhile"
    )
    own_account_turned_off: bool = Field(
        default=False,
        description="true when this discharge recorded a death and turned the person's own Keel account "
        "off (its sessions ended, its API tokens revoked)",
    )


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


class CareTeamIn(In):
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
    version: int  # the flag as read: a resolve sends it back (`PatientFlag.version`, lane fix38n)


class ResolveIn(In):
    """A resolution: the note, and the flag's `version` as read (`FlagOut.version`; another since: 409 naming
    it, nothing written; not sent: not checked, as a correction's `correction_version`: lane fix38n)."""

    note: str = Field(max_length=2000)
    version: int | None = None


class SecondFactorResetIn(CoreIn):
    """Why a patient's two-step sign-in is reset, and that their identity was checked
    (`keel.core.desk.SECOND_FACTOR_RESET`, checked by `desk.parse_second_factor_reset`)."""

    FIELDS = desk.SECOND_FACTOR_RESET

    reason: str
    identity_checked: bool
    password: str

    @classmethod
    def core_parse(cls, raw: Mapping[str, object], now: datetime | None = None) -> Mapping[str, object]:
        return desk.parse_second_factor_reset(raw)


class UndoDeathIn(CoreIn):
    """Why a death recorded by mistake is undone (`keel.core.desk.UNDO_DEATH`, checked by
    `desk.parse_undo_death`)."""

    FIELDS = desk.UNDO_DEATH

    reason: str

    @classmethod
    def core_parse(cls, raw: Mapping[str, object], now: datetime | None = None) -> Mapping[str, object]:
        return desk.parse_undo_death(raw)


class DeathUndoneOut(Schema):
    """The episode a death recorded by mistake had ended, open again, and what the undo left off."""

    episode: EpisodeOut
    own_account_off: bool = Field(
        description="true when the person had a Keel account of their own: it stays off and is no longer "
        "joined to the record; a new one is made with an activation code (POST .../activation-code)"
    )
    representative_consents_revoked: int = Field(
        description="consents a personal representative signed while the death was recorded, revoked by the "
        "undo (a personal representative signs only for a person who died)"
    )


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


# --- The desk's bodies checked with the program's context (issue #17, lane shape17h) ---
# Their field lists are the core's (`keel.core.desk`); their checks need the program, the record or Django
# (`keel.patients.checks`), so each model's parse runs that check with the context its service passes once
# the access checks passed (`CoreIn.checked`).


class RegistrationIn(CoreIn):
    """A registration at the front desk (`keel.core.desk.REGISTRATION`, checked by `checks.registration`
    against today in the program's zone; the context is a `checks.Admission`)."""

    FIELDS = desk.REGISTRATION

    program: str
    given_name: str
    family_name: str
    preferred_name: str
    pronouns: str
    date_of_birth: date
    gender: str
    birth_sex: str
    phone: str
    preferred_language: str | None
    record_number: str
    started_on: date | None
    not_a_duplicate: bool
    address_line: str
    city: str
    region: str
    postal_code: str
    email: str
    emergency_contact_name: str
    emergency_contact_relationship: str
    emergency_contact_phone: str
    episode_kind: str
    notice_given: bool
    consented: bool

    @classmethod
    def checked(
        cls, raw: Mapping[str, object], now: datetime | None, context: object
    ) -> Mapping[str, object]:
        assert isinstance(context, checks.Admission)
        return checks.registration(raw, context)

    @classmethod
    def body_schema(cls) -> dict[str, Any]:
        schema = super().body_schema()
        schema["properties"]["email"]["format"] = "email"
        return schema


class ContactIn(CoreIn):
    """Contact details changed after registration (`keel.core.desk.CONTACT`: each given or None, left as it
    is), checked by `checks.contact` with the record's current details (the context: a mapping)."""

    FIELDS = desk.CONTACT

    preferred_name: str | None
    pronouns: str | None
    phone: str | None
    email: str | None
    address_line: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    emergency_contact_name: str | None
    emergency_contact_relationship: str | None
    emergency_contact_phone: str | None
    preferred_language: str | None
    version: int | None

    @classmethod
    def checked(
        cls, raw: Mapping[str, object], now: datetime | None, context: object
    ) -> Mapping[str, object]:
        assert isinstance(context, Mapping)
        return checks.contact(raw, context)

    def given(self) -> dict[str, str]:
        """The details given, by name (those left out: not changed)."""
        values = self.checked_values()
        return {n: values[n] for n in desk.CONTACT_FIELDS if values[n] is not None}

    @classmethod
    def body_schema(cls) -> dict[str, Any]:
        schema = super().body_schema()
        schema["properties"]["email"]["format"] = "email"
        return schema


_TRANSFER_PARTS: dict[str, object] = {name: object for name in desk.TRANSFER_PARTS}


class _TodayIn(CoreIn):
    """A body its app's check (`check_on`) holds to today in the program's zone: the context the service
    passes after its access check."""

    @staticmethod
    def check_on(data: Mapping[str, object], today: date) -> Mapping[str, object]:
        raise NotImplementedError

    @classmethod
    def checked(
        cls, raw: Mapping[str, object], now: datetime | None, context: object
    ) -> Mapping[str, object]:
        assert isinstance(context, date)
        return cls.check_on(raw, context)


class DischargeIn(_TodayIn):
    """The end of an episode of care (`keel.core.desk.DISCHARGE`, checked by `checks.discharge` against today
    in the program's zone, the context); a transfer's parts are passed on as they are to the sharing app."""

    FIELDS = desk.DISCHARGE
    NESTED = _TRANSFER_PARTS
    PART_SCHEMAS = {
        "recipient_name": {"type": "string", "description": desk.TRANSFER_PARTS["recipient_name"]},
        "consent": {"type": "integer", "description": desk.TRANSFER_PARTS["consent"]},
        "purpose": {"type": "string", "description": desk.TRANSFER_PARTS["purpose"]},
        "purpose_text": {"type": "string"},
        "password": {"type": "string", "description": desk.TRANSFER_PARTS["password"]},
    }

    ended_on: date | None
    reason: str
    recipient_name: object
    consent: object
    purpose: object
    purpose_text: object
    password: object

    check_on = staticmethod(checks.discharge)


class ReadmissionIn(_TodayIn):
    """A new episode of care (`keel.core.desk.READMISSION`, checked by `checks.readmission` against today in
    the program's zone, the context)."""

    FIELDS = desk.READMISSION

    started_on: date | None
    episode_kind: str | None
    notice_given: bool
    consented: bool

    check_on = staticmethod(checks.readmission)


class CareTeamsIn(CoreIn):
    """One staff member put on several patients' care teams (`checks.care_teams`: 1 to `MAX_BULK` ids, each
    once); the staff member's id is judged after the scope and role checks (None: it names no one)."""

    NESTED = {"patient_ids": list[int], "user_id": int | None}
    PART_SCHEMAS = {
        "patient_ids": {
            "type": "array",
            "items": {"type": "integer"},
            "minItems": 1,
            "maxItems": desk.MAX_BULK,
            "description": "the patients, all of one program",
        },
        "user_id": {"type": "integer", "description": "a counselor, nurse, prescriber or peer specialist"},
    }

    patient_ids: list[int]
    user_id: int | None

    @classmethod
    def checked(
        cls, raw: Mapping[str, object], now: datetime | None, context: object
    ) -> Mapping[str, object]:
        return checks.care_teams(raw)

    @classmethod
    def json_errors(cls, raw: Mapping[str, object]) -> list[FieldError]:
        """A JSON body's patients: whole numbers only (review 14a: 5.9, "5" and true were read as ids by
        `int()`); its staff member's id is judged after the scope and role checks (the service)."""
        ids = raw.get("patient_ids")
        if isinstance(ids, list) and not all(is_integer(i) for i in ids):
            return [FieldError("patient_ids", N_("choose people from the list"))]
        return []

    @classmethod
    def body_schema(cls) -> dict[str, Any]:
        return {**super().body_schema(), "required": ["patient_ids", "user_id"]}
