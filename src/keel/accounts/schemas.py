from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from keel.accounts import checks
from keel.api_body import CoreIn
from keel.core import program as program_fields
from keel.schemas import In

if TYPE_CHECKING:
    from keel.accounts.models import ApiToken
    from keel.accounts.services import IssuedToken
    from keel.patients.models import Patient


class TokenIn(In):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=256)
    otp_code: str | None = Field(default=None, max_length=8, description="required for staff")
    name: str = Field(default="", max_length=100)
    expires_in_days: int = Field(default=30, ge=1, le=90)
    recipient_name: str = Field(
        default="",
        max_length=200,
        description="the one recipient (an organization named in consents) this token releases records to; "
        "blank: the token releases no record (review 25b; a staff token's answer says so in `note`)",
    )


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    recipient_name: str = ""

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(
            id=token.pk,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
            recipient_name=token.recipient_name,
        )


class TokenCreatedOut(TokenOut):
    token: str = Field(description="the secret; shown only once")
    note: str = Field(
        default="",
        description="a staff member's token: what it releases, in words (with no recipient: no record); "
        "a patient's own token: left out",
    )

    @classmethod
    def issued(cls, issued: IssuedToken, note: str = "") -> TokenCreatedOut:
        """`note` left unset when there is none (a patient's own token): the route excludes unset fields,
        so a patient's answer stays as it was, byte for byte (lane tok26)."""
        fields = TokenOut.of(issued.token).model_dump()
        if note:
            return cls(**fields, token=issued.secret, note=note)
        return cls(**fields, token=issued.secret)


class PatientBriefOut(BaseModel):
    id: int
    display_name: str
    program: str

    @classmethod
    def of(cls, patient: Patient) -> PatientBriefOut:
        return cls(id=patient.pk, display_name=patient.display_name, program=patient.program.slug)


class MeOut(BaseModel):
    id: int
    username: str
    role: str
    programs: list[str]
    mfa_enrolled: bool
    patient: PatientBriefOut | None = None


class MessageOut(BaseModel):
    message: str


class FieldErrorOut(BaseModel):
    field: str
    reason: str


class ErrorOut(BaseModel):
    """The API's one error shape (`keel.api.error_body`), for a route that answers an error itself."""

    message: str
    errors: list[FieldErrorOut]


class PasswordChangeIn(In):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)
    new_password_again: str = Field(max_length=256)


class ResetRequestIn(In):
    email: str = Field(max_length=254)


class ResetIn(In):
    uid: str = Field(max_length=40)
    token: str = Field(max_length=100)
    password: str = Field(max_length=256)
    password_again: str = Field(max_length=256)


class StaffMemberOut(BaseModel):
    id: int
    username: str
    name: str
    email: str
    role: str
    active: bool


class InvitationOut(BaseModel):
    id: int
    email: str
    role: str
    expires_at: str  # ISO datetime (Python's isoformat, as before)


class InvitationWithdrawnOut(BaseModel):
    """Review 35d: an invitation withdrawn; its link no longer works."""

    id: int
    email: str
    role: str
    withdrawn_at: str  # ISO datetime


class StaffListOut(BaseModel):
    staff: list[StaffMemberOut]
    invitations: list[InvitationOut]


class AccountRoleOut(BaseModel):
    """An account after a role change, or a patient's account just made."""

    id: int
    username: str
    role: str


class AccountActiveOut(BaseModel):
    id: int
    username: str
    active: bool


class AccountSecondFactorOut(BaseModel):
    id: int
    username: str
    mfa_enrolled: bool
    # Lane acct35: the one-time set-up code the person types at her next sign-in with her new authenticator's
    # first code; in this answer only (never stored, never sent), to hand to her in person or by phone.
    setup_code: str
    setup_code_expires_at: str  # ISO 8601


class ProgramSettingsOut(BaseModel):
    time_zone: str
    dosing_opens: str | None  # HH:MM in the program's zone
    dosing_closes: str | None
    closure_days: list[str]  # ISO dates
    contact_phone: str
    contact_address: str


# --- A program admin's bodies (issue #17, lane shape17h): field lists in `keel.core.program`, checked by
# `keel.accounts.checks` (Django's email validator; the server's today) after the access checks.


class InvitationIn(CoreIn):
    """A staff invitation (`keel.core.program.INVITATION`, checked by `checks.invitation`)."""

    FIELDS = program_fields.INVITATION

    email: str
    role: str
    first_name: str
    last_name: str

    @classmethod
    def checked(
        cls, raw: Mapping[str, object], now: datetime | None, context: object
    ) -> Mapping[str, object]:
        return checks.invitation(raw)

    @classmethod
    def body_schema(cls) -> dict[str, Any]:
        schema = super().body_schema()
        schema["properties"]["email"]["format"] = "email"
        return schema


_HOURS = {"type": ["string", "null"], "description": program_fields.DOSING_HOURS_HELP}


class ProgramSettingsIn(CoreIn):
    """A program's settings (`keel.core.program.PROGRAM_SETTINGS`, then the dosing hours and the closure days;
    checked by `checks.program_settings`)."""

    FIELDS = program_fields.PROGRAM_SETTINGS
    NESTED = {"dosing_opens": time | None, "dosing_closes": time | None, "closure_days": list[str]}
    PART_SCHEMAS = {
        "dosing_opens": _HOURS,
        "dosing_closes": _HOURS,
        "closure_days": {"type": "array", "items": {"type": "string", "format": "date"}},
    }

    time_zone: str
    contact_phone: str
    contact_address: str
    dosing_opens: time | None
    dosing_closes: time | None
    closure_days: list[str]

    @classmethod
    def checked(
        cls, raw: Mapping[str, object], now: datetime | None, context: object
    ) -> Mapping[str, object]:
        assert context is None or isinstance(context, Mapping)
        return checks.program_settings(raw, context)

    def settings(self) -> dict[str, object]:
        """The settings to store, in the form's order (the audit row names the changed ones in it)."""
        return {
            "time_zone": self.time_zone,
            "dosing_opens": self.dosing_opens,
            "dosing_closes": self.dosing_closes,
            "closure_days": self.closure_days,
            "contact_phone": self.contact_phone,
            "contact_address": self.contact_address,
        }
