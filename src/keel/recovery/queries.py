"""Recovery-companion reads, through the access policy and the audit trail: check-ins, progress, thought
records, coping skills, the plan, reminders, meetings and the care team's overview (one's own data to
download: `keel.selfguided.own_data`).

Each function takes the acting user; patient routes pass `patient_id=None` ("my own record", from the
session), staff routes pass an id the policy scopes. Check-ins, progress and the plan are the RECOVERY area
(peer specialists see them); thought records are counseling content, the CLINICAL area."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from keel import crypto
from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User
from keel.audit.models import Action
from keel.core.recovery import tools
from keel.core.recovery.progress import Day, Progress, progress
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.db import rows
from keel.patients.models import Patient, local_today, zone_of
from keel.recovery.common import (
    RecoveryInvalid,
    _aad,
    _audit,
    _patient,
)
from keel.recovery.models import (
    CheckIn,
    MeetingAttendance,
    Reminder,
    SkillTry,
    ThoughtRecord,
)
from keel.recovery.models import RecoveryPlan as PlanRow
from keel.recovery.schemas import CheckInOut, PlanContentOut, ThoughtRecordOut

# --- Check-ins ------------------------------------------------------------------------------------------


def checkin_out(c: CheckIn) -> CheckInOut:
    """A check-in as the pages, the API and the own-data copy show it (`CheckInOut`, the one shape), its
    private words decrypted."""
    return _checkin_out(c, crypto.decrypt_json(c.private, aad=_aad("checkin", c.patient_id), default={}))


def _checkin_out(c: CheckIn, private: Mapping[str, str]) -> CheckInOut:
    return CheckInOut(
        id=c.pk,
        date=c.local_date.isoformat(),
        craving=c.craving,
        mood=c.mood,
        used=c.used,
        used_what=list(c.used_what),
        used_how=list(c.used_how),
        medication=c.medication,
        meeting=c.meeting,
        counseling=c.counseling,
        triggers=list(c.triggers),
        trigger_other=private.get("trigger_other", ""),
        sleep=c.sleep,
        note=private.get("note", ""),
        version=c.version,
        updated_at=c.updated_at.isoformat(),
    )


def _series(patient: Patient, today: date, days: int) -> list[CheckIn]:
    """The patient's check-ins of the last `days` days up to `today`, oldest first (hand-written SQL: every
    check-in reads it)."""
    found = rows.fetch(
        'FROM "recovery_checkin" c WHERE c."patient_id" = %s '
        'AND c."local_date" > %s AND c."local_date" <= %s ORDER BY c."local_date"',
        [
            patient.pk,
            connection.ops.adapt_datefield_value(today - timedelta(days=days)),
            connection.ops.adapt_datefield_value(today),
        ],
        (CheckIn, "c"),
    )
    for (row,) in found:
        CheckIn.patient.field.set_cached_value(row, patient)
    return [row for (row,) in found]


def list_checkins(
    user: User, *, patient_id: int | None, days: int = 30, today: date | None = None
) -> tuple[Patient, list[CheckIn]]:
    """The last `days` days of check-ins, newest first; one audit row."""
    if not 1 <= days <= 400:
        raise RecoveryInvalid([FieldError("days", N_("must be between 1 and 400"))])
    patient = _patient(user, patient_id, Area.RECOVERY, Action.READ, "checkins")
    rows = _checkins_of(patient, days, today or local_today(patient))
    _audit(user, patient, Action.READ, "checkins", detail={"days": days, "count": len(rows)})
    return patient, rows


def _checkins_of(patient: Patient, days: int, today: date) -> list[CheckIn]:
    return list(
        CheckIn.objects.filter(patient=patient, local_date__gt=today - timedelta(days=days)).order_by(
            "-local_date"
        )
    )


def todays_checkin(user: User) -> tuple[Patient, CheckIn | None]:
    """The signed-in patient's check-in for today, if any (for the form; audited as a read)."""
    patient = _patient(user, None, Area.RECOVERY, Action.READ, "checkin")
    row = CheckIn.objects.filter(patient=patient, local_date=local_today(patient)).first()
    _audit(user, patient, Action.READ, "checkin", row.pk if row else "")
    return patient, row


def home_summary(user: User, now: datetime | None = None) -> tuple[bool, list[Reminder]]:
    """For the patient's home page, whose read of the record is audited by the page itself: whether they
    checked in today, and the reminders due now."""
    patient = policy.get_patient_for_action_or_404(
        user, None, Action.READ, area=Area.RECOVERY, audit_success=False
    )
    checked_in = CheckIn.objects.filter(patient=patient, local_date=local_today(patient, now)).exists()
    return checked_in, due(list(Reminder.objects.filter(patient=patient, active=True)), patient, now)


# --- Progress -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressView:
    patient: Patient
    progress: Progress
    series: list[CheckIn]  # oldest first, the last `days` days
    days: int


def get_progress(
    user: User, *, patient_id: int | None, days: int = 30, now: datetime | None = None
) -> ProgressView:
    if days not in (7, 30, 90):
        raise RecoveryInvalid([FieldError("days", N_("use 7, 30 or 90"))])
    patient = _patient(user, patient_id, Area.RECOVERY, Action.READ, "progress")
    view = _progress_of(patient, days, now)
    _audit(user, patient, Action.READ, "progress", detail={"days": days})
    return view


def _progress_of(patient: Patient, days: int, now: datetime | None = None) -> ProgressView:
    today = local_today(patient, now)
    rows = list(
        CheckIn.objects.filter(patient=patient, local_date__lte=today)
        .order_by("local_date")
        .values("local_date", "used", "medication", "meeting", "counseling", "craving", "mood", "id")
    )
    meeting_days = MeetingAttendance.objects.filter(
        patient=patient, local_date__gt=today - timedelta(days=7), local_date__lte=today
    ).values_list("local_date", flat=True)
    p = progress(
        today,
        [Day(r["local_date"], r["used"], r["medication"], r["meeting"], r["counseling"]) for r in rows],
        meeting_days=list(meeting_days),
    )
    start = today - timedelta(days=days - 1)
    series = [
        CheckIn(
            patient=patient,
            local_date=r["local_date"],
            craving=r["craving"],
            mood=r["mood"],
            used=r["used"],
            medication=r["medication"],
            meeting=r["meeting"],
            counseling=r["counseling"],
            id=r["id"],
        )
        for r in rows
        if r["local_date"] >= start
    ]
    return ProgressView(patient, p, series, days)


# --- Thought records ------------------------------------------------------------------------------------


def thought_out(t: ThoughtRecord) -> ThoughtRecordOut:
    """A thought record as the pages, the API and the own-data copy show it (`ThoughtRecordOut`), its words
    decrypted (`tools.THOUGHT_TEXT`)."""
    text = crypto.decrypt_json(t.content, aad=_aad("thought", t.patient_id), default={})
    return ThoughtRecordOut.model_validate(
        {
            "id": t.pk,
            "created_at": t.created_at.isoformat(),
            "local_date": t.created_at.astimezone(zone_of(t.patient)).date().isoformat(),
            "checkin_id": t.checkin_id,
            **{name: text.get(name, "") for name in tools.THOUGHT_TEXT},
            "intensity_before": t.intensity_before,
            "intensity_after": t.intensity_after,
        }
    )


def list_thought_records(user: User, *, patient_id: int | None) -> tuple[Patient, list[ThoughtRecord]]:
    """One person's thought records (counseling content, the clinical area); one audited read. Not through
    emergency access (review 20b): a journal of automatic thoughts is no part of treating an emergency (a 403,
    audited "emergency access: may not read thought records"), as consents are not (review 19b)."""
    patient = policy.get_patient_for_action_or_404(
        user,
        patient_id,
        Action.READ,
        area=Area.CLINICAL,
        target_type="thought_records",
        emergency_what="read thought records",
        audit_success=False,
    )
    rows = _thoughts_of(patient)
    _audit(user, patient, Action.READ, "thought_records", detail={"count": len(rows)})
    return patient, rows


def _thoughts_of(patient: Patient) -> list[ThoughtRecord]:
    return list(ThoughtRecord.objects.filter(patient=patient).select_related("patient__program")[:100])


# --- Coping skills --------------------------------------------------------------------------------------


# --- Coping skills --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkillStats:
    code: str
    tries: int
    helped: int  # yes or a little

    @property
    def help_rate(self) -> float | None:
        return None if not self.tries else self.helped / self.tries


def skill_stats(user: User, *, patient_id: int | None) -> tuple[Patient, list[SkillStats]]:
    """Every skill with how often it was tried and helped, the most helpful first (the plan learns)."""
    patient = _patient(user, patient_id, Area.RECOVERY, Action.READ, "skill_tries")
    _audit(user, patient, Action.READ, "skill_tries")
    return patient, _skills_of(patient)


def _skills_of(patient: Patient) -> list[SkillStats]:
    counts: dict[str, list[int]] = {code: [0, 0] for code in tools.SKILL_CODES}
    for skill, helped in SkillTry.objects.filter(patient=patient).values_list("skill", "helped"):
        if skill in counts:
            counts[skill][0] += 1
            counts[skill][1] += helped in ("yes", "a_little")
    stats = [SkillStats(code, t, h) for code, (t, h) in counts.items()]
    order = {code: i for i, code in enumerate(tools.SKILL_CODES)}
    # What helped first (best rate), then skills not tried yet, then those that did not help.
    stats.sort(
        key=lambda s: (
            0 if s.helped else 1 if not s.tries else 2,
            -(s.help_rate or 0),
            -s.tries,
            order[s.code],
        )
    )
    return stats


# --- The relapse-prevention plan ------------------------------------------------------------------------

EMPTY_PLAN: dict[str, list[object]] = {name: [] for name in (*tools.PLAN_LISTS, "people")}


@dataclass(frozen=True)
class PlanView:
    patient: Patient
    plan: PlanContentOut  # the lists and the people (`tools.parse_plan`); all empty when not written yet
    version: int  # 0 = not written yet
    updated_at: datetime | None


def get_plan(user: User, *, patient_id: int | None) -> PlanView:
    patient = _patient(user, patient_id, Area.RECOVERY, Action.READ, "recovery_plan")
    view = _plan_of(patient)
    _audit(user, patient, Action.READ, "recovery_plan")
    return view


def _plan_of(patient: Patient) -> PlanView:
    row = PlanRow.objects.filter(patient=patient).first()
    if row is None:
        return PlanView(patient, PlanContentOut.model_validate(EMPTY_PLAN), 0, None)
    plan = crypto.decrypt_json(row.content, aad=_aad("plan", patient.pk), default={})
    return PlanView(
        patient, PlanContentOut.model_validate({**EMPTY_PLAN, **plan}), row.version, row.updated_at
    )


# --- Reminders and meetings -----------------------------------------------------------------------------


def list_reminders(
    user: User, *, now: datetime | None = None
) -> tuple[Patient, list[Reminder], list[Reminder]]:
    """(all my reminders, the ones due now: active, their time passed today, not yet done today)."""
    patient = _patient(user, None, Area.RECOVERY, Action.READ, "reminders")
    rows = list(Reminder.objects.filter(patient=patient).select_related("delivery"))
    _audit(user, patient, Action.READ, "reminders")
    return patient, rows, due(rows, patient, now)


def due(rows: list[Reminder], patient: Patient, now: datetime | None = None) -> list[Reminder]:
    """The reminders to show now. An SMS or push adapter would call this on a schedule and send them."""
    local = (now or timezone.now()).astimezone(zone_of(patient))
    return [r for r in rows if r.active and r.at <= local.time() and r.done_on != local.date()]


def recent_attendance(user: User, *, patient_id: int | None, days: int = 30) -> list[MeetingAttendance]:
    patient = _patient(user, patient_id, Area.RECOVERY, Action.READ, "meeting_attendance")
    rows = list(
        MeetingAttendance.objects.filter(
            patient=patient, local_date__gt=local_today(patient) - timedelta(days=days)
        )
    )
    _audit(user, patient, Action.READ, "meeting_attendance")
    return rows


# --- The care team's overview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    patient: Patient
    progress: ProgressView
    checkins: list[CheckIn]
    plan: PlanView
    skills: list[SkillStats]
    thoughts: list[ThoughtRecord] | None  # None: the role may not see counseling content


def overview(user: User, *, patient_id: int, days: int = 30) -> Overview:
    """Everything of one patient's recovery support for their care team, scoped once and audited as one
    read. Thought records (counseling content, the clinical area) only for roles that see that area."""
    if days not in (7, 30, 90):
        raise RecoveryInvalid([FieldError("days", N_("use 7, 30 or 90"))])
    patient = _patient(user, patient_id, Area.RECOVERY, Action.READ, "recovery_overview")
    # not the thought records through emergency access (review 20b): the overview shows the rest
    clinical = Area.CLINICAL in policy.areas_of(user) and policy.thought_records_shown(user, patient)
    view = Overview(
        patient=patient,
        progress=_progress_of(patient, days),
        checkins=_checkins_of(patient, 30, local_today(patient)),
        plan=_plan_of(patient),
        skills=_skills_of(patient),
        thoughts=_thoughts_of(patient) if clinical else None,
    )
    _audit(user, patient, Action.READ, "recovery_overview", detail={"thought_records": clinical})
    return view
