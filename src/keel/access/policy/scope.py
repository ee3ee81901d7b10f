"""Who sees which patients (issue #2): a patient their own record; clinicians and peer specialists the
patients of their programs whose care team they are on (a clinician also one opened by emergency access); a
program admin every patient of their programs; never across programs, never a personal space. One set-based
queryset (`patients_visible_to`); out of scope is the same as missing (`PatientNotFound`, a 404).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from keel.access.policy.areas import Area, _active, areas_for_role
from keel.access.policy.roles import may_read_audit_trail
from keel.accounts.models import CLINICAL_ROLES, ProgramMembership, Role, User
from keel.patients.models import (
    CareTeamMember,
    EmergencyAccess,
    Patient,
)


class PatientNotFound(Http404):
    """Raised for a record that does not exist or is outside the caller's scope; the two look the same."""

    def __init__(self) -> None:
        super().__init__("Not found.")


def program_ids_of(user: User) -> QuerySet[ProgramMembership, int]:
    """The programs a staff member works in, as a subquery. A personal space (a self-guided account's) is
    never one of them, even if a membership row were made by hand."""
    return ProgramMembership.objects.filter(user=user, program__is_personal=False).values_list(
        "program_id", flat=True
    )


def patients_visible_to(user: User, area: Area = Area.IDENTITY) -> QuerySet[Patient]:
    """Every patient whose `area` this user may see, as one set-based queryset (no per-row checks)."""
    if not _active(user) or area not in areas_for_role(user.role):
        return Patient.objects.none()
    if user.role == Role.PATIENT:
        return Patient.objects.filter(user=user)
    programs = program_ids_of(user)
    if user.role == Role.PROGRAM_ADMIN:
        return Patient.objects.filter(program_id__in=programs)
    if user.role in CLINICAL_ROLES or user.role == Role.PEER_SPECIALIST:
        on_team = CareTeamMember.objects.filter(user=user).values("patient_id")
        if user.role not in CLINICAL_ROLES:
            return Patient.objects.filter(program_id__in=programs, id__in=on_team)
        # A clinician's open emergency access (break-the-glass, SECURITY.md T12) adds that one record until
        # it expires; still only inside the clinician's programs.
        emergency = EmergencyAccess.objects.filter(
            user=user, expires_at__gt=timezone.now(), ended_at__isnull=True
        ).values("patient_id")
        return Patient.objects.filter(Q(id__in=on_team) | Q(id__in=emergency), program_id__in=programs)
    return Patient.objects.none()


def areas_visible(user: User, patient: Patient) -> frozenset[Area]:
    """The parts of this patient's record the user may see (empty when out of scope)."""
    if not patients_visible_to(user).filter(pk=patient.pk).exists():
        return frozenset()
    return areas_for_role(user.role)


def audit_program_ids(user: User) -> list[int]:
    """Programs whose audit trail this user may read: auditors and program admins of those programs."""
    if not _active(user) or not may_read_audit_trail(user):
        return []
    return list(program_ids_of(user))
