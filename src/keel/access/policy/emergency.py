"""Emergency access (break-the-glass, SECURITY.md T12): a clinician who reaches a record only through it,
not on its care team, reads it in an emergency; what changes the account, a person's consents and
disclosures and their thought records stay the care team's (reviews 19b, 20b, 21p).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from keel.access.policy.areas import _active
from keel.accounts.models import CLINICAL_ROLES, User
from keel.patients.models import (
    CareTeamMember,
    Patient,
)


def through_emergency_access(user: User, patient: Patient) -> bool:
    """A clinician who reaches this record only through emergency access (break-the-glass, SECURITY.md T12),
    not as a member of its care team. Emergency access is for reading a record in an emergency: what changes
    the account, where its messages go or the episode of care is the care team's (and the program admins')."""
    if not _active(user) or user.role not in CLINICAL_ROLES:
        return False
    off_team = getattr(patient, "keel_off_team", None)  # get_patient_or_404 asked it in the same query
    if off_team is not None:
        return bool(off_team)
    return not CareTeamMember.objects.filter(user=user, patient=patient).exists()


def thought_records_shown(user: User, patient: Patient) -> bool:
    """Whether anything of this person's thought records (a CBT journal: counseling content) is shown to
    this reader, their text or only that and when one was written: never through emergency access, a journal
    of automatic thoughts being no part of treating an emergency (review 20b: the list and the recovery
    overview; review 21p: the timeline's "Thought record written"). What the role sees decides the rest."""
    return not through_emergency_access(user, patient)


def without_emergency_only(user: User, patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """These patients less those a clinician reaches only through emergency access (not on their care team):
    for what break-the-glass does not open (a person's consents and disclosures, review 19b)."""
    if not _active(user) or user.role not in CLINICAL_ROLES:
        return patients
    return patients.filter(Exists(CareTeamMember.objects.filter(user=user, patient=OuterRef("pk"))))


def marked_off_team(user: User, patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """These patients, each marked in the same query with `keel_off_team` (a clinician not on its care team:
    reached only through emergency access), the one mark `through_emergency_access` and
    `sharing.carried.sender_named` read. Only a clinician's rows are marked (no one else reaches a record
    through emergency access)."""
    if not _active(user) or user.role not in CLINICAL_ROLES:
        return patients
    on_team = CareTeamMember.objects.filter(user=user, patient=OuterRef("pk"))
    return patients.annotate(keel_off_team=~Exists(on_team))


def emergency_only_ids(user: User, patient_ids: list[int]) -> list[int]:
    """Of these patients (already in the user's scope), those a clinician sees only through emergency access
    (break-the-glass): not on their care team."""
    if not _active(user) or user.role not in CLINICAL_ROLES or not patient_ids:
        return []
    on_team = set(
        CareTeamMember.objects.filter(user=user, patient_id__in=patient_ids).values_list(
            "patient_id", flat=True
        )
    )
    return sorted(set(patient_ids) - on_team)
