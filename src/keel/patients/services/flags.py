"""Resolving a patient's flags: counselors, nurses and prescribers on the care team; a held dose's flag by a
prescriber only; never the person who broke the glass, for the flag about it. Raising one is
`keel.patients.flags.raise_flag`."""

from __future__ import annotations

from typing import Final

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from keel.access import policy
from keel.access.errors import NotAllowed as AccessNotAllowed
from keel.access.policy import Area
from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.reasons import FLAG_NOTE_REQUIRED, reason_problem, reason_text
from keel.core.rules.inputs import FieldError
from keel.core.text import visible_length
from keel.core.words import gettext_noop as N_
from keel.patients.models import (
    EmergencyAccess,
    Patient,
    PatientFlag,
)
from keel.recovery.common import StaleEdit

# Flags whose resolution is a prescriber's assessment (the flag says so): the access policy's.
PRESCRIBER_ONLY = policy.PRESCRIBER_ONLY_FLAGS


class FlagError(ValueError):
    """A flag cannot be resolved as asked; `field` names what was wrong, `message` says it in English (the
    API's 409 for a flag resolved already), `error` is the same as a `FieldError` whose words are marked `N_`
    (the page and the API's 422 say it in the reader's language: `keel.web.field_words.said`)."""

    def __init__(self, error: FieldError) -> None:
        self.error, self.field, self.message = error, error.field, error.reason
        super().__init__(f"{error.field}: {error.reason}")


class FlagNotAllowed(AccessNotAllowed, PermissionError):
    """A flag this caller may not resolve; `reason` says which rule (the page words it, the API says the
    message): NOT_ON_TEAM, PRESCRIBER_ONLY or OWN_EMERGENCY."""

    NOT_ON_TEAM = "not_on_team"  # not a counselor, nurse or prescriber of the care team
    PRESCRIBER_ONLY = "prescriber_only"  # a flag only a prescriber resolves (a held dose's)
    OWN_EMERGENCY = "own_emergency"  # the flag about the caller's own emergency access

    def __init__(self, message: str, reason: str = NOT_ON_TEAM) -> None:
        super().__init__(message)
        self.reason = reason


_ONLY_CLINICIANS_RESOLVE = "Only counselors, nurses and prescribers on the care team resolve flags."

# A resolve that names no version read (lane fix38n): a caller inside Keel resolving the flag it just read
# (a service, a test) and the API's client that sends none (as a correction's `correction_version`: not sent,
# not checked; tests/review14a pins a note-only resolve). The page always sends one (missing:
# `VERSION_REQUIRED`).
NOT_ASKED: Final = -1
VERSION_REQUIRED = N_("required: the flag's version as you read it (reload the flag)")
FLAG_CHANGED = N_(
    "This flag changed since you opened it (a note was added or it was reopened). It is not resolved: "
    "read it again, then resolve it."
)


class FlagChanged(StaleEdit):
    """The flag changed since the resolver read it (lane fix38n, re38r finding 3): a resolution from that read
    would judge what the resolver never saw; refused (409, naming `version`), nothing written."""

    def __init__(self) -> None:
        super().__init__(gettext(FLAG_CHANGED), field="version")


def resolve_flag(
    *, by: User, patient_id: int, flag_id: int, note: str, read_version: int | None = NOT_ASKED
) -> PatientFlag:
    """Resolve an open flag with a note. Counselors, nurses and prescribers on the care team may. In order:
    the record for the action (`_patient_for_resolving`), a prescriber's flag (`_refuse_unless_prescriber`),
    the note (`_checked_note`), the flag about the caller's own emergency access (`_refuse_own_emergency`),
    then the flag resolved and audited (`_resolve`: the version read None, `VERSION_REQUIRED`; another version
    now, FlagChanged, 409)."""
    patient = _patient_for_resolving(by, patient_id, flag_id)
    kind = _refuse_unless_prescriber(by, patient, flag_id)
    note = _checked_note(note, kind)
    _refuse_own_emergency(by, patient, flag_id)
    return _resolve(by, patient, flag_id, note, read_version)


def _patient_for_resolving(by: User, patient_id: int, flag_id: int) -> Patient:
    """The patient, for a clinician of the care team (the access policy audits a denial or a 404)."""
    try:
        patient = policy.get_patient_for_action_or_404(
            by,
            patient_id,
            Action.UPDATE,
            area=Area.CLINICAL,
            target_type="patient_flag",
            target_id=flag_id,
            allowed=policy.can_resolve_flags(by),
            what="resolve flags",
            emergency_access=True,
            audit_success=False,
        )
    except policy.ActionNotAllowed:
        raise FlagNotAllowed(
            "Only counselors, nurses and prescribers on the care team resolve flags.",
            FlagNotAllowed.NOT_ON_TEAM,
        ) from None
    return patient


def _refuse_unless_prescriber(by: User, patient: Patient, flag_id: int) -> str | None:
    """The flag's kind (None: no such flag of this patient); a flag only a prescriber resolves
    (PRESCRIBER_ONLY), asked by anyone else: refused, the denial audited."""
    kind = PatientFlag.objects.filter(pk=flag_id, patient=patient).values_list("kind", flat=True).first()
    if not policy.can_resolve_flag(by, kind):
        audit.record_for_patient(
            by,
            patient,
            Action.DENIED,
            "patient_flag",
            flag_id,
            outcome=Outcome.DENIED,
            reason="only a prescriber resolves this flag",
        )
        raise FlagNotAllowed(
            "Only a prescriber resolves this flag: a prescriber must assess.", FlagNotAllowed.PRESCRIBER_ONLY
        )
    return kind


def _checked_note(note: str, kind: str | None) -> str:
    """The note as it is measured and kept (`reason_text`, the one cleaning of a reason; review 24s):
    required, an assessment of substance for a flag only a prescriber resolves (a held dose's, a first dose's
    corrected COWS), at most 2000 characters."""
    note = reason_text(note)
    if not visible_length(note):
        raise FlagError(FieldError("note", FLAG_NOTE_REQUIRED))
    if kind in PRESCRIBER_ONLY and reason_problem(note):  # a prescriber's assessment (a hold; clin34's COWS)
        raise FlagError(
            FieldError.said("note", N_("write the assessment: %(problem)s"), problem=reason_problem(note))
        )
    if len(note) > 2000:
        raise FlagError(FieldError("note", N_("at most 2000 characters")))
    return note


def _refuse_own_emergency(by: User, patient: Patient, flag_id: int) -> None:
    """The flag about the caller's own emergency access, or any flag of a record the caller reaches only
    through emergency access: refused, the denial audited."""
    own_emergency = PatientFlag.objects.filter(
        pk=flag_id,
        patient=patient,
        source_type="emergency_access",
        source_id__in=EmergencyAccess.objects.filter(user=by, patient=patient).values("pk"),
    ).exists()
    if own_emergency:  # the person who broke the glass never clears the flag about it (SECURITY.md T12)
        audit.record_for_patient(
            by,
            patient,
            Action.DENIED,
            "patient_flag",
            flag_id,
            outcome=Outcome.DENIED,
            reason="the person who used emergency access cannot resolve its flag",
        )
        raise FlagNotAllowed(
            "The person who used emergency access cannot resolve the flag about it.",
            FlagNotAllowed.OWN_EMERGENCY,
        )
    if policy.through_emergency_access(by, patient):  # flags are the care team's (review 17b: two
        # off-team colleagues could clear each other's emergency flag and hide the access from the team)
        audit.record_for_patient(
            by,
            patient,
            Action.DENIED,
            "patient_flag",
            flag_id,
            outcome=Outcome.DENIED,
            reason="emergency access: may not resolve flags",
        )
        raise FlagNotAllowed(_ONLY_CLINICIANS_RESOLVE, FlagNotAllowed.NOT_ON_TEAM)


def _resolve(by: User, patient: Patient, flag_id: int, note: str, read_version: int | None) -> PatientFlag:
    """The open flag, locked, resolved with the note and audited in one transaction; resolved already:
    refused, naming flag; changed since `read_version` was read: FlagChanged (so what was resolved is what the
    resolver saw). Missing or another patient's: the same audited 404 as a record out of scope
    (`policy.row_not_theirs`, once the transaction is over so its denial row stays)."""
    with transaction.atomic():
        flag = PatientFlag.objects.select_for_update().filter(pk=flag_id, patient=patient).first()
        if flag is not None:
            if flag.resolved_at is not None:
                raise FlagError(FieldError("flag", N_("this flag was already resolved")))
            if read_version is None:
                raise FlagError(FieldError("version", VERSION_REQUIRED))
            if read_version not in (NOT_ASKED, flag.version):
                raise FlagChanged
            flag.resolved_at, flag.resolved_by, flag.resolution_note = timezone.now(), by, note
            flag.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
            audit.record_for_patient(by, patient, Action.UPDATE, "patient_flag", flag.pk, reason="resolved")
    if flag is None:
        policy.row_not_theirs(by, patient, "patient_flag", flag_id, reason="not this patient's or missing")
    return flag
