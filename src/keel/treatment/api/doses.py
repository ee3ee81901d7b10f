"""API: a dose at the window, its append-only corrections, and a prescriber's override of a guard rail for
the day."""

from __future__ import annotations

from ninja import Status

from keel.access.http import AuthenticatedApiRequest
from keel.api_auth import may_hear_the_record, token_may_write
from keel.treatment import services
from keel.treatment.api.common import router
from keel.treatment.queries.take_homes import admission_day_number
from keel.treatment.schemas import (
    AmendmentIn,
    AmendmentSavedOut,
    DoseIn,
    DoseOut,
    DoseRecordedOut,
    OverrideIn,
    OverrideSavedOut,
)


@router.post(
    "/patients/{patient_id}/doses",
    response={201: DoseOut | DoseRecordedOut},
    tags=["medication"],
    summary="Record a dose",
    description=(
        "Answers the dose recorded: to a staff member's API token (a dispensing system) `DoseRecordedOut`, "
        "what it needs to reconcile the dose it gave (id, date, sequence, status, mg, recorded_at); to a "
        "caller signed in `DoseOut`, the whole record (the guard rail's decision, corrections)."
    ),
)
@token_may_write("a dispensing system (the pump at the window) records the dose it gave")
def create_dose(
    request: AuthenticatedApiRequest, patient_id: int, payload: DoseIn
) -> Status[DoseOut | DoseRecordedOut]:
    outcome = services.record_dose(
        by=request.auth,
        patient_id=patient_id,
        sequence=payload.sequence,
        amount_mg=payload.amount_mg,
        sedated=payload.sedated,
        medication=payload.medication,
        given_at=payload.given_at,
        slot_required=True,
        bottle_returned=payload.bottle_returned,
    )
    if not may_hear_the_record(request):  # lane tok27: a staff token has what it needs to reconcile
        return Status(201, DoseRecordedOut.of(outcome.dose))
    return Status(201, DoseOut.of(outcome.dose, admission_day_number(outcome.dose.patient)))


@router.post(
    "/patients/{patient_id}/doses/{dose_id}/amendments",
    response={201: AmendmentSavedOut},
    tags=["medication"],
    summary="Correct a dose (append-only)",
    description=(
        "A correction (`corrected_mg`) or a void, with its reason and the `correction_version` of the dose "
        "you read (required). A correction or void written since that read refuses this one: 409 naming "
        "correction_version, nothing written. The answer's `id` is the dose's correction_version after it."
    ),
)
def amend(
    request: AuthenticatedApiRequest, patient_id: int, dose_id: int, payload: AmendmentIn
) -> Status[AmendmentSavedOut]:
    a = services.amend_dose(
        by=request.auth,
        patient_id=patient_id,
        dose_id=dose_id,
        corrected_mg=payload.corrected_mg,
        void=payload.void,
        reason=payload.reason,
        correction_version=payload.correction_version,
    )
    return Status(201, AmendmentSavedOut.saved(a))


@router.post(
    "/patients/{patient_id}/dose-overrides",
    response={201: OverrideSavedOut},
    tags=["medication"],
    summary="A prescriber's documented reason to pass a guard rail today",
)
def override(
    request: AuthenticatedApiRequest, patient_id: int, payload: OverrideIn
) -> Status[OverrideSavedOut]:
    row = services.add_override(
        by=request.auth,
        patient_id=patient_id,
        max_total_mg=payload.max_total_mg,
        reason=payload.reason,
        medication=payload.medication,
        kind=payload.kind,
    )
    return Status(
        201, OverrideSavedOut(id=row.pk, date=row.local_date.isoformat(), max_total_mg=str(row.max_total_mg))
    )
