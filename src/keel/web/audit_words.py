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
    "appointment": _("appointment"),
    "appointment_list": _("appointments"),
    "appointment_reminders": _("appointment reminders"),
    "assessment_form": _("assessment form"),
    "care_goal": _("care goal"),
    "care_plan": _("care plan"),
    "checkins": _("check-ins"),
    "consent_form": _("consent form"),
    "directory_import": _("meeting directory import"),
    "dose_amendment": _("dose correction"),
    "dose_override": _("prescriber's override"),
    "dosing_list": _("dosing list"),
    "email": _("email"),
    "emergency_review_list": _("emergency reviews"),
    "history_consent": _("consent to bring a self-guided history"),
    "home_start": _("home start"),
    "intake": _("intake"),
    "intake_form": _("intake form"),
    "last_use_correction": _("correction of a last use time"),
    "last_use_report": _("report of last use"),
    "link_code": _("link code"),
    "medication_fill": _("pharmacy fill"),
    "medication_order": _("medication order"),
    "meeting_attendance": _("meeting attendance"),
    "meetings_nearby": _("meetings nearby"),
    "membership": _("program membership"),
    "mfa": _("two-step sign-in"),
    "naloxone_kit": _("naloxone kit"),
    "own_data": _("their own data"),
    "password_reset": _("password reset"),
    "patient_policy": _("policy for one patient"),
    "photo": _("identity photo"),
    "program": _("program"),
    "progress": _("progress"),
    "qtc": _("QTc (ECG)"),
    "recovery_overview": _("recovery overview"),
    "recovery_plan": _("relapse-prevention plan"),
    "reminder": _("reminder"),
    "reminder_channel": _("reminder channel"),
    "reminders": _("reminders"),
    "role": _("role"),
    "self_guided_account": _("self-guided account"),
    "skill_tries": _("coping skills tried"),
    "skill_try": _("coping skill tried"),
    "take_home_plan": _("take-home plan"),
    "take_home_review": _("take-home review"),
    "thought_record": _("thought record"),
    "thought_records": _("thought records"),
    "transfer": _("transfer"),
    "treatment_start": _("treatment start"),
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
