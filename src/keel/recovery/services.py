"""Recovery-companion writes and reads, through the access policy and the audit trail.

Each function takes the acting user; patient routes pass `patient_id=None` ("my own record", from the
session), staff routes pass an id the policy scopes. Check-ins, progress and the plan are the RECOVERY area
(peer specialists see them); thought records are counseling content, the CLINICAL area.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from keel import crypto
from keel.access import policy
from keel.access.policy import Area
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.recovery import checkin as core_checkin
from keel.core.recovery import tools
from keel.core.recovery.progress import Day, Progress, progress
from keel.core.rules import early_warning
from keel.core.rules.inputs import FieldError, FieldsInvalid, InvalidInput
from keel.db import rows
from keel.patients.models import FlagKind, Patient, PatientFlag, local_today, zone_of
from keel.recovery import labels
from keel.recovery.models import (
    CheckIn,
    IdempotencyKey,
    MeetingAttendance,
    Reminder,
    ReminderKind,
    SkillTry,
    ThoughtRecord,
)
from keel.recovery.models import RecoveryPlan as PlanRow

KEY_MAX = 100
HISTORY_DAYS = 14  # check-ins the early-warning rules look at (the longest rule needs 8 days)
FLAG_KINDS = {
    "reported_use": FlagKind.REPORTED_USE,
    "rising_craving": FlagKind.RISING_CRAVING,
    "missed_medication": FlagKind.MISSED_MEDICATION,
    "worsening_mood": FlagKind.WORSENING_MOOD,
    "silence": FlagKind.SILENCE,
    "contact_request": FlagKind.CONTACT_REQUEST,
}


class RecoveryInvalid(FieldsInvalid):
    """Bad input to a recovery write."""


class StaleEdit(ValueError):
    """The record changed since the client read it (optimistic concurrency): 409."""


def _invalid(exc: InvalidInput) -> RecoveryInvalid:
    return RecoveryInvalid(exc.errors)


def _patient(user: Any, patient_id: int | None, area: Area, action: Action, target_type: str) -> Patient:
    if patient_id is None:
        return policy.own_patient_or_404(
            user, area=area, action=action, target_type=target_type, audit_success=False
        )
    return policy.get_patient_or_404(
        user, patient_id, area=area, action=action, target_type=target_type, audit_success=False
    )


_audit = audit.record_for_patient


def _aad(purpose: str, patient_id: int) -> str:
    return f"keel:{purpose}:patient:{patient_id}"


# --- Check-ins ------------------------------------------------------------------------------------------


def checkin_dict(c: CheckIn) -> dict[str, Any]:
    return _checkin_body(c, crypto.decrypt_json(c.private, aad=_aad("checkin", c.patient_id), default={}))


def _checkin_body(c: CheckIn, private: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": c.pk,
        "date": c.local_date.isoformat(),
        "craving": c.craving,
        "mood": c.mood,
        "used": c.used,
        "used_what": list(c.used_what),
        "used_how": list(c.used_how),
        "medication": c.medication,
        "meeting": c.meeting,
        "counseling": c.counseling,
        "triggers": list(c.triggers),
        "trigger_other": private.get("trigger_other", ""),
        "sleep": c.sleep,
        "note": private.get("note", ""),
        "version": c.version,
        "updated_at": c.updated_at.isoformat(),
    }


@dataclass(frozen=True)
class CheckInOutcome:
    status_code: int  # 201 created, 200 edited today's check-in (or a replay of either)
    body: dict[str, Any]
    replay: bool


def record_checkin(
    *, by: Any, raw: Mapping[str, Any], key: str, now: datetime | None = None
) -> CheckInOutcome:
    """Save today's check-in (create, or edit today's), exactly once per idempotency key.

    A replay of a key returns the first response; the same key with a different check-in is refused
    (RecoveryInvalid on `Idempotency-Key`). Raises RecoveryInvalid naming every bad field; writes nothing
    unless all is well. Two requests racing on one key or one day leave exactly one row.

    The reads and the early-warning run happen before the write transaction (`_read_for_checkin`), so the
    database's one writer (SQLite) or the chain head (PostgreSQL) is held only for the writes. Inside it,
    today's row is checked again: if another check-in of this patient landed in between (the only writer of
    check-ins; earlier days never change), everything is read and decided again inside the transaction.
    """
    patient = _patient(by, None, Area.RECOVERY, Action.CREATE, "checkin")
    key = (key or "").strip()
    errors = []
    if not key:
        errors.append(FieldError("Idempotency-Key", "missing: send a unique key for each new check-in"))
    elif len(key) > KEY_MAX or not key.isprintable():
        errors.append(FieldError("Idempotency-Key", f"at most {KEY_MAX} printable characters"))
    try:
        values = core_checkin.parse_checkin(raw)
    except InvalidInput as exc:
        errors = exc.errors + errors
        values = {}
    if errors:
        raise RecoveryInvalid(errors)
    fingerprint = core_checkin.fingerprint(values)
    now = now or timezone.now()
    asked = _CheckInAsked(by, patient, key, values, fingerprint, now)
    for attempt in range(3):
        read = _read_for_checkin(asked)
        try:
            with transaction.atomic():
                return _write_checkin(asked, read) or _record_checkin(asked)
        except IntegrityError:
            # A concurrent request won the race for this key or this day; the next attempt sees its row.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class _CheckInAsked:
    """One check-in request, checked: who, for which patient, its key, its values and when."""

    by: Any
    patient: Patient
    key: str
    values: dict[str, Any]
    fingerprint: str
    now: datetime


@dataclass(frozen=True)
class _CheckInRead:
    """What a check-in needs from the database, read before its write transaction."""

    today: date
    row: CheckIn | None  # today's check-in, to edit; None: this check-in creates it
    flags: list[dict[str, Any]]  # the early-warning flags the series with this check-in raises
    key_seen: bool  # the idempotency key is already used: the full path replays it or refuses


def _read_for_checkin(asked: _CheckInAsked) -> _CheckInRead:
    today = local_today(asked.patient, asked.now)
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT 1 FROM "recovery_idempotencykey" WHERE "user_id" = %s AND "key" = %s',
            [asked.by.pk, asked.key],
        )
        if cursor.fetchone() is not None:
            return _CheckInRead(today, None, [], key_seen=True)
    return _CheckInRead(today, *_today_and_flags(asked.patient, today, asked.values), key_seen=False)


def _today_and_flags(
    patient: Patient, today: date, values: dict[str, Any]
) -> tuple[CheckIn | None, list[dict[str, Any]]]:
    """Today's check-in as stored (None if there is none yet) and the flags this check-in raises."""
    series = _series(patient, today, HISTORY_DAYS)  # oldest first; today's row last, if there is one
    row = series.pop() if series and series[-1].local_date == today else None
    recent = [*_rule_checkins(series), {"date": today, **{k: values[k] for k in _RULE_FIELDS}}]
    return row, _flags_for(today, recent)


def _write_checkin(asked: _CheckInAsked, read: _CheckInRead) -> CheckInOutcome | None:
    """The write transaction's part of a check-in read beforehand; None if what was read is out of date
    (the caller then reads and decides again inside the transaction)."""
    if read.key_seen:
        return None
    _lock_patient(asked.patient)
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT "id", "version" FROM "recovery_checkin" WHERE "patient_id" = %s AND "local_date" = %s',
            [asked.patient.pk, connection.ops.adapt_datefield_value(read.today)],
        )
        now_there = cursor.fetchone()
    if now_there != (None if read.row is None else (read.row.pk, read.row.version)):
        return None  # another check-in of this patient landed after the read
    # A concurrent request with the same key also wrote today's row, so it was caught just above; the
    # unique (user, key) constraint backs this up (IntegrityError: the caller tries again and replays).
    return _save_checkin(asked, read.today, read.row, read.flags)


def _lock_patient(patient: Patient) -> None:
    if connection.features.has_select_for_update:  # one writer per patient; SQLite has one writer at all
        with connection.cursor() as cursor:
            cursor.execute('SELECT "id" FROM "patients_patient" WHERE "id" = %s FOR UPDATE', [patient.pk])


def _record_checkin(asked: _CheckInAsked) -> CheckInOutcome:
    """The whole check-in inside the write transaction: reads, decision and writes."""
    # The hot path of the recovery companion: its statements are hand-written (keel.db.rows).
    by, patient, key = asked.by, asked.patient, asked.key
    _lock_patient(patient)
    seen = rows.fetch_one(
        'FROM "recovery_idempotencykey" k WHERE k."user_id" = %s AND k."key" = %s',
        [by.pk, key],
        IdempotencyKey,
        "k",
    )
    if seen is not None:
        if seen.scope != "checkin" or seen.fingerprint != asked.fingerprint:
            raise RecoveryInvalid(
                [FieldError("Idempotency-Key", "was already used for a different check-in; make a new key")]
            )
        first = crypto.decrypt_json(seen.response, aad=_aad("idempotency", patient.pk))
        _audit(by, patient, Action.READ, "checkin", first["checkin"]["id"], reason="idempotent replay")
        return CheckInOutcome(seen.status_code, first, replay=True)

    today = local_today(patient, asked.now)
    return _save_checkin(asked, today, *_today_and_flags(patient, today, asked.values))


def _save_checkin(
    asked: _CheckInAsked, today: date, row: CheckIn | None, flags: list[dict[str, Any]]
) -> CheckInOutcome:
    """Write today's check-in (new or edited), its flags, its idempotency key and its audit row."""
    by, patient, values, now = asked.by, asked.patient, asked.values, asked.now
    private = {k: values[k] for k in core_checkin.PRIVATE if values[k]}
    fields = {k: values[k] for k in values if k not in core_checkin.PRIVATE}
    blob = crypto.encrypt_json(private, aad=_aad("checkin", patient.pk)) if private else None
    if row is None:
        row = rows.insert(
            CheckIn(patient=patient, local_date=today, private=blob, created_at=now, updated_at=now, **fields)
        )
        status, action = 201, Action.CREATE
    else:
        for name, value in fields.items():
            setattr(row, name, value)
        row.private, row.updated_at, row.version = blob, now, row.version + 1
        rows.update(row, (*fields, "private", "updated_at", "version"))
        status, action = 200, Action.UPDATE
    raised = [
        flag["code"] for flag in flags if _raise_once(by, patient, flag["code"], flag, "checkin", row.pk, now)
    ]
    body = {
        "checkin": _checkin_body(row, private),
        "created": status == 201,
        "offers": list(core_checkin.offers(values)),
        "nudges": raised,
    }
    rows.insert(
        IdempotencyKey(
            user=by,
            key=asked.key,
            scope="checkin",
            fingerprint=asked.fingerprint,
            status_code=status,
            response=crypto.encrypt_json(body, aad=_aad("idempotency", patient.pk)),
            created_at=now,
        )
    )
    # Last: the audit chain's head row is locked from here to the commit, so the lock is held briefly.
    _audit(by, patient, action, "checkin", row.pk)
    return CheckInOutcome(status, body, replay=False)


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


_RULE_FIELDS = ("craving", "mood", "used", "medication")


def _rule_checkins(rows: list[CheckIn]) -> list[dict[str, Any]]:
    return [{"date": c.local_date, **{k: getattr(c, k) for k in _RULE_FIELDS}} for c in rows]


def _flags_for(today: date, recent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The early-warning flags a check-in raises (the rules run on the recent series ending with it).

    Suicide screens raise their flag when the instrument is filed (keel.assessments), and silence is found by
    `scan_for_silence`, so neither is raised here. Each is raised once (`_raise_once`): not while one of its
    kind is open, never twice for one check-in."""
    policy_values = {f.name: f.default for f in early_warning.POLICY}
    decision = early_warning.evaluate(today, recent, [], policy_values)
    return [
        flag
        for flag in decision.details["flags"]
        if flag["code"] in FLAG_KINDS and flag["code"] not in ("silence", "contact_request")
    ]


def _what_and_how(checkin_id: int) -> dict[str, Any]:
    """What the person said they used and how, from the check-in (issue #15), as a flag reason: the English
    text, and a template with the choices' words (catalogue entries) to show in the reader's language."""
    row = CheckIn.objects.filter(pk=checkin_id).values_list("used_what", "used_how").first()
    what, how = (list(row[0] or []), list(row[1] or [])) if row else ([], [])
    with translation.override("en"):
        params = {
            "what": [str(labels.SUBSTANCES[c]) for c in what if c in labels.SUBSTANCES],
            "how": [str(labels.ROUTES[c]) for c in how if c in labels.ROUTES],
        }
    if params["what"] and params["how"]:
        template = gettext_noop("What they said they used: %(what)s. How: %(how)s.")
    elif params["what"]:
        template = gettext_noop("What they said they used: %(what)s. How: not said.")
    elif params["how"]:
        template = gettext_noop("What they used: not said. How: %(how)s.")
    else:
        template = gettext_noop("What they used and how: not said.")
    text = template % {k: ", ".join(v) for k, v in params.items()}
    return {"text": text, "template": template, "params": params}


def _raise_once(
    by: Any,
    patient: Patient,
    code: str,
    flag: Mapping[str, Any],
    source_type: str,
    source_id: int,
    now: datetime,
) -> bool:
    if patient.program.is_personal:
        return False  # a self-guided account has no care team to see a flag
    kind = FLAG_KINDS[code]
    open_or_same = PatientFlag.objects.filter(patient=patient, kind=kind).filter(
        resolved_at__isnull=True
    ) | PatientFlag.objects.filter(kind=kind, source_type=source_type, source_id=source_id)
    if open_or_same.exists():
        return False
    reasons, said = [flag["reason"]], [flag.get("said") or {}]
    if code == "reported_use" and source_type == "checkin":
        what_how = _what_and_how(source_id)
        reasons.append(what_how["text"])
        said.append({"template": what_how["template"], "params": what_how["params"]})
    created = PatientFlag.objects.create(
        patient=patient,
        kind=kind,
        priority=flag["priority"],
        reasons=reasons,
        said=said,
        sources=list(early_warning.SOURCES),
        source_type=source_type,
        source_id=source_id,
        raised_at=now,
    )
    _audit(by, patient, Action.CREATE, "patient_flag", created.pk, reason=f"early warning: {code}")
    return True


def request_contact(*, by: Any, now: datetime | None = None) -> bool:
    """The patient asks their care team to reach out (offered after a check-in). Raised once per day's
    check-in while open; returns whether a new flag was raised."""
    patient = _patient(by, None, Area.RECOVERY, Action.CREATE, "patient_flag")
    if patient.program.is_personal:
        raise policy.PatientNotFound()  # a self-guided account has no care team to ask
    now = now or timezone.now()
    with transaction.atomic():
        row = CheckIn.objects.filter(patient=patient, local_date=local_today(patient, now)).first()
        flag = {"priority": 1, "reason": "The patient asked the care team to reach out after a check-in."}
        return _raise_once(by, patient, "contact_request", flag, "checkin_contact", row.pk if row else 0, now)


def review_history(patient: Patient, *, now: datetime | None = None) -> int:
    """Run the early-warning rules over check-ins that were stored without them (imported history, the demo)
    and raise each flag they find once, its source the latest check-in ('silence': as the daily scan does).
    Returns how many flags were raised."""
    now = now or timezone.now()
    today = local_today(patient, now)
    recent = _series(patient, today, 40)
    if not recent:
        return 0
    policy_values = {f.name: f.default for f in early_warning.POLICY}
    decision = early_warning.evaluate(today, _rule_checkins(recent), [], policy_values)
    raised = 0
    with transaction.atomic():
        for flag in decision.details["flags"]:
            source = "checkin_silence" if flag["code"] == "silence" else "checkin"
            raised += _raise_once(None, patient, flag["code"], flag, source, recent[-1].pk, now)
    return raised


def scan_for_silence(*, now: datetime | None = None) -> int:
    """Raise the 'silence' flag for patients who had a daily habit and then went quiet. Run daily
    (`keel recovery-scan`); a flag is raised once per silence (its source is the last check-in)."""
    now = now or timezone.now()
    policy_values = {f.name: f.default for f in early_warning.POLICY}
    quiet_after = policy_values["silent_days"]
    # Candidates: a last check-in between 3 and 30 days ago (UTC dates widened by a day for time zones).
    latest = (
        CheckIn.objects.values("patient_id")
        .order_by()
        .annotate(last=Max("local_date"))
        .filter(
            last__lte=now.date() - timedelta(days=quiet_after - 1), last__gte=now.date() - timedelta(days=31)
        )
    )
    ids = [row["patient_id"] for row in latest]
    raised = 0
    for patient in Patient.objects.filter(pk__in=ids).select_related("program"):
        today = local_today(patient, now)
        recent = _series(patient, today, 40)
        decision = early_warning.evaluate(today, _rule_checkins(recent), [], policy_values)
        for flag in decision.details["flags"]:
            if flag["code"] == "silence" and recent:
                with transaction.atomic():
                    raised += _raise_once(
                        None, patient, "silence", flag, "checkin_silence", recent[-1].pk, now
                    )
    return raised


def list_checkins(
    user: Any, *, patient_id: int | None, days: int = 30, today: date | None = None
) -> tuple[Patient, list[CheckIn]]:
    """The last `days` days of check-ins, newest first; one audit row."""
    if not 1 <= days <= 400:
        raise RecoveryInvalid([FieldError("days", "must be between 1 and 400")])
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


def todays_checkin(user: Any) -> tuple[Patient, CheckIn | None]:
    """The signed-in patient's check-in for today, if any (for the form; audited as a read)."""
    patient = _patient(user, None, Area.RECOVERY, Action.READ, "checkin")
    row = CheckIn.objects.filter(patient=patient, local_date=local_today(patient)).first()
    _audit(user, patient, Action.READ, "checkin", row.pk if row else "")
    return patient, row


def home_summary(user: Any, now: datetime | None = None) -> tuple[bool, list[Reminder]]:
    """For the patient's home page, whose read of the record is audited by the page itself: whether they
    checked in today, and the reminders due now."""
    patient = policy.own_patient_or_404(user, area=Area.RECOVERY, audit_success=False)
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
    user: Any, *, patient_id: int | None, days: int = 30, now: datetime | None = None
) -> ProgressView:
    if days not in (7, 30, 90):
        raise RecoveryInvalid([FieldError("days", "use 7, 30 or 90")])
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


def progress_dict(view: ProgressView) -> dict[str, Any]:
    p = view.progress
    return {
        "today": p.today.isoformat(),
        "start": p.start.isoformat() if p.start else None,
        "last_use": p.last_use.isoformat() if p.last_use else None,
        "days_since_last_use": p.days_since_last_use,
        "days_in_recovery": p.days_in_recovery,
        "use_days": p.use_days,
        "milestones_reached": list(p.milestones_reached),
        "next_milestone": p.next_milestone,
        "week": {
            "start": p.week.start.isoformat(),
            "checkins": p.week.checkins,
            "medication_taken": p.week.medication_taken,
            "medication_missed": p.week.medication_missed,
            "adherence": p.week.adherence,
            "meetings": p.week.meetings,
            "counseling": p.week.counseling,
        },
        "series": [
            {"date": c.local_date.isoformat(), "craving": c.craving, "mood": c.mood, "used": c.used}
            for c in view.series
        ],
    }


# --- Thought records ------------------------------------------------------------------------------------


def thought_dict(t: ThoughtRecord) -> dict[str, Any]:
    text = crypto.decrypt_json(t.content, aad=_aad("thought", t.patient_id), default={})
    return {
        "id": t.pk,
        "created_at": t.created_at.isoformat(),
        "local_date": t.created_at.astimezone(zone_of(t.patient)).date().isoformat(),
        "checkin_id": t.checkin_id,
        **{name: text.get(name, "") for name in tools.THOUGHT_TEXT},
        "intensity_before": t.intensity_before,
        "intensity_after": t.intensity_after,
    }


def save_thought_record(*, by: Any, raw: Mapping[str, Any], now: datetime | None = None) -> ThoughtRecord:
    patient = _patient(by, None, Area.CLINICAL, Action.CREATE, "thought_record")
    try:
        values = tools.parse_thought_record(raw)
    except InvalidInput as exc:
        raise _invalid(exc) from None
    now = now or timezone.now()
    with transaction.atomic():
        today = CheckIn.objects.filter(patient=patient, local_date=local_today(patient, now)).first()
        row = ThoughtRecord.objects.create(
            patient=patient,
            checkin=today,
            content=crypto.encrypt_json(
                {n: values[n] for n in tools.THOUGHT_TEXT}, aad=_aad("thought", patient.pk)
            ),
            intensity_before=values["intensity_before"],
            intensity_after=values["intensity_after"],
            created_at=now,
        )
        _audit(by, patient, Action.CREATE, "thought_record", row.pk)
    return row


def list_thought_records(user: Any, *, patient_id: int | None) -> tuple[Patient, list[ThoughtRecord]]:
    patient = _patient(user, patient_id, Area.CLINICAL, Action.READ, "thought_records")
    rows = _thoughts_of(patient)
    _audit(user, patient, Action.READ, "thought_records", detail={"count": len(rows)})
    return patient, rows


def _thoughts_of(patient: Patient) -> list[ThoughtRecord]:
    return list(ThoughtRecord.objects.filter(patient=patient).select_related("patient__program")[:100])


# --- Coping skills --------------------------------------------------------------------------------------


def record_skill_try(*, by: Any, raw: Mapping[str, Any], now: datetime | None = None) -> SkillTry:
    patient = _patient(by, None, Area.RECOVERY, Action.CREATE, "skill_try")
    try:
        values = tools.parse_skill_try(raw)
    except InvalidInput as exc:
        raise _invalid(exc) from None
    with transaction.atomic():
        row = SkillTry.objects.create(patient=patient, tried_at=now or timezone.now(), **values)
        _audit(by, patient, Action.CREATE, "skill_try", row.pk)
    return row


@dataclass(frozen=True)
class SkillStats:
    code: str
    tries: int
    helped: int  # yes or a little

    @property
    def help_rate(self) -> float | None:
        return None if not self.tries else self.helped / self.tries


def skill_stats(user: Any, *, patient_id: int | None) -> tuple[Patient, list[SkillStats]]:
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

EMPTY_PLAN: dict[str, Any] = {name: [] for name in (*tools.PLAN_LISTS, "people")}


@dataclass(frozen=True)
class PlanView:
    patient: Patient
    plan: dict[str, Any]
    version: int  # 0 = not written yet
    updated_at: datetime | None


def get_plan(user: Any, *, patient_id: int | None) -> PlanView:
    patient = _patient(user, patient_id, Area.RECOVERY, Action.READ, "recovery_plan")
    view = _plan_of(patient)
    _audit(user, patient, Action.READ, "recovery_plan")
    return view


def _plan_of(patient: Patient) -> PlanView:
    row = PlanRow.objects.filter(patient=patient).first()
    if row is None:
        return PlanView(patient, dict(EMPTY_PLAN), 0, None)
    plan = crypto.decrypt_json(row.content, aad=_aad("plan", patient.pk), default={})
    return PlanView(patient, {**EMPTY_PLAN, **plan}, row.version, row.updated_at)


def save_plan(*, by: Any, raw: Mapping[str, Any], version: int, now: datetime | None = None) -> PlanView:
    """Replace the plan. `version` is the one the client read (0 for a new plan); a stale one is StaleEdit."""
    patient = _patient(by, None, Area.RECOVERY, Action.UPDATE, "recovery_plan")
    try:
        plan = tools.parse_plan(raw)
    except InvalidInput as exc:
        raise _invalid(exc) from None
    now = now or timezone.now()
    blob = crypto.encrypt_json(plan, aad=_aad("plan", patient.pk))
    with transaction.atomic():
        row = PlanRow.objects.select_for_update().filter(patient=patient).first()
        current = row.version if row else 0
        if version != current:
            raise StaleEdit(
                f"The plan changed since you opened it (version {current}); reload and try again."
            )
        if row is None:
            row = PlanRow.objects.create(patient=patient, content=blob, version=1, updated_at=now)
            action = Action.CREATE
        else:
            row.content, row.version, row.updated_at = blob, row.version + 1, now
            row.save(update_fields=["content", "version", "updated_at"])
            action = Action.UPDATE
        _audit(by, patient, action, "recovery_plan", row.pk)
    return PlanView(patient, plan, row.version, now)


# --- Reminders and meetings -----------------------------------------------------------------------------


def list_reminders(
    user: Any, *, now: datetime | None = None
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


def add_reminder(*, by: Any, kind: str, at: str, now: datetime | None = None) -> Reminder:
    patient = _patient(by, None, Area.RECOVERY, Action.CREATE, "reminder")
    errors = []
    if kind not in ReminderKind.values:
        errors.append(FieldError("kind", f"must be one of {', '.join(ReminderKind.values)}"))
    try:
        when = time.fromisoformat(at or "")
    except ValueError:
        errors.append(FieldError("at", "must be a time like 20:30"))
    if errors:
        raise RecoveryInvalid(errors)
    with transaction.atomic():
        if Reminder.objects.filter(patient=patient, kind=kind, at=when).exists():
            raise RecoveryInvalid([FieldError("at", "you already have this reminder at this time")])
        row = Reminder.objects.create(patient=patient, kind=kind, at=when, created_at=now or timezone.now())
        _audit(by, patient, Action.CREATE, "reminder", row.pk)
    return row


def update_reminder(*, by: Any, reminder_id: int, op: str, now: datetime | None = None) -> None:
    """op: done (for today), delete."""
    patient = _patient(by, None, Area.RECOVERY, Action.UPDATE, "reminder")
    if op not in ("done", "delete"):
        raise RecoveryInvalid([FieldError("op", "must be done or delete")])
    with transaction.atomic():
        row = Reminder.objects.filter(patient=patient, pk=reminder_id).first()
        if row is None:
            raise policy.PatientNotFound()
        if op == "delete":
            row.delete()
            _audit(by, patient, Action.DELETE, "reminder", reminder_id)
        else:
            row.done_on = local_today(patient, now)
            row.save(update_fields=["done_on"])
            _audit(by, patient, Action.UPDATE, "reminder", reminder_id, reason="done")


def log_attendance(
    *, by: Any, meeting_id: int | None, name: str = "", now: datetime | None = None
) -> MeetingAttendance:
    """Log a meeting attended today: a directory meeting by id, or a meeting by name."""
    from keel.directory.models import Meeting

    patient = _patient(by, None, Area.RECOVERY, Action.CREATE, "meeting_attendance")
    meeting = None
    name = (name or "").strip()
    if meeting_id is not None:
        meeting = Meeting.objects.filter(pk=meeting_id).first()
        if meeting is None:
            raise RecoveryInvalid([FieldError("meeting", "no such meeting")])
        name = meeting.name
    elif not name or len(name) > 200:
        raise RecoveryInvalid([FieldError("name", "give the meeting's name (at most 200 characters)")])
    now = now or timezone.now()
    today = local_today(patient, now)
    with transaction.atomic():
        if meeting is not None:
            existing = MeetingAttendance.objects.filter(
                patient=patient, meeting=meeting, local_date=today
            ).first()
            if existing is not None:
                return existing
        row = MeetingAttendance.objects.create(
            patient=patient, meeting=meeting, name=name, local_date=today, created_at=now
        )
        _audit(by, patient, Action.CREATE, "meeting_attendance", row.pk)
    return row


def recent_attendance(user: Any, *, patient_id: int | None, days: int = 30) -> list[MeetingAttendance]:
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


def overview(user: Any, *, patient_id: int, days: int = 30) -> Overview:
    """Everything of one patient's recovery support for their care team, scoped once and audited as one
    read. Thought records (counseling content, the clinical area) only for roles that see that area."""
    if days not in (7, 30, 90):
        raise RecoveryInvalid([FieldError("days", "use 7, 30 or 90")])
    patient = _patient(user, patient_id, Area.RECOVERY, Action.READ, "recovery_overview")
    clinical = Area.CLINICAL in policy.areas_for_role(getattr(user, "role", ""))
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


# --- One's own data: the copy to download, and bringing it to a program (issue #20) ----------------------


def own_data(user: Any) -> dict[str, Any]:
    """Everything of the signed-in person's recovery companion, decrypted, for them to download (one audited
    export). Patients and self-guided accounts alike."""
    patient = policy.own_patient_or_404(
        user, area=Area.RECOVERY, action=Action.EXPORT, target_type="own_data"
    )
    plan = PlanRow.objects.filter(patient=patient).first()
    data = {
        "format": "keel-own-data/1",
        "account": {
            "username": user.get_username(),
            "time_zone": patient.program.time_zone,
            "language": getattr(user, "preferred_language", ""),
            "created": user.date_joined.isoformat(),
        },
        "checkins": [checkin_dict(c) for c in CheckIn.objects.filter(patient=patient).order_by("local_date")],
        "thought_records": [
            thought_dict(t)
            for t in ThoughtRecord.objects.filter(patient=patient).select_related("patient__program")
        ],
        "skill_tries": [
            {"skill": t.skill, "helped": t.helped, "tried_at": t.tried_at.isoformat()}
            for t in SkillTry.objects.filter(patient=patient).order_by("tried_at")
        ],
        "relapse_prevention_plan": (
            crypto.decrypt_json(plan.content, aad=_aad("plan", patient.pk), default={}) if plan else {}
        ),
        "reminders": [
            {"kind": r.kind, "at": r.at.strftime("%H:%M"), "active": r.active}
            for r in Reminder.objects.filter(patient=patient).order_by("at")
        ],
        "meetings_attended": [
            {"name": m.name, "date": m.local_date.isoformat()}
            for m in MeetingAttendance.objects.filter(patient=patient).order_by("local_date")
        ],
    }
    _audit(user, patient, Action.EXPORT, "own_data")
    return data


@dataclass(frozen=True)
class Moved:
    """What bringing a history moved, and what stayed behind because the program's record had it already."""

    moved: dict[str, int]
    kept_the_programs: dict[str, int]


def move_history(*, source: Patient, target: Patient) -> Moved:
    """Move a recovery history from one record to another (a self-guided account joining a program, by its
    signed consent: `keel.selfguided.services.join_program`). Encrypted text is decrypted with the old
    record's binding and encrypted again for the new one. A day (or plan) the program's record already holds
    is kept as it is there. Runs in the caller's transaction; audits nothing (the caller does)."""
    moved: dict[str, int] = {}
    kept: dict[str, int] = {}
    taken = set(CheckIn.objects.filter(patient=target).values_list("local_date", flat=True))
    rows = list(CheckIn.objects.filter(patient=source))
    for c in rows:
        if c.local_date in taken:
            continue
        private = crypto.decrypt_json(c.private, aad=_aad("checkin", source.pk), default=None)
        c.private = crypto.encrypt_json(private, aad=_aad("checkin", target.pk)) if private else None
        c.patient = target
        c.save(update_fields=["patient", "private"])
    moved["checkins"] = len(rows) - len([c for c in rows if c.local_date in taken])
    kept["checkins"] = len(rows) - moved["checkins"]
    thoughts = list(ThoughtRecord.objects.filter(patient=source))
    for t in thoughts:
        text = crypto.decrypt_json(t.content, aad=_aad("thought", source.pk), default={})
        t.content = crypto.encrypt_json(text, aad=_aad("thought", target.pk))
        t.patient = target
        t.save(update_fields=["patient", "content"])
    moved["thought_records"] = len(thoughts)
    plan = PlanRow.objects.filter(patient=source).first()
    moved["relapse_prevention_plan"] = kept["relapse_prevention_plan"] = 0
    if plan is not None:
        if PlanRow.objects.filter(patient=target).exists():
            kept["relapse_prevention_plan"] = 1
        else:
            content = crypto.decrypt_json(plan.content, aad=_aad("plan", source.pk), default={})
            plan.content = crypto.encrypt_json(content, aad=_aad("plan", target.pk))
            plan.patient = target
            plan.save(update_fields=["patient", "content"])
            moved["relapse_prevention_plan"] = 1
    moved["skill_tries"] = SkillTry.objects.filter(patient=source).update(patient=target)
    reminders = Reminder.objects.filter(patient=source).exclude(
        kind__in=Reminder.objects.filter(patient=target).values("kind")
    )
    moved["reminders"] = reminders.update(patient=target)
    attended = MeetingAttendance.objects.filter(patient=source)
    moved["meetings_attended"] = attended.update(patient=target)
    return Moved(moved, kept)
