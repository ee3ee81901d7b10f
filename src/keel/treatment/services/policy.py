"""Program policy, written: a program admin sets a value (audited, with history), a prescriber overrides one
value for one person, a discharge ends the person's overrides. The reads are in
`keel.treatment.queries.policy`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from keel.access import policy as access
from keel.access.errors import ClinicalNotAllowed
from keel.access.errors import NotAllowed as AccessNotAllowed
from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core import rules
from keel.core.reasons import reason_problem, reason_text
from keel.core.rules import policy as core_policy
from keel.core.rules.inputs import FieldError, InvalidInput
from keel.core.rules.policy import Setting
from keel.core.text import visible_length
from keel.core.words import gettext_noop as N_
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import PolicyChange, PolicySetting
from keel.treatment.queries.policy import PROGRAM_RULES, owning_rule, program_for

if TYPE_CHECKING:
    from keel.patients.models import Patient
    from keel.treatment.models import PatientPolicyOverride


class PolicyNotAllowed(AccessNotAllowed, PermissionError):
    pass


def set_value(
    *,
    by: User,
    program_slug: str | None,
    rule: str,
    field: str,
    value: object,
    reason: str,
    now: datetime | None = None,
) -> PolicySetting:
    """Set one policy value (program admins only; bounds checked; reason required; audited with history)."""
    program = program_for(by, program_slug)
    if not access.can_change_policy(by, program.pk):
        audit.record(
            actor=by,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            program_id=program.pk,
            target_type="program_policy",
            reason="role may not change program policy",
        )
        raise PolicyNotAllowed("Only a program admin changes program policy.")
    default, value, reason = _checked_change(
        rule, field, value, reason, N_("say why the program changes this value")
    )
    now = now or timezone.now()
    with transaction.atomic():
        setting = (
            PolicySetting.objects.select_for_update().filter(program=program, rule=rule, field=field).first()
        )
        old = setting.value if setting else default
        if setting is None:
            setting = PolicySetting(program=program, rule=rule, field=field)
        setting.value, setting.set_by, setting.set_at, setting.reason = value, by, now, reason
        setting.save()
        PolicyChange.objects.create(
            program=program,
            rule=rule,
            field=field,
            old_value=old,
            new_value=value,
            changed_by=by,
            changed_at=now,
            reason=reason,
        )
        audit.record(
            actor=by,
            action=Action.UPDATE,
            program_id=program.pk,
            target_type="program_policy",
            target_id=f"{rule}.{field}",
            # the typed text only on PolicyChange, never in the audit trail (review 20b)
            reason="admin's reason recorded on the policy change",
            detail={"old": old, "new": value},
        )
    return setting


def end_patient_overrides(patient: Patient, now: datetime) -> list[int]:
    """Discharge revokes the person's policy overrides (review 13d): a prescriber's value for one person
    (a day-1 limit for high tolerance, say) was a judgment about that episode; after time away tolerance
    may be lost, so a readmission starts from the program's policy. The rows stay, with `revoked_at`.
    Called by `patients.services.discharge` inside its transaction; returns the ids revoked."""
    from keel.treatment.models import PatientPolicyOverride

    ended = list(
        PatientPolicyOverride.objects.filter(patient=patient, revoked_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    PatientPolicyOverride.objects.filter(pk__in=ended).update(revoked_at=now)
    return ended


def override_for_patient(
    *,
    by: User,
    patient_id: int,
    rule: str,
    field: str,
    value: object,
    reason: str,
    now: datetime | None = None,
) -> PatientPolicyOverride:
    """A prescriber sets one policy value for one patient (bounded; reason required; audited). An existing
    override of the same value is revoked first (kept in the record)."""
    patient = _patient_for_override(by, patient_id)
    value, text = _checked_override(rule, field, value, reason)
    with transaction.atomic():
        return _replace_override(by, patient, rule, field, value, text, now or timezone.now())


def _patient_for_override(by: User, patient_id: int) -> Patient:
    """The person, for a prescriber: else 404 (out of scope) or 403 (another role, or break-the-glass)."""
    from keel.access.policy import Area

    return access.get_patient_for_action_or_404(
        by,
        patient_id,
        Action.CREATE,
        area=Area.CLINICAL,
        target_type="patient_policy",
        allowed=access.can_prescribe(by),
        what="override policy",
        error=ClinicalNotAllowed,
        message="Only a prescriber overrides policy for a patient.",
        emergency_access=False,
        audit_success=False,
    )


def _checked_override(rule: str, field: str, value: object, reason: str) -> tuple[object, str]:
    """The checked value and the trimmed reason; raises TreatmentInvalid naming every problem."""
    problems: list[FieldError] = []
    try:
        _default, value, text = _checked_change(
            rule, field, value, reason, N_("write the clinical reason (required)")
        )
    except TreatmentInvalid as exc:
        problems, text = list(exc.errors), ""
    # Review 13d: one person's limits changed is a clinical judgment: a reason of substance, as a dose
    # override's ("x" documented nothing)
    why = reason_problem(reason_text(reason))
    if why and not any(e.field == "reason" for e in problems):
        problems.append(FieldError("reason", why))
    if problems:
        raise TreatmentInvalid(problems)
    return value, text


def _replace_override(
    by: User, patient: Patient, rule: str, field: str, value: object, text: str, now: datetime
) -> PatientPolicyOverride:
    """Revoke the person's override of this value (the row stays), write the new one and its audit row."""
    from keel.treatment.models import PatientPolicyOverride

    PatientPolicyOverride.objects.filter(
        patient=patient, rule=rule, field=field, revoked_at__isnull=True
    ).update(revoked_at=now)
    row = PatientPolicyOverride.objects.create(
        patient=patient,
        rule=rule,
        field=field,
        value=value,
        reason=text,
        prescriber=by,
        created_at=now,
    )
    audit.record_for_patient(
        by,
        patient,
        Action.CREATE,
        "patient_policy",
        row.pk,
        reason="prescriber's reason recorded on the person's policy",  # the text only on the row (review 19b)
        detail={"rule": rule, "field": field, "value": value},
    )
    return row


def _checked_change(
    rule: str, field: str, value: object, reason: str, missing_reason: str
) -> tuple[Setting, Setting, str]:
    """Check one proposed policy value (a program rule's field, within its bounds) and its reason. Returns
    the field's default, the checked value and the trimmed reason; raises TreatmentInvalid naming each
    problem. The reason is a reason of substance (`reason_problem`, the one check of a typed reason; review
    23s: a program-wide dose value changed with the reason "x" said nothing): a missing reason is named
    first, a reason of no substance after the value's own problems."""
    if rule not in PROGRAM_RULES:
        raise TreatmentInvalid(
            [FieldError.said("rule", N_("one of %(items)s"), items=", ".join(PROGRAM_RULES))]
        )
    spec = rules.get(rule)
    if field not in {f.name for f in spec.policy}:
        raise TreatmentInvalid([FieldError.said("field", N_("not a policy value of %(rule)s"), rule=rule)])
    if owning_rule(rule, field) != rule:
        raise TreatmentInvalid(
            [
                FieldError.said(
                    "field",
                    N_("shared with %(value)s: set it there (one value for both)"),
                    value=owning_rule(rule, field),
                )
            ]
        )
    text = reason_text(reason)  # kept as measured (review 24r)
    errors = [] if visible_length(text) else [FieldError("reason", missing_reason)]
    checked: dict[str, Setting] = {}
    try:
        checked = core_policy.checked_values(spec, {field: value})
    except InvalidInput as exc:
        errors += [FieldError("value", e.reason) for e in exc.errors]
    why = reason_problem(text) if text else ""
    if why and visible_length(text):
        errors.append(FieldError("reason", why))
    if errors:
        raise TreatmentInvalid(errors)
    return core_policy.defaults(spec)[field], checked[field], text
