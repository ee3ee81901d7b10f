"""API: a QTc measurement (the ECG's corrected QT interval)."""

from __future__ import annotations

from ninja import Status

from keel.access.http import AuthenticatedApiRequest
from keel.treatment import services
from keel.treatment.api.common import router
from keel.treatment.schemas import QtcIn, QtcOut


@router.post(
    "/patients/{patient_id}/qtc", response={201: QtcOut}, tags=["medication"], summary="Record a QTc"
)
def qtc(request: AuthenticatedApiRequest, patient_id: int, payload: QtcIn) -> Status[QtcOut]:
    row = services.record_qtc(
        by=request.auth, patient_id=patient_id, qtc_ms=payload.qtc_ms, measured_on=payload.measured_on
    )
    return Status(201, QtcOut.of(row))
