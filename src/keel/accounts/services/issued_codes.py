"""The codes a staff member handed out for patients, voided when she leaves (review 37d holes 1-3, lane
fix37e): an activation code and a desk password-reset code (`patients.models.ActivationCode`) and a
self-guided link code (`selfguided.models.LinkCode`). She saw each one (shown once, printed at the desk), so
one she gave must not outlive her account, nor her membership of the program of its patient. The one
definition of "void the codes she gave", called by `deactivation.deactivate_user` (every route that turns an
account off), by `staff._deactivate` (her membership of one program ended), by `staff._change_role` (a role
that gives no codes) and by `care_team.remove_from_care_team` (that patient's codes; lane fix37j)."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action
from keel.patients.models import ActivationCode, Patient
from keel.selfguided.models import LinkCode

VOIDED_TURNED_OFF = "code void: the staff member who gave it was turned off"
VOIDED_LEFT_PROGRAM = "code void: the staff member who gave it left the program"
VOIDED_OFF_TEAM = "code void: the staff member who gave it was taken off the care team"  # lane fix37j
VOIDED_ROLE_CHANGED = "code void: the staff member who gave it has a role that gives no codes"  # fix37j
VOIDED_OUT_OF_SCOPE = "code void: the staff member who gave it no longer sees this person's record"  # 37l

M = TypeVar("M", bound=Model)
_KINDS = {"activate": "activation_code", "reset": "password_reset"}  # each code's kind in its audit rows


def void_codes_issued_by(
    issuer: User,
    *,
    by: User | None,
    reason: str = VOIDED_TURNED_OFF,
    program_id: int | None = None,
    patient_id: int | None = None,
    outside: QuerySet[Patient] | None = None,
) -> int:
    """In the caller's transaction: every unused code `issuer` gave (for the patients of `program_id`, for
    the one patient `patient_id`, or for every patient when both are None) is deleted, so it answers as a
    code that does not work; a used one is kept as it was. Each voiding is audited in the patient's program
    trail (the row's id, never the code nor its digest), as done by `by`. With `outside`, only her codes for
    people not in that set (her scope after a role change, `policy.patients_visible_to`: lane fix37l). The
    person gets a new code from another staff member. How many."""
    activation = ActivationCode.objects.filter(created_by=issuer, used_at__isnull=True)
    links = LinkCode.objects.filter(created_by=issuer, used_at__isnull=True)
    if program_id is not None:
        activation = activation.filter(patient__program_id=program_id)
        links = links.filter(patient__program_id=program_id)
    if patient_id is not None:  # taken off that patient's care team (lane fix37j)
        activation = activation.filter(patient_id=patient_id)
        links = links.filter(patient_id=patient_id)
    if outside is not None:
        activation = activation.exclude(patient__in=outside)
        links = links.exclude(patient__in=outside)
    voided = 0
    for row in _locked(activation):
        voided += _void(row, by, _KINDS.get(row.purpose, "activation_code"), reason)
    for link in _locked(links):
        voided += _void(link, by, "link_code", reason)
    return voided


def _locked(rows: QuerySet[M]) -> list[M]:
    """The rows locked (their own rows only, not their patients'), in id order, with their patient."""
    return list(rows.select_for_update(of=("self",)).select_related("patient").order_by("pk"))


def _void(row: ActivationCode | LinkCode, by: User | None, target_type: str, reason: str) -> int:
    audit.record_for_patient(by, row.patient, Action.UPDATE, target_type, row.pk, reason=reason)
    row.delete()
    return 1
