"""The care team (issue #18): a program's admins put staff on a patient's team, one at a time or in bulk,
and take them off."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, NoReturn

from django.db import transaction
from django.utils.translation import gettext as _

from keel.access import policy
from keel.accounts.models import Program, ProgramMembership, User
from keel.accounts.services.issued_codes import VOIDED_OFF_TEAM, void_codes_issued_by
from keel.api_body import is_integer
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.desk import MAX_BULK
from keel.core.rules.inputs import FieldError, FieldsInvalid, InvalidInput
from keel.patients import care_gap
from keel.patients.errors import NotAllowed
from keel.patients.models import (
    CareTeamMember,
    Patient,
)
from keel.patients.queries import TEAM_ROLES
from keel.patients.services.common import in_language, lock_program_for_code

if TYPE_CHECKING:
    from keel.api_body import Posted
    from keel.patients.schemas import CareTeamsIn

__all__ = ["MAX_BULK", "add_many_to_care_team", "add_to_care_team", "remove_from_care_team"]


def _team_patient(by: User, patient_id: int, action: Action) -> Patient:
    return policy.get_patient_for_action_or_404(
        by,
        patient_id,
        action,
        target_type="care_team",
        allowed=lambda user, record: policy.can_manage_care_team(user, record.program_id),
        what="manage care teams",
        error=NotAllowed,
        message=_("Only the program's admins change care teams."),
        audit_success=False,
    )


def _member(program: Program, user_id: int | str | None) -> User:  # an API's id, a form's or CLI's text
    try:
        pk = int("" if user_id is None else user_id)  # None (a bulk body's non-integer): no one, as ""
    except (TypeError, ValueError):
        raise FieldsInvalid([FieldError("user_id", _("choose a staff member"))]) from None
    user = User.objects.filter(pk=pk, is_active=True, role__in=TEAM_ROLES).first()
    if user is None or not ProgramMembership.objects.filter(user=user, program=program).exists():
        raise FieldsInvalid(
            [
                FieldError(
                    "user_id", _("not a counselor, nurse, prescriber or peer specialist of this program")
                )
            ]
        )
    return user


def add_to_care_team(*, by: User, patient_id: int, user_id: int | str) -> CareTeamMember:
    """Put a staff member of the patient's program on their care team (program admins); adding someone who is
    already there changes nothing."""
    patient = _team_patient(by, patient_id, Action.CREATE)
    member = _member(patient.program, user_id)
    with transaction.atomic():
        row, created = CareTeamMember.objects.get_or_create(patient=patient, user=member)
        if created:
            _audit_member(by, Action.CREATE, patient, patient.program_id, member.pk)
    return row


def add_many_to_care_team(*, by: User, data: Posted[CareTeamsIn]) -> list[CareTeamMember]:
    """Put one staff member on several patients' care teams at once (a program's admins). Every patient must
    be in the admin's scope and their program's, all in one program, the staff member one of its team roles;
    all or nothing. Each addition is audited; someone already on a team is left as is. The patients are
    checked first (they name the program whose admins decide), the staff member after the scope and role.
    A caller whose role may never change care teams is refused, audited, before the body is read."""
    if not policy.may_manage_care_teams(by):
        _refuse_role(by, None)
    form = _parsed(replace(data, exact=False))  # the patients first, as always
    found = _bulk_patients(by, form.patient_ids)
    program = found[0].program
    if not policy.can_manage_care_team(by, program.pk):
        _refuse_role(by, program.pk)
    _parsed(data)  # a JSON body's key that is not a field, refused by name (review 13a) after the checks
    user_id = form.user_id if not data.json or is_integer(data.raw.get("user_id")) else None
    member = _member(program, user_id)  # a JSON body's 5.7, "5" or true names no one (review 14a)
    rows = []
    with transaction.atomic():
        for patient in found:
            row, created = CareTeamMember.objects.get_or_create(patient=patient, user=member)
            rows.append(row)
            if created:
                _audit_member(by, Action.CREATE, patient, program.pk, member.pk)
    return rows


def _refuse_role(by: User, program_id: int | None) -> NoReturn:
    """A role that may not change care teams (at all: `program_id` None; or in this program): the denial
    audited, then refused."""
    _audit_denied(by, "role may not manage care teams", program_id=program_id)
    raise NotAllowed(_("Only the program's admins change care teams."))


def _audit_denied(
    by: User, reason: str, *, program_id: int | None = None, detail: dict[str, object] | None = None
) -> None:
    """The audit row of a change to care teams refused (`reason`, in English; `program_id` None: refused
    before a program is known)."""
    audit.record(
        actor=by,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        program_id=program_id,
        target_type="care_team",
        reason=reason,
        detail=detail,
    )


def _parsed(data: Posted[CareTeamsIn]) -> CareTeamsIn:
    """The bulk body read, or its field problems said in the request's language."""
    try:
        return data.parse()
    except InvalidInput as exc:
        raise in_language(exc) from None


def _bulk_patients(by: User, ids: list[int]) -> list[Patient]:
    """The patients named (`ids`), each in the caller's scope (else refused, audited, naming patient_ids),
    all of one program (else refused)."""
    found = list(policy.patients_visible_to(by).filter(pk__in=ids).select_related("program"))
    if len(found) != len(ids):
        _audit_denied(by, "bulk care team: outside scope or missing", detail={"requested_patient_ids": ids})
        raise FieldsInvalid([FieldError("patient_ids", _("some of these people are not in your program"))])
    if len({p.program_id for p in found}) != 1:
        raise FieldsInvalid([FieldError("patient_ids", _("choose people of one program"))])
    return found


def _audit_member(by: User, action: Action, patient: Patient, program_id: int, member_id: int) -> None:
    """The audit row of a staff member put on a patient's care team (`Action.CREATE`: "added") or taken off
    it (`Action.DELETE`: "removed")."""
    audit.record(
        actor=by,
        action=action,
        patient_id=patient.pk,
        program_id=program_id,
        target_type="care_team",
        target_id=member_id,
        reason="added" if action == Action.CREATE else "removed",
    )


def remove_from_care_team(*, by: User, patient_id: int, user_id: int | str) -> None:
    """Take a staff member off a patient's care team (program admins); they stop seeing the record at once,
    and the unused codes they gave for this person stop working (voided, audited: lane fix37j).
    The last clinician a person in care needs stays (`care_gap.care_gap_if_gone`): refused, naming user_id,
    audited. Locks in the order every staff change takes them (`staff._deactivate`, lane fix37l): the
    program's row (a code stored for this person waits, `common.lock_program_for_code`), then her codes,
    then the person's row (a code being used locks its row, then its person's: the other order deadlocks).
    Two removals at once are decided one after the other."""
    patient = _team_patient(by, patient_id, Action.DELETE)
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        raise FieldsInvalid([FieldError("user_id", _("choose a staff member"))]) from None
    try:
        _remove_member(by, patient, pk)
    except _GapLeft as exc:  # rolled back (her codes stay); audited after the transaction
        care_gap.record_refusal(
            by=by,
            gap=exc.left.gap,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="care_team",
            target_id=pk,
        )
        words = care_gap.gap_words(by=by, staff=User.objects.get(pk=pk), left=[exc.left])
        raise FieldsInvalid([FieldError("user_id", words)]) from None


class _GapLeft(Exception):
    """Raised inside the removal's transaction (rolled back: nothing changed, her codes included)."""

    def __init__(self, left: care_gap.Left) -> None:
        super().__init__(left.gap)
        self.left = left


def _remove_member(by: User, patient: Patient, pk: int) -> None:
    with transaction.atomic():
        lock_program_for_code(patient)
        issuer = User.objects.filter(pk=pk).first()
        if issuer is not None:  # her unused codes for this person go with the record (fix37j, re37p 1)
            void_codes_issued_by(issuer, by=by, reason=VOIDED_OFF_TEAM, patient_id=patient.pk)
        care_gap.lock_people([patient.pk])
        left = care_gap.left_if_gone(patient, pk)
        if left is not None:
            raise _GapLeft(left)
        deleted, _rows = CareTeamMember.objects.filter(patient=patient, user_id=pk).delete()
        if not deleted:
            raise FieldsInvalid([FieldError("user_id", _("not on this care team"))])
        _audit_member(by, Action.DELETE, patient, patient.program_id, pk)
