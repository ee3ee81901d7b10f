"""The patient an action or a read is about, fetched through the policy and audited (as healthchecks'
`_get_rw_check_for_user`): one in scope (`get_patient_or_404`), one for an action by role and not through
emergency access (`get_patient_for_action_or_404`), the signed-in person's own (`own_patient_or_404`, refused
after a death recorded), and a row of the record that is not theirs (`row_not_theirs`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, TypeAlias

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext

from keel.access.errors import NotAllowed as AccessNotAllowed
from keel.access.policy.actions import can_register_patient
from keel.access.policy.areas import Area, _active, areas_for_role
from keel.access.policy.clinical_sql import _clinical_patient, clinical_scope_sql
from keel.access.policy.emergency import marked_off_team, through_emergency_access, without_emergency_only
from keel.access.policy.scope import PatientNotFound, patients_visible_to
from keel.accounts.models import OWN_PATIENT, Program, Role, User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.digits import ascii_digits
from keel.core.words import gettext_noop as N_
from keel.db import rows
from keel.patients.models import (
    DEATH_RECORDED,
    DEATH_RECORDED_SQL,
    EndReason,
    Patient,
    death_recorded,
)
from keel.sharing.carried import leaves_the_program

# The accounts a record is her own to (refused after a death recorded: `refuse_own_after_death`).
_OWN_ACCOUNT_ROLES = (Role.PATIENT, Role.SELF_GUIDED)

# What a scoped read also loads in its query (`prefetch`): a lookup's name or a Prefetch with its queryset.
PrefetchLookup: TypeAlias = str | Prefetch[str]


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
    prefetch: tuple[PrefetchLookup, ...] = (),
    audit_success: bool = True,
) -> Patient:
    """Load one patient in the user's scope and audit the read; out of scope: audit a denial, raise 404.

    `prefetch` names related rows to load in the same scoped query (Prefetch objects or lookups).
    """
    try:
        pk = int(patient_id)
    except (TypeError, ValueError):
        raise PatientNotFound() from None
    if not prefetch and clinical_scope_sql(user, area, pk):
        patient = _clinical_patient(user, pk)  # every clinical write runs this: hand-written, the same answer
    else:
        scoped = patients_visible_to(user, area).select_related("program").prefetch_related(*prefetch)
        # in the same query: is it an emergency-access read?
        patient = marked_off_team(user, scoped).filter(pk=pk).first()
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
    # Her own record by another route than own_patient_or_404 (FHIR's Patient, $everything): the same
    # refusal after a death recorded by any path (lane perf28's finding).
    refuse_own_after_death(user, patient, action, target_type, target_id)
    if audit_success:
        _audit_read(user, patient, action, target_type, target_id)
    return patient


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


def may_still_give_code_for(user: User, patient: Patient) -> bool:
    """What the code routes ask (`get_patient_for_action_or_404` with `can_register_patient`, never through
    emergency access), asked again of a giver read afresh as her code is stored (lane fix37l, re37q 1):
    active, in the program, a role that gives codes, and the record in her scope (on its care team, or its
    program's admin), not only through break-the-glass."""
    if not can_register_patient(user, patient.program_id):
        return False
    return without_emergency_only(user, patients_visible_to(user)).filter(pk=patient.pk).exists()


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


def own_patient_or_404(
    user: User,
    *,
    area: Area = Area.IDENTITY,
    action: Action = Action.READ,
    target_type: str = "patient",
    target_id: str | int | None = None,
    prefetch: tuple[PrefetchLookup, ...] = (),
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


def reads_her_own_record(user: User, patient: Patient) -> bool:
    """The reader is the person herself (her own account, a patient's or self-guided), not staff: her own copy
    of the record, whatever the route (/api/v1/me/fhir, /fhir/R4 by her token or session). The one
    definition of `Record.own` (lanes fix38d, fix38j): a struck result's content is withheld from her."""
    return user.role in _OWN_ACCOUNT_ROLES and patient.user_id == user.pk


def withholds_struck_content(user: User, patient: Patient) -> bool:
    """The one definition of "withheld" (lane fixpriv39, review rev39b hole 1, the integrator's decision): a
    result struck as entered in error (most often another person's, filed on the wrong record) shows none of
    its answers, total, band or item values in her own copy (`reads_her_own_record`) and in anything that
    leaves the program (a release, whatever its route or basis: `sharing.carried.leaves_the_program`); it
    stays, marked entered in error, so a recipient can retract an earlier copy. Staff reading inside the
    program see it whole, marked. `Record.own` is this answer."""
    return reads_her_own_record(user, patient) or leaves_the_program()


# Lane ownapi39 (review 37f, the integrator's decision): her own account on a staff view of the record.
STAFF_VIEW = "own account: a staff view of the record"
STAFF_VIEW_SAID = N_("This is the care team's view of a record. Your own record is at /api/v1/me.")
STAFF_PAGE_SAID = N_("This is the care team's view of a record. Your own record is at /me/.")


def refuse_staff_view_to_own_account(
    user: User, route: str, patient_id: str | None, *, page: bool = False
) -> None:
    """What she reads of her own record is what her own pages show (/me/..., the API's /api/v1/me/...): one
    definition, whatever the route. Her own account (a patient's or self-guided) on any other route that
    names people (the caseload, the patient list, /api/v1/patients/{id}/..., flags, audit: a staff view) is
    refused, asked before the body or the record is read: a record that is not hers (`patient_id` another's
    or missing) is a 404 as any record out of scope (`get_patient_or_404`'s denial); her own record or a
    list, a 403 (`ActionNotAllowed`), audited as a denial on her record. Staff are not asked (no query).
    `page`: a staff HTML page (`/patients/...`, lane fixpriv39: `keel.web.middleware.StaffPagesMiddleware`),
    its 403 saying her own record is at /me/."""
    if user.role not in _OWN_ACCOUNT_ROLES:
        return
    rows = Patient.objects.filter(user=user)  # a list: the denial is on her own record
    if patient_id is not None:
        rows = Patient.objects.filter(pk=int(patient_id)) if ascii_digits(patient_id) else rows.none()
    patient = rows.order_by("pk").first()
    if patient_id is not None and (patient is None or not reads_her_own_record(user, patient)):
        # another's record or none: `get_patient_or_404`'s own audited denial (her scope holds only hers)
        get_patient_or_404(user, patient_id[:200] if ascii_digits(patient_id) else "", audit_success=False)
        raise PatientNotFound()
    if patient is not None:
        _refuse(user, patient, "staff_page" if page else "api_route", route[:200], STAFF_VIEW)
    else:
        audit.record(
            actor=user,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            target_type="staff_page" if page else "api_route",
            target_id=route[:200],
            reason=STAFF_VIEW,
        )
    raise ActionNotAllowed(gettext(STAFF_PAGE_SAID if page else STAFF_VIEW_SAID))


def refuse_own_after_death(
    user: User, patient: Patient, action: Action, target_type: str, target_id: str | int | None
) -> None:
    """Her own account (a patient's or self-guided) reading her record after a death is recorded on it by any
    path: refused, audited (`_refuse_after_death`). Staff are not asked. Used where her record comes by
    another route than `own_patient_or_404` (a read by id, FHIR, the patient list: lane fix37g)."""
    if user.role in _OWN_ACCOUNT_ROLES and death_recorded(patient.pk):
        _refuse_after_death(user, patient, action, target_type, target_id)


def refuse_own_search_after_death(user: User, target_type: str, target_id: str) -> None:
    """A search over her own account's scope (FHIR's `GET /fhir/R4/Patient` and the other types' searches),
    or a read by id of what her record references, not of the record (FHIR's Organization and Practitioner:
    re38b finding 1), after a death is recorded on her record: refused and audited as the read by id,
    whatever the search's parameters match (lane fix37j). Staff are not asked (no query)."""
    if user.role in _OWN_ACCOUNT_ROLES:
        for patient in patients_visible_to(user):
            refuse_own_after_death(user, patient, Action.READ, target_type, target_id)


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
