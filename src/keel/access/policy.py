"""The one access policy: who may read or write which part of which patient's record.

Every view, API route, CLI command and export asks this module; nothing else decides access.
Deny by default. Out-of-scope records are indistinguishable from missing ones (404, no data).

Scope rules (issue #2):
- a patient: only their own record, taken from the session;
- counselor, nurse, prescriber: patients of their programs whose care team they are on;
- peer specialist: the same patients, recovery-support parts and identity only;
- program admin: every patient of their programs;
- auditor: no patient content; the audit trail of their programs;
- a self-guided account (issue #20): its own recovery companion only (check-ins, progress, CBT tools, plan,
  meetings), from the session; it is in no program (its record lives in a personal space no staff member can
  belong to), so no staff role ever sees it, unless the person joins a program and signs to bring it;
- nothing ever crosses programs.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, NoReturn, TypeGuard

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from keel.access.errors import NotAllowed as AccessNotAllowed
from keel.accounts.models import CLINICAL_ROLES, OWN_PATIENT, Program, ProgramMembership, Role, User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.db import rows
from keel.patients.models import (
    DEATH_RECORDED,
    DEATH_RECORDED_SQL,
    CareTeamMember,
    EmergencyAccess,
    EndReason,
    FlagKind,
    Patient,
    death_recorded,
)


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


def field_visible(areas: frozenset[Area], name: str) -> bool:
    """Whether a caller who sees `areas` of a record may see its protected field `name` (a name not in
    `PROTECTED_FIELDS` is a programming error and raises KeyError)."""
    return PROTECTED_FIELDS[name] in areas


class PatientNotFound(Http404):
    """Raised for a record that does not exist or is outside the caller's scope; the two look the same."""

    def __init__(self) -> None:
        super().__init__("Not found.")


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


def _audit_read(
    user: User, patient: Patient, action: Action, target_type: str, target_id: str | int | None
) -> None:
    # A clinician who sees this record only through emergency access: the read's audit row says so.
    reason = "emergency access" if getattr(patient, "keel_off_team", False) else ""
    target = target_id if target_id is not None else ""
    audit.record_for_patient(user, patient, action, target_type, target, reason=reason)


def get_patient_or_404(
    user: User,
    patient_id: int | str,
    *,
    area: Area = Area.IDENTITY,
    action: Action = Action.READ,
    target_type: str = "patient",
    target_id: str | int | None = None,
    prefetch: tuple[Any, ...] = (),
    audit_success: bool = True,
) -> Patient:
    """Load one patient in the user's scope and audit the read; out of scope: audit a denial, raise 404.

    `prefetch` names related rows to load in the same scoped query (Prefetch objects or lookups).
    """
    try:
        pk = int(patient_id)
    except (TypeError, ValueError):
        raise PatientNotFound() from None
    clinical = _active(user) and user.role in CLINICAL_ROLES
    if not prefetch and clinical_scope_sql(user, area, pk):
        patient = _clinical_patient(user, pk)  # every clinical write runs this: hand-written, the same answer
    else:
        scoped = patients_visible_to(user, area).select_related("program").prefetch_related(*prefetch)
        if clinical:  # in the same query: is it an emergency-access read?
            on_team = CareTeamMember.objects.filter(user=user, patient=OuterRef("pk"))
            scoped = scoped.annotate(keel_off_team=~Exists(on_team))
        patient = scoped.filter(pk=pk).first()
    if patient is None:
        audit.record(
            actor=user,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            target_type=target_type,
            target_id=target_id if target_id is not None else pk,
            reason=f"{action} {area}: outside scope or missing",
            detail={"requested_patient_id": pk},
        )
        raise PatientNotFound()
    if user.role in (Role.PATIENT, Role.SELF_GUIDED) and death_recorded(patient.pk):
        # Her own record by another route than own_patient_or_404 (FHIR's Patient, $everything): the same
        # refusal after a death recorded by any path (lane perf28's finding).
        _refuse_after_death(user, patient, action, target_type, target_id)
    if audit_success:
        _audit_read(user, patient, action, target_type, target_id)
    return patient


_BIGINT = (-(2**63), 2**63 - 1)  # an id outside it matches no row (the ORM's answer; the driver would raise)
# patients_visible_to's scope for a clinician (care team or open emergency access, inside the clinician's
# programs, never a personal space) for one id, the program joined, and whether the clinician is off the
# care team: the ORM's statement in get_patient_or_404, hand-written (tests/access/test_scoped_patient_sql).
# The WHERE part on its own (CLINICAL_SCOPE_WHERE, its parameters from `clinical_scope_params`) is the same
# scope for a statement that reads more than the patient (the dosing window's swapped row, issue #13).
CLINICAL_SCOPE_WHERE = (
    'p."id" = %s AND p."program_id" IN (SELECT m."program_id" FROM "accounts_programmembership" m '
    'JOIN "accounts_program" q ON q."id" = m."program_id" WHERE m."user_id" = %s AND q."is_personal" = %s) '
    'AND (p."id" IN (SELECT c."patient_id" FROM "patients_careteammember" c WHERE c."user_id" = %s) '
    'OR p."id" IN (SELECT x."patient_id" FROM "patients_emergencyaccess" x WHERE x."user_id" = %s '
    'AND x."expires_at" > %s AND x."ended_at" IS NULL))'
)
_CLINICAL_SCOPE = (
    'FROM "patients_patient" p JOIN "accounts_program" g ON g."id" = p."program_id" WHERE '
    + CLINICAL_SCOPE_WHERE
    + " LIMIT 1"
)
OFF_TEAM = (
    'NOT EXISTS (SELECT 1 FROM "patients_careteammember" t '
    'WHERE t."user_id" = %s AND t."patient_id" = p."id")'
)


def clinical_scope_sql(user: User, area: Area, pk: int) -> bool:
    """Whether `patients_visible_to(user, area)` for the one id `pk` is CLINICAL_SCOPE_WHERE (a clinician,
    an area of the role, an id a bigint holds): the hand-written reads' condition; else the ORM answers."""
    return (
        _active(user)
        and user.role in CLINICAL_ROLES
        and area in areas_for_role(user.role)
        and (_BIGINT[0] <= pk <= _BIGINT[1])
    )


def clinical_scope_params(user: User, pk: int) -> list[Any]:
    """CLINICAL_SCOPE_WHERE's parameters, in order (now: the emergency access's expiry)."""
    return [pk, user.pk, False, user.pk, user.pk, connection.ops.adapt_datetimefield_value(timezone.now())]


def _clinical_patient(user: User, pk: int) -> Patient | None:
    found = rows.fetch(
        _CLINICAL_SCOPE,
        [user.pk, *clinical_scope_params(user, pk)],
        (Patient, "p"),
        (Program, "g"),
        extra=(OFF_TEAM,),
    )
    if not found:
        return None
    patient, program, off_team = found[0]
    Patient.program.field.set_cached_value(patient, program)
    patient.keel_off_team = bool(off_team)
    return patient  # type: ignore[no-any-return]


class ActionNotAllowed(AccessNotAllowed, PermissionDenied):
    """The record is in scope but the caller's role may not do this to it (403; the denial is audited)."""


def get_patient_for_action_or_404(
    user: User,
    patient_id: int | str | None,
    action: Action,
    *,
    area: Area = Area.IDENTITY,
    target_type: str = "patient",
    target_id: str | int | None = None,
    allowed: bool | Callable[[User, Patient], bool] = True,
    what: str = "",
    error: Callable[[str], Exception] = ActionNotAllowed,
    message: str = "",
    emergency_access: bool = False,
    emergency_what: str = "",
    audit_success: bool = True,
) -> Patient:
    """The one getter for a patient an action is about (as healthchecks' `_get_rw_check_for_user`).

    `patient_id=None` is the signed-in person's own record, taken from the session (`own_patient_or_404`);
    any other id is scoped by the policy (`get_patient_or_404`: out of scope or missing, the denial is audited
    and PatientNotFound raised, a 404). In scope, the role first: `allowed` False (or, a callable, False for
    (user, patient)) means the caller's role may not do `what`: the denial is audited against the patient and
    `error(message)` raised (ActionNotAllowed, a 403, unless the app names its own). Then emergency access:
    unless `emergency_access` is True (a read in an emergency), a clinician who reaches the record only
    through break-the-glass is refused the same way (audited "emergency access: may not `emergency_what`",
    `what` unless named). Success is audited as `action` unless `audit_success=False` (a write that
    records what it did itself)."""
    if patient_id is None:
        patient = own_patient_or_404(
            user, area=area, action=action, target_type=target_type, target_id=target_id, audit_success=False
        )
    else:
        patient = get_patient_or_404(
            user,
            patient_id,
            area=area,
            action=action,
            target_type=target_type,
            target_id=target_id,
            audit_success=False,
        )
    if allowed is not True and not (allowed(user, patient) if callable(allowed) else allowed):
        _refuse(user, patient, target_type, target_id, f"role may not {what or action}")
        raise error(message or f"Your role cannot {what or action}.")
    if not emergency_access and patient_id is not None and through_emergency_access(user, patient):
        _refuse(
            user,
            patient,
            target_type,
            target_id,
            f"emergency access: may not {emergency_what or what or action}",
        )
        raise error(gettext("Emergency access is for reading the record. Only the care team can do this."))
    if audit_success:
        _audit_read(user, patient, action, target_type, target_id)
    return patient


def _refuse(user: User, patient: Patient, target_type: str, target_id: str | int | None, reason: str) -> None:
    target = target_id if target_id is not None else ""
    audit.record_for_patient(
        user, patient, Action.DENIED, target_type, target, outcome=Outcome.DENIED, reason=reason
    )


def row_not_theirs(
    user: User, patient: Patient, target_type: str, target_id: str | int = "", *, reason: str
) -> NoReturn:
    """A row of this patient's record (a dose, a take-home plan, an appointment, a consent) that is missing or
    another patient's: the same answer as a patient out of scope. The denial is audited against the patient
    (`Action.DENIED`, outcome denied, the fixed words of `reason`; no `target_id`: the patient's) and
    PatientNotFound raised, a 404. The lookup stays the caller's (a row, an `exists()`, a locked row); a
    caller that looks inside a transaction calls this once the transaction is over, so the denial's row
    stays."""
    audit.record_for_patient(
        user, patient, Action.DENIED, target_type, target_id, outcome=Outcome.DENIED, reason=reason
    )
    raise PatientNotFound()


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


def audit_list_read(
    user: User,
    *,
    target_type: str,
    patient_ids: list[int],
    target_id: str = "",
    detail: dict[str, Any] | None = None,
    emergency_ids: list[int] | None = None,
    programs: dict[int, int] | None = None,
) -> None:
    """The one audit row for a read that shows many patients (lists, the dosing window, FHIR searches); the
    ones seen only through emergency access are named and the row is marked through emergency access (its
    sealed field, as `get_patient_or_404` marks a single read: SECURITY.md T12, review 19b). `emergency_ids`:
    those ids (sorted), when the caller's own statement asked it (the dosing window's swapped row); else
    `emergency_only_ids` reads them.

    `programs` (each listed patient's program id, which the caller's read already holds): a list of one
    program's people is that program's row (on its chain, with its id), so it stays in that program's trail
    after its reader leaves and never shows in another's (review 19b). A list spanning several programs (a
    clinician of two) stays one row of no program, shown by its reader's programs, as is a list of no one:
    one audit row per read (review 21 holds it), and no statement added.
    (Left open: such a row leaves a program's trail when its reader leaves that program.)"""
    emergency = emergency_only_ids(user, patient_ids) if emergency_ids is None else emergency_ids
    owners = {programs[pk] for pk in patient_ids} if programs is not None else set()
    shown: dict[str, Any] = {**(detail or {}), "patient_ids": patient_ids}
    if emergency:
        shown["emergency_patient_ids"] = emergency
    audit.record(
        actor=user,
        action=Action.READ,
        program_id=owners.pop() if len(owners) == 1 else None,
        target_type=target_type,
        target_id=target_id,
        detail=shown,
        through_emergency=bool(emergency),  # the sealed field: the "Only emergency access" view lists it
    )


def list_patients_audited(
    user: User, *, area: Area = Area.IDENTITY, prefetch: tuple[Any, ...] = (), where: Any = None
) -> list[Patient]:
    """The caller's visible patients (narrowed by `where`, a Q, when given), with one audit row for the list
    naming the ids shown."""
    visible = patients_visible_to(user, area)
    if where is not None:
        visible = visible.filter(where)
    patients = list(visible.select_related("program").prefetch_related(*prefetch))
    audit_list_read(
        user,
        target_type="patient_list",
        patient_ids=[p.pk for p in patients],
        programs={p.pk: p.program_id for p in patients},
    )
    return patients


def list_patient_values_audited(
    user: User, *fields: str, area: Area = Area.IDENTITY, where: Q | None = None
) -> list[tuple[Any, ...]]:
    """`list_patients_audited` as plain values: the same people, the same one audit row naming them, each
    as a tuple of (pk, *fields) instead of a Patient, in no order (the caseload, issue #21)."""
    visible = patients_visible_to(user, area)
    if where is not None:
        visible = visible.filter(where)
    # In no order (the caller orders them; sorting 100,000 people by name spilled to disk, issue #21); the
    # audit row names them by id, in order.
    found = list(visible.order_by().values_list("pk", "program_id", *fields))
    programs = {p[0]: p[1] for p in found}  # the read is its programs' to audit (review 19b)
    audit_list_read(user, target_type="patient_list", patient_ids=sorted(programs), programs=programs)
    return [(p[0], *p[2:]) for p in found]


def own_patient_or_404(
    user: User,
    *,
    area: Area = Area.IDENTITY,
    action: Action = Action.READ,
    target_type: str = "patient",
    target_id: str | int | None = None,
    prefetch: tuple[Any, ...] = (),
    audit_success: bool = True,
) -> Patient:
    """The signed-in person's own record, taken from the session, never from the request: a patient's, or a
    self-guided account's for the areas of its companion (`area`)."""
    if not _active(user) or user.role not in (Role.PATIENT, Role.SELF_GUIDED):
        raise PatientNotFound()
    if area not in areas_for_role(user.role):
        raise PatientNotFound()
    # Read with the user by the API's token sign-in (`user_for_token`, the same row), taken once: a later call
    # in the same request reads it again.
    patient: Patient | None = user.__dict__.pop(OWN_PATIENT, None)
    if patient is None:
        # Every patient request runs this: hand-written SQL (keel.db.rows), the program joined as
        # select_related.
        found = rows.fetch(
            'FROM "patients_patient" p JOIN "accounts_program" g ON g."id" = p."program_id" '
            'WHERE p."user_id" = %s ORDER BY p."id" LIMIT 1',
            [EndReason.DECEASED.value, user.pk],
            (Patient, "p"),
            (Program, "g"),
            extra=(DEATH_RECORDED_SQL,),
        )
        if not found:
            raise PatientNotFound()
        patient = found[0][0]
        program: Program = found[0][1]
        Patient.program.field.set_cached_value(patient, program)
        patient.__dict__[DEATH_RECORDED] = bool(found[0][2])
    if patient.__dict__.get(DEATH_RECORDED):
        _refuse_after_death(user, patient, action, target_type, target_id)
    if prefetch:
        prefetch_related_objects([patient], *prefetch)
    if audit_success:
        _audit_read(user, patient, action, target_type, target_id)
    return patient


def _refuse_after_death(
    user: User, patient: Patient, action: Action, target_type: str, target_id: str | int | None
) -> NoReturn:
    """After a death is recorded (an episode ended `deceased`), nothing is read or written in the person's
    name by her own account (lane dead27): recording the death turns the account off (`episodes.discharge`);
    this refuses, audited, a request that still comes in her name (an episode ended by another path)."""
    audit.record_for_patient(
        user,
        patient,
        Action.DENIED,
        target_type,
        target_id="" if target_id is None else target_id,
        outcome=Outcome.DENIED,
        reason="own account after a death was recorded",
        detail={"action": str(action)},
    )
    raise ActionNotAllowed(gettext("This account is closed. Talk to the program if you have questions."))


# --- Actions inside a record ---------------------------------------------------------------------------

# Instruments a person may fill about themselves (issue #3); the rest are clinician-rated.
SELF_REPORT_INSTRUMENTS = frozenset({"sows", "bam", "phq9", "gad7", "cssrs-screen", "dsm5-oud"})
_ASSESSING_ROLES = frozenset({Role.COUNSELOR, Role.NURSE, Role.PRESCRIBER})


def can_record_assessment(user: User, instrument: str) -> bool:
    """Patients file their own self-report instruments; counselors, nurses and prescribers file any
    instrument for patients on their care team (scope is checked separately)."""
    if not _active(user):
        return False
    if user.role == Role.PATIENT:
        return instrument in SELF_REPORT_INSTRUMENTS
    return user.role in _ASSESSING_ROLES


_DOSING_ROLES = frozenset({Role.NURSE, Role.PRESCRIBER})


def can_record_dose(user: User) -> bool:
    """Nurses and prescribers give and record doses (and amend them); counselors and others do not."""
    return _active(user) and user.role in _DOSING_ROLES


def can_record_brought_back(user: User) -> bool:
    """Take-home bottles brought back (lane end26): the nurse at the window receives them, so nurses and
    prescribers record them, as they record doses; ending a plan stays the prescriber's (`can_prescribe`)."""
    return _active(user) and user.role in _DOSING_ROLES


def can_prescribe(user: User) -> bool:
    """Orders, guard-rail overrides and take-home decisions are the prescriber's (the OTP practitioner)."""
    return _active(user) and user.role == Role.PRESCRIBER


def can_record_measurement(user: User) -> bool:
    """QTc and similar measurements: nurses and prescribers."""
    return _active(user) and user.role in _DOSING_ROLES


def _admin_of(user: User, program_id: int) -> bool:
    return (
        _active(user)
        and user.role == Role.PROGRAM_ADMIN
        and ProgramMembership.objects.filter(user=user, program_id=program_id).exists()
    )


def can_change_policy(user: User, program_id: int) -> bool:
    """Program policy is changed only by an admin of that program."""
    return _admin_of(user, program_id)


def can_view_measures(user: User, program_id: int) -> bool:
    """A program's quality measures (counts and monthly series, no one named): its program admins, the
    director's role."""
    return _admin_of(user, program_id)


def can_disclose(user: User) -> bool:
    """Releasing information outside the program (with a consent, or in a medical emergency): counselors,
    nurses and prescribers (scope is checked apart). Admins, peers and auditors never disclose."""
    return _active(user) and user.role in _ASSESSING_ROLES


def can_record_written_revocation(user: User, patient: Patient) -> bool:
    """A revocation the patient made in writing stops sharing; it is in force when the program receives it
    (42 CFR 2.31(a)(6)), so it is entered by whoever of the program holds the letter: the roles that disclose
    (counselors, nurses, prescribers; scope is checked apart) and the admins of the patient's program, who run
    the Part 2 program (review 25b, H4). Peers and auditors never release records and enter no revocation."""
    return can_disclose(user) or _admin_of(user, patient.program_id)


def can_review_emergencies(user: User, program_id: int) -> bool:
    """Uses of emergency powers (break-the-glass, emergency disclosures) are attested by a program admin of
    that program; never by the person who used them (`EmergencyReview` refuses it too)."""
    return _admin_of(user, program_id)


def can_request_emergency_access(user: User) -> bool:
    """Break-the-glass is for clinicians: counselors, nurses and prescribers of the patient's program."""
    return _active(user) and user.role in CLINICAL_ROLES


def can_write_care_record(user: User) -> bool:
    """Intakes and care-plan goals: counselors, nurses and prescribers (scope is checked apart)."""
    return _active(user) and user.role in _ASSESSING_ROLES


def registering_programs(user: User) -> list[Program]:
    """The programs in which this person may register (admit) a patient at the front desk (issue #18): their
    own programs, for program admins and for counselors, nurses and prescribers. Never a personal space."""
    if not may_register_patients(user):
        return []
    return list(Program.objects.filter(id__in=program_ids_of(user)).order_by("name"))


def can_register_patient(user: User, program_id: int) -> bool:
    return any(p.pk == program_id for p in registering_programs(user))


def can_manage_care_team(user: User, program_id: int) -> bool:
    """Who is on a patient's care team is decided by the program's admins (scope is checked apart)."""
    return _admin_of(user, program_id)


def may_manage_care_teams(user: User) -> bool:
    """The role part of `can_manage_care_team`, for a route that learns the program from its body: only an
    active program admin may go on to have the body read (review 14a, hole 11)."""
    return _active(user) and user.role == Role.PROGRAM_ADMIN


def works_in_other_programs(staff: User, program_id: int) -> bool:
    """Whether a staff member also works in programs other than this one: what is theirs, not the program's
    (their role, their account, their two-step sign-in), this program's admins do not change (a role change
    and a second-factor reset are refused, review 21p; turning the account off ends only the membership
    here). Programs are isolated from each other (SECURITY.md)."""
    return ProgramMembership.objects.filter(user=staff).exclude(program_id=program_id).exists()


def works_beyond_admin(admin: User, staff: User) -> bool:
    """Whether a staff member works in any program `admin` is not an admin of. A second-factor reset protects
    the records of every program the person works in, so it is one for an admin of all of them (review 21p
    refused it to an admin of one; a person in two programs who loses their phone is reset by an admin of
    both, never by an admin of one alone)."""
    if not (_active(admin) and admin.role == Role.PROGRAM_ADMIN):
        return True
    theirs = ProgramMembership.objects.filter(user=staff).values("program_id")
    admins = ProgramMembership.objects.filter(user=admin).values("program_id")
    return theirs.exclude(program_id__in=admins).exists()


def can_manage_staff(user: User, program_id: int) -> bool:
    """Inviting staff, changing roles and turning accounts off: the program's admins (issue #18)."""
    return _admin_of(user, program_id)


def program_of_admin(
    user: User, slug: str, *, target_type: str, error: Callable[[str], Exception], message: str
) -> Program:
    """The program (never a personal space) named by `slug`, for one of its admins (`can_manage_staff`): its
    staff and its settings. No such program, or anyone else, is refused alike: a `denied` audit row
    (`target_type`, the program's id when there is one, "not a program admin of this program") and
    `error(message)` raised (a 403)."""
    program = Program.objects.filter(slug=slug, is_personal=False).first()
    if program is None or not can_manage_staff(user, program.pk):
        audit.record(
            actor=user,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            target_type=target_type,
            program_id=program.pk if program else None,
            reason="not a program admin of this program",
        )
        raise error(message)
    return program


def can_manage_episode(user: User, program_id: int) -> bool:
    """Discharge and readmission: the program's admins, and counselors, nurses and prescribers (scope, the
    clinical area of the record, is checked apart)."""
    return _admin_of(user, program_id) or (_active(user) and user.role in CLINICAL_ROLES)


def can_undo_death(user: User, program_id: int) -> bool:
    """Undoing a death recorded by mistake (lane dead29b, `patients.services.deaths.undo_death`): the
    program's admins only, never a clinician (the one who recorded it may have picked the wrong person)
    and never through emergency access."""
    return _admin_of(user, program_id)


def can_reset_patient_second_factor(user: User, patient: Patient) -> bool:
    """A patient who lost their authenticator: a counselor, nurse or prescriber on their care team, after
    checking who they are (issue #18). Never through emergency access: the care team only."""
    return (
        _active(user)
        and user.role in CLINICAL_ROLES
        and CareTeamMember.objects.filter(user=user, patient=patient).exists()
    )


def can_schedule_appointment(user: User) -> bool:
    """Scheduling, moving and closing appointments (issue #19): counselors, nurses and prescribers, and the
    program's admins (the front desk); scope, the clinical area of the record, is checked apart."""
    return _active(user) and user.role in CLINICAL_ROLES | {Role.PROGRAM_ADMIN}


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


# Flags whose resolution is a prescriber's assessment (the flag says so): no other role resolves them.
PRESCRIBER_ONLY_FLAGS = frozenset({FlagKind.DOSE_HELD})


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


def may_take_whole_record(user: User) -> bool:
    """A whole record at once (FHIR `$everything`, what leaves in an export): the person themselves, and the
    roles that may release a record (`can_disclose`); admins, peers and auditors read per resource."""
    return is_program_patient(user) or can_disclose(user)


class TokenUse(StrEnum):
    """What a JSON API route does, as `bound_token_may` asks it."""

    RELEASE = "release"  # releases a record: the FHIR export, the progress-report disclosure
    TOKENS = "tokens"  # the caller's API tokens themselves: listed, revoked
    OTHER = "other"  # everything else: the patient list, a record's reads, every other write
    # lane fix25e (review 25d H3, H2): a desk action, for a person standing at the desk: a credential handed
    # after an identity check (a password-reset or activation code, a second factor reset), a registration
    # (its notice and consent given there; its duplicate check says who is in care); lane tok26: a staff
    # member's access handed by a program admin (an invitation, a role)
    DESK = "desk"
    # lane tok26: a write that names the version of the person's record its writer read (an order's
    # `orders_version`) and answers with what the record holds
    VERSIONED = "versioned"
    # lane fix26a (review 26a): a write an integration does with a staff member's token (a dispensing system
    # recording a dose), marked `api_auth.token_may_write` with its reason; every other write is refused to a
    # staff token (`staff_writes`)
    WRITE = "write"


def bound_token_may(
    *,
    bound_to: str,
    use: TokenUse,
    staff_reads: bool = False,
    by_token: bool = False,
    staff_writes: bool = False,
) -> bool:
    """What a token may do on the JSON API and on FHIR: the one definition of a token's read (review 22f,
    review 25b H1). What a staff member's API token reads of a person's record is another system receiving
    it: a release to a recipient, under the person's consent, written in their accounting of disclosures
    (SECURITY.md T19: a record that leaves the program in any form is a disclosure), made only through the
    release functions FHIR uses (each checks the consent and the token's recipient; a token issued with no
    recipient releases nothing, `accounts.token_releases_to`). So a staff token's read that is no release
    (`staff_reads`: the JSON API's patient list and a record's reads; FHIR's reads of a person's record are
    releases already, `interop.rest.auth.use_of`) is refused, 403 audited: FHIR refused an unbound nurse's
    token without a consent while the JSON API gave it the same record with none (review 25b, H1). The staff
    member's own reading within the program is the app, signed in. An unbound staff token wrote its role's
    writes until lane fix26a (now only the allow list below); a token bound to a recipient
    (review 20c) does only its releases and sees and revokes itself (`managed_token`). A patient's own token
    reads and writes their own record (their own access, no disclosure).

    Lane fix25e (review 25d H3, H2): a desk action (`TokenUse.DESK`: a one-time code or a second factor reset
    handed to a person the staff member has identified at the desk; a registration, its notice and consent
    given at the desk) is refused to every token (`by_token`), bound or not: no system can check who stands
    at the desk; the credential would be the whole record (a patient's account), and the registration's
    duplicate check would say who is in care, with no consent and no accounting row. Only a session. Lane
    tok26: so is a staff member's access (an invitation, a role change: an account in the program, or more of
    one, handed to a person; a stolen admin token would hand itself colleagues).

    Lane tok26 (review 25d H4): a write that names the version of the person's record its writer read
    (`TokenUse.VERSIONED`: a medication order's `orders_version`) is refused to every token too: a staff
    token reads no person, so any version it sends is forged, and every answer such a write gives reads the
    record (a 409 that some order exists, a 201 that none did and the version now, a warning of the bottles
    at home, a QTc refusal). Refused before the person or the version is read, the answer is the same
    whatever the record holds.

    Lane fix26a (review 26a: a token recorded a paper consent, readmitted a person attesting notice and
    consent, broke the glass, invited staff and changed roles, each a write no route had refused): a staff
    member's token writes by an allow list, as it reads: `staff_writes` (a staff token's write, not the
    caller's own `/me` nor their tokens) is refused unless the route is `TokenUse.WRITE` (marked
    `api_auth.token_may_write` with the integration it serves). Everything else is done in Keel by a staff
    member signed in. A patient's own token is no staff token (`token_is_staffs`): unchanged."""
    if use in (TokenUse.DESK, TokenUse.VERSIONED):
        return not by_token
    if use in (TokenUse.RELEASE, TokenUse.TOKENS):
        return True
    if staff_writes and use != TokenUse.WRITE:
        return False
    return not bound_to and not staff_reads


def token_is_staffs(user: object) -> bool:
    """Whether a token's holder is a staff member (the token another system's credential, `bound_token_may`):
    anyone but a program's patient or a self-guided account, whose tokens reach their own record only."""
    return not (is_program_patient(user) or is_self_guided_account(user))


def conflict_may_name_the_record(user: object, *, by_token: bool) -> bool:
    """Lane fix25e (review 25d H4): whether a write's 409 (a stale version) may say what the record is now
    (an order's newest dose, who wrote it): for a caller who may read it; not for a staff member's token,
    which reads no person (`bound_token_may`): a forged old version would make every conflict a read.

    Lane fix26a (review 26a H5, H7): the one rule for every refusal of a write that depends on the record
    (a stale version, the dose guard rail's `DoseBlocked`, a slot already recorded, a plan already ended):
    `keel.api`'s error handlers ask it, never a route. A staff token learns only that nothing was recorded
    because a check refused it, and that a nurse sees why in Keel: a forged write would make every refusal a
    read (the order's dose, whether she dosed today).

    Lane tok27: and what a write that succeeded answers the same caller (a dose recorded by a dispensing
    system: its id, day, slot, status, mg and time, never the order's decision or the corrections)."""
    return not (by_token and token_is_staffs(user))


def raw_counts_may_go_to(*, by_token: bool) -> bool:
    """Lane fix26a (review 26a H6): the measures' counts from 1 to 10 unsuppressed (`counts=raw`, a program
    admin's choice recorded on the audit row) go to a caller signed in, never to a token (another system):
    with a narrow window and a small program a cell is a person, and `reads_no_one` assumes suppressed
    counts. A token asks without `counts=raw`."""
    return not by_token


def managed_token(*, bound_to: str, own_token: int | None) -> int | None:
    """Which of its staff member's tokens a caller lists and revokes (review 22g): a token bound to a
    recipient (another system's release credential) only itself, its own id (it may always be ended by
    whoever holds it, but the other systems' credentials, the recipients they release to and the staff
    member's own tokens are not its to see or end); a session or an unbound token every token of theirs
    (None)."""
    return own_token if bound_to else None


def may_read_audit_trail(user: object) -> bool:
    """The role part of `audit_program_ids`: auditors and program admins."""
    return _role(user) in {Role.AUDITOR, Role.PROGRAM_ADMIN}


def administers_a_program(user: object) -> bool:
    """A program admin: the program's staff, settings, care teams, measures, emergency reviews and directory
    (each of those checks the program apart)."""
    return _role(user) == Role.PROGRAM_ADMIN


def staff_nav(user: object) -> dict[str, bool]:
    """Which links of the staff pages' menu (web/_staff_nav.html) the caller sees: the same decisions the
    routes make, by name (each route still checks for itself)."""
    admin = administers_a_program(user)
    staff = user if isinstance(user, User) else None  # an anonymous visitor: no signed-in decision holds
    return {
        "patients": not reads_only_the_audit_trail(user),
        "register": staff is not None and may_register_patients(staff),
        "audit_trail": may_read_audit_trail(user),
        "staff": admin,
        "care_teams": admin,
        "program_settings": admin,
        "measures": may_view_measures(user),
        "emergency_reviews": admin,
        "directory": may_import_feeds(user),
        "emergency_access": staff is not None and can_request_emergency_access(staff),
        "dosing": staff is not None and can_record_dose(staff),
        "program_policy": not reads_only_the_audit_trail(user),
    }
