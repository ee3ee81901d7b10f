"""API: the patients visible to the caller, through the access policy (every read audited)."""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest
from ninja import Router

from keel.patients import queries
from keel.patients.schemas import PatientDetailOut, PatientOut

router = Router(tags=["patients"])


@router.get("", response=list[PatientOut], summary="Patients visible to me")
def list_patients(request: HttpRequest) -> list[dict[str, object]]:
    return [asdict(p) for p in queries.list_patients(request.auth)]  # type: ignore[attr-defined]


@router.get("/{patient_id}", response=PatientDetailOut, summary="One patient (404 when outside my scope)")
def get_patient(request: HttpRequest, patient_id: int) -> dict[str, object]:
    return asdict(queries.get_patient(request.auth, patient_id))  # type: ignore[attr-defined]
