"""Contact details after registration (issue #18): how to reach the person and what they are called."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.rules.inputs import FieldError, FieldsInvalid
from keel.patients.errors import NotAllowed
from keel.patients.models import Patient
from keel.patients.services.common import (
    LANGUAGES,
    _audit_denial,
    _choice,
    _email,
    _refuse_emergency_access,
    _text,
)
from keel.recovery.common import StaleEdit

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
