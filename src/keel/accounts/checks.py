"""The checks of a program admin's bodies whose field lists are the core's (`keel.core.program`: the staff
invitation, the program settings) but which need Django (its email validator; the server's today for the
closure days): every bad field named at once, in form order, in the words these pages have always used
(translated where written, `_()`). `keel.accounts.schemas` runs them as its models' parse; the services call
that parse only after their access checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from keel.core.desk import email_domain_ok
from keel.core.program import (
    MAX_CLOSURE_DAYS,
    MAX_CONTACT_ADDRESS,
    MAX_CONTACT_PHONE,
    MAX_NAME,
    STAFF_ROLES,
)
from keel.core.rules.inputs import FieldError, FieldsInvalid, JsonConstant
from keel.core.wall_time import is_time_zone
from keel.patients.models import day_in


def _text(data: Mapping[str, object], name: str, errors: list[FieldError]) -> str:
    """A text field, whitespace collapsed (absent or null: blank); anything but text is named (review 14a: a
    list, an object, a flag or a number was stored as Python wrote it)."""
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or isinstance(value, JsonConstant):
        errors.append(FieldError(name, _("must be text")))
        return ""
    return " ".join(value.split())


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# --- The staff invitation ---


def invitation(data: Mapping[str, object]) -> dict[str, object]:
    """The invitation's email, staff role and names, checked: every bad field named at once."""
    errors: list[FieldError] = []
    email = str(data.get("email") or "").strip()
    try:
        validate_email(email)
        if not email_domain_ok(email):  # a bare host or an IP literal (review 14a)
            raise ValidationError("no domain name")
    except ValidationError:
        errors.append(FieldError("email", _("give an email address such as name@example.org")))
    role = str(data.get("role") or "")
    if role not in STAFF_ROLES:
        errors.append(
            FieldError(
                "role",
                _("choose one of: %(choices)s") % {"choices": ", ".join(sorted(STAFF_ROLES))},
            )
        )
    names = {}
    for name in ("first_name", "last_name"):
        value = _text(data, name, errors)
        if len(value) > MAX_NAME:
            errors.append(FieldError(name, _("at most %(n)d characters") % {"n": MAX_NAME}))
        names[name] = value
    if errors:
        raise FieldsInvalid(errors)
    return {"email": email, "role": role, **names}


# --- The program settings ---


def program_settings(
    data: Mapping[str, object], current: Mapping[str, object] | None = None
) -> dict[str, object]:
    """The new settings from the posted fields, or FieldsInvalid naming every field wrong, in form order. A
    field the body leaves out (all but the time zone may be: the published schema) is left as it is, judged
    with the rest (review 14a: a body of only the time zone cleared the hours, closure days and contact); a
    null clears it, as a page's blank does."""
    if current:
        data = {**{k: _as_posted(v) for k, v in current.items() if k != "time_zone"}, **data}
    errors: list[FieldError] = []
    zone = _settings_time_zone(data, errors)
    opens, closes = _settings_dosing_hours(data, errors)
    days = _settings_closure_days(data, errors, zone)
    contact = _settings_contact(data, errors)
    if errors:
        raise FieldsInvalid(errors)
    return {
        "time_zone": zone,
        "dosing_opens": opens,
        "dosing_closes": closes,
        "closure_days": sorted(set(days)),
        **contact,
    }


def _as_posted(value: object) -> object:
    """A stored setting as a body would post it (a wall-clock time as HH:MM)."""
    return value.strftime("%H:%M") if isinstance(value, time) else value


def _settings_time_zone(data: Mapping[str, object], errors: list[FieldError]) -> str:
    zone = str(data.get("time_zone") or "")
    if not is_time_zone(zone):
        errors.append(FieldError("time_zone", _("choose a time zone such as America/Chicago")))
    return zone


def _settings_time(data: Mapping[str, object], name: str, errors: list[FieldError]) -> time | None:
    """A wall-clock time in the program's zone (HH:MM, no offset), or None when left blank."""
    raw = data.get(name)
    if raw in (None, ""):
        return None
    try:
        parsed = time.fromisoformat(str(raw))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is not None:  # wall-clock time in the program's zone, no offset
        errors.append(FieldError(name, _("give a time as HH:MM")))
        return None
    return parsed


def _settings_dosing_hours(
    data: Mapping[str, object], errors: list[FieldError]
) -> tuple[time | None, time | None]:
    """Both dosing-window times or neither, the closing after the opening."""
    opens, closes = (
        _settings_time(data, "dosing_opens", errors),
        _settings_time(data, "dosing_closes", errors),
    )
    if (opens is None) != (closes is None) and not errors:
        errors.append(
            FieldError("dosing_closes", _("give both the opening and the closing time, or neither"))
        )
    elif opens and closes and opens >= closes:
        errors.append(FieldError("dosing_closes", _("must be after the opening time")))
    return opens, closes


def _settings_closure_days(data: Mapping[str, object], errors: list[FieldError], zone: str) -> list[str]:
    """Closure days as ISO dates (a list, or one string split on commas and spaces), within a year back and
    two years ahead of today in the program's zone (lane zones39; the server's only while the zone given is
    refused), at most MAX_CLOSURE_DAYS distinct."""
    raw_days = data.get("closure_days")
    if raw_days is None or raw_days == "":
        raw_days = []
    if isinstance(raw_days, str):
        raw_days = [d for d in raw_days.replace(",", " ").split() if d]
    days: list[str] = []
    if not isinstance(raw_days, list):
        errors.append(FieldError("closure_days", _("give a list of dates")))
        return days
    today = day_in(zone) if is_time_zone(zone) else timezone.localdate()
    for raw in raw_days:
        try:
            if not isinstance(raw, str) or not _ISO_DATE.fullmatch(raw):  # not 20261225 (review 14a)
                raise ValueError(raw)
            day = date.fromisoformat(raw)
        except ValueError:
            errors.append(FieldError("closure_days", _("give each date as YYYY-MM-DD")))
            break
        if not today - timedelta(days=366) <= day <= today + timedelta(days=2 * 366):
            errors.append(FieldError("closure_days", _("each date within a year back and two years ahead")))
            break
        days.append(day.isoformat())
    if len(set(days)) > MAX_CLOSURE_DAYS:
        errors.append(FieldError("closure_days", _("at most %(n)d days") % {"n": MAX_CLOSURE_DAYS}))
    return days


def _settings_contact(data: Mapping[str, object], errors: list[FieldError]) -> dict[str, str]:
    """The contact phone and address, whitespace collapsed, within their lengths."""
    contact = {}
    for name, limit in (("contact_phone", MAX_CONTACT_PHONE), ("contact_address", MAX_CONTACT_ADDRESS)):
        value = _text(data, name, errors)
        if len(value) > limit:
            errors.append(FieldError(name, _("at most %(n)d characters") % {"n": limit}))
        contact[name] = value
    return contact
