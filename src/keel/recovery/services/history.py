"""Bringing a recovery history from one record to another (a self-guided account joining a program)."""

from __future__ import annotations

from dataclasses import dataclass

from keel import crypto
from keel.patients.models import Patient
from keel.recovery.common import (
    _aad,
)
from keel.recovery.models import (
    CheckIn,
    MeetingAttendance,
    Reminder,
    SkillTry,
    ThoughtRecord,
)
from keel.recovery.models import RecoveryPlan as PlanRow


@dataclass(frozen=True)
class Moved:
    """What bringing a history moved, and what stayed behind because the program's record had it already."""

    moved: dict[str, int]
    kept_the_programs: dict[str, int]


def staying_behind(*, source: Patient, target: Patient) -> dict[str, int]:
    """What bringing the history leaves behind (deleted with the self-guided record) because the program's
    record holds it already: check-ins on days it has, the plan when it has one, a reminder of a kind it has.
    The one definition: `move_history` keeps to it, and the join page shows it before signing (review 35b)."""
    has_plan = PlanRow.objects.filter(patient=target).exists()
    return {
        "checkins": CheckIn.objects.filter(
            patient=source, local_date__in=CheckIn.objects.filter(patient=target).values("local_date")
        ).count(),
        "relapse_prevention_plan": int(has_plan and PlanRow.objects.filter(patient=source).exists()),
        "reminders": Reminder.objects.filter(
            patient=source, kind__in=Reminder.objects.filter(patient=target).values("kind")
        ).count(),
    }


def move_history(*, source: Patient, target: Patient) -> Moved:
    """Move a recovery history from one record to another (a self-guided account joining a program, by its
    signed consent: `keel.selfguided.services.join_program`). Encrypted text is decrypted with the old
    record's binding and encrypted again for the new one. A day (or plan) the program's record already holds
    is kept as it is there. Runs in the caller's transaction; audits nothing (the caller does)."""
    moved: dict[str, int] = {}
    kept = staying_behind(source=source, target=target)
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
    thoughts = list(ThoughtRecord.objects.filter(patient=source))
    for t in thoughts:
        text = crypto.decrypt_json(t.content, aad=_aad("thought", source.pk), default={})
        t.content = crypto.encrypt_json(text, aad=_aad("thought", target.pk))
        t.patient = target
        t.save(update_fields=["patient", "content"])
    moved["thought_records"] = len(thoughts)
    plan = PlanRow.objects.filter(patient=source).first()
    moved["relapse_prevention_plan"] = 0
    if plan is not None and not kept["relapse_prevention_plan"]:
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
