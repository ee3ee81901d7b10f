"""The checked-in authorization table (SECURITY.md T1): every route x role (x target, for patient routes).

A route that exists in the URL resolver but not here fails test_every_route_has_expectations.
Targets: own = a patient on the caller's care team (for a patient: themselves); same_program = a patient of
the caller's program who is not theirs; other_program = a patient of another program.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

ROLES = [
    "anonymous",
    "patient",
    "counselor",
    "nurse",
    "prescriber",
    "peer_specialist",
    "program_admin",
    "auditor",
    "self_guided",  # an account of one's own (issue #20): its recovery companion, nothing else
]

# A body's value filled in by `test_matrix._request` with the target person's `orders_version` (api23).
ORDERS_VERSION = "<the target person's orders_version>"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {patient} is replaced by the target patient's id
    # for patient routes: role -> (own, same_program, other_program); otherwise role -> status
    expect: dict[str, tuple[int, int, int]] | dict[str, int]
    patient_scoped: bool = False
    body: dict[str, object] | None = None
    also: tuple[str, ...] = ()  # other methods the route answers the same way (checked the same way)
    # roles a page refuses by sending them back to it with the reason (302), audited as a denial of the target
    refused_on_page: tuple[str, ...] = ()
    # {assessment} in the path: the target patient's PHQ-9 assessment, created for the test


def _all(status: int, anonymous: int) -> dict[str, int]:
    return {role: (anonymous if role == "anonymous" else status) for role in ROLES}


CHECKIN = {"craving": 3, "mood": 4, "used": False, "medication": "taken"}
PHQ9_ZEROS = {"instrument": "phq9", "answers": {f"phq9_{i}": 0 for i in range(1, 10)}}

_RECORD = {
    "patient": (200, 404, 404),
    "counselor": (200, 404, 404),
    "nurse": (200, 404, 404),
    "prescriber": (200, 404, 404),
    "peer_specialist": (200, 404, 404),
    "program_admin": (200, 200, 404),
    "auditor": (404, 404, 404),
    "self_guided": (404, 404, 404),  # in no program: no patient record of anyone, by any id
}

# Clinical parts of a record: peer specialists and auditors see none of it.
_CLINICAL_READ = {**_RECORD, "peer_specialist": (404, 404, 404)}
# Filing a PHQ-9: the patient for themselves; clinical staff for their team; an admin may see but not file.
_CLINICAL_FILE = {
    **_CLINICAL_READ,
    "patient": (201, 404, 404),
    "counselor": (201, 404, 404),
    "nurse": (201, 404, 404),
    "prescriber": (201, 404, 404),
    "program_admin": (403, 403, 404),
}

# Correcting a result (lane fix33e, review 33c hole 4): the staff who file instruments; never the person.
_CORRECT_RESULT = {**_CLINICAL_FILE, "patient": (403, 404, 404)}

# Recording a dose or a measurement: nurses and prescribers; other in-scope roles are refused (403).
_DOSE_WRITE = {
    **_CLINICAL_READ,
    "patient": (403, 404, 404),
    "counselor": (403, 404, 404),
    "nurse": (201, 404, 404),
    "prescriber": (201, 404, 404),
    "program_admin": (403, 403, 404),
}
_DOSE_WRITE_PAGE = {**{k: (302, 404, 404) if v[0] == 201 else v for k, v in _DOSE_WRITE.items()}}
_DOSE_AMEND = {**_DOSE_WRITE, "nurse": (404, 404, 404), "prescriber": (404, 404, 404)}  # no such dose
# Intakes and care-plan goals: counselors, nurses, prescribers.
_CARE_WRITE = {**_DOSE_WRITE, "counselor": (201, 404, 404)}
# Orders, overrides and take-home decisions: prescribers only.
_PRESCRIBE = {**_DOSE_WRITE, "nurse": (403, 404, 404)}
_PRESCRIBE_PAGE = {**{k: (302, 404, 404) if v[0] == 201 else v for k, v in _PRESCRIBE.items()}}


def _on_page(expect: dict[str, tuple[int, int, int]]) -> dict[str, tuple[int, int, int]]:
    """A write on a page that shows a refused form again with the reason (422) where the API answers 201."""
    return {k: (422, *v[1:]) if v[0] == 201 else v for k, v in expect.items()}


# The start page's actions (issue #17): name, URL part, the API's table, a body the service refuses by name.
_START_ACTIONS: list[tuple[str, str, dict[str, tuple[int, int, int]], dict[str, object]]] = [
    ("last_use", "last-use/", _CARE_WRITE, {"last_heroin": "garbage"}),
    (  # issue #13: a prescriber strikes a mistaken time; nothing reported here, so the time is refused
        "last_use_correction",
        "last-use-corrections/",
        _PRESCRIBE,
        {"opioid": "heroin", "struck_at": "garbage", "no_time": "on", "reason": "typed for the wrong day"},
    ),
    ("order", "orders/", _PRESCRIBE, {"dose_mg": "abc"}),
    ("dose", "doses/", _DOSE_WRITE, {"amount_mg": "4"}),  # no order: the nurse is told so
    ("override", "dose-overrides/", _PRESCRIBE, {}),
    ("naloxone", "naloxone/", _DOSE_WRITE, {"product": "bogus"}),
    (
        "goal",
        "goals/",
        _CARE_WRITE,
        {"area": "counseling", "goal": "Plan", "review_on": "2099-01-01"},
    ),
]


# Ending a take-home plan on the page: an in-scope role that may not is sent back to the page with the reason
# (audited as a denial); no such plan here: 404 for the prescriber; success: test_take_home_end.
_END_TAKE_HOME_PAGE = {
    **_PRESCRIBE,
    "patient": (302, 404, 404),
    "counselor": (302, 404, 404),
    "nurse": (302, 404, 404),
    "prescriber": (404, 404, 404),
    "program_admin": (302, 302, 404),
}

# Disclosing (journey 8): in-scope roles that may not disclose get 403 (audited); clinical roles on the team
# get past the policy (the route's own checks then answer).
_DISCLOSE = {**_CLINICAL_READ, "patient": (403, 404, 404), "program_admin": (403, 403, 404)}

# Changing a care team: in-scope roles other than the program admin are refused (403, audited).
_CARE_TEAM_WRITE = {
    **{role: (403, 404, 404) for role in ("patient", "counselor", "nurse", "prescriber", "peer_specialist")},
    "program_admin": (422, 422, 404),
    "auditor": (404, 404, 404),
    "self_guided": (404, 404, 404),
}

# Discharge and readmission: admins of the program and clinicians on the team (bad bodies here: 422).
_EPISODE_WRITE = {
    **_CLINICAL_READ,
    "patient": (403, 404, 404),
    "counselor": (422, 404, 404),
    "nurse": (422, 404, 404),
    "prescriber": (422, 404, 404),
    "program_admin": (422, 422, 404),
}

# Undoing a death recorded by mistake (lane dead29b): the program's admins only; a living person's record
# with an empty reason answers them 422 naming `reason` (the role is checked first: 403 to the others).
_UNDO_DEATH = {
    **_CLINICAL_READ,
    "patient": (403, 404, 404),
    "counselor": (403, 404, 404),
    "nurse": (403, 404, 404),
    "prescriber": (403, 404, 404),
    "program_admin": (422, 422, 404),
}

_CODE_GIVE = {
    **_RECORD,
    "patient": (403, 404, 404),
    "peer_specialist": (403, 404, 404),
    "counselor": (422, 404, 404),
    "nurse": (422, 404, 404),
    "prescriber": (422, 404, 404),
    "program_admin": (422, 422, 404),
}

# Contact details are protected fields (clinical area): a peer specialist never reaches them (404).
_CONTACT_WRITE = {**_CODE_GIVE, "peer_specialist": (404, 404, 404)}
_CONTACT_PAGE = {
    **_CONTACT_WRITE,
    "counselor": (200, 404, 404),
    "nurse": (200, 404, 404),
    "prescriber": (200, 404, 404),
    "program_admin": (200, 200, 404),
}

# A patient's two-step sign-in: reset by counselors, nurses and prescribers on the care team only.
_MFA_RESET = {
    **_RECORD,
    "patient": (403, 404, 404),
    "peer_specialist": (403, 404, 404),
    "program_admin": (403, 403, 404),
}

# Appointments (issue #19): in-scope roles that may not schedule get 403; those who may get past the policy
# (a date in the past: 422; no such appointment: 404).
_APPOINTMENT_WRITE = {
    **_CLINICAL_READ,
    "patient": (403, 404, 404),
    "counselor": (422, 404, 404),
    "nurse": (422, 404, 404),
    "prescriber": (422, 404, 404),
    "program_admin": (422, 422, 404),
}
_APPOINTMENT_WRITE_MISSING = {
    **_APPOINTMENT_WRITE,
    **{r: (404, 404, 404) for r in ("counselor", "nurse", "prescriber")},
    "program_admin": (404, 404, 404),
}

ROUTES: dict[str, Route] = {
    "healthz": Route("GET", "/healthz", _all(200, 200)),
    "set_language": Route("POST", "/i18n/setlang/", _all(302, 302), body={"language": "es", "next": "/"}),
    "accounts:login": Route("GET", "/accounts/login/", _all(302, 200)),
    "accounts:verify": Route("GET", "/accounts/login/verify/", _all(302, 302)),
    "accounts:logout": Route("POST", "/accounts/logout/", _all(302, 302)),
    "accounts:mfa": Route("GET", "/accounts/mfa/", _all(200, 302)),
    # Its steps (issue #17: each its own URL); without a password or a code, the page again.
    "accounts:mfa_start": Route("POST", "/accounts/mfa/start/", _all(200, 302)),
    "accounts:mfa_confirm": Route("POST", "/accounts/mfa/confirm/", _all(200, 302)),
    # Staff always use two-step sign-in: refused out loud (422, review 16a); a patient, no password: 200.
    "accounts:mfa_disable": Route(
        "POST", "/accounts/mfa/disable/", {**_all(422, 302), "patient": 200, "self_guided": 200}
    ),
    "web:home": Route("GET", "/", _all(302, 200)),
    "web:patient_list": Route("GET", "/patients/", _all(200, 302)),
    # Front desk (issue #18): registering needs a program admin or a clinician of the program; the care team
    # is read like the record and changed by the program's admins only (999999: no such staff member).
    "patients:register": Route(
        "GET",
        "/patients/new/",
        {
            **_all(403, 302),
            "counselor": 200,
            "nurse": 200,
            "prescriber": 200,
            "program_admin": 200,
        },
    ),
    "api:register_patient": Route(
        "POST",
        "/api/v1/patients",
        {**_all(403, 401), "counselor": 422, "nurse": 422, "prescriber": 422, "program_admin": 422},
        body={},
    ),
    # Staff (issue #18): a program's admins only; a link that does not work answers 404.
    "staff:staff": Route("GET", "/program/staff/", {**_all(403, 302), "program_admin": 200}),
    "staff:deactivate": Route(
        "POST", "/program/staff/999999/deactivate/", {**_all(403, 302), "program_admin": 422}
    ),
    "staff:withdraw_invitation": Route(
        "POST", "/program/staff/invitations/999999/withdraw/", {**_all(403, 302), "program_admin": 422}
    ),
    "staff:invitation": Route("GET", "/accounts/invitation/not-a-link/", _all(404, 404)),
    "staff:reset_second_factor": Route(
        "POST", "/program/staff/999999/second-factor/reset/", {**_all(403, 302), "program_admin": 422}
    ),
    "staff:change_role": Route(
        "POST",
        "/program/staff/999999/role/",
        {**_all(403, 302), "program_admin": 422},
        body={"role": "nurse"},
    ),
    "api:reset_staff_second_factor": Route(
        "POST",
        "/api/v1/programs/riverside/staff/999999/second-factor/reset",
        {**_all(403, 401), "program_admin": 422},
    ),
    "api:change_staff_role": Route(
        "POST",
        "/api/v1/programs/riverside/staff/999999/role",
        {**_all(403, 401), "program_admin": 422},
        body={"role": "nurse"},
    ),
    # Passwords (issue #18): one's own, signed in; a reset link for anyone (a link that does not work: 404).
    "accounts:password_change": Route("GET", "/accounts/password/", _all(200, 302)),
    "accounts:password_reset": Route("GET", "/accounts/password/reset/", _all(200, 200)),
    "accounts:password_reset_link": Route("GET", "/accounts/password/reset/MQ/not-a-token/", _all(404, 404)),
    "api:change_password": Route("POST", "/api/v1/me/password", _all(422, 401), body={}),
    "api:request_password_reset": Route("POST", "/api/v1/auth/password-reset", _all(422, 422), body={}),
    "api:confirm_password_reset": Route(
        "POST", "/api/v1/auth/password-reset/confirm", _all(422, 422), body={}
    ),
    "api:list_staff": Route(
        "GET", "/api/v1/programs/riverside/staff", {**_all(403, 401), "program_admin": 200}
    ),
    "api:invite_staff": Route(
        "POST", "/api/v1/programs/riverside/invitations", {**_all(403, 401), "program_admin": 422}, body={}
    ),
    "api:withdraw_invitation": Route(
        "POST",
        "/api/v1/programs/riverside/invitations/999999/withdraw",
        {**_all(403, 401), "program_admin": 422},
    ),
    "api:deactivate_staff": Route(
        "POST", "/api/v1/programs/riverside/staff/999999/deactivate", {**_all(403, 401), "program_admin": 422}
    ),
    "patients:episodes": Route(
        "GET",
        "/patients/{patient}/episodes/",
        {"anonymous": (302, 302, 302), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    # Discharge and readmission on the page (issue #17: each its own URL), as the API answers them.
    "patients:discharge": Route(
        "POST",
        "/patients/{patient}/discharge/",
        {"anonymous": (302, 302, 302), **_EPISODE_WRITE},
        patient_scoped=True,
        body={"reason": ""},
    ),
    "patients:readmit": Route(
        "POST",
        "/patients/{patient}/readmit/",
        {"anonymous": (302, 302, 302), **_EPISODE_WRITE},
        patient_scoped=True,
        body={
            "started_on": "not a date",
            "confirmed": "on",
        },  # the page's own box ticked, as the API has none
    ),
    "patients:undo_death": Route(
        "POST",
        "/patients/{patient}/undo-death/",
        {"anonymous": (302, 302, 302), **_UNDO_DEATH},
        patient_scoped=True,
        body={"reason": "", "undo_confirmed": "on"},
    ),
    # Contact details after registration (issue #18): the front desk's roles; a bad field 422.
    "patients:contact": Route(
        "GET",
        "/patients/{patient}/contact/",
        {"anonymous": (302, 302, 302), **_CONTACT_PAGE},
        patient_scoped=True,
    ),
    "api:update_contact": Route(
        "PATCH",
        "/api/v1/patients/{patient}/contact",
        {"anonymous": (401, 401, 401), **_CONTACT_WRITE},
        patient_scoped=True,
        body={"email": "not an email"},
    ),
    "api:discharge_patient": Route(
        "POST",
        "/api/v1/patients/{patient}/discharge",
        {"anonymous": (401, 401, 401), **_EPISODE_WRITE},
        patient_scoped=True,
        body={"reason": ""},
    ),
    "api:undo_death": Route(
        "POST",
        "/api/v1/patients/{patient}/undo-death",
        {"anonymous": (401, 401, 401), **_UNDO_DEATH},
        patient_scoped=True,
        body={"reason": ""},
    ),
    "api:readmit_patient": Route(
        "POST",
        "/api/v1/patients/{patient}/readmit",
        {"anonymous": (401, 401, 401), **_EPISODE_WRITE},
        patient_scoped=True,
        body={"started_on": "not a date"},
    ),
    # Activation codes: the front desk's roles; every persona's record already has an account (422).
    "patients:activation_code": Route(
        "POST",
        "/patients/{patient}/activation-code/",
        {"anonymous": (302, 302, 302), **_CODE_GIVE},
        patient_scoped=True,
    ),
    "api:issue_activation_code": Route(
        "POST",
        "/api/v1/patients/{patient}/activation-code",
        {"anonymous": (401, 401, 401), **_CODE_GIVE},
        patient_scoped=True,
    ),
    # A password reset started at the desk (issue #18): the same roles as the activation code; without the
    # identity check confirmed, 422.
    "patients:reset_code": Route(
        "POST",
        "/patients/{patient}/password-reset-code/",
        {"anonymous": (302, 302, 302), **_CODE_GIVE},
        patient_scoped=True,
    ),
    "api:issue_reset_code": Route(
        "POST",
        "/api/v1/patients/{patient}/password-reset-code",
        {"anonymous": (401, 401, 401), **_CODE_GIVE},
        patient_scoped=True,
    ),
    "patients:reset_second_factor": Route(
        "GET",
        "/patients/{patient}/second-factor/reset/",
        {"anonymous": (302, 302, 302), **_MFA_RESET},
        patient_scoped=True,
    ),
    "api:reset_patient_second_factor": Route(
        "POST",
        "/api/v1/patients/{patient}/second-factor/reset",
        {
            "anonymous": (401, 401, 401),
            **_MFA_RESET,
            "counselor": (422, 404, 404),
            "nurse": (422, 404, 404),
            "prescriber": (422, 404, 404),
        },
        patient_scoped=True,
        body={},
    ),
    # Bulk care-team assignment: the role first (403, audited, review 14a hole 11), then the body (422), then
    # scope and program.
    "patients:bulk_care_team": Route("GET", "/program/care-teams/", {**_all(403, 302), "program_admin": 200}),
    "api:add_many_to_care_team": Route(
        "POST", "/api/v1/patients/care-teams", {**_all(403, 401), "program_admin": 422}, body={}
    ),
    "patients:activate": Route("GET", "/accounts/activate/", _all(302, 200)),
    "patients:reset_with_code": Route("GET", "/accounts/reset-with-code/", _all(200, 200)),
    "api:activate_account": Route("POST", "/api/v1/auth/activate", _all(422, 422), body={}),
    "api:reset_password_with_code": Route("POST", "/api/v1/auth/reset-with-code", _all(422, 422), body={}),
    "staff:program_settings": Route("GET", "/program/settings/", {**_all(403, 302), "program_admin": 200}),
    "api:put_program_settings": Route(
        "PUT", "/api/v1/programs/riverside/settings", {**_all(403, 401), "program_admin": 422}, body={}
    ),
    "api:get_program_settings": Route(
        "GET", "/api/v1/programs/riverside/settings", {**_all(403, 401), "program_admin": 200}
    ),
    "patients:care_team": Route(
        "GET",
        "/patients/{patient}/care-team/",
        {"anonymous": (302, 302, 302), **_RECORD},
        patient_scoped=True,
    ),
    # Adding and taking off on the page (issue #17: each its own URL), as the API answers them.
    "patients:add_to_care_team": Route(
        "POST",
        "/patients/{patient}/care-team/add/",
        {"anonymous": (302, 302, 302), **_CARE_TEAM_WRITE},
        patient_scoped=True,
        body={"user_id": 999999},
    ),
    "patients:remove_from_care_team": Route(
        "POST",
        "/patients/{patient}/care-team/999999/remove/",
        {"anonymous": (302, 302, 302), **_CARE_TEAM_WRITE},
        patient_scoped=True,
    ),
    "api:add_to_care_team": Route(
        "POST",
        "/api/v1/patients/{patient}/care-team",
        {"anonymous": (401, 401, 401), **_CARE_TEAM_WRITE},
        patient_scoped=True,
        body={"user_id": 999999},
    ),
    "api:remove_from_care_team": Route(
        "DELETE",
        "/api/v1/patients/{patient}/care-team/999999",
        {"anonymous": (401, 401, 401), **_CARE_TEAM_WRITE},
        patient_scoped=True,
    ),
    "careteam:timeline": Route(
        "GET", "/patients/{patient}/timeline/", {"anonymous": (302, 302, 302), **_RECORD}, patient_scoped=True
    ),
    # Sharing under 42 CFR Part 2 (journey 8): the patient's consents; the care team's disclosures;
    # emergency access for clinicians. Disclosing needs a clinical role on the team (admins: 403).
    "sharing:mine": Route("GET", "/me/sharing/", {**_all(404, 302), "patient": 200}),
    "sharing:new_consent": Route("GET", "/me/sharing/new/", {**_all(404, 302), "patient": 200}),
    "sharing:revoke": Route("POST", "/me/sharing/999999/revoke/", _all(404, 302)),
    "sharing:patient": Route(
        "GET",
        "/patients/{patient}/sharing/",
        {"anonymous": (302, 302, 302), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    "sharing:disclose": Route(
        "POST",
        "/patients/{patient}/sharing/disclose/",
        {
            "anonymous": (302, 302, 302),
            **_DISCLOSE,
            "counselor": (422, 404, 404),
            "nurse": (422, 404, 404),
            "prescriber": (422, 404, 404),
        },
        patient_scoped=True,
    ),
    "sharing:paper_consent": Route(
        "POST",
        "/patients/{patient}/sharing/paper-consent/",
        {
            "anonymous": (302, 302, 302),
            **_DISCLOSE,
            "counselor": (422, 404, 404),
            "nurse": (422, 404, 404),
            "prescriber": (422, 404, 404),
        },
        patient_scoped=True,
    ),
    "sharing:written_revocation": Route(
        "POST",
        "/patients/{patient}/sharing/999999/revoked-in-writing/",
        {
            "anonymous": (302, 302, 302),
            **_DISCLOSE,
            "counselor": (404, 404, 404),
            "nurse": (404, 404, 404),
            "prescriber": (404, 404, 404),
            "program_admin": (404, 404, 404),  # review 25b H4: admins record a written revocation
        },
        patient_scoped=True,
    ),
    # Uses of emergency powers wait for a program admin's attestation (issue #14).
    "sharing:reviews": Route("GET", "/program/emergency-reviews/", {**_all(403, 302), "program_admin": 200}),
    "sharing:attest": Route("POST", "/program/emergency-reviews/999999/attest/", _all(404, 302)),
    "api:list_emergency_reviews": Route(
        "GET", "/api/v1/emergency-reviews", {**_all(403, 401), "program_admin": 200}
    ),
    "api:attest_emergency_review": Route(
        "POST", "/api/v1/emergency-reviews/999999/attest", _all(404, 401), body={"note": "checked it"}
    ),
    "sharing:emergency": Route(
        "GET", "/emergency-access/", {**_all(403, 302), "counselor": 200, "nurse": 200, "prescriber": 200}
    ),
    # Ending one's own emergency access early: no grant of the caller's on this record is 404 (audited).
    "sharing:end_emergency": Route(
        "POST",
        "/emergency-access/999999/end/",
        {**_all(403, 302), "counselor": 404, "nurse": 404, "prescriber": 404},
    ),
    "api:end_emergency_access": Route(
        "POST",
        "/api/v1/emergency-access/999999/end",
        {**_all(403, 401), "counselor": 404, "nurse": 404, "prescriber": 404},
    ),
    "web:patient_detail": Route(
        "GET", "/patients/{patient}/", {"anonymous": (302, 302, 302), **_RECORD}, patient_scoped=True
    ),
    "web:my_record": Route("GET", "/me/", {**_all(404, 302), "patient": 200}),
    "web:audit_trail": Route("GET", "/audit/", {**_all(404, 302), "program_admin": 200, "auditor": 200}),
    "api:openapi-json": Route("GET", "/api/v1/openapi.json", _all(200, 200)),
    "api:api-root": Route("GET", "/api/v1/", _all(404, 404)),
    "api:me": Route("GET", "/api/v1/me", _all(200, 401)),
    "api:create_token": Route(
        "POST",
        "/api/v1/auth/tokens",
        _all(401, 401),
        body={"username": "nobody-here", "password": "wrong password 123"},
    ),
    "api:list_tokens": Route("GET", "/api/v1/auth/tokens", _all(200, 401)),
    "api:revoke_token": Route("DELETE", "/api/v1/auth/tokens/999999", _all(404, 401)),
    "api:list_patients": Route("GET", "/api/v1/patients", _all(200, 401)),
    "api:get_caseload": Route("GET", "/api/v1/caseload", _all(200, 401)),
    "api:get_timeline": Route(
        "GET",
        "/api/v1/patients/{patient}/timeline",
        {"anonymous": (401, 401, 401), **_RECORD},
        patient_scoped=True,
    ),
    "api:get_my_sharing": Route("GET", "/api/v1/me/sharing", {**_all(404, 401), "patient": 200}),
    "api:sign_consent": Route(
        "POST",
        "/api/v1/me/consents",
        {**_all(404, 401), "patient": 422},
        body={
            "recipient_name": "Dr. Example",
            "purpose": "treatment",
            "categories": ["enrollment"],
            "expires_on": "2000-01-01",
            "signature": "x",
            "understood": True,
        },
    ),
    "api:revoke_consent": Route("POST", "/api/v1/me/consents/999999/revoke", _all(404, 401)),
    "api:get_patient_sharing": Route(
        "GET",
        "/api/v1/patients/{patient}/sharing",
        {"anonymous": (401, 401, 401), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    "api:record_paper_consent": Route(
        "POST",
        "/api/v1/patients/{patient}/consents",
        {
            "anonymous": (401, 401, 401),
            **_DISCLOSE,
            "counselor": (422, 404, 404),
            "nurse": (422, 404, 404),
            "prescriber": (422, 404, 404),
        },
        patient_scoped=True,
        body={
            "recipient_name": "Dr. Example",
            "purpose": "treatment",
            "categories": ["enrollment"],
            "expires_on": "2000-01-01",
            "signature": "x",
            "understood": True,
        },
    ),
    "api:record_written_revocation": Route(
        "POST",
        "/api/v1/patients/{patient}/consents/999999/revoked-in-writing",
        {
            "anonymous": (401, 401, 401),
            **_DISCLOSE,
            "counselor": (404, 404, 404),
            "nurse": (404, 404, 404),
            "prescriber": (404, 404, 404),
            "program_admin": (404, 404, 404),  # review 25b H4: admins record a written revocation
        },
        patient_scoped=True,
    ),
    "api:create_disclosure": Route(
        "POST",
        "/api/v1/patients/{patient}/disclosures",
        {
            "anonymous": (401, 401, 401),
            **_DISCLOSE,
            "counselor": (422, 404, 404),
            "nurse": (422, 404, 404),
            "prescriber": (422, 404, 404),
        },
        patient_scoped=True,
        body={"basis": "nonsense", "password": "x"},
    ),
    "api:open_emergency_access": Route(
        "POST",
        "/api/v1/emergency-access",
        {**_all(403, 401), "counselor": 422, "nurse": 422, "prescriber": 422},
        body={"record_number": "NOPE", "reason": "short", "password": "x"},
    ),
    # FHIR (journey 9): the record out (an export; clinical parts only for roles that see them), a PHQ-9 in.
    "interop:my_record_file": Route("GET", "/me/record.fhir.json", {**_all(404, 302), "patient": 200}),
    "api:export_my_fhir": Route("GET", "/api/v1/me/fhir", {**_all(404, 401), "patient": 200}),
    "api:export_patient_fhir": Route(
        "POST",
        "/api/v1/patients/{patient}/fhir/export",
        # A record that leaves is a disclosure (issue #14): clinical roles on the team only, with a basis.
        {
            "anonymous": (401, 401, 401),
            **_DISCLOSE,
            "counselor": (422, 404, 404),
            "nurse": (422, 404, 404),
            "prescriber": (422, 404, 404),
        },
        patient_scoped=True,
        body={"password": "correct horse battery staple 42"},
    ),
    "api:import_questionnaire_response": Route(
        "POST",
        "/api/v1/patients/{patient}/fhir/questionnaire-responses",
        {
            "anonymous": (401, 401, 401),
            **_CLINICAL_FILE,
            "patient": (422, 404, 404),
            "counselor": (422, 404, 404),
            "nurse": (422, 404, 404),
            "prescriber": (422, 404, 404),
        },
        patient_scoped=True,
        body={"resourceType": "QuestionnaireResponse", "status": "in-progress"},
    ),
    # Pharmacy fills (measures): nurses and prescribers record and void them.
    "api:create_fill": Route(
        "POST",
        "/api/v1/patients/{patient}/fills",
        {
            "anonymous": (401, 401, 401),
            **_DOSE_WRITE,
            "nurse": (422, 404, 404),
            "prescriber": (422, 404, 404),
        },
        patient_scoped=True,
        body={"order": 999999, "filled_on": "2026-01-01", "days_supply": 30, "source": "pharmacy"},
    ),
    "api:void_fill": Route(
        "POST",
        "/api/v1/patients/{patient}/fills/999999/void",
        {
            "anonymous": (401, 401, 401),
            **_DOSE_WRITE,
            "nurse": (422, 404, 404),
            "prescriber": (422, 404, 404),
        },
        patient_scoped=True,
        body={"reason": "entered for the wrong person"},
    ),
    "api:get_patient": Route(
        "GET", "/api/v1/patients/{patient}", {"anonymous": (401, 401, 401), **_RECORD}, patient_scoped=True
    ),
    "api:list_instruments": Route("GET", "/api/v1/instruments", _all(200, 200)),
    "api:get_instrument": Route("GET", "/api/v1/instruments/phq9", _all(200, 200)),
    "api:score_instrument": Route(
        "POST", "/api/v1/instruments/phq9/score", _all(200, 200), body={"answers": PHQ9_ZEROS["answers"]}
    ),
    "api:create_assessment": Route(
        "POST",
        "/api/v1/patients/{patient}/assessments",
        {"anonymous": (401, 401, 401), **_CLINICAL_FILE},
        patient_scoped=True,
        body=PHQ9_ZEROS,
    ),
    "api:list_assessments": Route(
        "GET",
        "/api/v1/patients/{patient}/assessments",
        {"anonymous": (401, 401, 401), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    "api:assessment_fhir": Route(
        "GET",
        "/api/v1/patients/{patient}/assessments/{assessment}/fhir",
        {"anonymous": (401, 401, 401), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    "api:correct_assessment": Route(  # review 33c hole 4 (lane fix33e): a result entered in error
        "POST",
        "/api/v1/patients/{patient}/assessments/{assessment}/corrections",
        {"anonymous": (401, 401, 401), **_CORRECT_RESULT},
        patient_scoped=True,
        body={"entered_in_error": True, "reason": "charted on the wrong person", "correction_version": 0},
    ),
    "assessments:correct": Route(  # the page: a body the service refuses (no reason), shown again (422)
        "POST",
        "/patients/{patient}/assessments/{assessment}/corrections/",
        {"anonymous": (302, 302, 302), **_on_page(_CORRECT_RESULT)},
        patient_scoped=True,
        body={"kind": "error", "reason": ""},
    ),
    "api:create_my_assessment": Route(
        "POST", "/api/v1/me/assessments", {**_all(404, 401), "patient": 201}, body=PHQ9_ZEROS
    ),
    "api:list_my_assessments": Route("GET", "/api/v1/me/assessments", {**_all(404, 401), "patient": 200}),
    "assessments:fill": Route(
        "GET",
        "/patients/{patient}/instruments/phq9/",
        {
            "anonymous": (302, 302, 302),
            **_CLINICAL_FILE,
            "patient": (200, 404, 404),
            "counselor": (200, 404, 404),
            "nurse": (200, 404, 404),
            "prescriber": (200, 404, 404),
        },
        patient_scoped=True,
    ),
    "assessments:result": Route(
        "GET",
        "/patients/{patient}/assessments/{assessment}/",
        {"anonymous": (302, 302, 302), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    "assessments:flowsheet": Route(
        "GET",
        "/patients/{patient}/flowsheet/phq9/",
        {"anonymous": (302, 302, 302), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    "assessments:cows_bedside": Route(
        "GET",
        "/patients/{patient}/cows/",
        {"anonymous": (302, 302, 302), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    "assessments:my_instruments": Route("GET", "/me/instruments/", {**_all(404, 302), "patient": 200}),
    "assessments:fill_mine": Route("GET", "/me/instruments/phq9/", {**_all(404, 302), "patient": 200}),
    # someone else's (or no) assessment id: 404 for everyone; the patient's own result is tested by name
    "assessments:my_result": Route("GET", "/me/assessments/999999/", _all(404, 302)),
    "directory:find_meetings": Route("GET", "/en/find/meetings/?place=13820", _all(200, 200)),
    "directory:find_facilities": Route("GET", "/en/find/treatment/?place=13820", _all(200, 200)),
    "directory:import": Route("GET", "/en/directory/import/", {**_all(403, 302), "program_admin": 200}),
    "api:meetings": Route("GET", "/api/v1/meetings?place=13820", _all(200, 200)),
    "api:facilities": Route("GET", "/api/v1/facilities?place=13820", _all(200, 200)),
    "api:list_rules": Route("GET", "/api/v1/rules", {**_all(200, 401), "patient": 403, "self_guided": 403}),
    "api:rule_schema": Route(
        "GET", "/api/v1/rules/qtc-monitoring", {**_all(200, 401), "patient": 403, "self_guided": 403}
    ),
    "api:run_rule": Route(
        "POST",
        "/api/v1/rules/qtc-monitoring",
        {**_all(200, 401), "patient": 403, "self_guided": 403},
        body={"input": {"qtc_ms": 460}},
    ),
    "api:list_flags": Route(
        "GET",
        "/api/v1/patients/{patient}/flags",
        {"anonymous": (401, 401, 401), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    # resolving a flag that does not exist: 404 for everyone in scope; the real cases are tested by name
    # (in Alice's record) roles that may not resolve get 403 before the lookup; the rest 404 or out of scope
    "api:resolve_flag": Route(
        "POST",
        "/api/v1/patients/{patient}/flags/999999/resolve",
        {**_all(404, 401), "patient": 403, "program_admin": 403},
        body={"note": "x"},
    ),
    "web:resolve_flag": Route(
        "POST",
        "/patients/{patient}/flags/999999/resolve/",
        {**_all(404, 302), "patient": 403, "program_admin": 403},
        body={"note": "x"},
    ),
    # Recovery companion (issue #7): the patient's own pages and API; the care team reads through the policy.
    **{
        f"recovery:{name}": Route(
            method,
            path,
            {**_all(404, 302), "patient": status, "self_guided": status if name != "ask_team" else 404},
            body=body,
        )
        for name, method, path, status, body in [
            ("checkin", "GET", "/me/checkin/", 200, None),
            ("checkin_done", "GET", "/me/checkin/done/", 302, None),  # no check-in yet: back to the form
            ("ask_team", "POST", "/me/checkin/ask-team/", 302, None),
            ("progress", "GET", "/me/progress/", 200, None),
            ("thoughts", "GET", "/me/thoughts/", 200, None),
            ("thought_new", "GET", "/me/thoughts/new/", 200, None),
            ("skills", "GET", "/me/skills/", 200, None),
            ("plan", "GET", "/me/plan/", 200, None),
            ("plan_edit", "GET", "/me/plan/edit/", 200, None),
            ("plan_pdf", "GET", "/me/plan.pdf", 200, None),
            ("reminders", "GET", "/me/reminders/", 200, None),
            ("reminder_done", "POST", "/me/reminders/999999/done/", 404, None),  # issue #17: one URL each
            ("reminder_delete", "POST", "/me/reminders/999999/delete/", 404, None),
            ("meetings", "GET", "/me/meetings/", 200, None),
            ("attend", "POST", "/me/meetings/attend/", 302, {"name": "Evening group"}),
        ]
    },
    # Reminders outside the app (issue #19): a reminder that is not one's own is not found; the stop link's
    # token is the key (no sign-in), and a token that is no one's is not found for anyone.
    "reminders:channel": Route(
        "POST", "/me/reminders/999999/channel/", _all(404, 302), body={"channel": "email"}
    ),
    "reminders:stop": Route("GET", "/reminders/stop/no-such-token/", _all(404, 404)),
    # Appointments (issue #19): read with the clinical part of the record; scheduled, moved and closed by
    # counselors, nurses, prescribers and the program's admins (a bad body: 422); 999999 is no appointment.
    "appointments:patient": Route(
        "GET",
        "/patients/{patient}/appointments/",
        {"anonymous": (302, 302, 302), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    "appointments:set_status": Route(
        "POST",
        "/patients/{patient}/appointments/999999/status/",
        {"anonymous": (302, 302, 302), **_APPOINTMENT_WRITE_MISSING},
        patient_scoped=True,
        body={"status": "cancelled"},
    ),
    "appointments:mine": Route("GET", "/me/appointments/", {**_all(404, 302), "patient": 200}),
    "appointments:stop": Route("GET", "/appointments/stop/no-such-token/", _all(404, 404)),
    "api:list_appointments": Route(
        "GET",
        "/api/v1/patients/{patient}/appointments",
        {"anonymous": (401, 401, 401), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    "api:schedule_appointment": Route(
        "POST",
        "/api/v1/patients/{patient}/appointments",
        {"anonymous": (401, 401, 401), **_APPOINTMENT_WRITE},
        patient_scoped=True,
        body={"date": "2020-01-01", "start": "09:00", "end": "10:00", "kind": "counseling"},
    ),
    "api:set_appointment_status": Route(
        "POST",
        "/api/v1/patients/{patient}/appointments/999999/status",
        {"anonymous": (401, 401, 401), **_APPOINTMENT_WRITE_MISSING},
        patient_scoped=True,
        body={"status": "cancelled"},
    ),
    "api:reschedule_appointment": Route(
        "POST",
        "/api/v1/patients/{patient}/appointments/999999/reschedule",
        {"anonymous": (401, 401, 401), **_APPOINTMENT_WRITE_MISSING},
        patient_scoped=True,
        body={"date": "2020-01-01", "start": "09:00", "end": "10:00"},
    ),
    "api:my_appointments": Route("GET", "/api/v1/me/appointments", {**_all(404, 401), "patient": 200}),
    "api:set_my_appointment_reminders": Route(
        "PUT",
        "/api/v1/me/appointment-reminders",
        {**_all(404, 401), "patient": 200},
        body={"channel": "off"},
    ),
    "recovery:patient_recovery": Route(
        "GET", "/patients/{patient}/recovery/", {"anonymous": (302, 302, 302), **_RECORD}, patient_scoped=True
    ),
    **{
        f"api:{name}": Route(
            method, path, {**_all(404, 401), "patient": status, "self_guided": status}, body=body
        )
        for name, method, path, status, body in [
            # the harness sends no Idempotency-Key header: the patient is told it is missing
            ("create_my_checkin", "POST", "/api/v1/me/checkins", 422, CHECKIN),
            ("list_my_checkins", "GET", "/api/v1/me/checkins", 200, None),
            ("my_progress", "GET", "/api/v1/me/progress", 200, None),
            ("get_my_plan", "GET", "/api/v1/me/plan", 200, None),
            ("put_my_plan", "PUT", "/api/v1/me/plan", 200, {"version": 0, "plan": {"reasons": ["me"]}}),
            ("create_my_thought_record", "POST", "/api/v1/me/thought-records", 422, {}),
            ("list_my_thought_records", "GET", "/api/v1/me/thought-records", 200, None),
            ("my_skills", "GET", "/api/v1/me/skills", 200, None),
            ("try_skill", "POST", "/api/v1/me/skills/tries", 201, {"skill": "halt", "helped": "yes"}),
        ]
    },
    **{
        f"api:{name}": Route(
            "GET",
            f"/api/v1/patients/{{patient}}/{part}",
            {"anonymous": (401, 401, 401), **expect},
            patient_scoped=True,
        )
        for name, part, expect in [
            ("list_checkins", "checkins", _RECORD),
            ("patient_progress", "progress", _RECORD),
            ("get_patient_plan", "plan", _RECORD),
            ("patient_skills", "skills", _RECORD),
            ("list_thought_records", "thought-records", _CLINICAL_READ),
        ]
    },
    # Public help (issue #4): open to everyone, stores nothing.
    **{
        f"public:{name}": Route("GET", path, _all(200, 200))
        for name, path in [
            ("home", "/en/"),
            ("check", "/en/help/check-my-use/"),
            ("worried", "/en/help/worried-about-someone/"),
            ("why", "/en/help/why-it-happens/"),
            ("withdrawal", "/en/help/withdrawal/"),
            ("treatment", "/en/help/treatment/"),
            ("safety", "/en/help/stay-safe/"),
            ("find", "/en/help/find-help/"),
        ]
    },
    # Medication treatment (issue #6). A patient-scoped write answers 403 for an in-scope role that may not
    # do it (audited as a denial), 404 out of scope; reads are the clinical area.
    "treatment:dosing": Route("GET", "/dosing/", {**_all(403, 302), "nurse": 200, "prescriber": 200}),
    "treatment:dosing_due": Route("GET", "/dosing/due/", {**_all(403, 302), "nurse": 200, "prescriber": 200}),
    "treatment:policy": Route(
        "GET", "/program/policy/", {**_all(200, 302), "patient": 403, "self_guided": 403}
    ),
    # The director's measures (journey 7): program admins of the program only; counts, no one named.
    "measures:measures": Route("GET", "/program/measures/", {**_all(403, 302), "program_admin": 200}),
    "measures:measure_csv": Route(
        "GET", "/program/measures/retention_90.csv", {**_all(403, 302), "program_admin": 200}
    ),
    "treatment:medication": Route(
        "GET",
        "/patients/{patient}/medication/",
        {"anonymous": (302, 302, 302), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    # One URL per action on the medication page (issue #17), laid out as the API's routes. Bodies that the
    # service refuses by name (or no such record): sent back to the page with the reason, nothing written.
    "treatment:create_order": Route(
        "POST",
        "/patients/{patient}/medication/orders/",
        {"anonymous": (302, 302, 302), **_PRESCRIBE_PAGE},
        patient_scoped=True,
        body={"medication": "methadone"},
    ),
    "treatment:amend": Route(  # no such dose: 404 for the nurse and the prescriber
        "POST",
        "/patients/{patient}/medication/doses/999999/amendments/",
        {"anonymous": (302, 302, 302), **_DOSE_AMEND},
        patient_scoped=True,
        body={"corrected_mg": "30", "reason": "typo in mg"},
    ),
    "treatment:override": Route(
        "POST",
        "/patients/{patient}/medication/dose-overrides/",
        {"anonymous": (302, 302, 302), **_PRESCRIBE_PAGE},
        patient_scoped=True,
        body={},
    ),
    "treatment:take_home": Route(  # no methadone order here: the prescriber is told so on the page
        "POST",
        "/patients/{patient}/medication/take-homes/",
        {"anonymous": (302, 302, 302), **_PRESCRIBE_PAGE},
        patient_scoped=True,
        body={},
    ),
    "treatment:end_take_home": Route(
        "POST",
        "/patients/{patient}/medication/take-homes/999999/end/",
        {"anonymous": (302, 302, 302), **_END_TAKE_HOME_PAGE},
        patient_scoped=True,
        body={"reason": "the plan was entered for the wrong person by mistake"},
        refused_on_page=("patient", "counselor", "nurse", "program_admin"),
    ),
    "treatment:take_home_brought_back": Route(  # lane fix25c: the call-back list's own action
        "POST",
        "/patients/{patient}/medication/take-homes/999999/brought-back/",
        # lane end26: the nurse at the window records bottles brought back too (404: no such plan here)
        {"anonymous": (302, 302, 302), **_END_TAKE_HOME_PAGE, "nurse": (404, 404, 404)},
        patient_scoped=True,
        body={"reason": "the person brought the bottle back unopened", "returned_days": "2026-11-20"},
        refused_on_page=("patient", "counselor", "program_admin"),
    ),
    "treatment:create_fill": Route(  # no order here: the nurse is told so on the page
        "POST",
        "/patients/{patient}/medication/fills/",
        {"anonymous": (302, 302, 302), **_DOSE_WRITE_PAGE},
        patient_scoped=True,
        body={"filled_on": "2026-11-20", "days_supply": "14", "source": "pharmacy"},
    ),
    "treatment:void_fill": Route(  # no such fill: the nurse is told so on the page
        "POST",
        "/patients/{patient}/medication/fills/999999/void/",
        {"anonymous": (302, 302, 302), **_DOSE_WRITE_PAGE},
        patient_scoped=True,
        body={"reason": "wrong patient"},
    ),
    "treatment:qtc": Route(
        "POST",
        "/patients/{patient}/medication/qtc/",
        {"anonymous": (302, 302, 302), **_DOSE_WRITE_PAGE},
        patient_scoped=True,
        body={"qtc_ms": "abc"},
    ),
    "treatment:record_dose": Route(
        "POST",
        "/dosing/{patient}/",
        {"anonymous": (302, 302, 302), **_DOSE_WRITE_PAGE},
        patient_scoped=True,
        body={"amount_mg": "30"},
    ),
    "api:medication": Route(
        "GET",
        "/api/v1/patients/{patient}/medication",
        {"anonymous": (401, 401, 401), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    "api:create_dose": Route(  # no order in this fixture: the nurse is told so (422); success: test_dosing
        "POST",
        "/api/v1/patients/{patient}/doses",
        {
            "anonymous": (401, 401, 401),
            **_DOSE_WRITE,
            "nurse": (422, 404, 404),
            "prescriber": (422, 404, 404),
        },
        patient_scoped=True,
        body={},
    ),
    "api:create_order": Route(
        "POST",
        "/api/v1/patients/{patient}/orders",
        {"anonymous": (401, 401, 401), **_PRESCRIBE},
        patient_scoped=True,
        # the version of the target person's orders, read when the request is made (`test_matrix._request`)
        body={"medication": "methadone", "dose_mg": 30, "orders_version": ORDERS_VERSION},
    ),
    "api:override": Route(
        "POST",
        "/api/v1/patients/{patient}/dose-overrides",
        {"anonymous": (401, 401, 401), **_PRESCRIBE},
        patient_scoped=True,
        body={"max_total_mg": 60, "reason": "documented: COWS 14 at 2 h, still in withdrawal"},
    ),
    "api:take_home": Route(  # no methadone order here: 422 (issue #13); success: test_take_home_safety
        "POST",
        "/api/v1/patients/{patient}/take-homes",
        {"anonymous": (401, 401, 401), **_PRESCRIBE, "prescriber": (422, 404, 404)},
        patient_scoped=True,
        body={"criteria": {}},
    ),
    "api:end_take_home": Route(  # no such plan here: 404 for the prescriber; success: test_take_home_end
        "POST",
        "/api/v1/patients/{patient}/take-homes/999999/end",
        {"anonymous": (401, 401, 401), **_PRESCRIBE, "prescriber": (404, 404, 404)},
        patient_scoped=True,
        body={"reason": "the plan was entered for the wrong person by mistake"},
    ),
    "api:take_home_brought_back": Route(  # lane fix25c: no such plan here: 404 for the prescriber
        "POST",
        "/api/v1/patients/{patient}/take-homes/999999/brought-back",
        # lane end26: nurses and prescribers record bottles brought back (404: no such plan here)
        {"anonymous": (401, 401, 401), **_PRESCRIBE, "nurse": (404, 404, 404), "prescriber": (404, 404, 404)},
        patient_scoped=True,
        body={"reason": "the person brought the bottle back unopened", "returned_days": ["2026-11-20"]},
    ),
    "api:take_home_review": Route(
        "GET",
        "/api/v1/patients/{patient}/take-homes/review",
        {"anonymous": (401, 401, 401), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    "api:qtc": Route(
        "POST",
        "/api/v1/patients/{patient}/qtc",
        {"anonymous": (401, 401, 401), **_DOSE_WRITE},
        patient_scoped=True,
        body={"qtc_ms": 430},
    ),
    "api:amend": Route(
        "POST",
        "/api/v1/patients/{patient}/doses/999999/amendments",
        {"anonymous": (401, 401, 401), **_DOSE_AMEND},
        patient_scoped=True,
        body={"corrected_mg": "20", "reason": "typo in mg", "correction_version": 0},
    ),
    "api:dosing_today": Route(
        "GET", "/api/v1/dosing/today", {**_all(403, 401), "nurse": 200, "prescriber": 200}
    ),
    "api:get_policy": Route(
        "GET", "/api/v1/programs/riverside/policy", {**_all(200, 401), "patient": 403, "self_guided": 403}
    ),
    "api:get_measures": Route(
        "GET", "/api/v1/programs/riverside/measures", {**_all(403, 401), "program_admin": 200}
    ),
    "api:put_policy": Route(
        "PUT",
        "/api/v1/programs/riverside/policy/methadone-dose-check/titration_step_max_mg",
        {**_all(403, 401), "patient": 422, "self_guided": 422, "auditor": 403, "program_admin": 200},
        body={"value": 5, "reason": "the program's new titration protocol"},
    ),
    "treatment:start": Route(
        "GET",
        "/patients/{patient}/start/",
        {"anonymous": (302, 302, 302), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    # One URL per action on the start page (issue #17). Bodies the service refuses by name: the page again
    # (422) with the reason beside the form, nothing written.
    **{
        f"treatment:start_{name}": Route(
            "POST",
            f"/patients/{{patient}}/start/{part}",
            {"anonymous": (302, 302, 302), **_on_page(expect)},
            patient_scoped=True,
            body=body,
        )
        for name, part, expect, body in _START_ACTIONS
    },
    "treatment:intake": Route(
        "GET",
        "/patients/{patient}/intake/",
        {"anonymous": (302, 302, 302), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    "treatment:my_care_plan": Route("GET", "/me/care-plan/", {**_all(404, 302), "patient": 200}),
    "api:patient_policy": Route(
        "POST",
        "/api/v1/patients/{patient}/policy-overrides",
        {"anonymous": (401, 401, 401), **_PRESCRIBE},
        patient_scoped=True,
        body={
            "rule": "buprenorphine-readiness",
            "field": "cows_threshold",
            "value": 12,
            "reason": "fentanyl use daily, stricter COWS",
        },
    ),
    "treatment:home_start": Route("GET", "/me/home-start/", {**_all(404, 302), "patient": 200}),
    "api:my_home_start": Route("GET", "/api/v1/me/home-start", {**_all(404, 401), "patient": 200}),
    "api:report_my_last_use": Route(  # issue #13: the person tells when they last used (no opioid since)
        "POST", "/api/v1/me/last-use", {**_all(404, 401), "patient": 201}, body={"opioids": []}
    ),
    "api:correct_last_use": Route(  # issue #13: nothing reported here, so the struck time is refused (422)
        "POST",
        "/api/v1/patients/{patient}/last-use-corrections",
        {"anonymous": (401, 401, 401), **_PRESCRIBE, "prescriber": (422, 404, 404)},
        patient_scoped=True,
        body={
            "opioid": "heroin",
            "struck_at": "2026-11-25T22:00:00-05:00",
            "reason": "typed 22:00 on the intake for 02:00",
        },
    ),
    "api:report_last_use": Route(  # issue #13: the care team asks again before a start
        "POST",
        "/api/v1/patients/{patient}/last-use",
        {"anonymous": (401, 401, 401), **_CARE_WRITE},
        patient_scoped=True,
        body={"opioids": []},
    ),
    "treatment:injection": Route(  # no naltrexone order here: redirected back with the reason
        "POST",
        "/patients/{patient}/injections/",
        {"anonymous": (302, 302, 302), **_DOSE_WRITE_PAGE},
        patient_scoped=True,
        body={"site": "left_gluteal"},
    ),
    "api:my_care_plan": Route("GET", "/api/v1/me/care-plan", {**_all(404, 401), "patient": 200}),
    "api:treatment_start": Route(
        "GET",
        "/api/v1/patients/{patient}/start",
        {"anonymous": (401, 401, 401), **_CLINICAL_READ},
        patient_scoped=True,
    ),
    "api:create_intake": Route(
        "POST",
        "/api/v1/patients/{patient}/intakes",
        {"anonymous": (401, 401, 401), **_CARE_WRITE},
        patient_scoped=True,
        body={"pregnant": "no"},
    ),
    "api:care_goal": Route(  # no one named responsible: the writer is told (422)
        "POST",
        "/api/v1/patients/{patient}/care-goals",
        {
            "anonymous": (401, 401, 401),
            **_CARE_WRITE,
            **{r: (422, 404, 404) for r in ("counselor", "nurse", "prescriber")},
        },
        patient_scoped=True,
        body={"area": "counseling", "goal": "g", "responsible_id": 0, "review_on": "2099-01-01"},
    ),
    "api:naloxone": Route(
        "POST",
        "/api/v1/patients/{patient}/naloxone-kits",
        {"anonymous": (401, 401, 401), **_DOSE_WRITE},
        patient_scoped=True,
        body={"product": "nasal_4mg"},
    ),
    "api:injection": Route(  # no naltrexone order in this fixture: 422 for those who may give it
        "POST",
        "/api/v1/patients/{patient}/injections",
        {
            "anonymous": (401, 401, 401),
            **_DOSE_WRITE,
            "nurse": (422, 404, 404),
            "prescriber": (422, 404, 404),
        },
        patient_scoped=True,
        body={"site": "left_gluteal"},
    ),
    "api:list_events": Route(
        "GET", "/api/v1/audit/events", {**_all(404, 401), "program_admin": 200, "auditor": 200}
    ),
    # An account of one's own (issue #20): sign-up is public; the account's pages are the self-guided's only;
    # a patient may download their own companion's data too; the care team makes a code to link an account.
    "signup:start": Route("GET", "/en/start/", _all(302, 200)),
    "signup:deleted": Route("GET", "/en/start/deleted/", _all(200, 200)),
    "selfguided:home": Route("GET", "/me/account/", {**_all(404, 302), "self_guided": 200}),
    "selfguided:export": Route(
        "GET", "/me/account/my-data.json", {**_all(404, 302), "patient": 200, "self_guided": 200}
    ),
    "selfguided:delete": Route("GET", "/me/account/delete/", {**_all(404, 302), "self_guided": 200}),
    "selfguided:join": Route("GET", "/me/account/join/", {**_all(404, 302), "self_guided": 200}),
    "selfguided:join_sign": Route(  # no code: the self-guided are sent back to step 1
        "POST", "/me/account/join/sign/", {**_all(404, 302), "self_guided": 422}, body={"code": ""}
    ),
    "selfguided:link_code": Route(  # Alice already has an account: those who may give a code are told so
        "POST",
        "/patients/{patient}/link-code/",
        {
            "anonymous": (302, 302, 302),
            **_CLINICAL_READ,
            "patient": (403, 404, 404),
            "peer_specialist": (403, 404, 404),
            "counselor": (422, 404, 404),
            "nurse": (422, 404, 404),
            "prescriber": (422, 404, 404),
            "program_admin": (422, 422, 404),
        },
        patient_scoped=True,
    ),
}

# The FHIR R4 read API (issue #16): the same scope as the record's pages; clinical types not for peers or
# auditors;
# anonymous callers get 401 (the capability statement and the instruments' Questionnaires are public).
_FHIR_RECORD = {"anonymous": (401, 401, 401), **_RECORD}
_FHIR_CLINICAL = {"anonymous": (401, 401, 401), **_CLINICAL_READ}
ROUTES.update(
    {
        "fhir:metadata": Route("GET", "/fhir/R4/metadata", _all(200, 200)),
        "fhir:unknown": Route("GET", "/fhir/R4/Basic/1", _all(404, 404)),
        "fhir_base": Route("GET", "/fhir/R4", _all(404, 404)),  # lane fix38f: no slash, the same 404
        "fhir:patient_read": Route("GET", "/fhir/R4/Patient/{patient}", _FHIR_RECORD, patient_scoped=True),
        "fhir:patient_everything": Route(  # the whole record at once: only who may release it (issue #14)
            "GET",
            "/fhir/R4/Patient/{patient}/$everything",
            {
                **_FHIR_RECORD,
                # p14c: a staff session takes the whole record only by the staff export (basis, password)
                "counselor": (403, 404, 404),
                "nurse": (403, 404, 404),
                "prescriber": (403, 404, 404),
                "peer_specialist": (403, 404, 404),
                "program_admin": (403, 403, 404),
            },
            patient_scoped=True,
            also=("POST",),  # FHIR's POST form of an operation (a staff token's basis travels in its body)
        ),
        "fhir:patient_search": Route("GET", "/fhir/R4/Patient?name=nobody-by-this-name", _all(200, 401)),
        "fhir:questionnaire_read": Route("GET", "/fhir/R4/Questionnaire/phq9", _all(200, 200)),
        "fhir:questionnaire_search": Route("GET", "/fhir/R4/Questionnaire?version=1", _all(200, 200)),
        "fhir:organization_read": Route("GET", "/fhir/R4/Organization/999999", _all(404, 401)),
        "fhir:practitioner_read": Route("GET", "/fhir/R4/Practitioner/999999", _all(404, 401)),
        "fhir:questionnaireresponse_read": Route(
            "GET",
            "/fhir/R4/QuestionnaireResponse/assessment-{assessment}",
            _FHIR_CLINICAL,
            patient_scoped=True,
        ),
        "fhir:observation_read": Route(
            "GET", "/fhir/R4/Observation/assessment-{assessment}-total", _FHIR_CLINICAL, patient_scoped=True
        ),
        **{
            f"fhir:{kind.lower()}_read": Route("GET", f"/fhir/R4/{kind}/{prefix}999999", _all(404, 401))
            for kind, prefix in (
                ("Condition", "oud-"),
                ("MedicationRequest", ""),
                ("MedicationAdministration", "dose-"),
                ("MedicationDispense", "bottle-"),
                ("Consent", "consent-"),
                ("EpisodeOfCare", "enrollment-"),
                ("Provenance", "import-"),
            )
        },
        **{
            f"fhir:{kind.lower()}_search": Route(
                "GET", f"/fhir/R4/{kind}?patient={{patient}}", _FHIR_CLINICAL, patient_scoped=True
            )
            for kind in (
                "Observation",
                "Condition",
                "MedicationRequest",
                "MedicationAdministration",
                "MedicationDispense",
                "QuestionnaireResponse",
                "Consent",
                "EpisodeOfCare",
                "Provenance",
            )
        },
    }
)

# The identity photo (issue #18): seen by whoever sees who the patient is (identity; the patient their own);
# taken, replaced or removed by the front desk's roles (admins, counselors, nurses, prescribers) in scope.
# Every target has a photo before the request (test_matrix makes one for routes whose path ends in photo).
_PHOTO_WRITE = {
    **_RECORD,
    "patient": (403, 404, 404),
    "peer_specialist": (403, 404, 404),
}
_PHOTO_PUT = {  # a JSON body instead of a multipart one: 422 naming the photo field
    **_PHOTO_WRITE,
    **{role: (422, 404, 404) for role in ("counselor", "nurse", "prescriber")},
    "program_admin": (422, 422, 404),
}
_PHOTO_DELETE = {
    **_PHOTO_WRITE,
    **{role: (204, 404, 404) for role in ("counselor", "nurse", "prescriber")},
    "program_admin": (204, 204, 404),
}
ROUTES.update(
    {
        "patients:photo": Route(
            "GET",
            "/patients/{patient}/photo/",
            {"anonymous": (302, 302, 302), **_RECORD},
            patient_scoped=True,
        ),
        "patients:change_photo": Route(
            "GET",
            "/patients/{patient}/photo/change/",
            {"anonymous": (302, 302, 302), **_PHOTO_WRITE},
            patient_scoped=True,
        ),
        "api:get_patient_photo": Route(
            "GET",
            "/api/v1/patients/{patient}/photo",
            {"anonymous": (401, 401, 401), **_RECORD},
            patient_scoped=True,
        ),
        "api:put_patient_photo": Route(
            "PUT",
            "/api/v1/patients/{patient}/photo",
            {"anonymous": (401, 401, 401), **_PHOTO_PUT},
            patient_scoped=True,
            body={},
        ),
        "api:delete_patient_photo": Route(
            "DELETE",
            "/api/v1/patients/{patient}/photo",
            {"anonymous": (401, 401, 401), **_PHOTO_DELETE},
            patient_scoped=True,
        ),
    }
)


# Lane ownapi39 (review 37f, the integrator's decision): a person's own account (a patient's or self-guided)
# reads her record only where her pages do (/api/v1/me/...). Every other API route that may name people is a
# staff view: 403 for her own record or a list, 404 for a record not hers (`policy.refuse_staff_view_to_own
# _account`). Her tokens and sign-in (/api/v1/auth/...) and the routes that name no one keep their answers.
_OWN_ACCOUNT_KEEPS = re.compile(
    r"^/api/v1/(|openapi\.json|me(/.*)?|auth/.*|instruments(/.*)?|meetings|facilities|rules(/.*)?)$"
    r"|^GET /api/v1/programs/[^/]+/(settings|policy|measures)$"
)
_NOT_HERS = re.compile(r"/(patients|emergency-access)/\d+")


def _own_account_on_staff_view(route: Route) -> Route:
    path = route.path.split("?")[0]
    if not path.startswith("/api/v1/") or _OWN_ACCOUNT_KEEPS.match(path):
        return route
    if _OWN_ACCOUNT_KEEPS.match(f"{route.method} {path}"):
        return route
    expect = dict(route.expect)
    if route.patient_scoped:
        expect["patient"] = (403, 404, 404)
        expect["self_guided"] = (404, 404, 404)  # no record of hers is a target here
    else:
        for role in ("patient", "self_guided"):
            expect[role] = 404 if _NOT_HERS.search(route.path) else 403
        if "{patient}" in route.path:  # the caller's own record for a patient; never a self-guided's
            expect["self_guided"] = 404
    return replace(route, expect=expect)  # type: ignore[arg-type]


ROUTES = {name: _own_account_on_staff_view(route) for name, route in ROUTES.items()}


# Lane fixpriv39 (review rev39b holes 2 and 3, the integrator's decision): the same one definition for the
# staff HTML pages. Every page under /patients/ answers her own account 403 for her own record or a list (a
# plain page: her own record is at /me/), 404 for a record not hers (`keel.web.middleware
# .StaffPagesMiddleware` asks `policy.refuse_staff_view_to_own_account`); her /me/ pages keep their answers.
def _own_account_on_staff_page(route: Route) -> Route:
    if not route.path.startswith("/patients/") or route.path == "/patients/{patient}/photo/":
        return route  # her own identity photo stays hers to fetch (review 18's held test)
    expect = dict(route.expect)
    if route.patient_scoped:
        expect["patient"] = (403, 404, 404)
        expect["self_guided"] = (404, 404, 404)  # no record of hers is a target here
    else:
        for role in ("patient", "self_guided"):
            expect[role] = 403
        if "{patient}" in route.path:  # the caller's own record for a patient; never a self-guided's
            expect["self_guided"] = 404
    return replace(route, expect=expect)  # type: ignore[arg-type]


ROUTES = {name: _own_account_on_staff_page(route) for name, route in ROUTES.items()}
