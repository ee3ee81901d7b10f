"""API for the recovery companion: the patient's own check-ins, progress, plan and tools under /me, and
read-only views of the same for the care team under /patients/{id} (the access policy decides, every
read audited). Bodies are checked by the core (`keel.core.recovery`), which names every bad field."""

from __future__ import annotations

from ninja import Router, Status

from keel.access.http import AuthenticatedApiRequest
from keel.accounts.schemas import ErrorOut
from keel.api_body import request_body
from keel.recovery import services
from keel.recovery.schemas import (
    CheckInIn,
    CheckInOut,
    CheckInSavedOut,
    PlanIn,
    PlanOut,
    ProgressOut,
    SkillOut,
    SkillTryIn,
    SkillTryOut,
    ThoughtRecordIn,
    ThoughtRecordOut,
)

router = Router(tags=["recovery"])


@router.post(
    "/me/checkins",
    response={200: CheckInSavedOut, 201: CheckInSavedOut},
    summary="Save today's check-in (idempotent: send an Idempotency-Key header)",
    openapi_extra={
        **request_body(CheckInIn),
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": True,
                "schema": {"type": "string", "maxLength": 100},
                "description": "a new random key per check-in; a retry with it gets the first response",
            }
        ],
    },
)
def create_my_checkin(request: AuthenticatedApiRequest) -> Status[CheckInSavedOut]:
    key = request.headers.get("Idempotency-Key", "")
    outcome = services.record_checkin(by=request.auth, data=CheckInIn.read(request), key=key)
    return Status(outcome.status_code, CheckInSavedOut.of(outcome.body))


@router.get("/me/checkins", response=list[CheckInOut], summary="My check-ins (the last `days` days)")
def list_my_checkins(request: AuthenticatedApiRequest, days: int = 30) -> list[CheckInOut]:
    _, rows = services.list_checkins(request.auth, patient_id=None, days=days)
    return [services.checkin_out(c) for c in rows]


@router.get("/patients/{patient_id}/checkins", response=list[CheckInOut], summary="A patient's check-ins")
def list_checkins(request: AuthenticatedApiRequest, patient_id: int, days: int = 30) -> list[CheckInOut]:
    _, rows = services.list_checkins(request.auth, patient_id=patient_id, days=days)
    return [services.checkin_out(c) for c in rows]


@router.get("/me/progress", response=ProgressOut, summary="My progress: days, milestones, the week, trends")
def my_progress(request: AuthenticatedApiRequest, days: int = 30) -> ProgressOut:
    return ProgressOut.of(services.get_progress(request.auth, patient_id=None, days=days))


@router.get("/patients/{patient_id}/progress", response=ProgressOut, summary="A patient's progress")
def patient_progress(request: AuthenticatedApiRequest, patient_id: int, days: int = 30) -> ProgressOut:
    return ProgressOut.of(services.get_progress(request.auth, patient_id=patient_id, days=days))


@router.get("/me/plan", response=PlanOut, summary="My relapse-prevention plan")
def get_my_plan(request: AuthenticatedApiRequest) -> PlanOut:
    return PlanOut.of(services.get_plan(request.auth, patient_id=None))


@router.put(
    "/me/plan",
    response={200: PlanOut, 409: ErrorOut, 422: ErrorOut},  # review 23a hole 2: as an order's
    summary="Replace my relapse-prevention plan (409 if it changed since `version`)",
    openapi_extra=request_body(PlanIn),
)
def put_my_plan(request: AuthenticatedApiRequest) -> PlanOut:
    return PlanOut.of(services.save_plan(by=request.auth, data=PlanIn.read(request)))


@router.get("/patients/{patient_id}/plan", response=PlanOut, summary="A patient's relapse-prevention plan")
def get_patient_plan(request: AuthenticatedApiRequest, patient_id: int) -> PlanOut:
    return PlanOut.of(services.get_plan(request.auth, patient_id=patient_id))


@router.post(
    "/me/thought-records",
    response={201: ThoughtRecordOut},
    summary="Save a CBT thought record",
    openapi_extra=request_body(ThoughtRecordIn),
)
def create_my_thought_record(request: AuthenticatedApiRequest) -> Status[ThoughtRecordOut]:
    row = services.save_thought_record(by=request.auth, data=ThoughtRecordIn.read(request))
    return Status(201, services.thought_out(row))


@router.get("/me/thought-records", response=list[ThoughtRecordOut], summary="My thought records")
def list_my_thought_records(request: AuthenticatedApiRequest) -> list[ThoughtRecordOut]:
    _, rows = services.list_thought_records(request.auth, patient_id=None)
    return [services.thought_out(t) for t in rows]


@router.get(
    "/patients/{patient_id}/thought-records",
    response=list[ThoughtRecordOut],
    summary="A patient's thought records",
)
def list_thought_records(request: AuthenticatedApiRequest, patient_id: int) -> list[ThoughtRecordOut]:
    _, rows = services.list_thought_records(request.auth, patient_id=patient_id)
    return [services.thought_out(t) for t in rows]


@router.get("/me/skills", response=list[SkillOut], summary="Coping skills, the most helpful for me first")
def my_skills(request: AuthenticatedApiRequest) -> list[SkillOut]:
    return [SkillOut.of(s) for s in services.skill_stats(request.auth, patient_id=None)[1]]


@router.post(
    "/me/skills/tries",
    response={201: SkillTryOut},
    summary="I tried a skill: did it help?",
    openapi_extra=request_body(SkillTryIn),
)
def try_skill(request: AuthenticatedApiRequest) -> Status[SkillTryOut]:
    row = services.record_skill_try(by=request.auth, data=SkillTryIn.read(request))
    return Status(201, SkillTryOut.of(row))


@router.get("/patients/{patient_id}/skills", response=list[SkillOut], summary="A patient's coping skills")
def patient_skills(request: AuthenticatedApiRequest, patient_id: int) -> list[SkillOut]:
    return [SkillOut.of(s) for s in services.skill_stats(request.auth, patient_id=patient_id)[1]]
