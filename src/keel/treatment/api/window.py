"""API: the dosing window: today's list of the caller's patients."""

from __future__ import annotations

from keel.access.http import AuthenticatedApiRequest
from keel.treatment import queries
from keel.treatment.api.common import router
from keel.treatment.schemas import DosingRowOut


@router.get(
    "/dosing/today",
    response=list[DosingRowOut],
    tags=["medication"],
    summary="Today's dosing window for my patients",
)
def dosing_today(request: AuthenticatedApiRequest) -> list[DosingRowOut]:
    return [
        DosingRowOut(
            patient_id=r.patient.pk,
            name=r.patient.display_name,
            medication=r.medication,
            ordered_mg=str(r.order.dose_mg),
            status=r.status,
            given_today_mg=str(r.today.given_today_mg),
            treatment_day=r.today.treatment_day,
            day_in_treatment=r.day_in_treatment,
            missed_days_in_a_row=r.today.missed_days_in_a_row,
            next_sequence=r.today.next_sequence,
            last_dose=r.today.last_dose.local_date.isoformat() if r.today.last_dose else None,
            take_home_max_days=r.take_home.max_supply_days if r.take_home else None,
            open_flags=r.open_flags,
        )
        for r in queries.dosing_list(request.auth)
    ]
