"""API: the audit trail of the caller's programs (auditors and program admins)."""

from __future__ import annotations

from ninja import Query, Router

from keel.access.http import AuthenticatedApiRequest
from keel.audit import queries
from keel.audit.models import AuditEvent
from keel.audit.schemas import EventFilter, EventOut

router = Router(tags=["audit"])


@router.get("/events", response=list[EventOut], summary="Audit events of my programs, newest first")
def list_events(request: AuthenticatedApiRequest, filters: Query[EventFilter]) -> list[AuditEvent]:
    return queries.list_events(
        request.auth,
        before_id=filters.before_id,
        limit=filters.limit,
        emergency=filters.emergency,
    )
