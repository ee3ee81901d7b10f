"""Reads of assessments: the one definition of "latest", and one patient's assessments for a caller.

The latest assessment is the one given last (`filled_at`), and of two given at the same moment, the one
entered last (the higher id). Every screen that picks or orders assessments (the start page, the home start,
readiness, the flowsheets, the timeline, the progress report, the FHIR export) uses these, so two screens
never disagree about which score is current.

The shared reads take a patient the caller has already read through the access policy (and audited); they
add no audit row of their own. `list_assessments` and `get_assessment` scope the patient themselves and write
the read's audit row; `describe_instrument` is one entry of the instrument catalog.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from keel.access import policy
from keel.access.policy import SELF_REPORT_INSTRUMENTS, Area
from keel.assessments.models import Assessment
from keel.assessments.schemas import ExtraOut, InstrumentOut
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.instruments import registry
from keel.core.instruments.interpretation import EXTRAS

if TYPE_CHECKING:
    from keel.accounts.models import User
    from keel.patients.models import Patient

LATEST_FIRST = ("-filled_at", "-id")
OLDEST_FIRST = ("filled_at", "id")


def newest_first(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    return queryset.order_by(*LATEST_FIRST)


def oldest_first(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    return queryset.order_by(*OLDEST_FIRST)


def recent(patient: Patient, count: int) -> list[Assessment]:
    """The patient's `count` latest assessments, latest first (their own page's list)."""
    return list(newest_first(Assessment.objects.filter(patient=patient))[:count])


def latest(patient: Patient | int, instrument: str, *, as_of: datetime | None = None) -> Assessment | None:
    """The patient's latest assessment of one instrument (given at or before `as_of`, when given), or None."""
    rows = Assessment.objects.filter(patient=patient, instrument=instrument)
    if as_of is not None:
        rows = rows.filter(filled_at__lte=as_of)
    return newest_first(rows).first()


def latest_by_instrument(
    patient: Patient | int, instruments: Iterable[str], *, as_of: datetime | None = None
) -> dict[str, Assessment]:
    """instrument code -> the patient's latest assessment of it (instruments never given are absent); one
    query per instrument, each reading one row through the (patient, instrument, filled_at) index."""
    out = {}
    for code in dict.fromkeys(instruments):
        found = latest(patient, code, as_of=as_of)
        if found is not None:
            out[code] = found
    return out


# Roles whose DSM-5 checklist is a self-check, never a diagnosis (issue #15).
SELF_CHECK_ROLES = ("patient", "self_guided")


def clinicians_only(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Results a clinician gave: a person's own self-check is never the record's diagnosis."""
    return queryset.exclude(filled_by__role__in=SELF_CHECK_ROLES)


def diagnosis_cutoff(day: date, time_zone: str) -> datetime:
    """The last moment of `day` in a program's time zone: a diagnosis "as of" a report date is the one given
    up to the end of that day (the measures and `diagnosis(as_of=...)` read the same moment)."""
    return datetime.combine(day, time.max, tzinfo=ZoneInfo(time_zone))


def diagnosis(patient: Patient | int, *, as_of: datetime | None = None) -> Assessment | None:
    """The record's DSM-5 diagnosis: the latest DSM-5 result a clinician gave (whatever its band, so a later
    "does not meet" or a remission replaces an older active one), never a person's own self-check. The
    patient page, the start page, the FHIR Condition and the measures all read it here (issue #15)."""
    rows = clinicians_only(Assessment.objects.filter(patient=patient, instrument="dsm5-oud"))
    if as_of is not None:
        rows = rows.filter(filled_at__lte=as_of)
    return newest_first(rows).first()


def is_later(a: Assessment, b: Assessment) -> bool:
    """Whether `a` is later than `b` under the one definition (time, then entry order)."""
    return (a.filled_at, a.pk) > (b.filled_at, b.pk)


# --- One patient's assessments, scoped by the policy and audited ------------------------------------------


def _scoped_patient(
    user: User,
    patient_id: int | None,
    *,
    target_type: str,
    target_id: int | None = None,
    audit_success: bool = True,
) -> Patient:
    """`patient_id` None means "my own record" (patient routes: from the session); otherwise the policy
    scopes the id (a patient may name only themselves; staff their care-team patients). The read is audited
    as `target_type` (and `target_id`), unless `audit_success` is False (the caller audits it)."""
    if patient_id is None:
        return policy.own_patient_or_404(
            user, target_type=target_type, target_id=target_id, audit_success=audit_success
        )
    return policy.get_patient_or_404(
        user,
        patient_id,
        area=Area.CLINICAL,
        target_type=target_type,
        target_id=target_id,
        audit_success=audit_success,
    )


def list_assessments(
    user: User, *, patient_id: int | None, instrument: str | None = None
) -> tuple[Patient, QuerySet[Assessment]]:
    """One patient's assessments (optionally one instrument), oldest first; audited as one read."""
    if instrument is not None:
        registry.get(instrument)  # UnknownInstrument for a code that does not exist
    patient = _scoped_patient(user, patient_id, target_type="assessment_list")
    qs = Assessment.objects.filter(patient=patient).select_related("filled_by")
    if instrument:
        qs = qs.filter(instrument=instrument)
    return patient, oldest_first(qs)  # the last row is the latest, by the one definition


def get_assessment(user: User, *, patient_id: int | None, assessment_id: int) -> Assessment:
    """One assessment of a patient in scope (404 otherwise), audited as a read of that assessment."""
    patient = _scoped_patient(
        user, patient_id, target_type="assessment", target_id=assessment_id, audit_success=False
    )
    assessment = (
        Assessment.objects.filter(pk=assessment_id, patient=patient).select_related("filled_by").first()
    )
    if assessment is None:  # the denial names whose record was probed (the patient and the program)
        policy.row_not_theirs(
            user, patient, "assessment", assessment_id, reason="not this patient's or missing"
        )
    # the scoped patient: the getter's keel_off_team marks the row (not re-asked at a later clock, review 18b)
    audit.record_for_patient(user, patient, Action.READ, "assessment", assessment.pk)
    assessment.patient = patient  # what is built from it asks the scoped row (`sharing.carried.sender_named`)
    return assessment


def describe_instrument(code: str) -> InstrumentOut:
    """One catalog entry, as the API and the CLI show it."""
    instrument = registry.get(code)
    return InstrumentOut(
        code=code,
        version=instrument.version,
        title=instrument.title,
        items=len(instrument.items),
        self_report=code in SELF_REPORT_INSTRUMENTS,
        extras=[
            ExtraOut(name=e.name, kind=e.kind, required=e.required, choices=list(e.choices), help=e.help)
            for e in EXTRAS.get(code, ())
        ],
    )
