"""Contact details after registration (issue #18): how to reach the person and what they are called. Who may
change them, and the page's audited read of them, is `keel.patients.queries.contact_patient`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.desk import CONTACT_FIELDS
from keel.core.rules.inputs import InvalidInput
from keel.patients.models import Patient
from keel.patients.queries import contact_patient
from keel.patients.services.common import in_language
from keel.recovery.common import StaleEdit

if TYPE_CHECKING:
    from keel.api_body import Posted
    from keel.patients.schemas import ContactIn

__all__ = ["CONTACT_FIELDS", "update_contact"]


def update_contact(*, by: User, patient_id: int, data: Posted[ContactIn]) -> list[str]:
    """Change some of a patient's contact details and preferred language (only the fields given; every wrong
    one named at once; nothing written unless all are right). `version`, when given, must be the record's
    (another person's edit in between: StaleEdit). The patient's account follows the language. Audited with
    the names of the fields that changed, never their values. Returns those names."""
    patient = contact_patient(by, patient_id)
    current = {n: getattr(patient, n) for n in CONTACT_FIELDS}  # an emergency contact is judged whole
    try:
        form = data.parse(context=current)
    except InvalidInput as exc:
        raise in_language(exc) from None
    values, version = form.given(), form.version
    with transaction.atomic():
        row = Patient.objects.select_for_update(no_key=True).get(pk=patient.pk)
        if version is not None and version != row.version:
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
