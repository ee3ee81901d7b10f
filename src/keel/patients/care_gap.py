"""A person in care keeps a clinician who can act for her (review 16a): the one rule every path that takes
someone off a care team asks, under the person's lock.

Clinicians see only their care team's patients (`policy.patients_visible_to`). While a person has an active
episode of care, taking away the last counselor, nurse or prescriber of her team leaves no clinician who can
read her record; the last nurse or prescriber, no one who can give her a dose at the window; the last
prescriber, no one who resolves a held dose's flag or changes her orders. A change that would open one of
those gaps is refused (422), audited; a team that already had the gap is not made to close it first, and a
person not in care (no active episode: discharged, or never admitted) has no gap to open.

Who counts: an active account of a team role that still works in the person's program (the same test as the
access policy). Used by taking someone off a team (API and page), turning a staff account off or taking it out
of a program, and changing a staff member's role.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from keel.accounts.models import Role, User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.patients.models import CareTeamMember, Enrollment, EnrollmentStatus, Patient

__all__ = [
    "GAP_CLINICIAN",
    "GAP_DOSING",
    "GAP_PRESCRIBER",
    "care_gap_if_gone",
    "gap_words",
    "lock_people",
    "people_left_without_care",
    "record_refusal",
]

GAP_CLINICIAN = "clinician"  # no counselor, nurse or prescriber: no clinician sees her record
GAP_DOSING = "dosing"  # no nurse or prescriber: no one gives her a dose at the window
GAP_PRESCRIBER = "prescriber"  # no prescriber: no one resolves a held dose's flag or changes her orders

_NEEDS: tuple[tuple[str, frozenset[str]], ...] = (
    (GAP_CLINICIAN, frozenset({Role.COUNSELOR, Role.NURSE, Role.PRESCRIBER})),
    (GAP_DOSING, frozenset({Role.NURSE, Role.PRESCRIBER})),
    (GAP_PRESCRIBER, frozenset({Role.PRESCRIBER})),
)


def lock_people(patient_ids: Iterable[int]) -> None:
    """Lock these people's rows for the rest of the transaction, in id order (two paths that lock several
    never wait on each other crosswise). FOR NO KEY UPDATE, as `treatment.services.common.lock_person`: two
    changes of one person's team wait for each other, and each then sees the other's."""
    ids = sorted(set(patient_ids))
    if ids:
        list(
            Patient.objects.select_for_update(no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def _in_care(patient_id: int) -> bool:
    return Enrollment.objects.filter(patient_id=patient_id, status=EnrollmentStatus.ACTIVE).exists()


def _team(patient: Patient) -> dict[int, str]:
    """Who on her team can act for her: user id -> role."""
    rows = CareTeamMember.objects.filter(
        patient=patient,
        user__is_active=True,
        user__memberships__program_id=patient.program_id,
    ).values_list("user_id", "user__role")
    return dict(rows)


def care_gap_if_gone(patient: Patient, user: User | int, *, role_after: str | None = None) -> str | None:
    """The gap (GAP_CLINICIAN, GAP_DOSING, GAP_PRESCRIBER: the first of them) that `user` leaving this
    person's care team would open while she is in care; None when nothing is lost. With `role_after`, the
    user stays on the team in that role (a role change). Call it under `lock_people` of the person."""
    user_id = user if isinstance(user, int) else user.pk
    team = _team(patient)
    if user_id not in team or not _in_care(patient.pk):
        return None
    now = set(team.values())
    after = [role for uid, role in team.items() if uid != user_id]
    if role_after is not None:
        after.append(role_after)
    for gap, roles in _NEEDS:
        if now & roles and not set(after) & roles:
            return gap
    return None


def people_left_without_care(
    user: User, *, program_id: int | None = None, role_after: str | None = None
) -> list[tuple[Patient, str]]:
    """Every person in care (of `program_id` only, when given) whose team `user` is on and who would lose a
    clinician they need if `user` left (or took `role_after`): (person, gap), in id order. Locks them."""
    patients = Patient.objects.filter(
        care_team__user=user, enrollments__status=EnrollmentStatus.ACTIVE
    ).distinct()
    if program_id is not None:
        patients = patients.filter(program_id=program_id)
    found = list(patients.order_by("pk"))
    lock_people(p.pk for p in found)
    gaps = [(p, care_gap_if_gone(p, user, role_after=role_after)) for p in found]
    return [(p, gap) for p, gap in gaps if gap is not None]


def gap_words(gap: str) -> str:
    """Why the change is refused, in words (the field error of `user_id`)."""
    if gap == GAP_CLINICIAN:
        return _(
            "this is the last counselor, nurse or prescriber on the care team of a person in care: no "
            "clinician could see their record. Add another clinician to the team first"
        )
    if gap == GAP_DOSING:
        return _(
            "this is the last nurse or prescriber on the care team of a person in care: no one could give "
            "them a dose at the window. Add another nurse or prescriber to the team first"
        )
    return _(
        "this is the last prescriber on the care team of a person in care: no one could resolve a held "
        "dose or change their orders. Add another prescriber to the team first"
    )


def record_refusal(
    *,
    by: User,
    gap: str,
    program_id: int,
    target_type: str,
    target_id: int,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """The audit row of a change refused for the gap it would open (after the refused transaction)."""
    audit.record(
        actor=by,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        patient_id=patient_id,
        program_id=program_id,
        target_type=target_type,
        target_id=target_id,
        reason=(
            "would leave a person in care without a clinician"
            if gap == GAP_CLINICIAN
            else "would leave a person in care without a nurse or prescriber"
            if gap == GAP_DOSING
            else "would leave a person in care without a prescriber"
        ),
        detail=detail,
    )
