"""Recovery-companion writes, one module per subdomain (as Zulip lays out `zerver/actions/`):

- `checkins`: today's check-in, once per idempotency key (the hot path);
- `flags`: the early-warning flags for the care team (after a check-in, on request, the daily silence scan);
- `tools`: thought records and coping-skill tries;
- `plan`: the relapse-prevention plan;
- `reminders`, `meetings`: the patient's reminders and meetings attended;
- `history`: bringing a history to another record (a self-guided account joining a program).

Reads live in `keel.recovery.queries`; both are re-exported here so `from keel.recovery import services`
keeps serving every caller. Every write takes the acting `User`, scopes the patient through the access policy
and writes its audit row in its transaction.
"""

from keel.recovery.common import FLAG_KINDS, HISTORY_DAYS, KEY_MAX, RecoveryInvalid, StaleEdit
from keel.recovery.queries import (
    EMPTY_PLAN,
    Overview,
    PlanView,
    ProgressView,
    SkillStats,
    checkin_out,
    due,
    get_plan,
    get_progress,
    home_summary,
    list_checkins,
    list_reminders,
    list_thought_records,
    overview,
    recent_attendance,
    skill_stats,
    thought_out,
    todays_checkin,
)
from keel.recovery.services.checkins import CheckInOutcome, record_checkin
from keel.recovery.services.flags import request_contact, review_history, scan_for_silence
from keel.recovery.services.history import Moved, move_history
from keel.recovery.services.meetings import log_attendance
from keel.recovery.services.plan import save_plan
from keel.recovery.services.reminders import add_reminder, delete_reminder, mark_reminder_done
from keel.recovery.services.tools import record_skill_try, save_thought_record

__all__ = [
    "EMPTY_PLAN",
    "FLAG_KINDS",
    "HISTORY_DAYS",
    "KEY_MAX",
    "CheckInOutcome",
    "Moved",
    "Overview",
    "PlanView",
    "ProgressView",
    "RecoveryInvalid",
    "SkillStats",
    "StaleEdit",
    "add_reminder",
    "checkin_out",
    "delete_reminder",
    "due",
    "get_plan",
    "get_progress",
    "home_summary",
    "list_checkins",
    "list_reminders",
    "list_thought_records",
    "log_attendance",
    "mark_reminder_done",
    "move_history",
    "overview",
    "recent_attendance",
    "record_checkin",
    "record_skill_try",
    "request_contact",
    "review_history",
    "save_plan",
    "save_thought_record",
    "scan_for_silence",
    "skill_stats",
    "thought_out",
    "todays_checkin",
]
