"""Actions inside a record, by role and program: assessments (self-report instruments), doses, prescriptions,
measurements, program policy and measures, disclosures, emergency reviews, registration, care teams, staff,
episodes, a second factor's reset, appointments; and a whole record at once.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q

from keel.access.policy.areas import _active
from keel.access.policy.roles import is_program_patient, may_register_patients
from keel.access.policy.scope import program_ids_of
from keel.accounts.models import CLINICAL_ROLES, Program, ProgramMembership, Role, User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.patients.models import (
    CareTeamMember,
    Patient,
)

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


def can_correct_assessment(user: User) -> bool:
    """Review 33c hole 4: a result entered in error is corrected (or marked entered in error) by the staff
    who enter instruments for the care team (counselors, nurses, prescribers: any instrument, so any
    result); a person's own self-entered check-ups are not corrected here (they fill one again), so a
    patient may not (scope is checked separately)."""
    return _active(user) and user.role in _ASSESSING_ROLES


_SELF_FILING_ROLES = frozenset({Role.PATIENT, Role.SELF_GUIDED})


def filed_by_the_person(filled_by_role: str) -> bool:
    """Lane fix38d (review 38d hole 3): a result the person filed about herself (`filled_by_role`, her role
    when she filed it: a patient or a self-guided account). Her answers are hers: staff never rewrite them
    (`assessments.services.correct_assessment` refuses, 422 `answers`; she fills it in again), though staff
    may strike it (entered in error) with a reason; its FHIR author is the Patient (`assessments.fhir`)."""
    return filled_by_role in _SELF_FILING_ROLES


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


def sent_by_a_current_admin() -> Q:
    """An invitation (rows of `accounts.Invitation`) whose sender is still an admin of its program
    (`_admin_of`, as one set-based filter): one turned off, demoted or removed from the program no longer
    stands behind the invitations she sent (review 35d hole 1). Part of `accounts.invitations.open_now`,
    the one definition of an invitation that still works; a row sent before its sender left and never
    withdrawn (before lane fix35d) is covered here too."""
    still_member = ProgramMembership.objects.filter(user=OuterRef("invited_by"), program=OuterRef("program"))
    return Q(invited_by__is_active=True, invited_by__role=Role.PROGRAM_ADMIN) & Q(Exists(still_member))


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


def may_take_whole_record(user: User) -> bool:
    """A whole record at once (FHIR `$everything`, what leaves in an export): the person themselves, and the
    roles that may release a record (`can_disclose`); admins, peers and auditors read per resource."""
    return is_program_patient(user) or can_disclose(user)
