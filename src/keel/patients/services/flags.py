"""Resolving a patient's flags: counselors, nurses and prescribers on the care team; a held dose's flag by a
prescriber only; never the person who broke the glass, for the flag about it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import CLINICAL_ROLES, Role, User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.rules.window import reason_problem
from keel.patients.models import (
    EmergencyAccess,
    FlagKind,
    PatientFlag,
)

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


_ONLY_CLINICIANS_RESOLVE = "Only counselors, nurses and prescribers on the care team resolve flags."


def resolve_flag(*, by: User, patient_id: int, flag_id: int, note: str) -> PatientFlag:
    """Resolve an open flag with a note. Counselors, nurses and prescribers on the care team may."""
    try:
        patient = policy.get_patient_for_action_or_404(
            by,
            patient_id,
            Action.UPDATE,
            area=Area.CLINICAL,
            target_type="patient_flag",
            target_id=flag_id,
            allowed=getattr(by, "role", "") in CLINICAL_ROLES,
            what="resolve flags",
            audit_success=False,
        )
    except policy.ActionNotAllowed:
        raise FlagNotAllowed(
            "Only counselors, nurses and prescribers on the care team resolve flags."
        ) from None
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
    if kind == FlagKind.DOSE_HELD and reason_problem(note):
        raise FlagError("note", "write the assessment: " + reason_problem(note))
    if len(note) > 2000:
        raise FlagError("note", "at most 2000 characters")
    own_emergency = PatientFlag.objects.filter(
        pk=flag_id,
        patient=patient,
        source_type="emergency_access",
        source_id__in=EmergencyAccess.objects.filter(user=by, patient=patient).values("pk"),
    ).exists()
    if own_emergency:  # the person who broke the glass never clears the flag about it (SECURITY.md T12)
        audit.record(
            actor=by,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="patient_flag",
            target_id=flag_id,
            reason="the person who used emergency access cannot resolve its flag",
        )
        raise FlagNotAllowed("The person who used emergency access cannot resolve the flag about it.")
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
