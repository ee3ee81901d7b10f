from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=256)
    otp_code: str | None = Field(default=None, max_length=8, description="required for staff")
    name: str = Field(default="", max_length=100)
    expires_in_days: int = Field(default=30, ge=1, le=90)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="the secret; shown only once")


class PatientBriefOut(Schema):
    id: int
    display_name: str
    program: str


class MeOut(Schema):
    id: int
    username: str
    role: str
    programs: list[str]
    mfa_enrolled: bool
    patient: PatientBriefOut | None = None


class MessageOut(Schema):
    message: str
