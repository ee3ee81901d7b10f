"""API: a QTc measurement (the ECG's corrected QT interval)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Status

from keel.treatment import services
from keel.treatment.api.common import _caller, router
from keel.treatment.schemas import QtcIn, QtcOut


@router.post(
    "/patients/{patient_id}/qtc", response={201: QtcOut}, tags=["medication"], summary="Record a QTc"
)
def qtc(request: HttpRequest, patient_id: int, payload: QtcIn) -> Status[QtcOut]:
    row = services.record_qtc(
        by=_caller(request), patient_id=patient_id, qtc_ms=payload.qtc_ms, measured_on=payload.measured_on
    )
    return Status(201, QtcOut.of(row))
