"""The parts of a patient's record (`Area`) each role sees, and the one field-level policy (issue #14,
SECURITY.md T18): a protected field of the person's identity (`PROTECTED_FIELDS`) is shown only to a caller
who sees its area (`field_visible`); a peer specialist never gets a record number or a birth date by any
route.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Q

from keel.accounts.models import Role, User


class Area(StrEnum):
    """The parts of a patient's record, as the policy sees them."""

    IDENTITY = "identity"  # who the person is: name, program; needed by everyone on the team
    CLINICAL = "clinical"  # diagnoses, medication, doses, assessments, notes, enrollment details
    RECOVERY = "recovery"  # check-ins, relapse-prevention plan, meetings


_AREAS_BY_ROLE: dict[str, frozenset[Area]] = {
    Role.PATIENT: frozenset(Area),
    Role.COUNSELOR: frozenset(Area),
    Role.NURSE: frozenset(Area),
    Role.PRESCRIBER: frozenset(Area),
    Role.PROGRAM_ADMIN: frozenset(Area),
    Role.PEER_SPECIALIST: frozenset({Area.IDENTITY, Area.RECOVERY}),
    Role.AUDITOR: frozenset(),
    # The recovery companion for oneself: check-ins and plan (recovery), thought records (a CBT tool, filed
    # under clinical content for the care team's roles). Never IDENTITY: every other page of one's own record
    # (it asks for IDENTITY by default) stays closed.
    Role.SELF_GUIDED: frozenset({Area.RECOVERY, Area.CLINICAL}),
}


# The one field-level policy (issue #14, SECURITY.md T18): a protected field of the patient's identity is
# shown only to a caller who sees the area named here. Every output (pages, API, FHIR, exports) asks
# `field_visible`.
# A peer specialist (identity and recovery) never gets a record number or a birth date by any route.
PROTECTED_FIELDS: dict[str, Area] = {
    "record_number": Area.CLINICAL,
    "date_of_birth": Area.CLINICAL,
    "phone": Area.CLINICAL,
    "birth_sex": Area.CLINICAL,
    # issue #18: where the person lives, their email and their emergency contact
    "address": Area.CLINICAL,
    "email": Area.CLINICAL,
    "emergency_contact": Area.CLINICAL,
}


# Lane fix35e (review 35e H6): the flags born of the recovery companion (her check-ins and her own request
# for contact), which a role that sees the recovery area sees; every other kind is clinical.
RECOVERY_FLAGS = frozenset({"reported_use", "rising_craving", "worsening_mood", "silence", "contact_request"})


def flags_visible(areas: frozenset[Area]) -> Q | None:
    """The flags (a filter on PatientFlag) a caller who sees `areas` of a record may see and be ranked by
    (the caseload): every kind with the clinical area, the recovery companion's (`RECOVERY_FLAGS`) with the
    recovery area alone; None: none."""
    if Area.CLINICAL in areas:
        return Q()
    if Area.RECOVERY in areas:
        return Q(kind__in=sorted(RECOVERY_FLAGS))
    return None


def field_visible(areas: frozenset[Area], name: str) -> bool:
    """Whether a caller who sees `areas` of a record may see its protected field `name` (a name not in
    `PROTECTED_FIELDS` is a programming error and raises KeyError)."""
    return PROTECTED_FIELDS[name] in areas


def _active(user: User) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def areas_for_role(role: str) -> frozenset[Area]:
    return _AREAS_BY_ROLE.get(role, frozenset())


def _role(user: object) -> str:
    """The caller's role ("" for an anonymous visitor or an object with none)."""
    return str(getattr(user, "role", "") or "")


def areas_of(user: object) -> frozenset[Area]:
    """The parts of a record the caller's role sees (scope apart): `areas_for_role` of the caller's role."""
    return areas_for_role(_role(user))
