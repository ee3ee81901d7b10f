"""API: the patients visible to the caller, through the access policy (every read audited)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from keel.accounts.services import AccountError
from keel.patients import queries, services
from keel.patients.schemas import PatientDetailOut, PatientOut

router = Router(tags=["patients"])


@router.get("", response=list[PatientOut], summary="Patients visible to me")
def list_patients(request: HttpRequest) -> list[dict[str, object]]:
    return [asdict(p) for p in queries.list_patients(request.auth)]  # type: ignore[attr-defined]


@router.get("/{patient_id}", response=PatientDetailOut, summary="One patient (404 when outside my scope)")
def get_patient(request: HttpRequest, patient_id: int) -> dict[str, object]:
    return asdict(queries.get_patient(request.auth, patient_id))  # type: ignore[attr-defined]


class FlagOut(Schema):
    id: int
    kind: str
    priority: int
    reasons: list[str]
    raised_at: datetime
    resolved_at: datetime | None
    resolved_by_id: int | None
    resolution_note: str


class ResolveIn(Schema):
    note: str = Field(max_length=2000)


@router.get("/{patient_id}/flags", response=list[FlagOut], summary="A patient's flags, open first")
def list_flags(request: HttpRequest, patient_id: int) -> list[Any]:
    return services.list_flags(getattr(request, "auth", None), patient_id=patient_id)


@router.post("/{patient_id}/flags/{flag_id}/resolve", response=FlagOut, summary="Resolve a flag with a note")
def resolve_flag(request: HttpRequest, patient_id: int, flag_id: int, payload: ResolveIn) -> Any:
    try:
        return services.resolve_flag(
            by=getattr(request, "auth", None), patient_id=patient_id, flag_id=flag_id, note=payload.note
        )
    except services.FlagNotAllowed as exc:
        raise HttpError(403, str(exc)) from None
    except services.FlagError as exc:
        if exc.field == "flag":
            raise HttpError(409, exc.message) from None
        raise AccountError(exc.field, exc.message) from None
