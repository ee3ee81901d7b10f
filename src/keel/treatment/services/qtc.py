"""A QTc measurement, checked against the methadone dose."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action
from keel.core import rules
from keel.core.rules.inputs import InvalidInput
from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import Medication, MedicationOrder, OrderStatus, QtcRecord
from keel.treatment.services.common import _audit, _scoped_for


def record_qtc(
    *, by: User, patient_id: int, qtc_ms: Any, measured_on: date | None = None, now: datetime | None = None
) -> QtcRecord:
    patient = _scoped_for(
        by, patient_id, "qtc", policy.can_record_measurement(by), "record QTc", emergency_access=True
    )
    now = now or timezone.now()
    current = MedicationOrder.objects.filter(
        patient=patient, medication=Medication.METHADONE, status=OrderStatus.ACTIVE
    ).first()
    raw: dict[str, Any] = {"qtc_ms": qtc_ms}
    if current is not None:
        raw["daily_dose_mg"] = float(current.dose_mg)
    try:
        decision = rules.get("qtc-monitoring").run(raw)
    except InvalidInput as exc:
        raise TreatmentInvalid(exc.errors) from None
    with transaction.atomic():
        row = QtcRecord.objects.create(
            patient=patient,
            qtc_ms=int(qtc_ms),
            measured_on=measured_on or local_today(patient, now),
            decision=decision.as_dict(),
            recorded_by=by,
            recorded_at=now,
        )
        _audit(by, patient, Action.CREATE, "qtc", row.pk, reason=decision.decision)
    return row
