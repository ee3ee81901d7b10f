"""The review queue: every use of emergency powers (an emergency access or an emergency disclosure),
attested by a program admin of the program, never by the person who used them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.rules.inputs import FieldError, record_id
from keel.core.text import visible_length
from keel.core.words import gettext_noop as N_
from keel.sharing.errors import SharingInvalid, SharingNotAllowed
from keel.sharing.models import EmergencyReview
from keel.sharing.services.common import _deny

if TYPE_CHECKING:
    from keel.accounts.models import User


def attest_review(by: User, *, review_id: int, note: str, now: datetime | None = None) -> EmergencyReview:
    """A program admin of the review's program attests a use of emergency powers, with a note; never the
    person who used them; once. Audited as an update of the patient's record."""
    pk = record_id(review_id)
    review = EmergencyReview.objects.select_related("patient").filter(pk=pk).first() if pk else None
    if review is None or not policy.can_review_emergencies(by, review.program_id):
        audit.record(
            actor=by,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            target_type="emergency_review",
            target_id=pk or "",
            reason="not a review of the caller's programs",
        )
        raise policy.PatientNotFound()
    if review.used_by_id == by.pk:
        _deny(
            by, review.patient, "emergency_review", "the person who used emergency powers cannot attest them"
        )
        raise SharingNotAllowed
    text = " ".join(note.split()) if isinstance(note, str) else ""
    if visible_length(text) < 5 or len(text) > 2000:
        raise SharingInvalid([FieldError("note", N_("write what you checked (5 to 2000 characters)"))])
    with transaction.atomic():
        locked = EmergencyReview.objects.select_for_update().get(pk=review.pk)
        if locked.attested_at is not None:
            raise SharingInvalid([FieldError("review", N_("was already attested"))])
        locked.attested_by, locked.attested_at, locked.note = by, now or timezone.now(), text
        locked.save(update_fields=["attested_by", "attested_at", "note"])
        audit.record_for_patient(
            by, review.patient, Action.UPDATE, "emergency_review", locked.pk, reason="attested"
        )
    return locked
