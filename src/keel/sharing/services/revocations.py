"""A consent taken back: by the patient in the app, or in writing and entered by the care team. Revoking
twice is the same as once."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.audit import services as audit
from keel.audit.models import Action
from keel.patients.models import Patient
from keel.sharing.models import Consent, ConsentRevocation
from keel.sharing.services.common import _not_allowed

if TYPE_CHECKING:
    from keel.accounts.models import User


def revoke_consent(*, by: User, consent_id: int, now: datetime | None = None) -> Consent:
    """The patient takes a consent back. Revoking twice is the same as once."""
    patient = policy.own_patient_or_404(by, action=Action.UPDATE, target_type="consent", audit_success=False)
    return _revoke(by, patient, consent_id, now or timezone.now(), in_writing=False)


def record_written_revocation(
    *, by: User, patient_id: int | str, consent_id: int, now: datetime | None = None
) -> Consent:
    """The patient took a consent back in writing; whoever of the program holds the letter enters it
    (`policy.can_record_written_revocation`: a counselor, nurse or prescriber, or an admin of the patient's
    program). Break-the-glass access counts: a revocation only stops sharing."""
    patient = policy.get_patient_for_action_or_404(
        by,
        patient_id,
        Action.UPDATE,
        area=Area.CLINICAL,
        target_type="consent",
        allowed=policy.can_record_written_revocation,
        what="record a written revocation",
        error=_not_allowed,
        emergency_access=True,
        audit_success=False,
    )
    return _revoke(by, patient, consent_id, now or timezone.now(), in_writing=True)


def _revoke(by: User, patient: Patient, consent_id: int, now: datetime, *, in_writing: bool) -> Consent:
    with transaction.atomic():
        consent = Consent.objects.select_for_update().filter(patient=patient, pk=consent_id).first()
        if consent is not None and not ConsentRevocation.objects.filter(consent=consent).exists():
            ConsentRevocation.objects.create(
                consent=consent, revoked_by=by, revoked_at=now, in_writing=in_writing
            )
            reason = "revoked in writing" if in_writing else "revoked"
            audit.record_for_patient(by, patient, Action.UPDATE, "consent", consent.pk, reason=reason)
    if consent is None:  # outside the transaction, so the denial's audit row stays
        policy.row_not_theirs(by, patient, "consent", reason="not this patient's consent")
    return consent
