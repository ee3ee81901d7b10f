"""Writes to a patient's record that belong to no feature app: registration at the front desk, the care team
(issue #18), resolving flags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import CLINICAL_ROLES, Program, ProgramMembership, Role, User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.rules.inputs import FieldError, FieldsInvalid
from keel.core.rules.window import reason_problem
from keel.patients import photos
from keel.patients.models import (
    ActivationCode,
    AdministrativeGender,
    BirthSex,
    CareTeamMember,
    EmergencyAccess,
    EndReason,
    Enrollment,
    EnrollmentStatus,
    EpisodeKind,
    FlagKind,
    Patient,
    PatientFlag,
    default_language,
    local_today,
    zone_of,
)
from keel.patients.queries import TEAM_ROLES

# Flags whose resolution is a prescriber's assessment (the flag says so): no other role resolves them.
PRESCRIBER_ONLY = frozenset({FlagKind.DOSE_HELD})


class FlagError(ValueError):
    """A flag cannot be resolved as asked; `field` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class FlagNotAllowed(PermissionError):
    pass


_ONLY_CLINICIANS_RESOLVE = "Only counselors, nurses and prescribers on the care team resolve flags."


def resolve_flag(*, by: User, patient_id: int, flag_id: int, note: str) -> PatientFlag:
    """Resolve an open flag with a note. Counselors, nurses and prescribers on the care team may."""
    try:
        patient = policy.get_patient_for_action_or_404(
            by,
            patient_id,
            Action.UPDATE,
            area=Area.CLINICAL,
            target_type="patient_flag",
            target_id=flag_id,
            allowed=getattr(by, "role", "") in CLINICAL_ROLES,
            what="resolve flags",
            audit_success=False,
        )
    except policy.ActionNotAllowed:
        raise FlagNotAllowed(
            "Only counselors, nurses and prescribers on the care team resolve flags."
        ) from None
    kind = PatientFlag.objects.filter(pk=flag_id, patient=patient).values_list("kind", flat=True).first()
    if kind in PRESCRIBER_ONLY and getattr(by, "role", "") != Role.PRESCRIBER:
        audit.record(
            actor=by,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="patient_flag",
            target_id=flag_id,
            reason="only a prescriber resolves this flag",
        )
        raise FlagNotAllowed("Only a prescriber resolves this flag: a prescriber must assess.")
    note = (note or "").strip()
    if not note:
        raise FlagError("note", "write what was done (a note is required to resolve a flag)")
    if kind == FlagKind.DOSE_HELD and reason_problem(note):
        raise FlagError("note", "write the assessment: " + reason_problem(note))
    if len(note) > 2000:
        raise FlagError("note", "at most 2000 characters")
    own_emergency = PatientFlag.objects.filter(
        pk=flag_id,
        patient=patient,
        source_type="emergency_access",
        source_id__in=EmergencyAccess.objects.filter(user=by, patient=patient).values("pk"),
    ).exists()
    if own_emergency:  # the person who broke the glass never clears the flag about it (SECURITY.md T12)
        audit.record(
            actor=by,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="patient_flag",
            target_id=flag_id,
            reason="the person who used emergency access cannot resolve its flag",
        )
        raise FlagNotAllowed("The person who used emergency access cannot resolve the flag about it.")
    with transaction.atomic():
        flag = PatientFlag.objects.select_for_update().filter(pk=flag_id, patient=patient).first()
        if flag is None:
            raise policy.PatientNotFound()
        if flag.resolved_at is not None:
            raise FlagError("flag", "this flag was already resolved")
        flag.resolved_at, flag.resolved_by, flag.resolution_note = timezone.now(), by, note
        flag.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
        audit.record(
            actor=by,
            action=Action.UPDATE,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="patient_flag",
            target_id=flag.pk,
            reason="resolved",
        )
    return flag


# --- Registration at the front desk (issue #18, journey 0) ----------------------------------------------


def _audit_denial(by: User, patient: Patient, target_type: str, reason: str) -> None:
    """The audit row of an in-scope action this role may not take (before NotAllowed is raised)."""
    audit.record(
        actor=by,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        patient_id=patient.pk,
        program_id=patient.program_id,
        target_type=target_type,
        reason=reason,
    )


class NotAllowed(PermissionError):
    """An in-scope action this role may not take (403, audited)."""


EARLIEST_BIRTH = date(1900, 1, 1)
_RECORD_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
TEXT_LIMITS = {
    "given_name": 100,
    "family_name": 100,
    "preferred_name": 100,
    "pronouns": 40,
    "phone": 40,
    "address_line": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "emergency_contact_name": 100,
    "emergency_contact_relationship": 60,
    "emergency_contact_phone": 40,
}
REQUIRED = ("given_name", "family_name")
# A phone number: digits, spaces, + - ( ) . and an optional extension ("x 12", "ext. 12"), at least 7 digits
# (the activation code and reminders go to it by text message).
PHONE_FIELDS = ("phone", "emergency_contact_phone")
_PHONE = re.compile(r"^(?P<number>\+?[\d ().-]+?)(?:\s*(?:x|ext\.?|extension)\s*\d{1,6})?$", re.IGNORECASE)
MIN_PHONE_DIGITS = 7
MAX_EMAIL = 254
# The two confirmations at admission (issue #18): the Part 2 patient notice (42 CFR 2.22) and consent to
# treatment; each is stored with who confirmed it and when.
CONFIRMATIONS = ("notice_given", "consented")


def _confirmed(value: Any) -> bool:
    return value in (True, "true", "on", "1")


def _email(data: dict[str, Any], errors: list[FieldError]) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    value = data.get("email")
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        errors.append(FieldError("email", _("must be text")))
        return ""
    email = value.strip()
    if len(email) > MAX_EMAIL:
        errors.append(FieldError("email", _("at most %(n)d characters") % {"n": MAX_EMAIL}))
        return ""
    try:
        validate_email(email)
    except ValidationError:
        errors.append(FieldError("email", _("give an email address like name@example.org")))
        return ""
    return email


LANGUAGES = ["en", "es"]  # the languages Keel writes messages in (settings.LANGUAGES)


@dataclass(frozen=True)
class Registration:
    patient: Patient
    enrollment: Enrollment


def _text(data: dict[str, Any], name: str, errors: list[FieldError]) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.append(FieldError(name, _("must be text")))
        return ""
    text = " ".join(value.split())
    if name in REQUIRED and not text:
        errors.append(FieldError(name, _("this is required")))
    elif len(text) > TEXT_LIMITS[name]:
        errors.append(FieldError(name, _("at most %(n)d characters") % {"n": TEXT_LIMITS[name]}))
    elif name in PHONE_FIELDS and text and not _is_phone(text):
        errors.append(FieldError(name, _("give a phone number: digits, at least 7 of them")))
    return text


def _is_phone(text: str) -> bool:
    match = _PHONE.match(text)
    return match is not None and sum(c.isdigit() for c in match["number"]) >= MIN_PHONE_DIGITS


def _date(value: Any, name: str, errors: list[FieldError], *, today: date, required: bool) -> date | None:
    if value in (None, ""):
        if required:
            errors.append(FieldError(name, _("this is required")))
        return None
    if isinstance(value, date):
        parsed = value
    else:
        try:
            parsed = date.fromisoformat(str(value))
        except ValueError:
            errors.append(FieldError(name, _("give a date as YYYY-MM-DD")))
            return None
    if parsed > today:
        errors.append(FieldError(name, _("cannot be in the future")))
        return None
    if parsed < EARLIEST_BIRTH:
        errors.append(FieldError(name, _("cannot be before 1900")))
        return None
    return parsed


def _choice(
    data: dict[str, Any], name: str, choices: list[str], default: str, errors: list[FieldError]
) -> str:
    value = data.get(name)
    if value in (None, ""):
        return default
    if value not in choices:
        errors.append(
            FieldError(
                name, _("choose one of: %(choices)s") % {"choices": ", ".join(c for c in choices if c)}
            )
        )
        return default
    return str(value)


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


def _check_admission_confirmations(data: dict[str, Any], errors: list[FieldError]) -> None:
    """Every admission, the first and each readmission, confirms that the person received the Part 2 patient
    notice (42 CFR 2.22) and consented to treatment; each missing confirmation is named."""
    if not _confirmed(data.get("notice_given")):
        notice = _("give the person the privacy notice for their records, then confirm")
        errors.append(FieldError("notice_given", notice))
    if not _confirmed(data.get("consented")):
        errors.append(FieldError("consented", _("the person must consent to treatment; then confirm")))


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


# --- Contact details after registration (issue #18) ------------------------------------------------------

# What the front desk may change after registration: how to reach the person and what they are called. Names
# of record, birth date, sex and the record number are not changed here.
CONTACT_FIELDS = (
    "preferred_name",
    "pronouns",
    "phone",
    "email",
    "address_line",
    "city",
    "region",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "preferred_language",
)


def _refuse_emergency_access(by: User, patient: Patient, target_type: str, what: str) -> None:
    """Emergency access (break the glass) is for reading a record in an emergency: a clinician who reaches it
    only that way may not change the account (a password reset), where its messages go (contact details)
    or the episode of care (discharge, readmission, transfer). Like the second-factor reset: the care team
    only. The denial is audited."""
    if not policy.through_emergency_access(by, patient):
        return
    audit.record(
        actor=by,
        action=Action.DENIED,
        outcome=Outcome.DENIED,
        patient_id=patient.pk,
        program_id=patient.program_id,
        target_type=target_type,
        reason=f"emergency access: may not {what}",
    )
    raise NotAllowed(_("Emergency access is for reading the record. Only the care team can do this."))


def contact_patient(by: User, patient_id: int, action: Action = Action.UPDATE) -> Patient:
    """The patient whose contact details `by` may change: in scope with the clinical area (the protected
    fields: phone, address, email, emergency contact), else 404; a role that may not: 403, audited. A read
    (the page) is audited as one; a write is audited by the service that makes it."""
    patient = policy.get_patient_or_404(
        by,
        patient_id,
        area=Area.CLINICAL,
        action=action,
        target_type="patient",
        audit_success=False,
    )
    if not policy.can_register_patient(by, patient.program_id):
        _audit_denial(by, patient, "patient", "role may not change contact details")
        raise NotAllowed(_("Program admins, counselors, nurses and prescribers change contact details."))
    if action != Action.READ:  # the email and phone route the account's messages (a password reset)
        _refuse_emergency_access(by, patient, "patient", "change contact details")
    if (
        action == Action.READ
    ):  # the page shows the protected fields: one audited read (emergency access named)
        reason = "emergency access" if getattr(patient, "keel_off_team", False) else ""
        audit.record_for_patient(by, patient, Action.READ, "patient", reason=reason)
    return patient


def update_contact(*, by: User, patient_id: int, data: dict[str, Any]) -> list[str]:
    """Change some of a patient's contact details and preferred language (only the fields given; every wrong
    one named at once; nothing written unless all are right). `version`, when given, must be the record's
    (another person's edit in between: StaleEdit). The patient's account follows the language. Audited with
    the names of the fields that changed, never their values. Returns those names."""
    from keel.recovery.common import StaleEdit

    patient = contact_patient(by, patient_id)
    errors: list[FieldError] = []
    unknown = sorted(k for k in data if k not in CONTACT_FIELDS and k != "version")
    for name in unknown:
        errors.append(FieldError(str(name), _("cannot be changed here")))
    values: dict[str, str] = {}
    for name in CONTACT_FIELDS:
        if name not in data:
            continue
        if name == "email":
            values[name] = _email(data, errors)
        elif name == "preferred_language":
            values[name] = _choice(data, name, LANGUAGES, "", errors)
            if not values[name] and not any(e.field == name for e in errors):
                errors.append(FieldError(name, _("choose one of: %(choices)s") % {"choices": "en, es"}))
        else:
            values[name] = _text(data, name, errors)
    merged = {n: values.get(n, getattr(patient, n)) for n in CONTACT_FIELDS}
    contact_name, contact_phone = merged["emergency_contact_name"], merged["emergency_contact_phone"]
    if (contact_phone or merged["emergency_contact_relationship"]) and not contact_name:
        errors.append(FieldError("emergency_contact_name", _("give the emergency contact's name")))
    if contact_name and not contact_phone:
        errors.append(FieldError("emergency_contact_phone", _("give the emergency contact's phone")))
    version = data.get("version")
    if version not in (None, "") and not str(version).isdigit():
        errors.append(FieldError("version", _("must be a whole number")))
    if errors:
        raise FieldsInvalid(errors)
    with transaction.atomic():
        row = Patient.objects.select_for_update().get(pk=patient.pk)
        if version not in (None, "") and int(str(version)) != row.version:
            raise StaleEdit(
                _("Someone else changed these details since you opened them. Reload and try again.")
            )
        changed = [n for n in CONTACT_FIELDS if n in values and getattr(row, n) != values[n]]
        if not changed:
            return []
        for name in changed:
            setattr(row, name, values[name])
        row.version += 1
        row.save(update_fields=[*changed, "version", "updated_at"])
        if "preferred_language" in changed and row.user_id is not None:
            User.objects.filter(pk=row.user_id).update(preferred_language=row.preferred_language)
        audit.record(
            actor=by,
            action=Action.UPDATE,
            patient_id=row.pk,
            program_id=row.program_id,
            target_type="patient",
            target_id=row.pk,
            reason="contact details changed",
            detail={"changed": changed},
        )
    return changed


# --- The care team -------------------------------------------------------------------------------------


def _team_patient(by: User, patient_id: int, action: Action) -> Patient:
    patient = policy.get_patient_or_404(
        by, patient_id, action=action, target_type="care_team", audit_success=False
    )
    if not policy.can_manage_care_team(by, patient.program_id):
        _audit_denial(by, patient, "care_team", "role may not manage care teams")
        raise NotAllowed(_("Only the program's admins change care teams."))
    return patient


def _member(program: Program, user_id: Any) -> User:
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        raise FieldsInvalid([FieldError("user_id", _("choose a staff member"))]) from None
    user = User.objects.filter(pk=pk, is_active=True, role__in=TEAM_ROLES).first()
    if user is None or not ProgramMembership.objects.filter(user=user, program=program).exists():
        raise FieldsInvalid(
            [
                FieldError(
                    "user_id", _("not a counselor, nurse, prescriber or peer specialist of this program")
                )
            ]
        )
    return user


def add_to_care_team(*, by: User, patient_id: int, user_id: Any) -> CareTeamMember:
    """Put a staff member of the patient's program on their care team (program admins); adding someone who is
    already there changes nothing."""
    patient = _team_patient(by, patient_id, Action.CREATE)
    member = _member(patient.program, user_id)
    with transaction.atomic():
        row, created = CareTeamMember.objects.get_or_create(patient=patient, user=member)
        if created:
            audit.record(
                actor=by,
                action=Action.CREATE,
                patient_id=patient.pk,
                program_id=patient.program_id,
                target_type="care_team",
                target_id=member.pk,
                reason="added",
            )
    return row


MAX_BULK = 200


def add_many_to_care_team(*, by: User, data: dict[str, Any]) -> list[CareTeamMember]:
    """Put one staff member on several patients' care teams at once (a program's admins). Every patient must
    be in the admin's scope and their program's, all in one program, the staff member one of its team roles;
    all or nothing. Each addition is audited; someone already on a team is left as is."""
    raw = data.get("patient_ids")
    errors: list[FieldError] = []
    if not isinstance(raw, list) or not raw or len(raw) > MAX_BULK:
        errors.append(FieldError("patient_ids", _("choose 1 to %(n)d people") % {"n": MAX_BULK}))
        ids: list[int] = []
    else:
        try:
            ids = sorted({int(i) for i in raw})
        except (TypeError, ValueError):
            errors.append(FieldError("patient_ids", _("choose people from the list")))
            ids = []
    if errors:
        raise FieldsInvalid(errors)
    found = list(policy.patients_visible_to(by).filter(pk__in=ids).select_related("program"))
    if len(found) != len(ids):
        audit.record(
            actor=by,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            target_type="care_team",
            reason="bulk care team: outside scope or missing",
            detail={"requested_patient_ids": ids},
        )
        raise FieldsInvalid([FieldError("patient_ids", _("some of these people are not in your program"))])
    programs = {p.program_id for p in found}
    if len(programs) != 1:
        raise FieldsInvalid([FieldError("patient_ids", _("choose people of one program"))])
    program = found[0].program
    if not policy.can_manage_care_team(by, program.pk):
        audit.record(
            actor=by,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            program_id=program.pk,
            target_type="care_team",
            reason="role may not manage care teams",
        )
        raise NotAllowed(_("Only the program's admins change care teams."))
    member = _member(program, data.get("user_id"))
    rows = []
    with transaction.atomic():
        for patient in found:
            row, created = CareTeamMember.objects.get_or_create(patient=patient, user=member)
            rows.append(row)
            if created:
                audit.record(
                    actor=by,
                    action=Action.CREATE,
                    patient_id=patient.pk,
                    program_id=program.pk,
                    target_type="care_team",
                    target_id=member.pk,
                    reason="added",
                )
    return rows


def remove_from_care_team(*, by: User, patient_id: int, user_id: Any) -> None:
    """Take a staff member off a patient's care team (program admins); they stop seeing the record at once."""
    patient = _team_patient(by, patient_id, Action.DELETE)
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        raise FieldsInvalid([FieldError("user_id", _("choose a staff member"))]) from None
    with transaction.atomic():
        deleted, _rows = CareTeamMember.objects.filter(patient=patient, user_id=pk).delete()
        if not deleted:
            raise FieldsInvalid([FieldError("user_id", _("not on this care team"))])
        audit.record(
            actor=by,
            action=Action.DELETE,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="care_team",
            target_id=pk,
            reason="removed",
        )


# --- Episodes of care: discharge and readmission (issue #18) ---------------------------------------------


def _episode_patient(by: User, patient_id: int, action: Action) -> Patient:
    patient = policy.get_patient_or_404(
        by, patient_id, area=Area.CLINICAL, action=action, target_type="enrollment", audit_success=False
    )
    if not policy.can_manage_episode(by, patient.program_id):
        _audit_denial(by, patient, "enrollment", "role may not discharge or readmit")
        raise NotAllowed(_("Program admins, counselors, nurses and prescribers discharge and readmit."))
    _refuse_emergency_access(by, patient, "enrollment", "discharge, readmit or transfer")
    return patient


def _transfer_disclosure(
    by: User, patient: Patient, data: dict[str, Any], active: Enrollment, ended: date
) -> int:
    """A transfer to another program is a disclosure under the patient's consent (42 CFR 2.31; issue #18):
    through the sharing app's one check (`release_record`: a live, unrevoked consent naming the receiving
    program as recipient, its purpose and the whole record; the password again; the accounting of
    disclosures). Called by `discharge` inside its transaction, with the active episode locked: the
    disclosure and the end of the episode are written together or not at all."""
    from keel.sharing import services as sharing

    if not policy.can_disclose(by):
        audit.record_for_patient(
            by,
            patient,
            Action.DENIED,
            "transfer",
            outcome=Outcome.DENIED,
            reason="role may not disclose a record for a transfer",
        )
        raise NotAllowed(
            _(
                "A transfer shares the record with the receiving program: a counselor, nurse or prescriber "
                "on the care team records it."
            )
        )
    raw = {
        "basis": "consent",
        "consent": data.get("consent"),
        "recipient_name": data.get("recipient_name"),
        "purpose": data.get("purpose") or "treatment",
        "purpose_text": data.get("purpose_text") or "",
        "password": data.get("password"),
    }

    def build(row: Patient, at: Any) -> dict[str, Any]:
        return {
            "transfer": {
                "from": row.program.name,
                "to": " ".join(str(raw["recipient_name"] or "").split()),
                "person": f"{row.given_name} {row.family_name}",
                "date_of_birth": row.date_of_birth.isoformat() if row.date_of_birth else "",
                "record_number": row.record_number,
                "episode": {"kind": active.kind, "started_on": active.started_on.isoformat()},
                "ended_on": ended.isoformat(),
                "prepared_at": at.isoformat(),
            }
        }

    try:
        disclosure, _document = sharing.release_record(
            by=by,
            patient_id=patient.pk,
            raw=raw,
            target_type="transfer",
            description="Transfer of care: who the person is and their episode of care",
            build=build,
        )
    except sharing.SharingNotAllowed:  # checked above; a role change in between lands here
        raise NotAllowed(_("A transfer shares the record: your role cannot.")) from None
    return disclosure.pk


def discharge(*, by: User, patient_id: int, data: dict[str, Any]) -> Enrollment:
    """End the patient's episode of care on a date (not in the future, not before it began) for a reason.
    Their active medication orders and take-home plans stop with it, so the dosing window no longer lists
    them and no dose can be recorded until a prescriber writes a new order after readmission. A transfer
    ("transferred") releases the record to the receiving program in the same transaction: the active episode
    is locked first, so of two transfers at once one waits and then finds the person no longer in care, and
    nothing of it (no disclosure in the accounting) is left behind."""
    from keel.treatment.models import MedicationOrder, OrderStatus

    patient = _episode_patient(by, patient_id, Action.UPDATE)
    today = local_today(patient)
    errors: list[FieldError] = []
    ended = _date(data.get("ended_on"), "ended_on", errors, today=today, required=False) or today
    reason = _choice(data, "reason", list(EndReason.values), "", errors)
    if not reason and not any(e.field == "reason" for e in errors):
        errors.append(FieldError("reason", _("this is required")))
    if errors:
        raise FieldsInvalid(errors)
    refused: FieldsInvalid | NotAllowed | None = None
    with transaction.atomic():
        active = (
            Enrollment.objects.select_for_update()
            .filter(patient=patient, status=EnrollmentStatus.ACTIVE)
            .first()
        )
        if active is None:
            raise FieldsInvalid([FieldError("patient", _("this person is not in care now"))])
        if ended < active.started_on:
            raise FieldsInvalid([FieldError("ended_on", _("cannot be before the episode began"))])
        from keel.treatment.models import DoseRecord

        if DoseRecord.objects.filter(
            patient=patient, local_date__gte=active.started_on, local_date__gt=ended
        ).exists():  # the episode never ends before a dose recorded in it (issue #18)
            raise FieldsInvalid(
                [FieldError("ended_on", _("cannot be before the last dose recorded in this episode"))]
            )
        disclosure_id = None
        if reason == EndReason.TRANSFERRED:  # the record goes to the receiving program: a disclosure first
            try:
                disclosure_id = _transfer_disclosure(by, patient, data, active, ended)
            except (FieldsInvalid, NotAllowed) as exc:  # refused: nothing written but its audited denial,
                refused = exc  # which this transaction keeps (raised once it is committed)
        if refused is None:
            # The episode ends only if it is still the active one (compare-and-set under the lock): otherwise
            # the whole transfer, its disclosure included, is undone.
            if not Enrollment.objects.filter(pk=active.pk, status=EnrollmentStatus.ACTIVE).update(
                status=EnrollmentStatus.ENDED, ended_on=ended, end_reason=reason
            ):
                raise FieldsInvalid([FieldError("patient", _("this person is not in care now"))])
            active.status, active.ended_on, active.end_reason = EnrollmentStatus.ENDED, ended, reason
            stopped = list(
                MedicationOrder.objects.filter(patient=patient, status=OrderStatus.ACTIVE).values_list(
                    "pk", flat=True
                )
            )
            MedicationOrder.objects.filter(pk__in=stopped).update(status=OrderStatus.STOPPED)
            from keel.treatment.services import end_take_home_plans  # issue #13: take-home plans end too

            ended_plans = end_take_home_plans(patient, ended)
            from keel.treatment.services import end_overrides  # issue #18: the episode's overrides end too

            ended_overrides = end_overrides(patient, ended, timezone.now())
            from keel.appointments.services import cancel_coming  # issue #19: no visit, no reminder after it

            cancel_coming(by=by, patient=patient)
            audit.record(
                actor=by,
                action=Action.UPDATE,
                patient_id=patient.pk,
                program_id=patient.program_id,
                target_type="enrollment",
                target_id=active.pk,
                reason="discharged",
                detail={
                    "stopped_orders": stopped,
                    "ended_take_home_plans": ended_plans,
                    **({"ended_overrides": ended_overrides} if ended_overrides else {}),
                    **({"transfer_disclosure_id": disclosure_id} if disclosure_id else {}),
                },
            )
    if refused is not None:
        raise refused
    return active


def readmit(*, by: User, patient_id: int, data: dict[str, Any]) -> Enrollment:
    """Open a new episode of care for someone discharged earlier (from `started_on`, default today), of the
    kind `episode_kind` (blank: the kind of their last episode). Like the first admission, it confirms that
    the person received the Part 2 notice again and consented to treatment (`notice_given`, `consented`),
    stored on the new episode with who and when."""
    patient = _episode_patient(by, patient_id, Action.CREATE)
    today = local_today(patient)
    errors: list[FieldError] = []
    started = _date(data.get("started_on"), "started_on", errors, today=today, required=False) or today
    kind = _choice(data, "episode_kind", list(EpisodeKind.values), "", errors)
    _check_admission_confirmations(data, errors)  # asked again at each readmission (issue #18)
    if errors:
        raise FieldsInvalid(errors)
    now = timezone.now()
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()  # two readmissions: one waits
        episodes = list(Enrollment.objects.filter(patient=patient).order_by("-started_on", "-id"))
        if any(e.status == EnrollmentStatus.ACTIVE for e in episodes):
            raise FieldsInvalid([FieldError("patient", _("this person is already in care"))])
        if any(e.end_reason == EndReason.DECEASED for e in episodes):  # a death is corrected on purpose
            raise FieldsInvalid(
                [
                    FieldError(
                        "patient",
                        _("this person's care ended because they died; a readmission is not possible"),
                    )
                ]
            )
        last_end = max((e.ended_on for e in episodes if e.ended_on), default=None)
        if last_end and started < last_end:
            raise FieldsInvalid([FieldError("started_on", _("cannot be before the last episode ended"))])
        kind = kind or (episodes[0].kind if episodes else "")  # blank: the same kind of care as before
        enrollment = Enrollment.objects.create(
            patient=patient,
            program=patient.program,
            started_on=started,
            kind=kind,
            notice_given_at=now,
            notice_given_by=by,
            consented_at=now,
            consented_by=by,
        )
        audit.record(
            actor=by,
            action=Action.CREATE,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="enrollment",
            target_id=enrollment.pk,
            reason="readmitted",
            detail={"notice_given": True, "consented": True},
        )
    return enrollment


# --- Patient accounts: the activation code (issue #18) ---------------------------------------------------

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: easy to read aloud and type
CODE_LENGTH = 12  # 30**12 ≈ 5e17 codes


def _code_digest(code: str) -> str:
    import hashlib

    cleaned = "".join(c for c in code.upper() if c.isalnum())
    return hashlib.sha256(cleaned.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedCode:
    row: ActivationCode
    code: str  # shown once (printed at the desk); never stored


def issue_activation_code(
    *,
    by: User,
    patient_id: int,
    send_by_text: bool = False,
    send_by_email: bool = False,
    activate_url: str = "",
) -> IssuedCode:
    """A code the patient uses to make their own account: by the program's admins and its clinicians, for a
    record without an account. Any unused earlier code stops working. With `send_by_text`, the code also goes
    to the record's phone through the configured text-message adapter (keel.reminders.channels): no phone,
    or no adapter, is refused before any code is made; the message names no program and no health words.
    With `send_by_email`, the same words go to the record's email through KEEL_EMAIL_URL (no email on the
    record is refused before any code is made)."""
    import secrets
    from datetime import timedelta

    from django.conf import settings

    patient = policy.get_patient_or_404(
        by, patient_id, action=Action.CREATE, target_type="activation_code", audit_success=False
    )
    if not policy.can_register_patient(by, patient.program_id):
        _audit_denial(by, patient, "activation_code", "role may not issue activation codes")
        raise NotAllowed(_("Program admins, counselors, nurses and prescribers give activation codes."))
    if patient.user_id is not None:
        raise FieldsInvalid([FieldError("patient", _("this person already has an account"))])
    sender = None
    if send_by_text:
        from keel.reminders.channels import sms_sender

        sender = sms_sender()
        if not patient.phone:
            raise FieldsInvalid([FieldError("send_by_text", _("the record has no phone number"))])
        if sender is None:
            raise FieldsInvalid([FieldError("send_by_text", _("text messages are not set up in this Keel"))])
    if send_by_email and not patient.email:
        raise FieldsInvalid([FieldError("send_by_email", _("the record has no email address"))])
    code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
    now = timezone.now()
    with transaction.atomic():
        ActivationCode.objects.filter(patient=patient, purpose="activate", used_at__isnull=True).delete()
        row = ActivationCode.objects.create(
            patient=patient,
            digest=_code_digest(code),
            created_by=by,
            created_at=now,
            expires_at=now + timedelta(days=settings.KEEL_ACTIVATION_DAYS),
        )
        audit.record(
            actor=by,
            action=Action.CREATE,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="activation_code",
            target_id=row.pk,
            detail={"sent_by_text": sender is not None, "sent_by_email": bool(send_by_email)},
        )
    shown = "-".join(code[i : i + 4] for i in range(0, CODE_LENGTH, 4))
    if sender is not None:
        _text_code(sender, patient, shown, activate_url, row.expires_at)
    if send_by_email:
        _email_code(patient, shown, activate_url, row.expires_at)
    return IssuedCode(row, shown)


def _code_words(patient: Patient, code: str, activate_url: str, expires_at: Any) -> str:
    """The message with the code, in the patient's language: no program, no health words."""
    from django.utils import translation

    with translation.override(patient.preferred_language):  # the patient's language, not the desk's
        return _(
            "Your Keel code is %(code)s. Open %(url)s to make your account. It works once, until %(day)s."
        ) % {"code": code, "url": activate_url, "day": expires_at.date().isoformat()}


def _email_code(patient: Patient, code: str, activate_url: str, expires_at: Any) -> None:
    """The code by email (KEEL_EMAIL_URL), after the code is committed; a failed send is audited (the class
    only) and the desk still has the code on screen."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.utils import translation

    with translation.override(patient.preferred_language):
        subject = _("Your Keel code")
    body = _code_words(patient, code, activate_url, expires_at)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [patient.email], fail_silently=False)
    except Exception as exc:  # smtplib's errors, refused connections, timeouts: only the class is kept
        audit.record(
            actor=None,
            action=Action.UPDATE,
            outcome=Outcome.FAILURE,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="activation_code",
            reason=f"email not sent: {type(exc).__name__}",
        )


def _text_code(sender: Any, patient: Patient, code: str, activate_url: str, expires_at: Any) -> None:
    """The code by text message, after the code is committed; a failed send is audited (the class only) and
    the desk still has the code on screen."""
    from keel.reminders.channels import Message

    body = _code_words(patient, code, activate_url, expires_at)
    try:
        sender.send(Message(to=patient.phone, subject="", body=body, stop_url=""))
    except Exception as exc:  # any provider's failure; only its class is kept
        audit.record(
            actor=None,
            action=Action.UPDATE,
            outcome=Outcome.FAILURE,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="activation_code",
            reason=f"text message not sent: {type(exc).__name__}",
        )


def activate(*, code: str, username: str, password: str, password_again: str) -> User:
    """The patient makes their own account with the code from the desk: a username and a password. The code
    then stops working. A wrong, used or expired code gets one answer."""

    errors: list[FieldError] = []
    username = (username or "").strip()
    if not username or len(username) > 150:
        errors.append(FieldError("username", _("give a username of 1 to 150 characters")))
    if not password:
        errors.append(FieldError("password", _("this is required")))
    elif password != password_again:
        errors.append(FieldError("password_again", _("the two passwords differ")))
    if not code or len(code) > 40:
        errors.append(FieldError("code", _("this code does not work; ask the front desk for a new one")))
    if errors:
        raise FieldsInvalid(errors)
    try:
        return _activate(code, username, password)
    except _CodeDidNotWork:
        audit.record(  # outside the refused write's transaction, so the failure stays on record
            actor=None,
            action=Action.FAILED_LOGIN,
            outcome=Outcome.FAILURE,
            target_type="activation_code",
            reason="activation code did not work",
        )
        raise FieldsInvalid(
            [FieldError("code", _("this code does not work; ask the front desk for a new one"))]
        ) from None


class _CodeDidNotWork(Exception):
    pass


def _activate(code: str, username: str, password: str) -> User:
    from keel.accounts import services as accounts

    with transaction.atomic():
        row = (
            ActivationCode.objects.select_for_update()
            .select_related("patient__program")
            .filter(
                digest=_code_digest(code),
                purpose="activate",
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )
        if row is None or row.patient.user_id is not None:
            raise _CodeDidNotWork()
        try:
            user, _device = accounts.create_user(
                username=username,
                role=Role.PATIENT,
                password=password,
                program_slug=row.patient.program.slug,
                first_name=row.patient.preferred_name or row.patient.given_name,
            )
        except accounts.AccountError as exc:
            raise FieldsInvalid([FieldError(exc.field, exc.message)]) from None
        Patient.objects.filter(pk=row.patient.pk).update(user=user)
        _spend_code(row, user, target_type="activation_code", reason="account made")
    return user


def _spend_code(row: ActivationCode, user: User, *, target_type: str, reason: str) -> None:
    """A one-time code used: marked spent and audited as the account's own act (inside the caller's
    transaction)."""
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    audit.record(
        actor=user,
        action=Action.UPDATE,
        patient_id=row.patient.pk,
        program_id=row.patient.program_id,
        target_type=target_type,
        target_id=row.pk,
        reason=reason,
    )


# --- A password reset started at the desk (issue #18) ----------------------------------------------------


def issue_reset_code(*, by: User, patient_id: int, data: dict[str, Any]) -> IssuedCode:
    """A patient who forgot their password and has no email to reset it with comes to the desk: the program's
    admins and its clinicians, having checked who they are (`identity_checked`), give a one-time code like the
    activation code (shown once, digest stored, KEEL_ACTIVATION_DAYS). Any unused earlier reset code stops
    working. Audited; the password is unchanged until the patient uses the code."""
    import secrets
    from datetime import timedelta

    from django.conf import settings

    patient = policy.get_patient_or_404(
        by, patient_id, action=Action.CREATE, target_type="password_reset", audit_success=False
    )
    if not policy.can_register_patient(by, patient.program_id):
        _audit_denial(by, patient, "password_reset", "role may not start a password reset")
        raise NotAllowed(_("Program admins, counselors, nurses and prescribers start a password reset."))
    _refuse_emergency_access(by, patient, "password_reset", "start a password reset")
    if not _confirmed(data.get("identity_checked")):
        raise FieldsInvalid(
            [FieldError("identity_checked", _("check who the person is first, then confirm it here"))]
        )
    if patient.user_id is None:
        raise FieldsInvalid([FieldError("patient", _("this person has no account yet"))])
    code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
    now = timezone.now()
    with transaction.atomic():
        ActivationCode.objects.filter(patient=patient, purpose="reset", used_at__isnull=True).delete()
        row = ActivationCode.objects.create(
            patient=patient,
            purpose="reset",
            digest=_code_digest(code),
            created_by=by,
            created_at=now,
            expires_at=now + timedelta(days=settings.KEEL_ACTIVATION_DAYS),
        )
        audit.record(
            actor=by,
            action=Action.CREATE,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="password_reset",
            target_id=row.pk,
            reason="password reset started at the desk",
            detail={"identity_checked": True},
        )
    return IssuedCode(row, "-".join(code[i : i + 4] for i in range(0, CODE_LENGTH, 4)))


def reset_password_with_code(*, code: str, password: str, password_again: str) -> User:
    """The patient sets a new password with the code from the desk. Every session and token of the account
    ends; the code then stops working. A wrong, used or expired code gets one answer (audited)."""
    errors: list[FieldError] = []
    if not password:
        errors.append(FieldError("password", _("this is required")))
    elif password != password_again:
        errors.append(FieldError("password_again", _("the two passwords differ")))
    if not code or len(code) > 40:
        errors.append(FieldError("code", _("this code does not work; ask the front desk for a new one")))
    if errors:
        raise FieldsInvalid(errors)
    try:
        return _reset_password(code, password)
    except _CodeDidNotWork:
        audit.record(
            actor=None,
            action=Action.FAILED_LOGIN,
            outcome=Outcome.FAILURE,
            target_type="password_reset",
            reason="password reset code did not work",
        )
        raise FieldsInvalid(
            [FieldError("code", _("this code does not work; ask the front desk for a new one"))]
        ) from None


def _reset_password(code: str, password: str) -> User:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from keel.accounts import services as accounts

    with transaction.atomic():
        row = (
            ActivationCode.objects.select_for_update(of=("self",))  # the code's row; the user may be null
            .select_related("patient__user")
            .filter(
                digest=_code_digest(code),
                purpose="reset",
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )
        if row is None or row.patient.user is None or not row.patient.user.is_active:
            raise _CodeDidNotWork()
        user = row.patient.user
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise FieldsInvalid([FieldError("password", " ".join(exc.messages))]) from None
        user.set_password(password)
        user.save(update_fields=["password"])
        accounts.end_sessions(user)
        accounts.revoke_tokens(user)
        _spend_code(row, user, target_type="password_reset", reason="password set with a desk code")
    return user


# --- A patient's second factor, reset by their care team (issue #18) ------------------------------------

MAX_RESET_REASON = 500


def _mfa_patient(by: User, patient_id: int, action: Action) -> Patient:
    patient = policy.get_patient_or_404(by, patient_id, action=action, target_type="mfa", audit_success=False)
    if not policy.can_reset_patient_second_factor(by, patient):
        _audit_denial(by, patient, "mfa", "role may not reset a patient's second factor")
        raise NotAllowed(_("Counselors, nurses and prescribers on the care team reset two-step sign-in."))
    return patient


def second_factor_page(*, by: User, patient_id: int) -> Patient:
    """The reset page's record: the same check as the reset, and one audited read."""
    patient = _mfa_patient(by, patient_id, Action.READ)
    audit.record_for_patient(by, patient, Action.READ, "mfa")
    return patient


def reset_second_factor(*, by: User, patient_id: int, data: dict[str, Any]) -> Patient:
    """A patient lost their authenticator: a clinician on their care team, having checked who they are (an
    identity check confirmed, and a reason), removes it. Every session and token of the patient's account
    ends; they sign in with their password alone until they add an app again. Audited with the reason."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from keel.accounts import services as accounts

    patient = _mfa_patient(by, patient_id, Action.UPDATE)
    errors: list[FieldError] = []
    reason = " ".join(str(data.get("reason") or "").split())
    if len(reason) < 3:
        errors.append(FieldError("reason", _("say why, in a few words")))
    elif len(reason) > MAX_RESET_REASON:
        errors.append(FieldError("reason", _("at most %(n)d characters") % {"n": MAX_RESET_REASON}))
    if data.get("identity_checked") not in (True, "on", "true", "1"):
        errors.append(
            FieldError("identity_checked", _("check who the person is first, then confirm it here"))
        )
    if errors:
        raise FieldsInvalid(errors)
    user = patient.user
    if user is None:
        raise FieldsInvalid([FieldError("patient", _("this person has no account yet"))])
    if not accounts.has_totp_device(user):
        raise FieldsInvalid([FieldError("patient", _("this person does not use two-step sign-in"))])
    with transaction.atomic():
        removed, _rows = TOTPDevice.objects.filter(user=user).delete()
        accounts.end_sessions(user)
        accounts.revoke_tokens(user)
        audit.record(
            actor=by,
            action=Action.UPDATE,
            patient_id=patient.pk,
            program_id=patient.program_id,
            target_type="mfa",
            target_id=user.pk,
            reason=f"second factor reset: {reason}",
            detail={"devices_removed": removed, "identity_checked": True},
        )
    return patient
