"""Decisions by role alone (issue #17), each by name: what an account is (a program's patient, a self-guided
account, an auditor), flags, registration, link codes, the directory's feeds, measures and the audit trail.
No role is compared outside `keel.access` (tests/access/test_role_checks_live_in_policy.py).
"""

from __future__ import annotations

from typing import TypeGuard

from keel.access.policy.areas import _active, _role
from keel.accounts.models import CLINICAL_ROLES, Role, User
from keel.patients.models import (
    FlagKind,
)

# --- Decisions by role (issue #17): every access decision that looks at a role is made here, by name -----
# (tests/access/test_role_checks_live_in_policy.py fails on a role compared anywhere else in keel).


def is_program_patient(user: object) -> bool:
    """A patient of a program (their own record, from the session): not a self-guided account, not staff."""
    return _role(user) == Role.PATIENT


def is_self_guided_account(user: object) -> bool:
    """A self-guided account (issue #20): the recovery companion for oneself, in no program."""
    return _role(user) == Role.SELF_GUIDED


def reads_only_the_audit_trail(user: object) -> bool:
    """An auditor: no patient content, the audit trail of their programs (their home page is the trail)."""
    return _role(user) == Role.AUDITOR


# Flags whose resolution is a prescriber's assessment (the flag says so): no other role resolves them (a held
# dose; a first buprenorphine dose whose COWS was later struck or corrected below its threshold, clin34).
PRESCRIBER_ONLY_FLAGS = frozenset({FlagKind.DOSE_HELD, FlagKind.FIRST_DOSE_COWS})


def can_resolve_flags(user: object) -> bool:
    """Resolving a patient's flags (and resetting a patient's second factor from their page): counselors,
    nurses and prescribers (on the care team: scope is checked apart)."""
    return _role(user) in CLINICAL_ROLES


def can_resolve_flag(user: object, kind: str | None) -> bool:
    """Resolving a flag of this kind: `can_resolve_flags`, and a flag only a prescriber resolves
    (PRESCRIBER_ONLY_FLAGS) by a prescriber only."""
    return can_resolve_flags(user) and (kind not in PRESCRIBER_ONLY_FLAGS or _role(user) == Role.PRESCRIBER)


def may_register_patients(user: User) -> bool:
    """The role part of registering a patient at the front desk (`registering_programs`): program admins,
    counselors, nurses and prescribers."""
    return _active(user) and user.role in CLINICAL_ROLES | {Role.PROGRAM_ADMIN}


def registrar_joins_care_team(user: object) -> bool:
    """A clinician who registers someone joins their care team (else the record would vanish from their own
    list); a program admin sees every patient of the program and does not."""
    return _role(user) in CLINICAL_ROLES


def can_give_link_code(user: User) -> bool:
    """A one-time code that links a record to a person's account (the self-guided link code, and the front
    desk's activation and password-reset codes on the patient's page): counselors, nurses, prescribers and
    program admins (scope is checked apart)."""
    return _active(user) and user.role in CLINICAL_ROLES | {Role.PROGRAM_ADMIN}


def may_import_feeds(user: object) -> TypeGuard[User]:
    """Importing a meeting feed or a facility list into the directory: program admins (of their programs)."""
    return isinstance(user, User) and user.role == Role.PROGRAM_ADMIN


def may_view_measures(user: object) -> bool:
    """The role part of `can_view_measures`, asked before the program is read: program admins."""
    return _role(user) == Role.PROGRAM_ADMIN


def may_read_audit_trail(user: object) -> bool:
    """The role part of `audit_program_ids`: auditors and program admins."""
    return _role(user) in {Role.AUDITOR, Role.PROGRAM_ADMIN}


def administers_a_program(user: object) -> bool:
    """A program admin: the program's staff, settings, care teams, measures, emergency reviews and directory
    (each of those checks the program apart)."""
    return _role(user) == Role.PROGRAM_ADMIN
