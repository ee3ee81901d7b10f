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
        audit.record(
            actor=by,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            target_type="patient",
            reason="role may not register patients",
        )
        raise NotAllowed(_("Only program admins, counselors, nurses and prescribers register patients."))
    today = (
        timezone.now().astimezone(zone_of(Patient(program=program))).date()
        if program
        else timezone.localdate()
    )
    fields = {name: _text(data, name, errors) for name in TEXT_LIMITS}
    born = _date(data.get("date_of_birth"), "date_of_birth", errors, today=today, required=True)
    started = _date(data.get("started_on"), "started_on", errors, today=today, required=False) or today
    gender = _choice(data, "gender", list(AdministrativeGender.values), AdministrativeGender.UNKNOWN, errors)
    birth_sex = _choice(data, "birth_sex", ["", *BirthSex.values], "", errors)
    language = _choice(data, "preferred_language", LANGUAGES, default_language(), errors)
    record_number = data.get("record_number") or ""
    if not isinstance(record_number, str) or (
        record_number and not _RECORD_NUMBER.match(record_number.strip())
    ):
        errors.append(FieldError("record_number", _("1 to 32 letters, digits, dots, hyphens or underscores")))
        record_number = ""
    record_number = record_number.strip()
    if born and started < born:
        errors.append(FieldError("started_on", _("cannot be before the date of birth")))
    email = _email(data, errors)
    contact_name, contact_phone = fields["emergency_contact_name"], fields["emergency_contact_phone"]
    if (contact_phone or fields["emergency_contact_relationship"]) and not contact_name:
        errors.append(FieldError("emergency_contact_name", _("give the emergency contact's name")))
    if contact_name and not contact_phone:
        errors.append(FieldError("emergency_contact_phone", _("give the emergency contact's phone")))
    kind = _choice(data, "episode_kind", list(EpisodeKind.values), "", errors)
    if not kind and not any(e.field == "episode_kind" for e in errors):
        errors.append(FieldError("episode_kind", _("choose the kind of care")))
    _check_admission_confirmations(data, errors)
    not_a_duplicate = data.get("not_a_duplicate") in (True, "true", "on", "1")
    photo = None
    if data.get("photo"):  # the identity photo (issue #18), re-encoded before anything is written
        try:
            photo = photos.clean_photo(photos.read_upload(data["photo"]))
        except FieldsInvalid as exc:
            errors.extend(exc.errors)
    if errors:
        raise FieldsInvalid(errors)
    assert program is not None and born is not None
    with transaction.atomic():
        Program.objects.select_for_update().filter(pk=program.pk).first()  # one registration at a time here
        if (
            record_number
            and Patient.objects.filter(program=program, record_number__iexact=record_number).exists()
        ):
            raise FieldsInvalid(
                [FieldError("record_number", _("another patient in this program has this number"))]
            )
        if not not_a_duplicate and likely_duplicates(
            program, fields["given_name"], fields["family_name"], born
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
        patient = Patient.objects.create(
            program=program,
            record_number=record_number or _next_record_number(program),
            date_of_birth=born,
            gender=gender,
            birth_sex=birth_sex,
            preferred_language=language,
            email=email,
            **fields,
        )
        now = timezone.now()
        enrollment = Enrollment.objects.create(
            patient=patient,
            program=program,
            started_on=started,
            kind=kind,
            notice_given_at=now,
            notice_given_by=by,
            consented_at=now,
            consented_by=by,
        )
        if by.role in CLINICAL_ROLES:
            CareTeamMember.objects.create(patient=patient, user=by)
        if photo is not None:
            photos.store(by=by, patient=patient, photo=photo)
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
    return Registration(patient, enrollment)
