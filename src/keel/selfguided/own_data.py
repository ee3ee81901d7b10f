"""One's own data, the copy to download (issue #20; review 35b holes 2 and 5): everything of the signed-in
person's account and recovery companion, decrypted, for them to keep. Patients and self-guided accounts alike.

Complete for every row the account owns: `SECTIONS` names, for each model holding such rows, the part of the
download it is in, and `tests/selfguided/test_own_data_fix35b.py` fails when a model keyed by an account or
its record is neither there nor named as left out (with why). Never a token's secret or digest, a second
factor's key or a replay cache."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from django_otp.plugins.otp_totp.models import TOTPDevice

from keel import crypto
from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import ApiToken, User
from keel.audit.models import Action
from keel.recovery.common import _aad, _audit
from keel.recovery.models import CheckIn, MeetingAttendance, Reminder, SkillTry, ThoughtRecord
from keel.recovery.models import RecoveryPlan as PlanRow
from keel.recovery.queries import checkin_out, thought_out
from keel.selfguided.models import HistoryConsent

FORMAT = "keel-own-data/2"  # 2: tokens, second factor, reminders' channel, sends and last day done,
# check-ins' times, signed consents

# model label -> the part of the download holding its rows (the account itself is "account")
SECTIONS = {
    "accounts.User": "account",
    "patients.Patient": "account",
    "accounts.ApiToken": "tokens",
    "otp_totp.TOTPDevice": "second_factor",
    "recovery.CheckIn": "checkins",
    "recovery.ThoughtRecord": "thought_records",
    "recovery.SkillTry": "skill_tries",
    "recovery.RecoveryPlan": "relapse_prevention_plan",
    "recovery.Reminder": "reminders",
    "reminders.Delivery": "reminders",
    "reminders.ReminderSend": "reminders",
    "recovery.MeetingAttendance": "meetings_attended",
    "selfguided.HistoryConsent": "history_consents",
}


class OwnData(TypedDict):
    """The download (`format` names this shape). Check-ins and thought records are their API schemas dumped,
    with when each check-in was made and last changed; the plan is its stored JSON as saved."""

    format: str
    account: dict[str, str]
    tokens: list[dict[str, str | None]]
    second_factor: list[dict[str, object]]
    checkins: list[dict[str, object]]
    thought_records: list[dict[str, object]]
    skill_tries: list[dict[str, str]]
    relapse_prevention_plan: object
    reminders: list[dict[str, object]]
    meetings_attended: list[dict[str, str]]
    history_consents: list[dict[str, object]]


def _when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def own_data(user: User) -> OwnData:
    """Everything of the signed-in person's, for them to download (one audited export)."""
    patient = policy.get_patient_for_action_or_404(
        user, None, Action.EXPORT, area=Area.RECOVERY, target_type="own_data"
    )
    plan = PlanRow.objects.filter(patient=patient).first()
    data: OwnData = {
        "format": FORMAT,
        "account": {
            "username": user.get_username(),
            "time_zone": patient.program.time_zone,
            "language": getattr(user, "preferred_language", ""),
            "created": user.date_joined.isoformat(),
        },
        "tokens": [_token(t) for t in ApiToken.objects.filter(user=user).order_by("created_at")],
        "second_factor": [
            {"name": d.name, "confirmed": d.confirmed, "created_at": _when(d.created_at)}
            for d in TOTPDevice.objects.filter(user=user).order_by("pk")  # never its key
        ],
        "checkins": [
            {
                **checkin_out(c).model_dump(),
                "created_at": _when(c.created_at),
                "updated_at": _when(c.updated_at),
            }
            for c in CheckIn.objects.filter(patient=patient).order_by("local_date")
        ],
        "thought_records": [
            thought_out(t).model_dump()
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
            _reminder(r)
            for r in Reminder.objects.filter(patient=patient)
            .select_related("delivery")
            .prefetch_related("sends")
            .order_by("at")
        ],
        "meetings_attended": [
            {"name": m.name, "date": m.local_date.isoformat()}
            for m in MeetingAttendance.objects.filter(patient=patient).order_by("local_date")
        ],
        "history_consents": [_consent(c) for c in consents_of(user)],
    }
    _audit(user, patient, Action.EXPORT, "own_data")
    return data


def _token(t: ApiToken) -> dict[str, str | None]:
    """A token as its owner knows it: its name and dates, never its secret or digest."""
    return {
        "name": t.name,
        "starts_with": t.prefix,
        "created_at": _when(t.created_at),
        "expires_at": _when(t.expires_at),
        "last_used_at": _when(t.last_used_at),
        "revoked_at": _when(t.revoked_at),
    }


def _reminder(r: Reminder) -> dict[str, object]:
    """A reminder: what, when, on or off, the last day marked done, and the channel it also goes out by."""
    delivery = getattr(r, "delivery", None)
    return {
        "kind": r.kind,
        "at": r.at.strftime("%H:%M"),
        "active": r.active,
        "done_on": _when(r.done_on),
        "created_at": _when(r.created_at),
        "also_by": delivery.channel if delivery is not None else None,
        "sent": [
            {"day": _when(x.local_date), "channel": x.channel, "status": x.status}
            for x in sorted(r.sends.all(), key=lambda x: x.local_date)
        ],
    }


def consents_of(user: User) -> list[HistoryConsent]:
    """The history consents this account signed (joining a program), newest first."""
    return list(HistoryConsent.objects.filter(user=user).select_related("program").order_by("-signed_at"))


def _consent(c: HistoryConsent) -> dict[str, object]:
    """A signed consent as signed: its words, the choice, what moved, when, the signature."""
    return {
        "program": c.program.name,
        "words": c.words,
        "language": c.language,
        "bring_history": c.bring_history,
        "moved": dict(c.moved),
        "signed_at": _when(c.signed_at),
        "signature": c.signature,
    }
