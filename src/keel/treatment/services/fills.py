"""Pharmacy fills of an order (the days they cover count in the measures) and voiding one."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action
from keel.core.digits import ascii_digits
from keel.core.rules.inputs import FieldError, record_id
from keel.core.text import visible_length
from keel.core.words import gettext_noop as N_
from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import FillSource, MedicationFill, MedicationOrder
from keel.treatment.services.common import _audit, _scoped_for


def record_fill(
    *,
    by: User,
    patient_id: int,
    order_id: int | str,  # the API's id, or the form's <select> text
    filled_on: str,  # read here ("must be a date like 2026-11-20")
    days_supply: int | str,  # the API's number, or the form's digits (read by ascii_digits)
    source: str,
    now: datetime | None = None,
) -> MedicationFill:
    """An order filled at a pharmacy (nurses, prescribers): the days it covers count in the measures."""
    patient = _scoped_for(
        by, patient_id, "medication_fill", policy.can_record_dose(by), "record fills", emergency_access=True
    )
    now = now or timezone.now()
    today = local_today(patient, now)
    errors: list[FieldError] = []
    order_pk = record_id(order_id)
    order = MedicationOrder.objects.filter(patient=patient, pk=order_pk).first() if order_pk else None
    if order is None:
        errors.append(FieldError("order", N_("no such order for this patient")))
    day = None
    try:
        day = date.fromisoformat(str(filled_on))
        if day > today:
            errors.append(FieldError("filled_on", N_("cannot be after today")))
        elif order is not None and day < order.starts_on:
            errors.append(
                FieldError.said(
                    "filled_on",
                    N_("cannot be before the order starts (%(starts_on)s)"),
                    starts_on=order.starts_on,
                )
            )
    except ValueError:
        errors.append(FieldError("filled_on", N_("must be a date like 2026-11-20")))
    supply = int(days_supply) if isinstance(days_supply, int) or ascii_digits(str(days_supply)) else 0
    if not 1 <= supply <= 365:
        errors.append(FieldError("days_supply", N_("must be a whole number of days from 1 to 365")))
    if source not in FillSource.values:
        errors.append(
            FieldError.said("source", N_("must be one of: %(items)s"), items=", ".join(FillSource.values))
        )
    if errors:
        raise TreatmentInvalid(errors)
    assert order is not None and day is not None
    with transaction.atomic():
        fill = MedicationFill.objects.create(
            patient=patient,
            order=order,
            filled_on=day,
            days_supply=supply,
            source=source,
            recorded_by=by,
            recorded_at=now,
        )
        _audit(by, patient, Action.CREATE, "medication_fill", fill.pk)
    return fill


def void_fill(
    *, by: User, patient_id: int, fill_id: int, reason: str, now: datetime | None = None
) -> MedicationFill:
    """A fill recorded by mistake stops counting: a new row voids it, with a reason; nothing is edited."""
    patient = _scoped_for(
        by, patient_id, "medication_fill", policy.can_record_dose(by), "void fills", emergency_access=False
    )
    now = now or timezone.now()
    why = " ".join(reason.split()) if isinstance(reason, str) else ""
    fill_pk = record_id(fill_id)
    with transaction.atomic():
        fill = (
            MedicationFill.objects.select_for_update()
            .filter(patient=patient, pk=fill_pk, voids__isnull=True)
            .first()
            if fill_pk
            else None
        )
        errors = []
        if fill is None:
            errors.append(FieldError("fill", N_("no such fill for this patient")))
        elif MedicationFill.objects.filter(voids=fill).exists():
            errors.append(FieldError("fill", N_("is already voided")))
        if visible_length(why) < 5:
            errors.append(FieldError("reason", N_("say why (at least 5 characters)")))
        if errors:
            raise TreatmentInvalid(errors)
        assert fill is not None
        void = MedicationFill.objects.create(
            patient=patient,
            order=fill.order,
            filled_on=fill.filled_on,
            days_supply=fill.days_supply,
            source=fill.source,
            voids=fill,
            reason=why[:300],
            recorded_by=by,
            recorded_at=now,
        )
        _audit(by, patient, Action.UPDATE, "medication_fill", fill.pk, reason="voided")
    return void
