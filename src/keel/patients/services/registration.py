"""Registration at the front desk (issue #18, journey 0): the identity, a record number, the first episode
of care, the two confirmations and the identity photo, all or nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.accounts.models import CLINICAL_ROLES, Program, User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.rules.inputs import FieldError, FieldsInvalid
from keel.patients import photos
from keel.patients.errors import NotAllowed
from keel.patients.models import (
    AdministrativeGender,
    BirthSex,
    CareTeamMember,
    Enrollment,
    EpisodeKind,
    Patient,
    default_language,
    zone_of,
)
from keel.patients.services.common import (
    LANGUAGES,
    TEXT_LIMITS,
    _check_admission_confirmations,
    _choice,
    _date,
    _email,
    _text,
)

_RECORD_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")


@dataclass(frozen=True)
class Registration:
    patient: Patient
    enrollment: Enrollment


def _program_for(by: User, data: dict[str, Any], errors: list[FieldError]) -> Program | None:
    programs = policy.registering_programs(by)
    if not programs:
        return None
    slug = data.get("program") or ""
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
    """Patients of the program with the same name and birth date (letter case and spacing aside)."""
    return list(
        Patient.objects.filter(
            program=program,
            given_name__iexact=given_name,
            family_name__iexact=family_name,
            date_of_birth=born,
        )
    )


def _next_record_number(program: Program) -> str:
    prefix = re.sub(r"[^A-Z0-9]", "", program.slug.upper())[:8] or "KEEL"
    n = Patient.objects.filter(program=program).count() + 1
    while Patient.objects.filter(program=program, record_number=f"{prefix}-{n:05d}").exists():
        n += 1
    return f"{prefix}-{n:05d}"


@dataclass(frozen=True)
class _Admission:
    """The checked form: everything `register_patient` writes, once every field is right."""

    fields: dict[str, str]
    born: date
    started: date
    gender: str
    birth_sex: str
    language: str
    record_number: str
    email: str
    kind: str
    not_a_duplicate: bool
    photo: photos.CleanPhoto | None


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


def _record_number(data: dict[str, Any], errors: list[FieldError]) -> str:
    """Check: the record number given, if any, is 1 to 32 letters, digits, dots, hyphens or underscores."""
    record_number = data.get("record_number") or ""
    if not isinstance(record_number, str) or (
        record_number and not _RECORD_NUMBER.match(record_number.strip())
    ):
        errors.append(FieldError("record_number", _("1 to 32 letters, digits, dots, hyphens or underscores")))
        record_number = ""
    return str(record_number.strip())


def _check_emergency_contact(fields: dict[str, str], errors: list[FieldError]) -> None:
    """Check: an emergency contact has both a name and a phone."""
    contact_name, contact_phone = fields["emergency_contact_name"], fields["emergency_contact_phone"]
    if (contact_phone or fields["emergency_contact_relationship"]) and not contact_name:
        errors.append(FieldError("emergency_contact_name", _("give the emergency contact's name")))
    if contact_name and not contact_phone:
        errors.append(FieldError("emergency_contact_phone", _("give the emergency contact's phone")))


def _episode_kind(data: dict[str, Any], errors: list[FieldError]) -> str:
    """Check: the kind of care is chosen, and is one of the episode kinds."""
    kind = _choice(data, "episode_kind", list(EpisodeKind.values), "", errors)
    if not kind and not any(e.field == "episode_kind" for e in errors):
        errors.append(FieldError("episode_kind", _("choose the kind of care")))
    return kind


def _identity_photo(data: dict[str, Any], errors: list[FieldError]) -> photos.CleanPhoto | None:
    """Check: the identity photo (issue #18), if any, re-encoded before anything is written."""
    if not data.get("photo"):
        return None
    try:
        return photos.clean_photo(photos.read_upload(data["photo"]))
    except FieldsInvalid as exc:
        errors.extend(exc.errors)
        return None


def _check_form(data: dict[str, Any], errors: list[FieldError], *, today: date) -> _Admission | None:
    """Step 2: every field checked, in the form's order, each wrong one named in `errors`."""
    fields = {name: _text(data, name, errors) for name in TEXT_LIMITS}
    born = _date(data.get("date_of_birth"), "date_of_birth", errors, today=today, required=True)
    started = _date(data.get("started_on"), "started_on", errors, today=today, required=False) or today
    gender = _choice(data, "gender", list(AdministrativeGender.values), AdministrativeGender.UNKNOWN, errors)
    birth_sex = _choice(data, "birth_sex", ["", *BirthSex.values], "", errors)
    language = _choice(data, "preferred_language", LANGUAGES, default_language(), errors)
    record_number = _record_number(data, errors)
    if born and started < born:
        errors.append(FieldError("started_on", _("cannot be before the date of birth")))
    email = _email(data, errors)
    _check_emergency_contact(fields, errors)
    kind = _episode_kind(data, errors)
    _check_admission_confirmations(data, errors)
    not_a_duplicate = data.get("not_a_duplicate") in (True, "true", "on", "1")
    photo = _identity_photo(data, errors)
    if born is None:
        return None
    return _Admission(
        fields, born, started, gender, birth_sex, language, record_number, email, kind, not_a_duplicate, photo
    )


def _refuse_taken_number(program: Program, record_number: str) -> None:
    """Guard (under the program's lock): a record number another patient of the program has is refused."""
    if (
        record_number
        and Patient.objects.filter(program=program, record_number__iexact=record_number).exists()
    ):
        raise FieldsInvalid(
            [FieldError("record_number", _("another patient in this program has this number"))]
        )


def _refuse_likely_duplicate(program: Program, form: _Admission) -> None:
    """Guard (under the program's lock): a likely duplicate is refused until `not_a_duplicate` is true."""
    if not form.not_a_duplicate and likely_duplicates(
        program, form.fields["given_name"], form.fields["family_name"], form.born
    ):
        raise FieldsInvalid(
            [
                FieldError(
                    "not_a_duplicate",
                    _(
                        "a patient with this name and date of birth is already registered in this "
                        "program; "
                        "check it is not the same person, then confirm"
                    ),
                )
            ]
        )


def _admit(by: User, program: Program, form: _Admission) -> Registration:
    """Step 4 (inside the caller's transaction): the patient, the episode, the care team, the photo."""
    patient = Patient.objects.create(
        program=program,
        record_number=form.record_number or _next_record_number(program),
        date_of_birth=form.born,
        gender=form.gender,
        birth_sex=form.birth_sex,
        preferred_language=form.language,
        email=form.email,
        **form.fields,
    )
    now = timezone.now()
    enrollment = Enrollment.objects.create(
        patient=patient,
        program=program,
        started_on=form.started,
        kind=form.kind,
        notice_given_at=now,
        notice_given_by=by,
        consented_at=now,
        consented_by=by,
    )
    if by.role in CLINICAL_ROLES:
        CareTeamMember.objects.create(patient=patient, user=by)
    if form.photo is not None:
        photos.store(by=by, patient=patient, photo=form.photo)
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


def register_patient(*, by: User, data: dict[str, Any]) -> Registration:
    """Admit a patient at the front desk: the identity the issue lists, a record number (given, or the next
    one), and an active episode of care from `started_on` (default: today in the program's zone).

    Program admins and counselors, nurses and prescribers of the program may; a clinician who registers
    someone joins their care team (else the record would vanish from their own list). A likely duplicate
    (same name and birth date in the program) is refused until `not_a_duplicate` is true. Every field that
    is wrong is named at once; nothing is written unless everything is right."""
    errors: list[FieldError] = []
    program = _program_for(by, data, errors)
    if program is None and not errors:
        _refuse_role(by)
    form = _check_form(data, errors, today=_today_for(program))
    if errors:
        raise FieldsInvalid(errors)
    assert program is not None and form is not None
    with transaction.atomic():
        Program.objects.select_for_update().filter(pk=program.pk).first()  # one registration at a time here
        _refuse_taken_number(program, form.record_number)
        _refuse_likely_duplicate(program, form)
        registration = _admit(by, program, form)
        _audit_admission(by, program, registration, form.kind)
    return registration
