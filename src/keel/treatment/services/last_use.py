"""A prescriber corrects a mistaken time of last use (issue #13): readiness takes each opioid's latest
reported time, so a later time typed by mistake (22:00 for 02:00, or the wrong day) would keep the person
"not ready" for good. A correction strikes exactly that time, as reported by the intakes and reports made by
then, and gives the right (earlier) time or none. The program's own records are never struck."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.access.errors import ClinicalNotAllowed
from keel.access.policy import Area
from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core import intake as core_intake
from keel.core.opioids import OPIOIDS
from keel.core.reasons import reason_problem, reason_text
from keel.core.rules.inputs import FieldError
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient
from keel.treatment import readiness
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import LastUseCorrection, LastUseReport, UseReportSource
from keel.treatment.services.common import _audit, _scoped_for, lock_person

# The service's reasons for the two fields only it can judge (the pages say them in words, by these values).
NOT_EARLIER = N_("must be earlier than the time struck: a later time is a new report of last use (ask again)")
NOT_REPORTED = N_("is not a time of last use the record reports for this opioid")
PROGRAM_RECORD = N_(
    "comes from the program's own record (a dose given here, a take-home day or a fill) and cannot be struck"
)
PROGRAM_SOURCES = ("dose", "take_home", "fill")


NO_TIME_SAID = N_("give the right time, or null when the time of that use is not known")


def _instant(
    raw: datetime | str | None, name: str, now: datetime, errors: list[FieldError]
) -> datetime | None:
    """A date and time with its zone, not after `now` (`keel.core.intake.parse_last_use`, the one parser
    of a time of last use); None when not given. A bad one is named."""
    if isinstance(raw, datetime):
        raw = raw.isoformat()
    when, problem = core_intake.parse_last_use(raw, now)
    if problem:
        errors.append(FieldError(name, problem))
        return None
    return datetime.fromisoformat(when) if when else None


def _struck_problem(patient: Patient, opioid: str, struck: datetime, now: datetime) -> str:
    """Why `struck` cannot be struck for `opioid` ("" when it can): it must be a time an intake or a report
    gives now (after the corrections made so far), never one only the program's own records give."""
    if any(r.opioid == opioid and r.at == struck for r in readiness.reported_times(patient, now)):
        return ""
    use = readiness.read_last_uses(patient, now).uses.get(opioid)
    if use is not None and use.at == struck and use.source in PROGRAM_SOURCES:
        return PROGRAM_RECORD
    return NOT_REPORTED


def scoped_for_correction(by: User, patient_id: int) -> Patient:
    """The patient a correction is about, for a prescriber: else 404 (out of scope) or 403 (another role),
    audited as `correct_last_use` does first (a page checks this before its own checks of the form)."""
    return _scoped_for(
        by,
        patient_id,
        "last_use_correction",
        policy.can_prescribe(by),
        "correct a time of last use",
        emergency_access=False,
    )


def correct_last_use(
    *,
    by: User,
    patient_id: int,
    opioid: str,
    struck_at: datetime | str,  # ISO text with its zone, read by keel.core.intake.parse_last_use's own words
    corrected_at: datetime | str | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> LastUseCorrection:
    """A prescriber strikes the reported time `struck_at` of `opioid` and gives the right one, earlier
    (`corrected_at`), or none (None, said as null: the time is not known; the opioid is then read as used at
    an unknown time, not as never used), with a reason of
    substance. Every intake and report that gave exactly that time by now is read as corrected
    (`keel.treatment.readiness.reported_times`); the same time reported afterwards counts again. A later time
    is not a correction: it is a new report of last use. Audited, in the transaction that writes it, with
    the person's row locked."""
    patient = scoped_for_correction(by, patient_id)
    now = now or timezone.now()
    errors: list[FieldError] = []
    code = opioid if isinstance(opioid, str) and opioid in OPIOIDS else ""
    if not code:
        errors.append(FieldError.said("opioid", N_("must be one of %(items)s"), items=", ".join(OPIOIDS)))
    struck = _instant(struck_at, "struck_at", now, errors)
    if struck is None and not any(e.field == "struck_at" for e in errors):
        errors.append(FieldError("struck_at", N_("give the time of last use to strike")))
    if isinstance(corrected_at, str) and not corrected_at.strip():  # blank is not "no time" (review 13g)
        errors.append(FieldError("corrected_at", NO_TIME_SAID))
    corrected = _instant(corrected_at, "corrected_at", now, errors)
    if struck is not None and corrected is not None and corrected >= struck:
        errors.append(FieldError("corrected_at", NOT_EARLIER))
    text = reason_text(reason)  # kept as measured (review 24r)
    problem = reason_problem(text)
    if problem:
        errors.append(FieldError("reason", problem))
    if errors or struck is None:
        raise TreatmentInvalid(errors)
    with transaction.atomic():
        lock_person(patient)  # two corrections of one person: the second sees the first
        problem = _struck_problem(patient, code, struck, now)
        if problem:
            raise TreatmentInvalid([FieldError("struck_at", problem)])
        row = LastUseCorrection.objects.create(
            patient=patient,
            opioid=code,
            struck_at=struck,
            corrected_at=corrected,
            reason=text,
            corrected_by=by,
            recorded_at=now,
        )
        _audit(
            by,
            patient,
            Action.CREATE,
            "last_use_correction",
            row.pk,
            reason="reason recorded on the correction",  # the typed text only on the row (review 19b)
            detail={"opioid": code, "struck": True, "replaced": corrected is not None},
        )
    return row


# --- Reporting the time of last use (the person, or the care team) ---------------------------------------


def parse_last_use_report(raw: Mapping[str, object], now: datetime) -> list[dict[str, str]]:
    """{"opioids": [{"opioid", "last_use_at"}]} (an empty list: no opioid since) -> checked entries, each
    opioid once, each time with its zone and not in the future. Raises TreatmentInvalid naming each."""
    items = raw.get("opioids") if isinstance(raw, Mapping) else None
    if not isinstance(items, list):
        raise TreatmentInvalid([FieldError("opioids", N_("must be a list of {opioid, last_use_at}"))])
    errors: list[FieldError] = []
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        opioid = item.get("opioid") if isinstance(item, Mapping) else None
        if opioid not in OPIOIDS:
            errors.append(
                FieldError.said(
                    f"opioids[{i}].opioid", N_("must be one of %(items)s"), items=", ".join(OPIOIDS)
                )
            )
            continue
        if opioid in seen:
            errors.append(FieldError(f"opioids[{i}].opioid", N_("listed twice: give each opioid once")))
            continue
        seen.add(opioid)
        when, problem = core_intake.parse_last_use(item.get("last_use_at"), now)
        if problem or not when:
            errors.append(FieldError(f"opioids[{i}].last_use_at", problem or N_("give the date and time")))
            continue
        out.append({"opioid": opioid, "last_use_at": when})
    if errors:
        raise TreatmentInvalid(errors)
    return out


def record_last_use(
    *, by: User, patient_id: int | None, raw: Mapping[str, object], now: datetime | None = None
) -> LastUseReport:
    """A report of the time of last use: the person for themselves (`patient_id` None, from the session), or
    the care team (counselors, nurses, prescribers) on the start page. Audited."""
    now = now or timezone.now()
    if patient_id is None:
        patient = policy.own_patient_or_404(
            by, action=Action.CREATE, target_type="last_use_report", audit_success=False
        )
        source = UseReportSource.PERSON
    else:
        patient = policy.get_patient_for_action_or_404(
            by,
            patient_id,
            Action.CREATE,
            area=Area.CLINICAL,
            target_type="last_use_report",
            allowed=policy.can_write_care_record(by),
            what="record last use",
            error=ClinicalNotAllowed,
            message="Your role cannot record the time of last use.",
            emergency_access=True,
            audit_success=False,
        )
        source = UseReportSource.CARE_TEAM
    opioids = parse_last_use_report(raw, now)
    with transaction.atomic():
        report = LastUseReport.objects.create(
            patient=patient, opioids=opioids, source=source, reported_by=by, reported_at=now
        )
        audit.record_for_patient(by, patient, Action.CREATE, "last_use_report", report.pk)
    return report
