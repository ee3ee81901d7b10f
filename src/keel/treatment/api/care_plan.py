"""API: the care plan: a goal added by the care team, and the person's own plan in plain words."""

from __future__ import annotations

from ninja import Status

from keel.access.http import AuthenticatedApiRequest
from keel.accounts.names import staff_name
from keel.treatment import queries, services
from keel.treatment.api.common import router
from keel.treatment.schemas import CareGoalLineOut, CareGoalSavedOut, GoalIn, MyCarePlanOut


@router.post(
    "/patients/{patient_id}/care-goals",
    response={201: CareGoalSavedOut},
    tags=["medication"],
    summary="Add a care-plan goal",
)
def care_goal(request: AuthenticatedApiRequest, patient_id: int, payload: GoalIn) -> Status[CareGoalSavedOut]:
    g = services.add_goal(
        by=request.auth,
        patient_id=patient_id,
        area=payload.area,
        goal=payload.goal,
        responsible_id=payload.responsible_id,
        review_on=payload.review_on,
    )
    return Status(201, CareGoalSavedOut(id=g.pk, area=g.area, goal=g.goal, review_on=g.review_on.isoformat()))


@router.get(
    "/me/care-plan", response=MyCarePlanOut, tags=["medication"], summary="My care plan, in plain words"
)
def my_care_plan(request: AuthenticatedApiRequest) -> MyCarePlanOut:
    _patient, goals, kits = queries.my_care_plan(request.auth)
    return MyCarePlanOut(
        goals=[
            CareGoalLineOut(
                area=g.area,
                goal=g.goal,
                responsible=staff_name(g.responsible),  # the person reads it: never a username (words33)
                responsible_name=staff_name(g.responsible),
                review_on=g.review_on.isoformat(),
            )
            for g in goals
        ],
        naloxone_kits=[k.dispensed_on.isoformat() for k in kits],
    )
