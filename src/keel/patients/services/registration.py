"""Registration at the front desk (issue #18, journey 0): the identity, a record number, the first episode
of care, the two confirmations and the identity photo, all or nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.accounts.models import Program, User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.desk import TEXT_LIMITS
from keel.core.names import person_name_key
from keel.core.rules.inputs import FieldError, FieldsInvalid, InvalidInput
from keel.patients import checks, photos
from keel.patients.errors import NotAllowed
from keel.patients.models import (
    CareTeamMember,
    Enrollment,
    Patient,
    death_recorded,
    zone_of,
)
from keel.patients.services.common import in_language

if TYPE_CHECKING:
    from keel.api_body import Posted
    from keel.patients.schemas import RegistrationIn


@dataclass(frozen=True)
class Registration:
    patient: Patient
    enrollment: Enrollment


def _program_for(programs: list[Program], slug: object, errors: list[FieldError]) -> Program | None:
    """Check (the context of the form's dates): the program named among `programs`, the caller's (its slug;
    blank: the one they work in), else its problem in `errors`."""
    slug = slug or ""
    if not slug:
        if len(programs) == 1:
            return programs[0]
        errors.append(FieldError("program", _("choose the program")))
        return None
    found = next((p for p in programs if p.slug == slug), None)
    if found is None:
        errors.append(FieldError("program", _("not one of your programs")))
    return found


def likely_duplicates(program: Program, given_name: str, family_name: str, born: date) -> list[Patient]:
    """Patients of the program with the same birth date and the same name as `core.names.person_name_key`
    reads it (letter case, accents, "ñ", spacing, hyphens and apostrophes aside: review 29b). The program
    and the birth date narrow in SQL (the same on SQLite and PostgreSQL, whose case and accent folding
    differ); the names are compared in Python, the one reading."""
    given, family = person_name_key(given_name), person_name_key(family_name)
    same_born = Patient.objects.filter(program=program, date_of_birth=born).order_by("pk")
    return [
        p
        for p in same_born
        if person_name_key(p.given_name) == given and person_name_key(p.family_name) == family
    ]


def _next_record_number(program: Program) -> str:
    prefix = re.sub(r"[^A-Z0-9]", "", program.slug.upper())[:8] or "KEEL"
    n = Patient.objects.filter(program=program).count() + 1
    while Patient.objects.filter(program=program, record_number=f"{prefix}-{n:05d}").exists():
        n += 1
    return f"{prefix}-{n:05d}"


def _refuse_role(by: User) -> None:
    """Guard 1: a role that registers in no program is refused, audited."""
    audit.record(
        actor=by,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        target_type="patient",
        reason="role may not register patients",
    )
    raise NotAllowed(_("Only program admins, counselors, nurses and prescribers register patients."))


def _today_for(program: Program | None) -> date:
    """Step: today in the program's zone (the server's when no program was found)."""
    return (
        timezone.now().astimezone(zone_of(Patient(program=program))).date()
        if program
        else timezone.localdate()
    )


def _identity_photo(upload: object, errors: list[FieldError]) -> photos.CleanPhoto | None:
    """Check: the identity photo (issue #18), if any (a page's upload), re-encoded before anything is
    written."""
    if not upload:
        return None
    try:
        return photos.clean_photo(photos.read_upload(upload))
    except FieldsInvalid as exc:
        errors.extend(exc.errors)
        return None


def _taken_number(program: Program, record_number: str) -> list[Patient]:
    """Guard (under the program's lock): the patient of the program who has this record number, if any."""
    if not record_number:
        return []
    return list(Patient.objects.filter(program=program, record_number__iexact=record_number)[:1])


def _likely_duplicate(program: Program, form: RegistrationIn) -> list[Patient]:
    """Guard (under the program's lock): the likely duplicates, unless `not_a_duplicate` is true."""
    if form.not_a_duplicate:
        return []
    return likely_duplicates(program, form.given_name, form.family_name, form.date_of_birth)


def _taken_number_error() -> FieldError:
    return FieldError("record_number", _("another patient in this program has this number"))


def _likely_duplicate_error(found: list[Patient]) -> FieldError:
    """The question the registrar answers before a second record is made. When a record found shows a death
    (`death_recorded`, the one answer; lane dead29a) it says so: either the death was recorded by mistake (a
    program admin undoes it on that record, no second record needed) or this is a different person with the
    same name and birth date. Only records of `program`, one of the registrar's own registering programs
    (`policy.registering_programs`), are ever searched: another program's patients are never named or
    counted (42 CFR Part 2), nor is the day of the death said."""
    if any(death_recorded(p.pk) for p in found):
        return FieldError(
            "not_a_duplicate",
            _(
                "a patient with this name and date of birth is already registered in this program, and "
                "that record shows the person died. If the death was recorded by mistake, do not make a "
                "second record: a program admin can undo the death on that person's record. If this is a "
                "different person, confirm"
            ),
        )
    return FieldError(
        "not_a_duplicate",
        _(
            "a patient with this name and date of birth is already registered in this "
            "program; "
            "check it is not the same person, then confirm"
        ),
    )


def _audit_found(by: User, program: Program, found: list[Patient], reason: str) -> None:
    """A registration refused because it found someone already in the program, audited about each person
    found (review 19b: the refusal tells the registrar the person is in care here, which may be someone off
    their team; 42 CFR Part 2). Written after the registration's transaction, which wrote nothing, so the
    row stays (as `care_team.remove_from_care_team` audits its refusal)."""
    for patient in found:
        audit.record(
            actor=by,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            patient_id=patient.pk,
            program_id=program.pk,
            target_type="patient",
            target_id=patient.pk,
            reason=reason,
        )


def _admit(by: User, program: Program, form: RegistrationIn, photo: photos.CleanPhoto | None) -> Registration:
    """Step 4 (inside the caller's transaction): the patient, the episode, the care team, the photo."""
    assert form.started_on is not None and form.preferred_language is not None  # the check fills them in
    patient = Patient.objects.create(
        program=program,
        record_number=form.record_number or _next_record_number(program),
        date_of_birth=form.date_of_birth,
        gender=form.gender,
        birth_sex=form.birth_sex,
        preferred_language=form.preferred_language,
        email=form.email,
        **{name: getattr(form, name) for name in TEXT_LIMITS},
    )
    now = timezone.now()
    enrollment = Enrollment.objects.create(
        patient=patient,
        program=program,
        started_on=form.started_on,
        kind=form.episode_kind,
        notice_given_at=now,
        notice_given_by=by,
        consented_at=now,
        consented_by=by,
    )
    if policy.registrar_joins_care_team(by):
        CareTeamMember.objects.create(patient=patient, user=by)
    if photo is not None:
        photos.store(by=by, patient=patient, photo=photo)
    return Registration(patient, enrollment)


def _audit_admission(by: User, program: Program, registration: Registration, kind: str) -> None:
    """Step 5 (inside the caller's transaction): the patient's and the episode's audit rows."""
    patient, enrollment = registration.patient, registration.enrollment
    audit.record(
        actor=by,
        action=Action.CREATE,
        patient_id=patient.pk,
        program_id=program.pk,
        target_type="patient",
        target_id=patient.pk,
        reason="registered",
    )
    audit.record(
        actor=by,
        action=Action.CREATE,
        patient_id=patient.pk,
        program_id=program.pk,
        target_type="enrollment",
        target_id=enrollment.pk,
        reason="admitted",
        detail={"kind": kind, "notice_given": True, "consented": True},
    )


def register_patient(*, by: User, data: Posted[RegistrationIn], photo: object = None) -> Registration:
    """Admit a patient at the front desk: the identity the issue lists, a record number (given, or the next
    one), and an active episode of care from `started_on` (default: today in the program's zone); `photo`,
    a page's upload of the identity photo (issue #18).

    Program admins and counselors, nurses and prescribers of the program may; a clinician who registers
    someone joins their care team (else the record would vanish from their own list). A likely duplicate
    (same name and birth date in the program) is refused until `not_a_duplicate` is true. Every field that
    is wrong is named at once; nothing is written unless everything is right."""
    programs = policy.registering_programs(by)
    if not programs:
        _refuse_role(by)
    errors: list[FieldError] = []
    program = _program_for(programs, data.raw.get("program"), errors)  # the zone the dates are judged in
    form: RegistrationIn | None = None
    try:
        form = data.parse(
            context=checks.Admission(_today_for(program), program.slug if program else "", tuple(errors))
        )
        errors = []
    except InvalidInput as exc:
        errors = list(in_language(exc).errors)
    clean_photo = _identity_photo(photo, errors)
    if errors:
        raise FieldsInvalid(errors)
    assert program is not None and form is not None
    with transaction.atomic():
        Program.objects.select_for_update().filter(pk=program.pk).first()  # one registration at a time here
        taken = _taken_number(program, form.record_number)
        duplicates = [] if taken else _likely_duplicate(program, form)
        if not taken and not duplicates:
            registration = _admit(by, program, form, clean_photo)
            _audit_admission(by, program, registration, form.episode_kind)
            return registration
    # refused: audited after the transaction (which wrote nothing), about the person the check found
    if taken:
        _audit_found(by, program, taken, "registration: the record number is this person's")
        raise FieldsInvalid([_taken_number_error()])
    # review 29b (observation): the trail says when the registrar was told the record shows a death
    died = [p for p in duplicates if death_recorded(p.pk)]
    living = [p for p in duplicates if p not in died]
    _audit_found(by, program, living, "registration: this person is already registered")
    _audit_found(by, program, died, "registration: this person is already registered; the death was said")
    raise FieldsInvalid([_likely_duplicate_error(duplicates)])
