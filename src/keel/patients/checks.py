"""The checks of the desk's bodies whose field lists are the core's (`keel.core.desk`: registration, contact
details, discharge, readmission, the bulk care team) but whose checks need the program (today in its zone),
the record as it stands or Django's email validator: each field's parser and each body's check, naming every
bad field at once, in form order and in the words the desk has always used (translated where written, `_()`).

`keel.patients.schemas` runs them as its models' parse (`CoreIn.checked`); the services hand over the
context (today, the record's contact details) only after their access checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from keel.core.desk import (
    BIRTH_SEXES,
    CONTACT_FIELDS,
    END_REASONS,
    EPISODE_KINDS,
    GENDERS,
    LANGUAGES,
    MAX_BULK,
    MAX_EMAIL,
    TEXT_LIMITS,
    TRANSFER_PARTS,
    email_domain_ok,
)
from keel.core.desk import REQUIRED_NAMES as REQUIRED
from keel.core.digits import ascii_digits
from keel.core.rules.inputs import EARLIEST_DAY, FieldError, FieldsInvalid

EARLIEST_BIRTH = EARLIEST_DAY  # lane tok26: the one floor of every date input (keel.core.rules.inputs)
# A phone number: digits, spaces, + - ( ) . and an optional extension ("x 12", "ext. 12"), at least 7 digits
# (the activation code and reminders go to it by text message).
PHONE_FIELDS = ("phone", "emergency_contact_phone")
_PHONE = re.compile(r"^(?P<number>\+?[\d ().-]+?)(?:\s*(?:x|ext\.?|extension)\s*\d{1,6})?$", re.IGNORECASE)
MIN_PHONE_DIGITS = 7
# The two confirmations at admission (issue #18): the Part 2 patient notice (42 CFR 2.22) and consent to
# treatment; each is stored with who confirmed it and when.
CONFIRMATIONS = ("notice_given", "consented")
_RECORD_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # what a date field takes (not 20260301: review 14a)
_WHOLE = re.compile(r"[0-9]+")  # ASCII digits only (a superscript two passes str.isdigit, not int)


def _confirmed(value: object) -> bool:
    """A confirmation: JSON's true, or a ticked box's posted value (a JSON body's 1 or "true" is refused by
    its type first, `CoreIn.json_errors`)."""
    return value is True or value in ("true", "on", "1")


def _email(data: Mapping[str, object], errors: list[FieldError]) -> str:
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
        email = ""
    if not email_domain_ok(email):
        errors.append(FieldError("email", _("give an email address like name@example.org")))
        return ""
    return email


def _text(data: Mapping[str, object], name: str, errors: list[FieldError]) -> str:
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
    return match is not None and sum(ascii_digits(c) for c in match["number"]) >= MIN_PHONE_DIGITS


def _date(value: object, name: str, errors: list[FieldError], *, today: date, required: bool) -> date | None:
    if value in (None, ""):
        if required:
            errors.append(FieldError(name, _("this is required")))
        return None
    if isinstance(value, date):
        parsed = value
    else:
        try:
            if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
                raise ValueError(value)
            parsed = date.fromisoformat(value)
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
    data: Mapping[str, object], name: str, choices: list[str], default: str, errors: list[FieldError]
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


def _check_admission_confirmations(data: Mapping[str, object], errors: list[FieldError]) -> None:
    """Every admission, the first and each readmission, confirms that the person received the Part 2 patient
    notice (42 CFR 2.22) and consented to treatment; each missing confirmation is named."""
    if not _confirmed(data.get("notice_given")):
        notice = _("give the person the privacy notice for their records, then confirm")
        errors.append(FieldError("notice_given", notice))
    if not _confirmed(data.get("consented")):
        errors.append(FieldError("consented", _("the person must consent to treatment; then confirm")))


# --- Registration ---


def _record_number(data: Mapping[str, object], errors: list[FieldError]) -> str:
    """Check: the record number given, if any, is 1 to 32 letters, digits, dots, hyphens or underscores."""
    record_number = data.get("record_number") or ""
    if not isinstance(record_number, str) or (
        record_number and not _RECORD_NUMBER.match(record_number.strip())
    ):
        errors.append(FieldError("record_number", _("1 to 32 letters, digits, dots, hyphens or underscores")))
        record_number = ""
    return str(record_number.strip())


def _check_emergency_contact(fields: Mapping[str, str], errors: list[FieldError]) -> None:
    """Check: an emergency contact has both a name and a phone."""
    contact_name, contact_phone = fields["emergency_contact_name"], fields["emergency_contact_phone"]
    if (contact_phone or fields["emergency_contact_relationship"]) and not contact_name:
        errors.append(FieldError("emergency_contact_name", _("give the emergency contact's name")))
    if contact_name and not contact_phone:
        errors.append(FieldError("emergency_contact_phone", _("give the emergency contact's phone")))


def _episode_kind(data: Mapping[str, object], errors: list[FieldError]) -> str:
    """Check: the kind of care is chosen, and is one of the episode kinds."""
    kind = _choice(data, "episode_kind", list(EPISODE_KINDS), "", errors)
    if not kind and not any(e.field == "episode_kind" for e in errors):
        errors.append(FieldError("episode_kind", _("choose the kind of care")))
    return kind


@dataclass(frozen=True)
class Admission:
    """What a registration is judged against: today in the program's zone, and the program's problem (its
    slug chosen among the caller's programs, `registration._program_for`), named first."""

    today: date
    program: str
    errors: tuple[FieldError, ...] = ()


def registration(data: Mapping[str, object], at: Admission) -> dict[str, object]:
    """Every field checked, in the form's order, each wrong one named (FieldsInvalid); the checked values."""
    errors: list[FieldError] = list(at.errors)
    today = at.today
    fields = {name: _text(data, name, errors) for name in TEXT_LIMITS}
    born = _date(data.get("date_of_birth"), "date_of_birth", errors, today=today, required=True)
    started = _date(data.get("started_on"), "started_on", errors, today=today, required=False) or today
    gender = _choice(data, "gender", list(GENDERS), "unknown", errors)
    birth_sex = _choice(data, "birth_sex", list(BIRTH_SEXES), "", errors)
    language = _choice(data, "preferred_language", list(LANGUAGES), _default_language(), errors)
    record_number = _record_number(data, errors)
    if born and started < born:
        errors.append(FieldError("started_on", _("cannot be before the date of birth")))
    email = _email(data, errors)
    _check_emergency_contact(fields, errors)
    kind = _episode_kind(data, errors)
    _check_admission_confirmations(data, errors)
    not_a_duplicate = _confirmed(data.get("not_a_duplicate"))
    if errors:
        raise FieldsInvalid(errors)
    return {
        **fields,
        "program": at.program,
        "date_of_birth": born,
        "started_on": started,
        "gender": gender,
        "birth_sex": birth_sex,
        "preferred_language": language,
        "record_number": record_number,
        "email": email,
        "episode_kind": kind,
        "notice_given": True,
        "consented": True,
        "not_a_duplicate": not_a_duplicate,
    }


def _default_language() -> str:
    from keel.patients.models import default_language

    return default_language()


# --- Contact details ---


def contact(data: Mapping[str, object], current: Mapping[str, str]) -> dict[str, object]:
    """The contact details given (only those; None: left as it is), every wrong one named at once: a key not
    among them "cannot be changed here"; an emergency contact judged with the record's `current` details."""
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
            values[name] = _choice(data, name, list(LANGUAGES), "", errors)
            if not values[name] and not any(e.field == name for e in errors):
                errors.append(FieldError(name, _("choose one of: %(choices)s") % {"choices": "en, es"}))
        else:
            values[name] = _text(data, name, errors)
    merged = {n: values.get(n, current[n]) for n in CONTACT_FIELDS}
    _check_emergency_contact(merged, errors)
    version = data.get("version")
    whole = isinstance(version, int) and not isinstance(version, bool)
    if (
        version not in (None, "")
        and not whole
        and not (isinstance(version, str) and _WHOLE.fullmatch(version))
    ):
        errors.append(FieldError("version", _("must be a whole number")))
    if errors:
        raise FieldsInvalid(errors)
    return {
        **{n: values.get(n) for n in CONTACT_FIELDS},
        "version": None if version in (None, "") else int(str(version)),
    }


# --- Episodes of care ---


def discharge(data: Mapping[str, object], today: date) -> dict[str, object]:
    """The end date (not in the future; blank: today) and a reason; a transfer's parts passed on as they are
    (the sharing app's check judges them, inside the discharge's transaction)."""
    errors: list[FieldError] = []
    ended = _date(data.get("ended_on"), "ended_on", errors, today=today, required=False) or today
    reason = _choice(data, "reason", list(END_REASONS), "", errors)
    if not reason and not any(e.field == "reason" for e in errors):
        errors.append(FieldError("reason", _("this is required")))
    if reason and reason != "transferred":  # a transfer's parts are not silently dropped (review 14a); a
        # password is not one (a browser may fill the page's password box in whatever the reason)
        errors.extend(
            FieldError(part, _("only for a transfer"))
            for part in TRANSFER_PARTS
            if part != "password" and data.get(part) not in (None, "")
        )
    if errors:
        raise FieldsInvalid(errors)
    return {
        "ended_on": ended,
        "reason": reason,
        "recipient_name": data.get("recipient_name"),
        "consent": data.get("consent"),
        "purpose": data.get("purpose"),
        "purpose_text": data.get("purpose_text"),
        "password": data.get("password"),
    }


def readmission(data: Mapping[str, object], today: date) -> dict[str, object]:
    """The start date (not in the future; blank: today), the kind (blank: the last episode's, decided in the
    service) and the two confirmations, asked again at each readmission (issue #18)."""
    errors: list[FieldError] = []
    started = _date(data.get("started_on"), "started_on", errors, today=today, required=False) or today
    kind = _choice(data, "episode_kind", list(EPISODE_KINDS), "", errors)
    _check_admission_confirmations(data, errors)
    if errors:
        raise FieldsInvalid(errors)
    return {"started_on": started, "episode_kind": kind or None, "notice_given": True, "consented": True}


# --- Care teams ---


def _whole_or_none(value: object) -> int | None:
    """A staff member's id as `int()` reads it (None: not one; judged after the access checks)."""
    if not isinstance(value, str | int | float):  # a list, an object or null: int() refuses it too
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def care_teams(data: Mapping[str, object]) -> dict[str, object]:
    """The patients (1 to MAX_BULK ids, each once, sorted) and the staff member's id (None when it names no
    one: refused after the scope and role checks, as before)."""
    raw = data.get("patient_ids")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_BULK:
        raise FieldsInvalid([FieldError("patient_ids", _("choose 1 to %(n)d people") % {"n": MAX_BULK})])
    try:
        ids = sorted({int(i) for i in raw})
    except (TypeError, ValueError, OverflowError):  # (a JSON 1e400 is an infinite float: was a 500)
        raise FieldsInvalid([FieldError("patient_ids", _("choose people from the list"))]) from None
    return {"patient_ids": ids, "user_id": _whole_or_none(data.get("user_id"))}
