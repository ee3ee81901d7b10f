"""Writes to a patient's record that belong to no feature app: resolving flags."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import CLINICAL_ROLES, Role
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.patients.models import FlagKind, PatientFlag

# Flags whose resolution is a prescriber's assessment (the flag says so): no other role resolves them.
PRESCRIBER_ONLY = frozenset({FlagKind.DOSE_HELD})


class FlagError(ValueError):
    """A flag cannot be resolved as asked; `field` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class FlagNotAllowed(PermissionError):
    pass


def list_flags(user: Any, *, patient_id: int) -> list[PatientFlag]:
    """A patient's flags, open first (clinical area), audited as one read."""
    patient = policy.get_patient_or_404(user, patient_id, area=Area.CLINICAL, target_type="patient_flags")
    return sorted(
        patient.flags.all(), key=lambda f: (f.resolved_at is not None, f.priority, -f.raised_at.timestamp())
    )


def resolve_flag(*, by: Any, patient_id: int, flag_id: int, note: str) -> PatientFlag:
    """Resolve an open flag with a note. Counselors, nurses and prescribers on the care team may."""
    patient = policy.get_patient_or_404(
        by,
        patient_id,
        area=Area.CLINICAL,
        action=Action.UPDATE,
        target_type="patient_flag",
        target_id=flag_id,
        audit_success=False,
    )
    if getattr(by, "role", "") not in CLINICAL_ROLES:
        audit.record(
            actor=by,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="patient_flag",
            target_id=flag_id,
            reason="role may not resolve flags",
        )
        raise FlagNotAllowed("Only counselors, nurses and prescribers on the care team resolve flags.")
    kind = PatientFlag.objects.filter(pk=flag_id, patient=patient).values_list("kind", flat=True).first()
    if kind in PRESCRIBER_ONLY and getattr(by, "role", "") != Role.PRESCRIBER:
        audit.record(
            actor=by,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="patient_flag",
            target_id=flag_id,
            reason="only a prescriber resolves this flag",
        )
        raise FlagNotAllowed("Only a prescriber resolves this flag: a prescriber must assess.")
    note = (note or "").strip()
    if not note:
        raise FlagError("note", "write what was done (a note is required to resolve a flag)")
    if len(note) > 2000:
        raise FlagError("note", "at most 2000 characters")
    with transaction.atomic():
        flag = PatientFlag.objects.select_for_update().filter(pk=flag_id, patient=patient).first()
        if flag is None:
            raise policy.PatientNotFound()
        if flag.resolved_at is not None:
            raise FlagError("flag", "this flag was already resolved")
        flag.resolved_at, flag.resolved_by, flag.resolution_note = timezone.now(), by, note
        flag.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
        audit.record(
            actor=by,
            action=Action.UPDATE,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="patient_flag",
            target_id=flag.pk,
            reason="resolved",
        )
    return flag
