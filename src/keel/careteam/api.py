"""`GET /api/v1/caseload` (the caller's patients, most urgent first, with reasons) and
`GET /api/v1/patients/{id}/timeline` (one patient's events, newest first)."""

from __future__ import annotations

from ninja import Router

from keel.access.http import AuthenticatedApiRequest
from keel.careteam import queries
from keel.careteam.schemas import CaseloadRowOut, TimelineEventOut, TimelineOut
from keel.core.rules.inputs import FieldError, FieldsInvalid
from keel.core.words import gettext_noop as N_

router = Router(tags=["care team"])


@router.get(
    "/caseload",
    response=list[CaseloadRowOut],
    summary="My patients, most urgent first, each with the reasons for its place "
    "(status: current | discharged | all; default current, or all for roles that do not see episodes)",
)
def get_caseload(request: AuthenticatedApiRequest, status: str = "") -> list[CaseloadRowOut]:
    return [CaseloadRowOut.of(row) for row in queries.caseload(request.auth, status=status or None)]


@router.get(
    "/patients/{patient_id}/timeline", response=TimelineOut, summary="One patient's timeline, newest first"
)
def get_timeline(request: AuthenticatedApiRequest, patient_id: int, days: int = 90) -> TimelineOut:
    if days not in queries.TIMELINE_DAYS:
        choices = ", ".join(str(d) for d in queries.TIMELINE_DAYS)
        raise FieldsInvalid([FieldError.said("days", N_("must be one of %(choices)s"), choices=choices)])
    t = queries.timeline(request.auth, patient_id, days=days)
    return TimelineOut(
        patient=t.patient.pk,
        since=t.since.isoformat(),
        until=t.until.isoformat(),
        days=t.days,
        events=[
            TimelineEventOut(
                day=e.day.isoformat(),
                at=e.at.isoformat() if e.at else None,
                area=e.area,
                kind=e.kind,
                title=e.title,
                detail=e.detail,
            )
            for e in t.events
        ],
    )
