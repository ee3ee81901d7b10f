"""What the patient writes share: the core's errors in the caller's language; the parsers of the fields the
desk fills in (names, phones, email, dates, choices, the two confirmations at admission) live in
`keel.patients.checks` (their limits re-exported here). The audited denial of an in-scope action, and of
emergency access (which is for reading), is `policy.get_patient_for_action_or_404`'s."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import models, transaction
from django.db.models import QuerySet

from keel.access import policy
from keel.accounts.models import Program, User
from keel.accounts.services import issued_codes
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
from keel.patients.errors import CODE_NOT_MADE, CodeNotMade
from keel.patients.models import Patient, death_recorded, died_under_lock
from keel.web.field_words import said


def in_language(exc: InvalidInput) -> FieldsInvalid:
    """The core's field errors in the caller's language, as these services have always named them (their
    words were translated where they were written): the API's 422 and the pages say the same."""
    return FieldsInvalid([FieldError(e.field, said(e)) for e in exc.errors])


def death_refused(actor: User | None, patient: Patient, target_type: str, target_id: str | int = "") -> bool:
    """True when a death is recorded for this person (`death_recorded`), the refusal then audited: no code
    for her own account is given or used, no account made or joined to her record (lane fix27b). The caller
    raises its own error (the desk is told; whoever holds a code gets the answer of a code that does not
    work)."""
    if not death_recorded(patient.pk):
        return False
    audit.record_for_patient(
        actor,
        patient,
        Action.DENIED,
        target_type,
        target_id,
        outcome=Outcome.DENIED,
        reason="a death is recorded for this person",
    )
    return True


__all__ = [
    "CODE_NOT_MADE",
    "CONFIRMATIONS",
    "EARLIEST_BIRTH",
    "LANGUAGES",
    "MAX_EMAIL",
    "MIN_PHONE_DIGITS",
    "PHONE_FIELDS",
    "REQUIRED",
    "TEXT_LIMITS",
    "CodeNotMade",
    "death_refused",
    "in_language",
]


def lock_program_for_code(patient: Patient) -> None:
    """First in the transaction that stores a code for this person: her program's row, as every staff change
    takes it first (`staff._lock_program`: turning the giver off, her leaving the program, a role change).
    A code stored as its giver is changed waits for the change, or the change for it (re37p finding 3)."""
    Program.objects.select_for_update().filter(pk=patient.program_id).first()


def giver_may_not(by: User, patient: Patient) -> str | None:
    """Last in the transaction that stores a code for this person, under `lock_program_for_code`: the giver
    read again and the policy asked again (she was asked before, outside the lock: re37p finding 3, lane
    fix37j). None while she may still give it (`policy.may_still_give_code_for`, what the issue route asks:
    lane fix37l, re37q 1); else why not (turned off, in a role that gives no codes, no longer reaching the
    record, gone from the program), the reason its voiding is audited with."""
    giver = User.objects.get(pk=by.pk)
    if policy.may_still_give_code_for(giver, patient):
        return None
    if not giver.is_active:
        return issued_codes.VOIDED_TURNED_OFF
    if not policy.can_give_link_code(giver):
        return issued_codes.VOIDED_ROLE_CHANGED
    if policy.can_register_patient(giver, patient.program_id):  # still gives codes here: lost the record
        return issued_codes.VOIDED_OUT_OF_SCOPE
    return issued_codes.VOIDED_LEFT_PROGRAM  # the role still gives codes: she left the program


def void_stored_code(by: User, patient: Patient, reason: str) -> None:
    """Her codes for this person voided by the one helper (`issued_codes.void_codes_issued_by`), audited with
    the giver as actor (lane fix37l, re37q 2), so the code just stored never works."""
    issued_codes.void_codes_issued_by(by, by=by, reason=reason, patient_id=patient.pk)


CodeRow = TypeVar("CodeRow", bound=models.Model)


def store_one_live_code(
    by: User,
    patient: Patient,
    *,
    target_type: str,
    earlier: QuerySet[CodeRow],
    make: Callable[[], CodeRow],
    audited: Callable[[CodeRow, bool], object],
) -> tuple[CodeRow, bool] | None:
    """The one store of the desk's three codes (activation, reset, link), in one transaction, its locks in the
    order every staff change and a code's use take them: the program's row (`lock_program_for_code`), the
    person's `earlier` live codes of this kind, then (the giver asked again, `giver_may_not`) the record's
    row and whether a death is now recorded (`died_under_lock`, re38b finding 3): then nothing is stored, the
    refusal is audited (`death_refused`) and None returned, the caller refusing as for a death seen before.
    Else the new code is made (`make`) and audited (`audited(row, voided)`); the earlier codes are removed
    only when it stays live: one voided as it is stored leaves them working (re38b finding 2), and voids only
    its giver's (`void_stored_code`). The row, and whether it stays live."""
    with transaction.atomic():
        lock_program_for_code(patient)
        kept = list(earlier.select_for_update().values_list("pk", flat=True))
        reason = giver_may_not(by, patient)
        if died_under_lock(patient.pk):
            death_refused(by, patient, target_type)
            return None
        row = make()
        audited(row, reason is not None)
        if reason is None:
            earlier.filter(pk__in=kept).delete()
        else:
            void_stored_code(by, patient, reason)
    return row, reason is None
