"""API: a person's own buprenorphine home start: the SOWS check and the plan."""

from __future__ import annotations

from keel.access.http import AuthenticatedApiRequest
from keel.treatment import readiness
from keel.treatment.api.common import router
from keel.treatment.schemas import DecisionOut, HomeStartOut, ScoreOut, last_uses_out


@router.get(
    "/me/home-start",
    response=HomeStartOut,
    tags=["medication"],
    summary="My buprenorphine home start: SOWS check and plan",
)
def my_home_start(request: AuthenticatedApiRequest) -> HomeStartOut:
    h = readiness.home_start(request.auth)
    return HomeStartOut(
        has_plan=h.order is not None,
        first_dose_mg=str(h.order.dose_mg) if h.order else None,
        sows=ScoreOut(
            total=h.sows.total,
            filled_at=h.sows.filled_at.isoformat(),
            age_hours=round(h.sows_age_hours, 2) if h.sows_age_hours is not None else None,
        )
        if h.sows
        else None,
        last_uses=last_uses_out(h.uses),
        needs=list(h.missing),
        decision=DecisionOut.of(h.decision) if h.decision else None,
        redose_interval_hours=h.redose_hours,
        day1_max_mg=h.day1_max_mg,
        day2_max_mg=h.day2_max_mg,
    )
