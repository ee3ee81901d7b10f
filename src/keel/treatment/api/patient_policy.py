"""API: a prescriber's change to one policy value for one patient, with a reason."""

from __future__ import annotations

from ninja import Status

from keel.access.http import AuthenticatedApiRequest
from keel.treatment.api.common import router
from keel.treatment.schemas import PatientPolicyIn, PatientPolicyOut
from keel.treatment.services import policy as policy_writes


@router.post(
    "/patients/{patient_id}/policy-overrides",
    response={201: PatientPolicyOut},
    tags=["policy"],
    summary="A prescriber changes one policy value for this patient, with a reason",
)
def patient_policy(
    request: AuthenticatedApiRequest, patient_id: int, payload: PatientPolicyIn
) -> Status[PatientPolicyOut]:
    row = policy_writes.override_for_patient(
        by=request.auth,
        patient_id=patient_id,
        rule=payload.rule,
        field=payload.field,
        value=payload.value,
        reason=payload.reason,
    )
    return Status(201, PatientPolicyOut(id=row.pk, rule=row.rule, field=row.field, value=row.value))
