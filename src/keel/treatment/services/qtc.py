"""A QTc measurement, checked against the methadone dose; the QTc a methadone order is gated on."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action
from keel.core import rules
from keel.core.rules.inputs import FieldError, InvalidInput
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import Medication, MedicationOrder, OrderStatus, QtcRecord
from keel.treatment.services.common import _audit, _scoped_for


def record_qtc(
    *, by: User, patient_id: int, qtc_ms: Any, measured_on: date | None = None, now: datetime | None = None
) -> QtcRecord:
    """A QTc measured on a day not after the person's today in the program's zone (review 19a: a QTc typed
    with next year's date became "the latest" and hid today's 520 ms); raises TreatmentInvalid naming each
    bad field, nothing written."""
    patient = _scoped_for(
        by, patient_id, "qtc", policy.can_record_measurement(by), "record QTc", emergency_access=True
    )
    now = now or timezone.now()
    today = local_today(patient, now)
    current = MedicationOrder.objects.filter(
        patient=patient, medication=Medication.METHADONE, status=OrderStatus.ACTIVE
    ).first()
    raw: dict[str, Any] = {"qtc_ms": qtc_ms}
    if current is not None:
        raw["daily_dose_mg"] = float(current.dose_mg)
    errors: list[FieldError] = []
    if measured_on is not None and measured_on > today:
        errors.append(FieldError("measured_on", N_("cannot be after today")))
    try:
        decision = rules.get("qtc-monitoring").run(raw)
    except InvalidInput as exc:
        raise TreatmentInvalid(exc.errors + errors) from None
    if errors:
        raise TreatmentInvalid(errors)
    with transaction.atomic():
        row = QtcRecord.objects.create(
            patient=patient,
            qtc_ms=int(qtc_ms),
            measured_on=measured_on or today,
            decision=decision.as_dict(),
            recorded_by=by,
            recorded_at=now,
        )
        _audit(by, patient, Action.CREATE, "qtc", row.pk, reason=decision.decision)
    return row


def gating_qtc(patient: Patient, since: date, today: date) -> int | None:
    """The QTc a methadone order is gated on: the latest measured within [since, today] (the newest row of
    the latest day), None if none. A row dated after today (one written before the future date was refused)
    is never "the latest". Why the latest and not the worst of the window: Krantz 2009 (`krantz-2009`) asks
    to act on the current interval, correcting contributors such as low potassium or interacting drugs; a
    repeat ECG that shows the interval corrected is the fact the prescriber acts on."""
    latest = QtcRecord.objects.filter(patient=patient, measured_on__gte=since, measured_on__lte=today)
    return latest.order_by("-measured_on", "-id").values_list("qtc_ms", flat=True).first()
