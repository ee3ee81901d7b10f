"""API: pharmacy fills of an order, and voiding one recorded by mistake."""

from __future__ import annotations

from ninja import Status

from keel.access.http import AuthenticatedApiRequest
from keel.treatment import services
from keel.treatment.api.common import router
from keel.treatment.schemas import FillIn, FillOut, VoidIn


@router.post(
    "/patients/{patient_id}/fills",
    response={201: FillOut},
    tags=["medication"],
    summary="Record a pharmacy fill of an order (its days count as covered in the measures)",
)
def create_fill(request: AuthenticatedApiRequest, patient_id: int, payload: FillIn) -> Status[FillOut]:
    fill = services.record_fill(
        by=request.auth,
        patient_id=patient_id,
        order_id=payload.order,
        filled_on=payload.filled_on,
        days_supply=payload.days_supply,
        source=payload.source,
    )
    return Status(201, FillOut.of(fill))


@router.post(
    "/patients/{patient_id}/fills/{fill_id}/void",
    response={201: FillOut},
    tags=["medication"],
    summary="Void a fill recorded by mistake (a new row; nothing is edited)",
)
def void_fill(
    request: AuthenticatedApiRequest, patient_id: int, fill_id: int, payload: VoidIn
) -> Status[FillOut]:
    void = services.void_fill(by=request.auth, patient_id=patient_id, fill_id=fill_id, reason=payload.reason)
    return Status(201, FillOut.of(void))
