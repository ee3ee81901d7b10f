"""The patient's own reminders: add, mark done for today, delete."""

from __future__ import annotations

from datetime import datetime, time

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User
from keel.audit.models import Action
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.patients.models import local_today
from keel.recovery.common import (
    RecoveryInvalid,
    _audit,
    _patient,
)
from keel.recovery.models import (
    Reminder,
    ReminderKind,
)


def add_reminder(*, by: User, kind: str, at: str, now: datetime | None = None) -> Reminder:
    patient = _patient(by, None, Area.RECOVERY, Action.CREATE, "reminder")
    errors = []
    if kind not in ReminderKind.values:
        errors.append(
            FieldError.said("kind", N_("must be one of %(items)s"), items=", ".join(ReminderKind.values))
        )
    try:
        when = time.fromisoformat(at or "")
    except ValueError:
        errors.append(FieldError("at", N_("must be a time like 20:30")))
    if errors:
        raise RecoveryInvalid(errors)
    with transaction.atomic():
        if Reminder.objects.filter(patient=patient, kind=kind, at=when).exists():
            raise RecoveryInvalid([FieldError("at", N_("you already have this reminder at this time"))])
        row = Reminder.objects.create(patient=patient, kind=kind, at=when, created_at=now or timezone.now())
        _audit(by, patient, Action.CREATE, "reminder", row.pk)
    return row


def update_reminder(*, by: User, reminder_id: int, op: str, now: datetime | None = None) -> None:
    """op: done (for today), delete."""
    patient = _patient(by, None, Area.RECOVERY, Action.UPDATE, "reminder")
    if op not in ("done", "delete"):
        raise RecoveryInvalid([FieldError("op", N_("must be done or delete"))])
    with transaction.atomic():
        row = Reminder.objects.filter(patient=patient, pk=reminder_id).first()
        if row is None:
            raise policy.PatientNotFound()
        if op == "delete":
            row.delete()
            _audit(by, patient, Action.DELETE, "reminder", reminder_id)
        else:
            row.done_on = local_today(patient, now)
            row.save(update_fields=["done_on"])
            _audit(by, patient, Action.UPDATE, "reminder", reminder_id, reason="done")
