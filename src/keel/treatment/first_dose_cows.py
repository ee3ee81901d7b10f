"""A first buprenorphine dose given on a COWS later struck or corrected below its threshold (clin34): one flag
for a prescriber, raised in the correction's transaction (`assessments.services.correct_assessment`).

The dose keeps no record of the COWS the start gate read (its decision is the dose limit's), so the gate's
read is done again, as it was for the dose (lane fix35a, review 34e item 3: the window's own definitions):
a dose the start gate was put to (`services.start.recorded_dose_gate`: an induction's first dose in its
own episode, a readmission's too; a later dose of a day whose first rested on a start override; a dose
after methadone), whose latest standing COWS then, typed in by the time the dose was recorded
(`assessments.queries.latest`'s order, leaving out only the correction being written), is this one, at the
score it had then, with the readiness verdict just before the dose "ready" on it
(`readiness.readiness_for_dose`: the one definition, with the threshold it applied), and not "ready" read
again as the record stands now (a duplicate struck with another COWS at the threshold: no flag). The core
says whether the correction matters and in what words (`core.rules.buprenorphine.cows_corrected`). A dose
has one such flag (`flag_once_per_source`): a second correction raises none, but the flag follows it (lane
fix38d, `patients.flags.follow_result`): its last word says the score in force (back at or above the
threshold, or below it again), and a resolved flag whose COWS is corrected below again is put back."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from django.db.models import Q

from keel.accounts.models import User
from keel.assessments.models import Assessment, AssessmentCorrection
from keel.core.rules.buprenorphine import READINESS
from keel.core.rules.buprenorphine.cows_corrected import first_dose_cows_corrected, first_dose_cows_now
from keel.patients.flags import follow_result, raise_flag
from keel.patients.models import FlagKind, PatientFlag
from keel.treatment.models import DoseRecord, DoseStatus, Medication
from keel.treatment.queries.doses import taken_doses
from keel.treatment.queries.policy import effective_policy
from keel.treatment.readiness import readiness_for_dose
from keel.treatment.services.start import recorded_dose_gate
from keel.treatment.start_rested_on import rested_on


def flag_first_doses_on(
    *, by: User, assessment: Assessment, correction: AssessmentCorrection, now: datetime
) -> None:
    """After `correction` of the COWS `assessment` (inside its transaction): a flag for a prescriber on each
    standard first buprenorphine dose that rested on it, when the core says the correction matters."""
    if assessment.instrument != "cows":
        return
    fresh = float(effective_policy(assessment.patient, READINESS)["cows_fresh_hours"])
    for dose in _doses_within(assessment, fresh):
        flagged = _flag_of(dose)
        if flagged is not None:
            _follow(by, assessment, correction, dose, flagged)
            continue
        threshold = _threshold_rested_on(assessment, correction, dose)
        if threshold is None:
            continue
        total = None if correction.entered_in_error else correction.total
        reason = first_dose_cows_corrected(
            day=dose.local_date.isoformat(), threshold=threshold, corrected_total=total
        )
        if reason is None:
            continue
        raise_flag(
            by=by,
            patient=assessment.patient,
            kind=FlagKind.FIRST_DOSE_COWS,
            priority=1,
            reasons=[reason.text],
            said=[{"template": reason.template, "params": dict(reason.params)}],
            sources=reason.sources,
            source_type="dose",
            source_id=dose.pk,
            now=now,
            audit_reason="first dose's COWS corrected: prescriber to check",
        )


def _moment(dose: DoseRecord) -> datetime:
    return dose.given_at or dose.recorded_at


def _doses_within(assessment: Assessment, fresh_hours: float) -> list[DoseRecord]:
    """The buprenorphine doses taken while this COWS was fresh enough to open the start gate."""
    start, end = assessment.filled_at, assessment.filled_at + timedelta(hours=fresh_hours)
    doses = taken_doses(
        DoseRecord.objects.filter(
            patient_id=assessment.patient_id, medication=Medication.BUPRENORPHINE, status=DoseStatus.GIVEN
        ).filter(Q(given_at__range=(start, end)) | Q(given_at__isnull=True, recorded_at__range=(start, end)))
    )
    return sorted(doses, key=lambda d: (_moment(d), d.pk))


def _threshold_rested_on(
    assessment: Assessment, correction: AssessmentCorrection, dose: DoseRecord
) -> int | None:
    """The COWS threshold `dose` needed, when the window's start gate was put to it
    (`services.start.recorded_dose_gate`, its `first_dose`) and its readiness just before the dose
    (`readiness.readiness_for_dose`) read this COWS, at the score it had then, "ready"; None otherwise, and
    None when that readiness read again as the record stands now (without a struck COWS, with a corrected
    score) is still "ready": another COWS at or above the threshold stood then (a duplicate struck, review
    34e item 3d). Lane fix36d: a dose that recorded what its gate rested on (`start_rested_on`) is read
    from that record (this COWS, the threshold in force when it was given), not re-derived."""
    rested = rested_on(dose)
    if rested is not None:
        if rested["cows"] != assessment.pk:
            return None
        if readiness_for_dose(assessment.patient, _moment(dose), dose=dose).ready:
            return None
        return rested["threshold"]
    gate = recorded_dose_gate(assessment.patient, dose)
    if gate is None or not gate[0].get("first_dose"):
        return None
    at = _moment(dose)
    if _cows_then(assessment, correction, dose) != assessment.pk:
        return None
    then = copy.copy(assessment)
    then.total = _total_then(assessment, correction, dose.recorded_at)
    read = readiness_for_dose(assessment.patient, at, dose=dose, cows=then)
    if not read.ready or read.readiness is None:
        return None
    if readiness_for_dose(assessment.patient, at, dose=dose).ready:
        return None
    return int(read.readiness.details["cows"]["threshold"])


def _cows_then(assessment: Assessment, correction: AssessmentCorrection, dose: DoseRecord) -> int | None:
    """The id of the latest COWS standing at the dose's time, as its gate read it when the dose was recorded
    (struck by then left out, but for the mark being written now: lane fix36a, review 35h hole 4, the gate's
    one moment, not the time given; one typed in after the dose was recorded left out: a paper COWS typed
    in later was not what the gate read, review 34e item 3c)."""
    at = _moment(dose)
    struck = AssessmentCorrection.objects.filter(
        entered_in_error=True, corrected_at__lte=dose.recorded_at
    ).exclude(pk=correction.pk)
    found = (
        Assessment.objects.filter(
            patient_id=assessment.patient_id,
            instrument="cows",
            filled_at__lte=at,
            created_at__lte=dose.recorded_at,
        )
        .exclude(pk__in=struck.values("assessment_id"))
        .order_by("-filled_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    return found


def _total_then(assessment: Assessment, correction: AssessmentCorrection, at: datetime) -> int | None:
    """The score in force at `at` (the dose's recording, when its gate read it: lane fix36a): the latest
    correction made by then (not the one being written), else as entered."""
    earlier = (
        AssessmentCorrection.objects.filter(
            assessment=assessment, corrected_at__lte=at, entered_in_error=False
        )
        .exclude(pk=correction.pk)
        .order_by("-corrected_at", "-id")
        .first()
    )
    return earlier.total if earlier is not None else assessment.total


def _flag_of(dose: DoseRecord) -> PatientFlag | None:
    return (
        PatientFlag.objects.select_for_update(of=("self",))
        .filter(kind=FlagKind.FIRST_DOSE_COWS, source_type="dose", source_id=dose.pk)
        .select_related("resolved_by")
        .first()
    )


def _follow(
    by: User, assessment: Assessment, correction: AssessmentCorrection, dose: DoseRecord, flag: PatientFlag
) -> None:
    """The dose's flag follows this COWS corrected again (lane fix38d), when the dose rested on it (its record
    of what its gate read, else the COWS standing then) and the flag says the threshold it needed."""
    rested = rested_on(dose)
    mine = rested["cows"] if rested is not None else _cows_then(assessment, correction, dose)
    said = flag.said[0] if flag.said and isinstance(flag.said[0], dict) else {}
    threshold = (said.get("params") or {}).get("threshold")
    if mine != assessment.pk or not isinstance(threshold, int):
        return
    total = None if correction.entered_in_error else correction.total
    reason, matters = first_dose_cows_now(
        day=dose.local_date.isoformat(), threshold=threshold, corrected_total=total
    )
    follow_result(
        by=by,
        flag=flag,
        notes=[(reason.template, dict(reason.params))],
        reopen=matters,
        audit_reason="first dose's COWS corrected again: flag says so",
    )
