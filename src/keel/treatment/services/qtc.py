"""A QTc measurement, checked against the methadone dose; the QTc a methadone order is gated on."""

from __future__ import annotations

from datetime import date, datetime, time
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
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today, zone_of
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
    after `since` (the program's recent window, from the start of that day in the program's zone: the
    window's one definition of the day, `zone_of`; review 21m), or had a dose given on or after it. None: no
    methadone within the window (a start). A raise or a start (`raised_from_mg` below its dose; 0: a start)
    without the prescriber's QTc reason (the order's `qtc_reason`, `common.has_qtc_reason`) that was never
    given (no dose under it above `raised_from_mg`) is compared from the dose it raised from, whatever QTc is
    on file (review 21m: a raise written twice before the ECG came back "raised" 70 to 70, and a start
    re-written after a QTc of 520 ms was no start; re-writing either is the same raise or start, and on a QTc
    of 500 ms or more needs the reason, however many times it is re-written). One read."""
    since_at = datetime.combine(since, time(), tzinfo=zone_of(patient))
    recent = Q(status=OrderStatus.ACTIVE) | Q(created_at__gte=since_at)
    dosed = DoseRecord.objects.filter(order=OuterRef("pk"), status=DoseStatus.GIVEN, local_date__gte=since)
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
                    Q(raised_from_mg__lt=F("dose_mg")) & ~qtc_reason_q() & ~Exists(raise_given),
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


def newest_qtc_id(patient: Patient) -> int:
    """The id of the person's newest QTc row (0: none), read by the prescriber's QTc gate before it reads the
    QTc itself and kept on the order (`MedicationOrder.qtc_seen_id`, review 21m): a row saved after this read
    was never weighed by the gate, whatever its `recorded_at` says. One statement."""
    newest = QtcRecord.objects.filter(patient=patient).order_by("-id").values_list("id", flat=True).first()
    return newest or 0


def qtc_unseen(order: MedicationOrder, qtc: QtcRecord) -> bool:
    """Whether `qtc` was saved after `order`'s QTc gate read the QTc, so no prescriber weighed it with this
    order: its id above the newest the gate saw (`qtc_seen_id`, review 21m: two clocks taken before either row
    was saved, or two servers' clocks, cannot order a QTc and an order); for an order written before that
    column, recorded after the order was written (review 19c)."""
    if order.qtc_seen_id is not None:
        return qtc.pk > order.qtc_seen_id
    return qtc.recorded_at > order.created_at


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
