"""The one access policy: who may read or write which part of which patient's record.

Every view, API route, CLI command and export asks this module; nothing else decides access.
Deny by default. Out-of-scope records are indistinguishable from missing ones (404, no data).

Scope rules (issue #2):
- a patient: only their own record, taken from the session;
- counselor, nurse, prescriber: patients of their programs whose care team they are on;
- peer specialist: the same patients, recovery-support parts and identity only;
- program admin: every patient of their programs;
- auditor: no patient content; the audit trail of their programs;
- a self-guided account (issue #20): its own recovery companion only (check-ins, progress, CBT tools, plan,
  meetings), from the session; it is in no program (its record lives in a personal space no staff member can
  belong to), so no staff role ever sees it, unless the person joins a program and signs to bring it;
- nothing ever crosses programs.

The package, one module a subdomain (moving code only, issue #17); callers import `keel.access.policy`:
- `areas`: the parts of a record each role sees, and the one field-level policy (`PROTECTED_FIELDS`,
  `field_visible`);
- `scope`: the patients a caller sees, as one queryset (`patients_visible_to`), and the audit trail's
  programs;
- `clinical_sql`: a clinician's scope for one id, hand-written (`CLINICAL_SCOPE_WHERE`);
- `fetch`: the patient an action or a read is about, audited (`get_patient_or_404`,
  `get_patient_for_action_or_404`, `own_patient_or_404`, `row_not_theirs`);
- `emergency`: what emergency access (break-the-glass) opens and does not;
- `lists`: a read of many patients, with its one audit row;
- `actions`: actions inside a record, by role and program (`can_record_dose`, `can_prescribe`, ...);
- `roles`: the decisions by role alone (tests/access/test_role_checks_live_in_policy.py: no role is compared
  outside `keel.access`);
- `tokens`: what an API token may do (`bound_token_may`);
- `nav`: the staff menu's links, the same decisions by name.
"""

from __future__ import annotations

from keel.access.policy.actions import (
    SELF_REPORT_INSTRUMENTS,
    can_change_policy,
    can_correct_assessment,
    can_disclose,
    can_manage_care_team,
    can_manage_episode,
    can_manage_staff,
    can_prescribe,
    can_record_assessment,
    can_record_brought_back,
    can_record_dose,
    can_record_measurement,
    can_record_written_revocation,
    can_register_patient,
    can_request_emergency_access,
    can_reset_patient_second_factor,
    can_review_emergencies,
    can_schedule_appointment,
    can_undo_death,
    can_view_measures,
    can_write_care_record,
    filed_by_the_person,
    may_manage_care_teams,
    may_take_whole_record,
    program_of_admin,
    registering_programs,
    sent_by_a_current_admin,
    works_beyond_admin,
    works_in_other_programs,
)
from keel.access.policy.areas import (
    PROTECTED_FIELDS,
    Area,
    areas_for_role,
    areas_of,
    field_visible,
    flags_visible,
)
from keel.access.policy.clinical_sql import (
    CLINICAL_SCOPE_WHERE,
    OFF_TEAM,
    clinical_scope_params,
    clinical_scope_sql,
)
from keel.access.policy.emergency import (
    emergency_only_ids,
    marked_off_team,
    thought_records_shown,
    through_emergency_access,
    without_emergency_only,
)
from keel.access.policy.fetch import (
    ActionNotAllowed,
    get_patient_for_action_or_404,
    get_patient_or_404,
    may_still_give_code_for,
    own_patient_or_404,
    reads_her_own_record,
    refuse_own_search_after_death,
    refuse_staff_view_to_own_account,
    row_not_theirs,
    withholds_struck_content,
)
from keel.access.policy.lists import audit_list_read, list_patient_values_audited, list_patients_audited
from keel.access.policy.nav import staff_nav
from keel.access.policy.roles import (
    PRESCRIBER_ONLY_FLAGS,
    administers_a_program,
    can_give_link_code,
    can_resolve_flag,
    can_resolve_flags,
    is_program_patient,
    is_self_guided_account,
    may_import_feeds,
    may_read_audit_trail,
    may_register_patients,
    may_view_measures,
    reads_only_the_audit_trail,
    registrar_joins_care_team,
)
from keel.access.policy.scope import (
    PatientNotFound,
    areas_visible,
    audit_program_ids,
    patients_visible_to,
    program_ids_of,
)
from keel.access.policy.tokens import (
    TokenUse,
    bound_token_may,
    conflict_may_name_the_record,
    managed_token,
    raw_counts_may_go_to,
    token_is_staffs,
)

__all__ = [
    "CLINICAL_SCOPE_WHERE",
    "OFF_TEAM",
    "PRESCRIBER_ONLY_FLAGS",
    "PROTECTED_FIELDS",
    "SELF_REPORT_INSTRUMENTS",
    "ActionNotAllowed",
    "Area",
    "PatientNotFound",
    "TokenUse",
    "administers_a_program",
    "areas_for_role",
    "areas_of",
    "areas_visible",
    "audit_list_read",
    "audit_program_ids",
    "bound_token_may",
    "can_change_policy",
    "can_correct_assessment",
    "can_disclose",
    "can_give_link_code",
    "can_manage_care_team",
    "can_manage_episode",
    "can_manage_staff",
    "can_prescribe",
    "can_record_assessment",
    "can_record_brought_back",
    "can_record_dose",
    "can_record_measurement",
    "can_record_written_revocation",
    "can_register_patient",
    "can_request_emergency_access",
    "can_reset_patient_second_factor",
    "can_resolve_flag",
    "can_resolve_flags",
    "can_review_emergencies",
    "can_schedule_appointment",
    "can_undo_death",
    "can_view_measures",
    "can_write_care_record",
    "clinical_scope_params",
    "clinical_scope_sql",
    "conflict_may_name_the_record",
    "emergency_only_ids",
    "field_visible",
    "filed_by_the_person",
    "flags_visible",
    "get_patient_for_action_or_404",
    "get_patient_or_404",
    "is_program_patient",
    "is_self_guided_account",
    "list_patient_values_audited",
    "list_patients_audited",
    "managed_token",
    "marked_off_team",
    "may_import_feeds",
    "may_manage_care_teams",
    "may_read_audit_trail",
    "may_register_patients",
    "may_still_give_code_for",
    "may_take_whole_record",
    "may_view_measures",
    "own_patient_or_404",
    "patients_visible_to",
    "program_ids_of",
    "program_of_admin",
    "raw_counts_may_go_to",
    "reads_her_own_record",
    "reads_only_the_audit_trail",
    "refuse_own_search_after_death",
    "refuse_staff_view_to_own_account",
    "registering_programs",
    "registrar_joins_care_team",
    "row_not_theirs",
    "sent_by_a_current_admin",
    "staff_nav",
    "thought_records_shown",
    "through_emergency_access",
    "token_is_staffs",
    "withholds_struck_content",
    "without_emergency_only",
    "works_beyond_admin",
    "works_in_other_programs",
]
