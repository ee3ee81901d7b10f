from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import BaseModel, Field


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=256)
    otp_code: str | None = Field(default=None, max_length=8, description="required for staff")
    name: str = Field(default="", max_length=100)
    expires_in_days: int = Field(default=30, ge=1, le=90)


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="the secret; shown only once")


class PatientBriefOut(BaseModel):
    id: int
    display_name: str
    program: str


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


class PasswordChangeIn(Schema):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)
    new_password_again: str = Field(max_length=256)


class ResetRequestIn(Schema):
    email: str = Field(max_length=254)


class ResetIn(Schema):
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


class ProgramSettingsOut(BaseModel):
    time_zone: str
    dosing_opens: str | None  # HH:MM in the program's zone
    dosing_closes: str | None
    closure_days: list[str]  # ISO dates
    contact_phone: str
    contact_address: str
