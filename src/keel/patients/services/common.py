"""What the patient writes share: the audited denial of an in-scope action (and of emergency access, which is
for reading), and the parsers of the fields the desk fills in (names, phones, email, dates, choices, the
two confirmations at admission)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from keel.access import policy
from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core.rules.inputs import FieldError, FieldsInvalid, InvalidInput
from keel.patients.errors import NotAllowed
from keel.patients.models import Patient
from keel.web.field_words import said


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


def in_language(exc: InvalidInput) -> FieldsInvalid:
    """The core's field errors in the caller's language, as these services have always named them (their
    words were translated where they were written): the API's 422 and the pages say the same."""
    return FieldsInvalid([FieldError(e.field, said(e)) for e in exc.errors])


EARLIEST_BIRTH = date(1900, 1, 1)
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


def _check_admission_confirmations(data: dict[str, Any], errors: list[FieldError]) -> None:
    """Every admission, the first and each readmission, confirms that the person received the Part 2 patient
    notice (42 CFR 2.22) and consented to treatment; each missing confirmation is named."""
    if not _confirmed(data.get("notice_given")):
        notice = _("give the person the privacy notice for their records, then confirm")
        errors.append(FieldError("notice_given", notice))
    if not _confirmed(data.get("consented")):
        errors.append(FieldError("consented", _("the person must consent to treatment; then confirm")))


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
