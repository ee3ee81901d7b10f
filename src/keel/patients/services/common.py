"""What the patient writes share: the audited denial of an in-scope action (and of emergency access, which is
for reading) and the core's errors in the caller's language; the parsers of the fields the desk fills in
(names, phones, email, dates, choices, the two confirmations at admission) live in `keel.patients.checks`
(their limits re-exported here)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from keel.access import policy
from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.desk import LANGUAGES, MAX_EMAIL, TEXT_LIMITS
from keel.core.desk import REQUIRED_NAMES as REQUIRED
from keel.core.rules.inputs import FieldError, FieldsInvalid, InvalidInput
from keel.patients.checks import (  # the desk's field limits (re-exported for their callers)
    CONFIRMATIONS,
    EARLIEST_BIRTH,
    MIN_PHONE_DIGITS,
    PHONE_FIELDS,
)
from keel.patients.errors import NotAllowed
from keel.patients.models import Patient
from keel.web.field_words import said


def _audit_denial(by: User, patient: Patient, target_type: str, reason: str) -> None:
    """The audit row of an in-scope action this role may not take (before NotAllowed is raised)."""
    audit.record(
        actor=by,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        patient_id=patient.pk,
        program_id=patient.program_id,
        target_type=target_type,
        reason=reason,
    )


def in_language(exc: InvalidInput) -> FieldsInvalid:
    """The core's field errors in the caller's language, as these services have always named them (their
    words were translated where they were written): the API's 422 and the pages say the same."""
    return FieldsInvalid([FieldError(e.field, said(e)) for e in exc.errors])


def _refuse_emergency_access(by: User, patient: Patient, target_type: str, what: str) -> None:
    """Emergency access (break the glass) is for reading a record in an emergency: a clinician who reaches it
    only that way may not change the account (a password reset), where its messages go (contact details)
    or the episode of care (discharge, readmission, transfer). Like the second-factor reset: the care team
    only. The denial is audited."""
    if not policy.through_emergency_access(by, patient):
        return
    audit.record(
        actor=by,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        patient_id=patient.pk,
        program_id=patient.program_id,
        target_type=target_type,
        reason=f"emergency access: may not {what}",
    )
    raise NotAllowed(_("Emergency access is for reading the record. Only the care team can do this."))


__all__ = [
    "CONFIRMATIONS",
    "EARLIEST_BIRTH",
    "LANGUAGES",
    "MAX_EMAIL",
    "MIN_PHONE_DIGITS",
    "PHONE_FIELDS",
    "REQUIRED",
    "TEXT_LIMITS",
    "in_language",
]
