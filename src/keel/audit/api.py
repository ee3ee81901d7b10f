"""API: the audit trail of the caller's programs (auditors and program admins)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from keel.audit import queries
from keel.audit.schemas import EventFilter, EventOut

router = Router(tags=["audit"])


@router.get("/events", response=list[EventOut], summary="Audit events of my programs, newest first")
def list_events(request: HttpRequest, filters: Query[EventFilter]) -> Any:
    return queries.list_events(
        request.auth,  # type: ignore[attr-defined]
        before_id=filters.before_id,
        limit=filters.limit,
        emergency=filters.emergency,
    )
