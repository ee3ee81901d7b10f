"""`GET /api/v1/caseload` (the caller's patients, most urgent first, with reasons) and
`GET /api/v1/patients/{id}/timeline` (one patient's events, newest first)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from ninja import Router

from keel.careteam import queries
from keel.core.rules.inputs import FieldError, FieldsInvalid

router = Router(tags=["care team"])


@router.get("/caseload", summary="My patients, most urgent first, each with the reasons for its place")
def get_caseload(request: HttpRequest) -> list[dict[str, Any]]:
    return [asdict(row) for row in queries.caseload(getattr(request, "auth", None))]


@router.get("/patients/{patient_id}/timeline", summary="One patient's timeline, newest first")
def get_timeline(request: HttpRequest, patient_id: int, days: int = 90) -> dict[str, Any]:
    if days not in queries.TIMELINE_DAYS:
        choices = ", ".join(str(d) for d in queries.TIMELINE_DAYS)
        raise FieldsInvalid([FieldError("days", f"must be one of {choices}")])
    t = queries.timeline(getattr(request, "auth", None), patient_id, days=days)
    return {
        "patient": t.patient.pk,
        "since": t.since.isoformat(),
        "until": t.until.isoformat(),
        "days": t.days,
        "events": [
            {
                "day": e.day.isoformat(),
                "at": e.at.isoformat() if e.at else None,
                "area": e.area,
                "kind": e.kind,
                "title": e.title,
                "detail": e.detail,
            }
            for e in t.events
        ],
    }
