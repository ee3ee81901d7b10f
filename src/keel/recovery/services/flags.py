"""The early-warning flags a patient's check-ins raise for the care team: after a check-in, on the
patient's request, over imported history and in the daily scan for silence."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import NotRequired, TypedDict

from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import User
from keel.audit.models import Action
from keel.core.decision import SaidDict
from keel.core.rules import early_warning
from keel.patients.flags import raise_flag
from keel.patients.models import Patient, PatientFlag, deceased_ids, local_today
from keel.recovery import labels
from keel.recovery.common import (
    FLAG_KINDS,
    _patient,
)
from keel.recovery.models import (
    CheckIn,
    silence_over,
)
from keel.recovery.queries import _series


def _rule_checkins(rows: list[CheckIn]) -> list[early_warning.Checkin]:
    return [
        early_warning.Checkin(
            date=c.local_date, craving=c.craving, mood=c.mood, used=c.used, medication=c.medication
        )
        for c in rows
    ]


def _flags_for(today: date, recent: list[early_warning.Checkin]) -> list[early_warning.RaisedFlag]:
    """The early-warning flags a check-in raises (the rules run on the recent series ending with it).

    Suicide screens raise their flag when the instrument is filed (keel.assessments), and silence is found by
    `scan_for_silence`, so neither is raised here. Each is raised once (`_raise_once`): not while one of its
    kind is open, never twice for one check-in."""
    policy_values = early_warning.default_policy()
    decision = early_warning.evaluate(today, recent, [], policy_values)
    return [
        flag
        for flag in decision.details["flags"]
        if flag["code"] in FLAG_KINDS and flag["code"] not in ("silence", "contact_request")
    ]


class _WhatAndHow(TypedDict):
    """A flag reason in English (`text`) and as a template with the choices' words (`params`)."""

    text: str
    template: str
    params: dict[str, list[str]]


WHAT_TEMPLATES = (
    gettext_noop("What they said they used: %(what)s. How: %(how)s."),
    gettext_noop("What they said they used: %(what)s. How: not said."),
    gettext_noop("What they used: not said. How: %(how)s."),
    gettext_noop("What they used and how: not said."),
)


def what_and_how(checkin_id: int) -> _WhatAndHow:
    """What the person said they used and how, from the check-in (issue #15), as a flag reason: the English
    text, and a template with the choices' words (catalogue entries) to show in the reader's language. Read
    again when the check-in is edited (`edited_checkin.note_on_open_flag`)."""
    row = CheckIn.objects.filter(pk=checkin_id).values_list("used_what", "used_how").first()
    what, how = (list(row[0] or []), list(row[1] or [])) if row else ([], [])
    with translation.override("en"):
        params = {
            "what": [str(labels.SUBSTANCES[c]) for c in what if c in labels.SUBSTANCES],
            "how": [str(labels.ROUTES[c]) for c in how if c in labels.ROUTES],
        }
    both, what_only, how_only, neither = WHAT_TEMPLATES
    if params["what"]:
        template = both if params["how"] else what_only
    else:
        template = how_only if params["how"] else neither
    text = template % {k: ", ".join(v) for k, v in params.items()}
    return {"text": text, "template": template, "params": params}


class _AskedFlag(TypedDict):
    """A flag not raised by a rule (the patient's request for contact): its priority and English reason."""

    priority: int
    reason: str
    said: NotRequired[SaidDict]


def _raise_once(
    by: User | None,
    patient: Patient,
    code: str,
    flag: early_warning.RaisedFlag | _AskedFlag,
    source_type: str,
    source_id: int,
    now: datetime,
) -> bool:
    if patient.program.is_personal:
        return False  # a self-guided account has no care team to see a flag
    kind = FLAG_KINDS[code]
    # An open silence flag whose silence is over (`silence_over`: she checked in since) does not hold back
    # the flag of a new silence (review 35g: it ranked no one and blocked the next one).
    open_or_same = PatientFlag.objects.filter(patient=patient, kind=kind).filter(
        resolved_at__isnull=True
    ).exclude(silence_over()) | PatientFlag.objects.filter(
        kind=kind, source_type=source_type, source_id=source_id
    )
    if open_or_same.exists():
        return False
    reasons = [flag["reason"]]
    said: list[Mapping[str, object]] = [flag.get("said") or {}]
    if code == "reported_use" and source_type == "checkin":
        what_how = what_and_how(source_id)
        reasons.append(what_how["text"])
        said.append({"template": what_how["template"], "params": what_how["params"]})
    raise_flag(
        by=by,
        patient=patient,
        kind=kind,
        priority=flag["priority"],
        reasons=reasons,
        said=said,
        sources=early_warning.SOURCES,
        source_type=source_type,
        source_id=source_id,
        now=now,
        audit_reason=f"early warning: {code}",
    )
    return True


def request_contact(*, by: User, now: datetime | None = None) -> bool:
    """The patient asks their care team to reach out (offered after a check-in). Raised once per day's
    check-in while open; returns whether a new flag was raised."""
    patient = _patient(by, None, Area.RECOVERY, Action.CREATE, "patient_flag")
    if patient.program.is_personal:
        raise policy.PatientNotFound()  # a self-guided account has no care team to ask
    now = now or timezone.now()
    with transaction.atomic():
        row = CheckIn.objects.filter(patient=patient, local_date=local_today(patient, now)).first()
        flag: _AskedFlag = {
            "priority": 1,
            "reason": "The patient asked the care team to reach out after a check-in.",
        }
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
    policy_values = early_warning.default_policy()
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
    policy_values = early_warning.default_policy()
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
    # Lane fix35e (review 35e H2): a recorded death is no silence (`deceased_ids`, the one definition).
    living = Patient.objects.filter(pk__in=ids).exclude(pk__in=deceased_ids())
    for patient in living.select_related("program"):
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
