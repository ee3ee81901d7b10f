"""Emergency access (break-the-glass, T12): a clinician of the program opens a record outside their care
team for a limited time, with a reason and the password again; flagged and queued for review."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from keel.access import policy
from keel.accounts import services as accounts
from keel.accounts.names import NO_NAME_ON_FILE
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core import sharing as core
from keel.core.digits import ascii_digits
from keel.core.reasons import reason_problem, reason_text
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.patients.flags import raise_flag
from keel.patients.models import (
    EmergencyAccess,
    FlagKind,
    Patient,
    died_under_lock,
)
from keel.patients.services.common import death_refused
from keel.sharing.errors import SharingInvalid, SharingNotAllowed
from keel.sharing.models import EmergencyReview, ReviewKind

if TYPE_CHECKING:
    from keel.accounts.models import User


def emergency_access(
    *,
    by: User,
    record_number: str,
    reason: str,
    password: str,
    program: int | str | None = None,
    now: datetime | None = None,
) -> tuple[Patient, EmergencyAccess]:
    """A clinician of the program opens a record outside their care team for a medical emergency: a reason,
    the password again, a limited time (`KEEL_EMERGENCY_ACCESS_MINUTES`); the care team is flagged and the
    audit trail gets an `emergency_access` row. In order: the caller may ask (`_refuse_unless_allowed`), the
    fields (`_checked_fields`), the password again (`_password_again`: before any record number is looked
    up, so no one learns which numbers exist without it), the record in the caller's programs
    (`_patient_in_programs`; `program`, one of the caller's own programs' ids, when the number is in more
    than one of them), no death recorded for that person (`_refuse_after_death`), then
    the grant with its flag, its review and its audit row in one transaction (`_grant`, which asks for the
    death again under the record's lock)."""
    now = now or timezone.now()
    _refuse_unless_allowed(by)
    number, why = _checked_fields(by, record_number, reason)
    _password_again(by, password)  # before the number is looked up: no probing which exist (review 21p)
    patient = _patient_in_programs(by, number, program)
    _refuse_after_death(by, patient, why, now)
    try:
        return patient, _grant(by, patient, why, now)
    except _DiedMeanwhile:  # the grant rolled back: the refusal audited and queued now, outside it
        death_refused(by, patient, "emergency_access")
        _queue_refusal(by, patient, why, now)
        raise _after_death() from None


# --- After a death is recorded (lane dead29a) --------------------------------------------------------------
# Break-the-glass (SECURITY.md T12) opens a record outside the care team "for a medical emergency": the
# person's own. 42 CFR 2.51 lets a record out without consent only "to the extent necessary to meet a bona
# fide medical emergency in which the patient's prior written consent cannot be obtained"; once her death is
# recorded there is no emergency of hers to meet and nothing to treat, and 2.15(b)(2) leaves any other use of
# a deceased patient's record to the rest of Part 2 (a consent by her personal representative). So no
# emergency access opens to a record that shows a death (the one `death_recorded`, any program's episode),
# on every route that opens it (the page, the API: both call `emergency_access`): 422 naming
# `record_number`, audited as a refused emergency access about her (target `emergency_access`, outcome
# denied: the audit trail's emergency filter lists it). The care team's own reads are not emergency access
# and are unchanged.
#
# Lane priv30: the refused attempt is also queued for the program admin's review (`EmergencyReview`, kind
# `refused_after_death`), as every granted emergency access is. The refusal tells the asker the record
# shows a death, so a clinician trying record numbers would learn who has died; an audit row alone is read
# by no one unless someone looks. HIPAA 164.308(a)(1)(ii)(D) (information system activity review) and
# 164.312(b) (audit controls), and 42 CFR 2.16 (the program's security policies: "unauthorized uses"), ask
# that such attempts be reviewed; the queue puts it before a person.
#
# The words keep the death (decided in lane priv30): the request is made for the person's own medical
# emergency, and a clinician facing one on a record that shows a death has either the wrong record (an
# identification error: treating on another person's medication list is a safety matter) or a death
# recorded by mistake (which a program admin can undo). A neutral "does not open" leaves them unable to act
# on either. The asker is personnel of the same program (42 CFR 2.12(c)(3): communications within a program
# among personnel who need the information for their duties), and the attempt now reaches the reviewer.

AFTER_DEATH_SAID = N_(
    "is the record of a person whose death is recorded: emergency access is for the person's own medical "
    "emergency, and there is none after a death, so it does not open. The care team still reads the record."
)


class _DiedMeanwhile(Exception):
    """Inside the grant's transaction, under the record's lock: a death recorded since the first check.
    Raised to roll the grant back; the caller audits the refusal and says it."""


def _refuse_after_death(by: User, patient: Patient, why: str, now: datetime) -> None:
    """A record that shows a death opens no emergency access: refused naming `record_number`, the refusal
    audited about the person (`death_refused`: outcome denied, target `emergency_access`) and queued for the
    program admin's review (`_queue_refusal`)."""
    if death_refused(by, patient, "emergency_access"):
        _queue_refusal(by, patient, why, now)
        raise _after_death()


def _queue_refusal(by: User, patient: Patient, why: str, now: datetime) -> None:
    """The refused attempt in the review queue of the record's program (kind `refused_after_death`, no
    grant named), with the reason the clinician typed: a program admin attests it as any emergency access
    (HIPAA 164.308(a)(1)(ii)(D); see the note above `AFTER_DEATH_SAID`)."""
    EmergencyReview.objects.create(
        patient=patient,
        program_id=patient.program_id,
        kind=ReviewKind.REFUSED_AFTER_DEATH,
        used_by=by,
        reason=why,
        raised_at=now,
    )


def _after_death() -> SharingInvalid:
    return SharingInvalid([FieldError("record_number", AFTER_DEATH_SAID)])


def _refuse_unless_allowed(by: User) -> None:
    """A caller who may not ask for emergency access: refused, the denial audited."""
    if not policy.can_request_emergency_access(by):
        audit.record(actor=by, action=Action.DENIED, outcome=Outcome.DENIED, target_type="emergency_access")
        raise SharingNotAllowed


def _checked_fields(by: User, record_number: str, reason: str) -> tuple[str, str]:
    """The record number (trimmed) and the reason as it is shown (`core.text.shown_text`: no direction
    overrides or other format characters, so the grant, the flag and the review store what a reviewer reads
    and what was measured; review 21y) with its whitespace joined, each problem named at once; a
    refused request audited with a fixed reason, never the typed text (review 19d: every refused attempt shows
    in the emergency access filter)."""
    errors = []
    number = record_number.strip() if isinstance(record_number, str) else ""
    why = reason_text(reason)  # kept as measured (review 24r)
    if not number:
        errors.append(FieldError("record_number", N_("is required")))
    if len(why) > 1000:
        errors.append(FieldError("reason", N_("can be at most 1000 characters")))
    elif problem := reason_problem(why):  # review 20b: three words of substance, not ten x's (19b: visible)
        errors.append(FieldError("reason", problem))
    if errors:
        _refused_number(by, "record number or reason refused")
        raise SharingInvalid(errors)
    return number, why


def _password_again(by: User, password: str) -> None:
    """The caller's password again (SECURITY.md: re-authentication before emergency access), counted by the
    lockout (T17); a wrong one refused naming `password` and audited with no patient (none is looked up
    before it)."""
    if not accounts.reauthenticate(by, password, purpose="emergency_access"):
        _refused_number(by, "re-authentication failed")
        raise SharingInvalid(
            [FieldError("password", N_("is not correct: enter your password again to continue"))]
        )


def _patient_in_programs(by: User, number: str, program: int | str | None = None) -> Patient:
    """The patient with this record number in one of the caller's programs (or in `program`, one of them).
    Record numbers are unique only inside a program (review 19b): a number found in more than one of the
    caller's programs opens no one, the program asked for (`program` named), never the lowest id picked. A
    `program` that is not one of the caller's own: `program` named. None found: record_number named. Each
    refusal audited."""
    mine = policy.program_ids_of(by)
    if program is not None and program != "":
        chosen = _own_program(by, program)
        if chosen is None:
            _refused_number(by, "not one of the caller's programs")
            raise SharingInvalid([FieldError("program", N_("choose one of your programs"))])
        mine = mine.filter(program_id=chosen)
    found = list(
        Patient.objects.filter(program_id__in=mine, record_number=number).select_related("program")[:2]
    )
    if not found:
        _refused_number(by, "no such record number in the caller's programs")
        raise SharingInvalid(
            [FieldError("record_number", N_("no patient with this record number in your program"))]
        )
    if len(found) > 1:
        _refused_number(by, "record number in more than one of the caller's programs")
        raise SharingInvalid(
            [
                FieldError(
                    "program",
                    N_("this record number is in more than one of your programs: choose the program"),
                )
            ]
        )
    return found[0]


def _own_program(by: User, program: object) -> int | None:
    """`program` as one of the caller's own programs' ids (a whole number, typed or as digits), else None."""
    if isinstance(program, bool):
        return None
    if isinstance(program, str):
        program = program.strip()
        if not ascii_digits(program) or len(program) > 18:
            return None
        program = int(program)
    if not isinstance(program, int) or not -(2**63) <= program <= 2**63 - 1:
        return None
    return program if policy.program_ids_of(by).filter(program_id=program).exists() else None


def _refused_number(by: User, reason: str) -> None:
    """A refused break-the-glass, audited with its fixed reason (no patient: none was opened)."""
    audit.record(
        actor=by, action=Action.DENIED, outcome=Outcome.DENIED, target_type="emergency_access", reason=reason
    )


def _grant(by: User, patient: Patient, why: str, now: datetime) -> EmergencyAccess:
    """The grant for `KEEL_EMERGENCY_ACCESS_MINUTES`, the care team's flag (`_flag_care_team`), the review
    queued and the `emergency_access` audit row, in one transaction."""
    minutes = int(settings.KEEL_EMERGENCY_ACCESS_MINUTES)
    with transaction.atomic():
        # the record's lock, which a death's discharge takes too: a death committed meanwhile is seen here
        if died_under_lock(patient.pk):
            raise _DiedMeanwhile
        grant = EmergencyAccess.objects.create(
            patient=patient, user=by, reason=why, started_at=now, expires_at=now + timedelta(minutes=minutes)
        )
        _flag_care_team(by, patient, grant, why, now)
        EmergencyReview.objects.create(
            patient=patient,
            program_id=patient.program_id,
            kind=ReviewKind.EMERGENCY_ACCESS,
            emergency_access=grant,
            used_by=by,
            reason=why,
            raised_at=now,
        )
        audit.record_for_patient(
            by,
            patient,
            Action.EMERGENCY_ACCESS,
            "emergency_access",
            grant.pk,
            reason="break the glass",
            detail={"expires_at": grant.expires_at.isoformat()},
            through_emergency=True,  # the grant row itself is made through emergency access (review 18b)
        )
    return grant


def _flag_care_team(by: User, patient: Patient, grant: EmergencyAccess, why: str, now: datetime) -> None:
    """The care team's flag: who opened the record (role and name, the role in English for the stored
    reason) and why, as written. No full name on file: "(no name on file)" in its place, never the username
    (lane words33: the flag's reason is read on the care team's pages)."""
    name = by.get_full_name().strip() or NO_NAME_ON_FILE
    with translation.override("en"):
        role = str(by.get_role_display())
    raise_flag(
        by=by,
        patient=patient,
        kind=FlagKind.EMERGENCY_ACCESS,
        priority=1,
        reasons=[f"{role} {name} opened this record in an emergency: {why}"],
        said=[  # shown in the reader's language (keel.patients.flagwords); the name and reason as written
            {
                "template": gettext_noop("%(role)s %(name)s opened this record in an emergency: %(why)s"),
                "params": {"role": role, "name": name, "why": why},
            }
        ],
        sources=core.SOURCES_EMERGENCY,
        source_type="emergency_access",
        source_id=grant.pk,
        now=now,
        audit_reason="emergency access: the care team is told",
    )


class NoEmergencyAccess(Exception):
    """The caller holds no emergency access to this record, open or ended (another's grant is not theirs to
    end): 404, the denial audited."""


def end_emergency_access(
    *, by: User, patient_id: int, now: datetime | None = None
) -> tuple[EmergencyAccess, bool]:
    """The clinician who holds emergency access to a record ends it before it expires (break-the-glass,
    T12): the grant's `ended_at` set, audited "emergency access ended early"; from then the record is out of
    their scope (every scope query and the audit's `_through_emergency` read `ended_at IS NULL`).

    Returns (the grant, whether it was ended now). A second press (the grant already ended or expired) ends
    nothing and says so: (the latest grant, False), no audit row. A caller with no grant of their own on this
    record (another clinician's grant, a role that never holds one) gets NoEmergencyAccess, audited. Only
    the caller's own grants are ever read: no one ends someone else's."""
    now = now or timezone.now()
    _refuse_unless_allowed(by)
    mine = EmergencyAccess.objects.filter(user=by, patient_id=patient_id).select_related("patient")
    # an id no row can have is no grant (the foreign key's lookup would hand it to the driver, which raises)
    in_range = -(2**63) <= patient_id <= 2**63 - 1
    grant = mine.order_by("-started_at", "-pk").first() if in_range else None
    if grant is None:
        audit.record(
            actor=by,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            target_type="emergency_access",
            reason="no emergency access of the caller's to end",
            detail={"requested_patient_id": patient_id},
        )
        raise NoEmergencyAccess
    with transaction.atomic():
        open_ids = list(mine.filter(expires_at__gt=now, ended_at__isnull=True).values_list("pk", flat=True))
        # the update re-checks ended_at: two presses racing end the grant once
        ended = EmergencyAccess.objects.filter(pk__in=open_ids, ended_at__isnull=True).update(ended_at=now)
        if ended:
            audit.record_for_patient(
                by,
                grant.patient,
                Action.UPDATE,
                "emergency_access",
                grant.pk,
                reason="emergency access ended early",
                through_emergency=True,  # the grant's end is an emergency-access event (the filter shows it)
                detail={"ended_at": now.isoformat(), "grants": sorted(open_ids)},
            )
    grant.refresh_from_db(fields=["ended_at"])
    return grant, bool(ended)
