"""The CBT tools: thought records (counseling content, the CLINICAL area) and coping-skill tries."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from keel import crypto
from keel.access.policy import Area
from keel.accounts.models import User
from keel.api_body import Posted
from keel.audit.models import Action
from keel.core.recovery import tools
from keel.core.rules.inputs import InvalidInput
from keel.patients.models import local_today
from keel.recovery.common import (
    _aad,
    _audit,
    _invalid,
    _patient,
)
from keel.recovery.models import (
    CheckIn,
    SkillTry,
    ThoughtRecord,
)
from keel.recovery.schemas import SkillTryIn, ThoughtRecordIn


def save_thought_record(
    *, by: User, data: Posted[ThoughtRecordIn], now: datetime | None = None
) -> ThoughtRecord:
    patient = _patient(by, None, Area.CLINICAL, Action.CREATE, "thought_record")
    try:
        record = data.parse()
    except InvalidInput as exc:
        raise _invalid(exc) from None
    now = now or timezone.now()
    with transaction.atomic():
        today = CheckIn.objects.filter(patient=patient, local_date=local_today(patient, now)).first()
        row = ThoughtRecord.objects.create(
            patient=patient,
            checkin=today,
            content=crypto.encrypt_json(
                {n: getattr(record, n) for n in tools.THOUGHT_TEXT}, aad=_aad("thought", patient.pk)
            ),
            intensity_before=record.intensity_before,
            intensity_after=record.intensity_after,
            created_at=now,
        )
        _audit(by, patient, Action.CREATE, "thought_record", row.pk)
    return row


def record_skill_try(*, by: User, data: Posted[SkillTryIn], now: datetime | None = None) -> SkillTry:
    patient = _patient(by, None, Area.RECOVERY, Action.CREATE, "skill_try")
    try:
        tried = data.parse()
    except InvalidInput as exc:
        raise _invalid(exc) from None
    with transaction.atomic():
        row = SkillTry.objects.create(
            patient=patient, tried_at=now or timezone.now(), skill=tried.skill, helped=tried.helped
        )
        _audit(by, patient, Action.CREATE, "skill_try", row.pk)
    return row
