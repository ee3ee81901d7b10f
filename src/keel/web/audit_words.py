"""The audit page in words (issue #15): actions, outcomes, roles and kinds of record, never their codes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from keel.accounts.models import Role

ACTIONS = {
    "read": _("viewed"),
    "create": _("created"),
    "update": _("changed"),
    "delete": _("deleted"),
    "export": _("exported"),
    "disclose": _("disclosed"),
    "login": _("signed in"),
    "logout": _("signed out"),
    "failed_login": _("sign-in failed"),
    "locked_out": _("locked out"),
    "denied": _("refused"),
    "emergency_access": _("emergency access"),
    "token_create": _("API token created"),
    "token_revoke": _("API token revoked"),
}
OUTCOMES = {"success": _("done"), "denied": _("refused"), "failure": _("failed")}
RECORDS = {
    "user": _("staff account"),
    "patient": _("patient record"),
    "patient_list": _("patient list"),
    "patient_flag": _("flag"),
    "patient_flags": _("flags"),
    "patient_timeline": _("timeline"),
    "assessment": _("assessment"),
    "assessment_list": _("assessments"),
    "enrollment": _("episode of care"),
    "enrollments": _("episodes of care"),
    "activation_code": _("activation code"),
    "care_team": _("care team"),
    "consent": _("consent"),
    "disclosure": _("disclosure"),
    "sharing": _("sharing"),
    "emergency_access": _("emergency access"),
    "emergency_review": _("emergency review"),
    "fhir": _("FHIR record"),
    "fhir_bundle": _("FHIR record export"),
    "program_measures": _("program measures"),
    "program_policy": _("program policy"),
    "program_settings": _("program settings"),
    "audit_trail": _("audit trail"),
    "checkin": _("check-in"),
    "dose": _("dose"),
    "medication_record": _("medication record"),
    "api_token": _("API token"),
    "invitation": _("invitation"),
    "staff": _("staff"),
}


def words(code: str, table: dict[str, Any]) -> str:
    return str(table.get(code, code.replace("_", " ")))


def event_row(e: Any) -> dict[str, Any]:
    """One audit event for the page: its facts, with each code in words."""
    role = Role(e.actor_role).label if e.actor_role in Role.values else words(e.actor_role or "", {})
    return {
        "id": e.id,
        "occurred_at": e.occurred_at,
        "actor_id": e.actor_id,
        "who": role,
        "action": words(e.action, ACTIONS),
        "record": words(e.target_type or "", RECORDS),
        "target_id": e.target_id,
        "patient_id": e.patient_id,
        "outcome": words(e.outcome, OUTCOMES),
        "reason": e.reason,
    }
