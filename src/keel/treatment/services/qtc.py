"""A QTc measurement, checked against the methadone dose; the QTc a methadone order is gated on."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone

from keel.access import policy
from keel.accounts.models import User
from keel.audit.models import Action
from keel.core import rules
from keel.core.decision import Reason
from keel.core.rules.inputs import FieldError, InvalidInput
from keel.core.rules.qtc import HIGH_FROM_MS
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import (
    DoseRecord,
    DoseStatus,
    Medication,
    MedicationOrder,
    OrderStatus,
    QtcRecord,
    in_force_q,
)
from keel.treatment.services.common import _audit, _scoped_for, qtc_reason_q


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
        in_force_q(today), patient=patient, medication=Medication.METHADONE
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


def last_methadone_mg(patient: Patient, since: date, today: date) -> Decimal | None:
    """The dose of the person's methadone order that a new one is compared with at the QTc gate: the order
    in force today (`in_force_q`; review 19c: an order written to start next week is not today's dose) when
    there is one; else (review 19a: a discharge and a readmission the same day made a raise read as a first
    order) the newest order written (any status, any episode) that is the active one, or was written on or
    after `since` (the program's recent window), or had a dose given on or after it. None: no methadone
    within the window (a start). A raise (or a start written to start later) without the prescriber's QTc
    reason (the order's `qtc_reason`, `common.has_qtc_reason`) whose raise was never given (no dose under it
    above `raised_from_mg`), with a QTc of 500 ms or more recorded after it was written, is compared from the
    dose it raised from (review 19c, 20a: the window blocks it; re-writing it is then a raise, and needs the
    reason). A start written for today is compared from its own dose, as before (review 18a). One read."""
    since_at = datetime.combine(since, time(), tzinfo=UTC)
    recent = Q(status=OrderStatus.ACTIVE) | Q(created_at__gte=since_at)
    dosed = DoseRecord.objects.filter(order=OuterRef("pk"), status=DoseStatus.GIVEN, local_date__gte=since)
    high_since = QtcRecord.objects.filter(
        patient_id=OuterRef("patient_id"),
        qtc_ms__gte=HIGH_FROM_MS,
        measured_on__gte=since,
        recorded_at__gt=OuterRef("created_at"),
    )
    raise_given = DoseRecord.objects.filter(
        order=OuterRef("pk"), status=DoseStatus.GIVEN, amount_mg__gt=OuterRef("raised_from_mg")
    )
    return (
        MedicationOrder.objects.filter(
            in_force_q(today) | recent | Exists(dosed), patient=patient, medication=Medication.METHADONE
        )
        .annotate(in_force=Case(When(in_force_q(today), then=Value(0)), default=Value(1)))
        .annotate(
            basis=Case(
                When(
                    Q(raised_from_mg__lt=F("dose_mg"))
                    & (Q(raised_from_mg__gt=0) | Q(deferred=True))
                    & ~qtc_reason_q()
                    & ~Exists(raise_given)
                    & Exists(high_since),
                    then=F("raised_from_mg"),
                ),
                When(  # written before `raised_from_mg` (review 19c's reading)
                    Q(raised_from_mg__isnull=True, deferred=True, supersedes__dose_mg__lt=F("dose_mg"))
                    & ~qtc_reason_q(),
                    then=F("supersedes__dose_mg"),
                ),
                default=F("dose_mg"),
            )
        )
        .order_by("in_force", "-id")  # the one in force today, else the last written
        .values_list("basis", flat=True)
        .first()
    )


def start_on_high_qtc(reasons: tuple[Reason, ...], sources: tuple[str, ...], problem: str) -> FieldError:
    """The QTc gate's refusal of a methadone start on a QTc of 500 ms or more without a reason of substance
    (`keel.core.rules.qtc.order_on_qtc`), naming override_reason with the QTc and its sources."""
    return FieldError.said(
        "override_reason",
        N_(
            "The latest QTc is %(ms)s ms (500 or more): Krantz 2009 advises considering a lower methadone "
            "dose or stopping, not starting it (%(new)s mg/day). Sources: %(sources)s. A start needs the "
            "prescriber's reason: %(problem)s"
        ),
        **dict(reasons[0].params),
        sources=", ".join(sources),
        problem=problem,
    )
