"""Review 20a fixes: the same clinic as review 20a (a person on methadone, a prescriber and a nurse)."""

from __future__ import annotations

from datetime import date, timedelta

from keel.treatment.models import DoseRecord, MedicationOrder
from keel.treatment.services import doses as dose_services
from keel.treatment.services import orders as order_services
from keel.treatment.services import qtc as qtc_services
from tests.review20a.conftest import Clinic, clinic, methadone_on

__all__ = ["Clinic", "a_day", "clinic", "dose", "methadone_on", "prescribe", "qtc"]


def a_day(clinic: Clinic, n: int) -> date:
    return clinic.d0 + timedelta(days=n)


def qtc(clinic: Clinic, ms: int, *, measured_on: date, entered_on: date, hour: int = 11) -> None:
    qtc_services.record_qtc(
        by=clinic.nurse,
        patient_id=clinic.patient.pk,
        qtc_ms=ms,
        measured_on=measured_on,
        now=clinic.at(entered_on, hour),
    )


def prescribe(
    clinic: Clinic, mg: int, *, written: date, starts_on: date | None = None, hour: int = 9, reason: str = ""
) -> MedicationOrder:
    return order_services.prescribe(
        by=clinic.prescriber,
        patient_id=clinic.patient.pk,
        medication="methadone",
        dose_mg=str(mg),
        starts_on=starts_on,
        override_reason=reason,
        now=clinic.at(written, hour),
    )


def dose(clinic: Clinic, mg: int, day: date, hour: int = 10) -> DoseRecord:
    return dose_services.record_dose(
        by=clinic.nurse, patient_id=clinic.patient.pk, amount_mg=str(mg), now=clinic.at(day, hour)
    ).dose
