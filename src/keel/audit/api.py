"""API: the audit trail of the caller's programs (auditors and program admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from keel.audit import queries

router = Router(tags=["audit"])


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
    request_id: str
    channel: str


class EventFilter(Schema):
    before_id: int | None = Field(default=None, ge=1)
    limit: int = Field(default=100, ge=1, le=500)


@router.get("/events", response=list[EventOut], summary="Audit events of my programs, newest first")
def list_events(request: HttpRequest, filters: Query[EventFilter]) -> Any:
    return queries.list_events(request.auth, before_id=filters.before_id, limit=filters.limit)  # type: ignore[attr-defined]
