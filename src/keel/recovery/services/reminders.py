"""The patient's own reminders: add, mark done for today, delete (one service each)."""

from __future__ import annotations

from datetime import datetime, time
from typing import NoReturn

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User
from keel.audit.models import Action
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, local_today
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


def mark_reminder_done(*, by: User, reminder_id: int, now: datetime | None = None) -> None:
    """Mark one's own reminder done for today."""
    patient = _patient(by, None, Area.RECOVERY, Action.UPDATE, "reminder")
    with transaction.atomic():
        row = _own_reminder(patient, reminder_id)
        if row is not None:
            row.done_on = local_today(patient, now)
            row.save(update_fields=["done_on"])
            _audit(by, patient, Action.UPDATE, "reminder", reminder_id, reason="done")
    if row is None:
        _not_theirs(by, patient, reminder_id)


def delete_reminder(*, by: User, reminder_id: int) -> None:
    """Delete one's own reminder."""
    patient = _patient(by, None, Area.RECOVERY, Action.UPDATE, "reminder")
    with transaction.atomic():
        row = _own_reminder(patient, reminder_id)
        if row is not None:
            row.delete()
            _audit(by, patient, Action.DELETE, "reminder", reminder_id)
    if row is None:
        _not_theirs(by, patient, reminder_id)


def _own_reminder(patient: Patient, reminder_id: int) -> Reminder | None:
    """The person's reminder `reminder_id`; None: missing or another's (`_not_theirs`, once the caller's
    transaction is over)."""
    return Reminder.objects.filter(patient=patient, pk=reminder_id).first()


def _not_theirs(by: User, patient: Patient, reminder_id: int) -> NoReturn:
    """A reminder missing or another person's: the same audited 404 as a record out of reach
    (`policy.row_not_theirs`: a denial row naming the person and the program)."""
    policy.row_not_theirs(by, patient, "reminder", reminder_id, reason="not this patient's or missing")
