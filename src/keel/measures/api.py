"""`GET /api/v1/programs/{slug}/measures`: the director's measures as JSON (program admins of the program)."""

from __future__ import annotations

from ninja import Query, Router
from ninja.errors import HttpError

from keel.access.http import AuthenticatedApiRequest
from keel.api_auth import reads_no_one, refuse_token_raw_counts
from keel.measures import queries
from keel.measures.schemas import MeasuresOut, WindowIn

router = Router(tags=["measures"])


@router.get(
    "/programs/{slug}/measures",
    response=MeasuresOut,
    summary="My program's quality measures: values, counts, monthly series, parameters and sources",
)
@reads_no_one
def get_measures(request: AuthenticatedApiRequest, slug: str, window: Query[WindowIn]) -> MeasuresOut:
    asked = window.model_dump(exclude_none=True)
    counts = asked.get("counts")  # checked by `parse_window`, after who may ask
    if counts == "raw":
        refuse_token_raw_counts(request, "get_measures")  # review 26a H6: raw counts for a session only
    try:
        result = queries.report(request.auth, program_slug=slug, raw=asked, raw_counts=counts == "raw")
    except queries.MeasuresNotAllowed:
        raise HttpError(403, "Only a program admin of this program sees its measures.") from None
    return MeasuresOut.of(result.as_dict(raw_counts=counts == "raw"))
