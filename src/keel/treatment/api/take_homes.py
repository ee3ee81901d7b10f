"""API: take-home methadone: the review before deciding, the decision, and ending a plan early."""

from __future__ import annotations

from ninja import Status

from keel.access.http import AuthenticatedApiRequest
from keel.accounts.schemas import ErrorOut
from keel.patients.models import local_today
from keel.treatment import queries, services
from keel.treatment.api.common import router
from keel.treatment.models import TakeHomePlan
from keel.treatment.schemas import (
    TakeHomeBroughtBackIn,
    TakeHomeConcernOut,
    TakeHomeEndIn,
    TakeHomeIn,
    TakeHomeOut,
    TakeHomeReviewOut,
)


@router.get(
    "/patients/{patient_id}/take-homes/review",
    response=TakeHomeReviewOut,
    tags=["medication"],
    summary="Before deciding take-homes: days in treatment, the federal supply, open concerns, closure days",
)
def take_home_review(request: AuthenticatedApiRequest, patient_id: int) -> TakeHomeReviewOut:
    review = queries.take_home_review_for(request.auth, patient_id=patient_id)
    return TakeHomeReviewOut(
        days_in_treatment=review.days_in_treatment,
        federal_max_days=review.federal_max_days,
        open_flags=[TakeHomeConcernOut(id=c.id, kind=c.kind, raised_on=c.raised_on) for c in review.concerns],
        closure_days=review.closure_days,
        bottles_held=review.bottles_held,
    )


@router.post(
    "/patients/{patient_id}/take-homes",
    response={201: TakeHomeOut},
    tags=["medication"],
    summary="Decide take-homes",
)
def take_home(request: AuthenticatedApiRequest, patient_id: int, payload: TakeHomeIn) -> Status[TakeHomeOut]:
    plan = services.decide_take_home(
        by=request.auth,
        patient_id=patient_id,
        criteria=payload.criteria,
        state_max_days=payload.state_max_days,
        start_on=payload.start_on,
        acknowledged_flags=payload.acknowledged_flags,
        bottle_days=payload.bottle_days,
        closure_day=payload.closure_day,
    )
    return Status(201, TakeHomeOut.of(plan))


@router.post(
    "/patients/{patient_id}/take-homes/{plan_id}/end",
    response={200: TakeHomeOut, 409: ErrorOut, 422: ErrorOut},  # review 23a hole 2: as an order's
    tags=["medication"],
    summary="End a take-home plan early (prescribers); an end that changes nothing is a 409",
)
def end_take_home(
    request: AuthenticatedApiRequest, patient_id: int, plan_id: int, payload: TakeHomeEndIn
) -> TakeHomeOut:
    plan = services.end_take_home_plan(
        by=request.auth,
        patient_id=patient_id,
        plan_id=plan_id,
        reason=payload.reason,
        from_day=payload.from_day,
        returned_days=payload.returned_days,
        # lane fix25c (review 25a hole 3): a `from_day` sent makes it an end (bottles brought back named with
        # it recorded only with it); without one, as before (bottles brought back: `.../brought-back`)
        ending=True if "from_day" in payload.model_fields_set else None,
    )
    return _with_call_back(plan)


@router.post(
    "/patients/{patient_id}/take-homes/{plan_id}/brought-back",
    response={200: TakeHomeOut, 409: ErrorOut, 422: ErrorOut},
    tags=["medication"],
    summary=(
        "Record bottles brought back on a take-home plan that ended (nurses and prescribers); never an end: "
        "a plan still running is a 409"
    ),
)
def take_home_brought_back(
    request: AuthenticatedApiRequest, patient_id: int, plan_id: int, payload: TakeHomeBroughtBackIn
) -> TakeHomeOut:
    plan = services.record_bottles_brought_back(
        by=request.auth,
        patient_id=patient_id,
        plan_id=plan_id,
        reason=payload.reason,
        returned_days=payload.returned_days,
    )
    return _with_call_back(plan)


def _with_call_back(plan: TakeHomePlan) -> TakeHomeOut:
    """A plan after an end or bottles brought back, as the API answers both (lane bot25): with its call-back
    list, as the medication page shows it after."""
    today = local_today(plan.patient)
    return TakeHomeOut.of(plan, queries.call_back(plan.patient, today).get(plan.pk))
