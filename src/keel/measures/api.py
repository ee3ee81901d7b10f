"""`GET /api/v1/programs/{slug}/measures`: the director's measures as JSON (program admins of the program)."""

from __future__ import annotations

from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from keel.access.http import AuthenticatedApiRequest
from keel.measures import queries
from keel.measures.schemas import MeasuresOut

router = Router(tags=["measures"])


class WindowIn(Schema):
    start: str | None = Field(
        None, description="first day of the window (YYYY-MM-DD; default: 11 months ago, 1st)"
    )
    end: str | None = Field(
        None, description="last day of the window (YYYY-MM-DD; default and latest: today)"
    )
    max_gap: str | None = Field(
        None, description="longest gap in medication, in days, that keeps an episode going"
    )
    counts: str | None = Field(
        None,
        description='"raw": counts from 1 to 10 unsuppressed (recorded on the audit row); otherwise they '
        'and the cells they could be worked out from are "<11" (CMS cell-size rule)',
    )


@router.get(
    "/programs/{slug}/measures",
    response=MeasuresOut,
    summary="My program's quality measures: values, counts, monthly series, parameters and sources",
)
def get_measures(request: AuthenticatedApiRequest, slug: str, window: Query[WindowIn]) -> MeasuresOut:
    asked = window.model_dump(exclude_none=True)
    counts = asked.get("counts")  # checked by `parse_window`, after who may ask
    try:
        result = queries.report(request.auth, program_slug=slug, raw=asked, raw_counts=counts == "raw")
    except queries.MeasuresNotAllowed:
        raise HttpError(403, "Only a program admin of this program sees its measures.") from None
    return MeasuresOut.of(result.as_dict(raw_counts=counts == "raw"))
