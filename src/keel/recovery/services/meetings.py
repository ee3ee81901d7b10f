"""Meetings attended, logged by the patient."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

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
    MeetingAttendance,
)


def log_attendance(
    *, by: User, meeting_id: int | None, name: str = "", now: datetime | None = None
) -> MeetingAttendance:
    """Log a meeting attended today: a directory meeting by id, or a meeting by name."""
    from keel.directory.models import Meeting

    patient = _patient(by, None, Area.RECOVERY, Action.CREATE, "meeting_attendance")
    meeting = None
    name = (name or "").strip()
    if meeting_id is not None:
        meeting = Meeting.objects.filter(pk=meeting_id).first()
        if meeting is None:
            raise RecoveryInvalid([FieldError("meeting", N_("no such meeting"))])
        name = meeting.name
    elif not name or len(name) > 200:
        raise RecoveryInvalid([FieldError("name", N_("give the meeting's name (at most 200 characters)"))])
    now = now or timezone.now()
    today = local_today(patient, now)
    with transaction.atomic():
        if meeting is not None:
            existing = MeetingAttendance.objects.filter(
                patient=patient, meeting=meeting, local_date=today
            ).first()
            if existing is not None:
                return existing
        row = MeetingAttendance.objects.create(
            patient=patient, meeting=meeting, name=name, local_date=today, created_at=now
        )
        _audit(by, patient, Action.CREATE, "meeting_attendance", row.pk)
    return row
