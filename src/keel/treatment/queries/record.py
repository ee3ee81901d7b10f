"""The medication record of a person: orders, doses, overrides, take-homes, QTc, fills and the methadone
dose context (read through the access policy, one audit row)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User
from keel.core.decision import Reason
from keel.core.rules.qtc import qtc_warning
from keel.patients.models import Patient, local_today
from keel.treatment.models import (
    DoseOverride,
    DoseRecord,
    Medication,
    MedicationFill,
    MedicationOrder,
    QtcRecord,
    TakeHomePlan,
    in_force_q,
)
from keel.treatment.queries.contexts import dose_context
from keel.treatment.queries.doses import DoseContext
from keel.treatment.queries.qtc import recent_qtc_ms


@dataclass(frozen=True)
class MedicationRecord:
    patient: Patient
    orders: list[MedicationOrder]
    doses: list[DoseRecord]
    overrides: list[DoseOverride]
    take_homes: list[TakeHomePlan]
    qtc: list[QtcRecord]
    context: DoseContext | None
    fills: list[MedicationFill] = field(default_factory=list)
    qtc_warnings: tuple[Reason, ...] = ()  # a recent QTc over 450 ms, shown where methadone is ordered


def medication_record(user: User, *, patient_id: int, now: datetime | None = None) -> MedicationRecord:
    patient = policy.get_patient_or_404(user, patient_id, area=Area.CLINICAL, target_type="medication_record")
    today = local_today(patient, now)
    active = MedicationOrder.objects.filter(  # the order in force today (review 19a)
        in_force_q(today), patient=patient, medication=Medication.METHADONE
    )
    return MedicationRecord(
        patient=patient,
        orders=list(MedicationOrder.objects.filter(patient=patient)[:50]),
        doses=list(
            DoseRecord.objects.filter(patient=patient)
            .prefetch_related("amendments")
            .select_related("recorded_by")[:60]
        ),
        overrides=list(DoseOverride.objects.filter(patient=patient)[:20]),
        take_homes=list(TakeHomePlan.objects.filter(patient=patient).select_related("ended_by")[:10]),
        qtc=list(QtcRecord.objects.filter(patient=patient)[:10]),
        fills=list(MedicationFill.objects.filter(patient=patient).select_related("order", "voids")[:30]),
        context=dose_context(patient, Medication.METHADONE, today) if active.exists() else None,
        qtc_warnings=qtc_warning(recent_qtc_ms(patient, today)),
    )
