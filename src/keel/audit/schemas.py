"""What the audit API takes (the page of the trail asked for) and sends (one event, no health information)."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class EventOut(Schema):
    id: int
    occurred_at: datetime
    actor_id: int | None
    actor_role: str
    program_id: int | None
    patient_id: int | None
    action: str
    target_type: str
    target_id: str
    outcome: str
    reason: str
    through_emergency: bool  # made by a clinician who reached the record only through emergency access
    request_id: str
    channel: str


class EventFilter(Schema):
    before_id: int | None = Field(default=None, ge=1)
    limit: int = Field(default=100, ge=1, le=500)
    emergency: bool = Field(default=False, description="only rows made through emergency access")
