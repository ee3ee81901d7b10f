"""Reads of patient records, scoped and audited by the access policy, shaped once for pages and the API."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from keel.access import policy
from keel.access.policy import Area
from keel.accounts import queries as account_queries
from keel.accounts.models import CLINICAL_ROLES, Program, Role, User
from keel.accounts.names import staff_name
from keel.audit import services as audit
from keel.audit.models import Action, AuditEvent
from keel.patients import care_gap
from keel.patients.errors import NotAllowed
from keel.patients.flagwords import flag_reasons
from keel.patients.models import (
    CareTeamMember,
    Enrollment,
    EnrollmentStatus,
    Patient,
    PatientFlag,
    PatientPhoto,
    SecondFactorReset,
    day_in,
)

if TYPE_CHECKING:  # the stubs' helper, not needed at run time
    from django_stubs_ext import StrOrPromise

TEAM_ROLES = CLINICAL_ROLES | {Role.PEER_SPECIALIST}  # who may be on a care team


@dataclass(frozen=True)
class EnrollmentView:
    id: int
    program: str
    started_on: date
    ended_on: date | None
    end_reason: str
    status: str
    kind: str = ""  # the kind of care (EpisodeKind); blank on episodes from before issue #18
    kind_label: str = ""


@dataclass(frozen=True)
class CareTeamMemberView:
    """A member of the care team: their id, name, role and its label; `left_on`: for one who left (turned
    off, or no longer working in the program: `care_gap.acts_for_her`), the day they left as the audit
    trail has it (None for a current member, or when no row says it)."""

    id: int
    name: str
    role: str
    role_label: StrOrPromise  # the role's label, translated when shown
    left_on: date | None = None


@dataclass(frozen=True)
class OpenFlagView:
    """An open flag: its kind and label, its reasons as stored and in the reader's language (`words`)."""

    id: int
    kind: str
    label: str
    reasons: list[str]
    words: list[str]
    raised_at: datetime
    version: int  # as read: the resolve form sends it back (`PatientFlag.version`, lane fix38n)


@dataclass(frozen=True)
class ResolvedFlagView:
    """A resolved flag: its reasons in words, when it was raised and resolved, by whom, and the note."""

    id: int
    kind: str
    label: str
    words: list[str]
    raised_at: datetime
    resolved_at: datetime | None
    resolved_by: str
    note: str


@dataclass(frozen=True)
class PatientView:
    """What the caller may see of one patient; clinical fields are None when the role may not see them."""

    id: int
    display_name: str
    program: str
    program_name: str
    areas: tuple[str, ...]
    record_number: str | None = None
    date_of_birth: date | None = None
    pronouns: str | None = None
    enrollment_status: str | None = None
    # protected fields (issue #18): None when the role may not see them or the record has none
    address: dict[str, str] | None = None
    email: str | None = None
    emergency_contact: dict[str, str] | None = None
    enrollments: list[EnrollmentView] = field(default_factory=list)
    care_team: list[CareTeamMemberView] = field(default_factory=list)  # who can act for her now
    past_care_team: list[CareTeamMemberView] = field(default_factory=list)  # who left (review 35d hole 2)
    open_flags: list[OpenFlagView] = field(default_factory=list)
    resolved_flags: list[ResolvedFlagView] = field(default_factory=list)  # the latest, with their notes
    # the caller reaches the record only through emergency access (the record page's banner and its button)
    through_emergency: bool = False
    # her program's zone: the page says every day and time on it (`zone_of`; review 36h hole 1)
    time_zone: str = "UTC"


def _address(patient: Patient) -> dict[str, str] | None:
    parts = {
        "line": patient.address_line,
        "city": patient.city,
        "region": patient.region,
        "postal_code": patient.postal_code,
    }
    return parts if any(parts.values()) else None


def _contact(patient: Patient) -> dict[str, str] | None:
    if not patient.emergency_contact_name:
        return None
    return {
        "name": patient.emergency_contact_name,
        "relationship": patient.emergency_contact_relationship,
        "phone": patient.emergency_contact_phone,
    }


def _view(
    patient: Patient,
    areas: frozenset[Area],
    *,
    full: bool,
    flags: list[PatientFlag] | None = None,
    resolved: list[PatientFlag] | None = None,
) -> PatientView:
    flags = flags or []
    clinical = Area.CLINICAL in areas
    enrollments = list(patient.enrollments.all()) if clinical else []
    active = next((e for e in enrollments if e.status == EnrollmentStatus.ACTIVE), None)
    return PatientView(
        id=patient.pk,
        display_name=patient.display_name,
        program=patient.program.slug,
        program_name=patient.program.name,
        time_zone=patient.program.time_zone,
        areas=tuple(sorted(a.value for a in areas)),
        record_number=patient.record_number if policy.field_visible(areas, "record_number") else None,
        date_of_birth=patient.date_of_birth if policy.field_visible(areas, "date_of_birth") else None,
        pronouns=patient.pronouns or None,
        enrollment_status=(active.status if active else EnrollmentStatus.ENDED) if clinical else None,
        address=_address(patient) if full and policy.field_visible(areas, "address") else None,
        email=(patient.email or None) if full and policy.field_visible(areas, "email") else None,
        emergency_contact=_contact(patient)
        if full and policy.field_visible(areas, "emergency_contact")
        else None,
        enrollments=_enrollment_views(patient, enrollments) if full else [],
        care_team=_care_team_rows(patient, current=True) if full else [],
        past_care_team=_care_team_rows(patient, current=False) if full else [],
        open_flags=[_open_flag_row(f) for f in flags],
        resolved_flags=[_resolved_flag_row(f) for f in resolved or []],
    )


def _enrollment_views(patient: Patient, enrollments: list[Enrollment]) -> list[EnrollmentView]:
    """Each enrollment of the record, as `_view` shows it in full."""
    return [
        EnrollmentView(
            e.pk,
            patient.program.slug,
            e.started_on,
            e.ended_on,
            e.end_reason,
            e.status,
            e.kind,
            e.get_kind_display() if e.kind else "",
        )
        for e in enrollments
    ]


def _care_team_rows(patient: Patient, *, current: bool) -> list[CareTeamMemberView]:
    """The care team's members who can act for her now (`current`), else those who left, each with the day
    (`care_gap.acts_for_her`, read as the `RECORD_PREFETCH` annotation `acts_now`), as `_view` shows them."""
    members = list(patient.care_team.all())
    if all(hasattr(m, "acts_now") for m in members):
        acting = {m.user_id for m in members if getattr(m, "acts_now", False)}
    else:  # read without `RECORD_PREFETCH`: the same definition, asked of the database
        acting = set(
            CareTeamMember.objects.filter(care_gap.acts_for_her(), patient=patient).values_list(
                "user_id", flat=True
            )
        )
    rows = [m for m in members if (m.user_id in acting) is current]
    left = {} if current else _left_on(patient, [m.user_id for m in rows])
    return [
        CareTeamMemberView(
            id=m.user_id,
            name=staff_name(m.user),  # never a username (lane words33)
            role=m.user.role,
            role_label=Role(m.user.role).label,
            left_on=left.get(m.user_id),
        )
        for m in rows
    ]


# The audit reasons of leaving: `accounts.services.deactivate_user` (the account turned off) and
# `accounts.staff._deactivate` (someone working elsewhere too, removed from this program).
_TURNED_OFF, _REMOVED = "deactivated", "removed from the program"


def _left_on(patient: Patient, user_ids: list[int]) -> dict[int, date]:
    """The day (in her program's time zone) each of these staff members last left: their account turned off,
    or removed from her program; one query, none for no one."""
    if not user_ids:
        return {}
    rows = AuditEvent.objects.filter(
        Q(target_type="user", reason=_TURNED_OFF)
        | Q(target_type="membership", reason=_REMOVED, program_id=patient.program_id),
        target_id__in=[str(pk) for pk in user_ids],
    ).values_list("target_id", "occurred_at")
    latest: dict[int, datetime] = {}
    for target_id, at in rows:
        latest[int(target_id)] = max(at, latest.get(int(target_id), at))
    return {pk: day_in(patient.program.time_zone, at) for pk, at in latest.items()}


def _open_flag_row(f: PatientFlag) -> OpenFlagView:
    """An open flag as `_view` shows it, its reasons also in the reader's language (pages)."""
    return OpenFlagView(
        id=f.pk,
        kind=f.kind,
        label=f.get_kind_display(),
        reasons=f.reasons,
        words=flag_reasons(f),  # the reasons in the reader's language (pages)
        raised_at=f.raised_at,
        version=f.version,
    )


def _resolved_flag_row(f: PatientFlag) -> ResolvedFlagView:
    """A resolved flag as `_view` shows it: who resolved it and the note."""
    return ResolvedFlagView(
        id=f.pk,
        kind=f.kind,
        label=f.get_kind_display(),
        words=flag_reasons(f),
        raised_at=f.raised_at,
        resolved_at=f.resolved_at,
        resolved_by=staff_name(f.resolved_by),
        note=f.resolution_note,
    )


RECORD_PREFETCH = (
    Prefetch("enrollments", queryset=Enrollment.objects.order_by("-started_on", "-id")),
    Prefetch(
        "care_team",
        queryset=CareTeamMember.objects.select_related("user")
        .annotate(acts_now=ExpressionWrapper(care_gap.acts_for_her(), output_field=BooleanField()))
        .order_by("user__role"),
    ),
)


def list_patients(user: User) -> list[PatientView]:
    """The patients the user may see, with one audit row for the list."""
    areas = policy.areas_of(user)
    active = Prefetch("enrollments", queryset=Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE))
    return [_view(p, areas, full=False) for p in policy.list_patients_audited(user, prefetch=(active,))]


RESOLVED_SHOWN = 5  # the latest resolved flags shown with their notes on the patient page (issue #15)
OPEN_FLAGS = Prefetch("flags", queryset=PatientFlag.objects.filter(resolved_at__isnull=True))


def get_patient(user: User, patient_id: int | str) -> PatientView:
    """One patient (404 when out of scope) with open flags for clinical roles, audited as one read."""
    clinical = Area.CLINICAL in policy.areas_of(user)
    prefetch = (*RECORD_PREFETCH, OPEN_FLAGS) if clinical else RECORD_PREFETCH
    patient = policy.get_patient_or_404(user, patient_id, prefetch=prefetch)
    flags = list(patient.flags.all()) if clinical else []
    resolved = (
        list(
            PatientFlag.objects.filter(patient=patient, resolved_at__isnull=False)
            .select_related("resolved_by")
            .order_by("-resolved_at")[:RESOLVED_SHOWN]
        )
        if clinical
        else []
    )
    view = _view(patient, policy.areas_of(user), full=True, flags=flags, resolved=resolved)
    return replace(view, through_emergency=bool(getattr(patient, "keel_off_team", False)))


def get_own_record(user: User) -> PatientView:
    """The signed-in patient's own record, from the session."""
    patient = policy.own_patient_or_404(user, prefetch=RECORD_PREFETCH)
    return _view(patient, policy.areas_of(user), full=True)


def list_flags(user: User, *, patient_id: int) -> list[PatientFlag]:
    """A patient's flags, open first (clinical area), audited as one read."""
    patient = policy.get_patient_or_404(user, patient_id, area=Area.CLINICAL, target_type="patient_flags")
    return sorted(
        patient.flags.all(), key=lambda f: (f.resolved_at is not None, f.priority, -f.raised_at.timestamp())
    )


def version_after_change(patient_id: int) -> int:
    """The record's version right after a write that `services` scoped and audited (the contact change's
    answer carries it): no second scope check, no second audit row."""
    return int(Patient.objects.values_list("version", flat=True).get(pk=patient_id))


def program_of(patient: PatientView) -> Program:
    """The program of a record the caller has already read (scoped and audited by that read)."""
    return Program.objects.get(slug=patient.program)


def team_candidates(program: Program) -> list[User]:
    """Active staff of the program who can be on a care team (counselors, nurses, prescribers, peers)."""
    return list(
        User.objects.filter(is_active=True, role__in=TEAM_ROLES, memberships__program=program).order_by(
            "last_name", "first_name", "username"
        )
    )


def episodes(by: User, patient_id: int) -> tuple[Patient, list[Enrollment]]:
    """A patient's episodes of care, newest first (clinical area), audited as one read."""
    patient = policy.get_patient_or_404(by, patient_id, area=Area.CLINICAL, target_type="enrollments")
    return patient, list(Enrollment.objects.filter(patient=patient).order_by("-started_on", "-id"))


def has_own_account(patient_id: int) -> bool:
    """Whether a record the caller has already read (scoped and audited by that read) is linked to the
    person's own account: the record page offers an activation code only to a record without one, and a
    password reset code and the two-step sign-in reset only to one with (each would be refused otherwise)."""
    return Patient.objects.filter(pk=patient_id, user__isnull=False).exists()


def with_has_photo(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """`patients` with `has_photo` on each, in the same query (lists show a photo or a placeholder)."""
    return patients.annotate(has_photo=Exists(PatientPhoto.objects.filter(patient_id=OuterRef("pk"))))


# --- The desk's pages: contact details and the two-step sign-in reset -----------------------------------


def contact_patient(by: User, patient_id: int, action: Action = Action.UPDATE) -> Patient:
    """The patient whose contact details `by` may change: in scope with the clinical area (the protected
    fields: phone, address, email, emergency contact), else 404; a role that may not: 403, audited. A read
    (the page) is audited as one; a write is audited by the service that makes it."""
    patient = policy.get_patient_for_action_or_404(
        by,
        patient_id,
        action,
        area=Area.CLINICAL,
        target_type="patient",
        allowed=lambda user, record: policy.can_register_patient(user, record.program_id),
        what="change contact details",
        error=NotAllowed,
        message=_("Program admins, counselors, nurses and prescribers change contact details."),
        # the email and phone route the account's messages (a password reset): reading them only
        emergency_access=action == Action.READ,
        audit_success=False,
    )
    if (
        action == Action.READ
    ):  # the page shows the protected fields: one audited read (emergency access named)
        reason = "emergency access" if getattr(patient, "keel_off_team", False) else ""
        audit.record_for_patient(by, patient, Action.READ, "patient", reason=reason)
    return patient


def mfa_patient(by: User, patient_id: int, action: Action) -> Patient:
    """The patient whose two-step sign-in `by` may reset (the reset and its page): a counselor, nurse or
    prescriber on the care team, never through emergency access; anyone else refused, audited."""
    return policy.get_patient_for_action_or_404(
        by,
        patient_id,
        action,
        target_type="mfa",
        allowed=policy.can_reset_patient_second_factor,
        what="reset a patient's second factor",
        error=NotAllowed,
        message=_("Counselors, nurses and prescribers on the care team reset two-step sign-in."),
        audit_success=False,
    )


@dataclass(frozen=True)
class PastReset:
    """One earlier reset of the person's two-step sign-in, as the reset page lists it."""

    at: datetime
    by: str  # the staff member's name
    by_role: str  # their role, in the reader's language
    reason: str  # the reason they typed


@dataclass(frozen=True)
class SecondFactorPage:
    patient: Patient
    resets: list[PastReset]  # newest first
    has_account: bool  # the person has their own account
    uses_second_factor: bool  # and it has an authenticator app: only then is there something to reset


def second_factor_page(*, by: User, patient_id: int) -> SecondFactorPage:
    """The reset page's record and the person's past resets (when, by whom, the typed reason): the same check
    as the reset (a counselor, nurse or prescriber on the care team, never through emergency access; anyone
    else is refused with its audit row), and one audited read of the resets. The typed reasons are shown only
    here, to the staff who may reset; no other page, export or API answer carries them."""
    patient = mfa_patient(by, patient_id, Action.READ)
    rows = SecondFactorReset.objects.filter(patient=patient).select_related("by")
    resets = [
        PastReset(
            at=r.at,
            by=staff_name(r.by),
            by_role=str(r.by.get_role_display()),
            reason=r.reason,
        )
        for r in rows
    ]
    audit.record_for_patient(by, patient, Action.READ, "second_factor_resets")
    uses = patient.user_id is not None and account_queries.has_totp_device_id(patient.user_id)
    return SecondFactorPage(
        patient=patient, resets=resets, has_account=patient.user_id is not None, uses_second_factor=uses
    )
