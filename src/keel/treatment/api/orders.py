"""API: prescribing, and a person's whole medication record (orders, doses, overrides, take-homes, QTc)."""

from __future__ import annotations

from ninja import Status

from keel.access.http import AuthenticatedApiRequest
from keel.accounts.schemas import ErrorOut
from keel.api_auth import versioned_write
from keel.treatment import queries, services
from keel.treatment.api.common import router
from keel.treatment.schemas import (
    DoseOut,
    MedicationRecordOut,
    OrderIn,
    OrderOut,
    OverrideOut,
    PrescribedOut,
    QtcOut,
    TakeHomeOut,
)
from keel.treatment.services.orders import NOT_READ


@router.post(
    "/patients/{patient_id}/orders",
    # review 23a hole 2: the stale-order 409 and the 422 in the machine-readable contract, the API's one
    # error shape (`keel.api.error_body`), so a generated client has a type for "read the record again"
    response={201: PrescribedOut, 409: ErrorOut, 422: ErrorOut},
    tags=["medication"],
    summary="Prescribe (409 if an order of any medication was written or stopped since `orders_version`)",
)
@versioned_write
def create_order(
    request: AuthenticatedApiRequest, patient_id: int, payload: OrderIn
) -> Status[PrescribedOut]:
    """`orders_version` (required, session 23) covers every medication, as the medication page's versions
    do; `order_version` is optional beside it and read only when the body has the key (`null` sent is
    refused, as before: 422 naming it), see `services.prescribe`. The answer carries the orders' new
    `orders_version` (session 24), read under the write's lock: the next order sends it, no read between.
    The 409 (an order written or stopped since the version sent) says in words who changed which order,
    when, and what to do, in the request's language, and carries as a field `changed` (the medication, the
    version read, its newest order now: id, dose_mg, starts_on, status, written_at, written_by, stopped_on),
    lane words25; and `written_by_name`, who wrote it as a person reads it, never a username (lane words34);
    no version now (lane api24): the client reads the orders again before it writes.

    Lane tok26 (review 25d H4): refused to every API token, 403 audited, before the person or the version is
    read (`api_auth.versioned_write`, `policy.bound_token_may`): a token reads no person, so its version is
    forged, and each answer (409 or 201, its version and warnings) would read the orders; the answer to a
    token is the same whatever orders the person has. A session keeps the whole 409."""
    sent = "order_version" in payload.model_fields_set
    order = services.prescribe(
        by=request.auth,
        patient_id=patient_id,
        medication=payload.medication,
        dose_mg=payload.dose_mg,
        starts_on=payload.starts_on,
        note=payload.note,
        home_start=payload.home_start,
        schedule=payload.schedule,
        override_reason=payload.override_reason,
        order_version=payload.order_version if sent else NOT_READ,
        orders_version=payload.orders_version,
        other_order=payload.other_order,  # lane switch39: None when not sent (422 when it applies)
    )
    return Status(201, PrescribedOut.prescribed(order))


@router.get(
    "/patients/{patient_id}/medication",
    response=MedicationRecordOut,
    tags=["medication"],
    summary="Orders, doses, take-homes, QTc",
)
def medication(request: AuthenticatedApiRequest, patient_id: int) -> MedicationRecordOut:
    record = queries.medication_record(request.auth, patient_id=patient_id)
    return MedicationRecordOut(
        orders_version=queries.orders_version(record.patient, record.order_versions),
        order_versions=record.order_versions,
        orders=[OrderOut.of(o) for o in record.orders],
        doses=[DoseOut.of(d, record.admission_day_number) for d in record.doses],
        overrides=[
            OverrideOut(
                id=o.pk, date=o.local_date.isoformat(), max_total_mg=str(o.max_total_mg), reason=o.reason
            )
            for o in record.overrides
        ],
        take_homes=[TakeHomeOut.of(t, record.call_back.get(t.pk)) for t in record.take_homes],
        qtc=[QtcOut.of(q) for q in record.qtc],
    )
