"""Reads of assessments: the one definition of "latest", and one patient's assessments for a caller.

The latest assessment is the one given last (`filled_at`), and of two given at the same moment, the one
entered last (the higher id), of those that stand: one marked "entered in error" is no result at all, and
one corrected says its corrected answers and score (review 33c hole 4: `standing`, `with_corrections`).
Every screen that picks or orders assessments (the start page, the home start,
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

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from keel.access import policy
from keel.access.policy import SELF_REPORT_INSTRUMENTS, Area
from keel.assessments.models import Assessment, AssessmentCorrection
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


def standing(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """The assessments that stand: none marked "entered in error" (review 33c hole 4), each marked in the
    same query with whether it has a correction (`with_corrections` then reads only those: no query more
    for a record with none)."""
    return marked(queryset.exclude(corrections__entered_in_error=True))


def marked(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Each assessment marked, in the same query, with whether it has a correction at all."""
    return queryset.annotate(
        has_correction=Exists(AssessmentCorrection.objects.filter(assessment=OuterRef("pk")))
    )


def with_corrections(rows: Iterable[Assessment]) -> list[Assessment]:
    """`rows`, each as its correction in force says (one query for them all): the latest correction's
    answers, total, band and result in place of those entered (the total as entered kept: `entered_total`;
    every band it said: `bands_said`), or `entered_in_error` set. The rows are read only: an assessment's own
    row is never written back (`AssessmentCorrection`)."""
    out = list(rows)
    by_id = {a.pk: a for a in out if getattr(a, "has_correction", True)}  # `standing` said which
    if not by_id:
        return out
    for a in by_id.values():  # the score as entered, beside the corrected one on the staff's page (clin34)
        a.entered_total, a.bands_said = a.total, (a.band,)
    fixes = AssessmentCorrection.objects.filter(assessment_id__in=by_id).select_related("corrected_by")
    for fix in fixes.order_by("corrected_at", "id"):  # the latest last: the one in force
        a = by_id[fix.assessment_id]
        a.correction = fix
        if fix.entered_in_error:
            a.entered_in_error = True
        elif not a.entered_in_error:
            a.answers, a.extras = fix.answers, fix.extras
            a.total, a.band, a.result = fix.total, fix.band, fix.result
            a.bands_said += (fix.band,)
    return out


def withheld_from_her(rows: list[Assessment]) -> list[Assessment]:
    """Her own views (lane fix38d, review 38d hole 4) and whatever leaves the program (lane fixpriv39:
    `policy.withholds_struck_content`, the one definition): a result struck as entered in error keeps only
    that it was (its instrument, time and status); none of its answers, total, band, reasons or flags reach
    her, for a strike is most often a filing on the wrong person (another's withdrawal signs, another's
    screen). The kind of strike is not stored (`AssessmentCorrection` keeps a flag and a typed reason), so
    every struck result is withheld. The rows are changed in memory only; the care team's views keep them."""
    for a in rows:
        if a.entered_in_error:
            a.answers, a.extras, a.total, a.band = {}, {}, None, ""
            a.entered_total, a.bands_said = None, ()
            a.result = {
                "instrument": a.instrument,
                "version": a.instrument_version,
                "total": None,
                "band": None,
                "flags": [],
                "composites": {},
                "reasons": [],
                "sources": [],
            }
    return rows


def band_in_force() -> Coalesce:
    """An assessment's band as its latest correction says (else as entered), for a query that reads bands
    in the database (the measures); of the assessments that stand (`standing`), as `with_corrections`."""
    fixes = AssessmentCorrection.objects.filter(assessment=OuterRef("pk")).order_by("-corrected_at", "-id")
    return Coalesce(Subquery(fixes.values("band")[:1]), F("band"))


def _one(queryset: QuerySet[Assessment]) -> Assessment | None:
    found = queryset.first()
    return with_corrections([found])[0] if found is not None else None


def recent(patient: Patient, count: int) -> list[Assessment]:
    """The patient's `count` latest assessments that stand, latest first (their own page's list)."""
    return with_corrections(newest_first(standing(Assessment.objects.filter(patient=patient)))[:count])


def latest(
    patient: Patient | int,
    instrument: str,
    *,
    as_of: datetime | None = None,
    entered_by: datetime | None = None,
) -> Assessment | None:
    """The patient's latest assessment of one instrument (given at or before `as_of`, when given) that
    stands, as corrected, or None. `entered_by`: only one typed in by then (lane fix35a: a paper form typed
    in after a dose was not what that dose's gate read, whatever its `filled_at`)."""
    rows = standing(Assessment.objects.filter(patient=patient, instrument=instrument))
    if as_of is not None:
        rows = rows.filter(filled_at__lte=as_of)
    if entered_by is not None:
        rows = rows.filter(created_at__lte=entered_by)
    return _one(newest_first(rows))


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
    rows = standing(clinicians_only(Assessment.objects.filter(patient=patient, instrument="dsm5-oud")))
    if as_of is not None:
        rows = rows.filter(filled_at__lte=as_of)
    return _one(newest_first(rows))


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
) -> tuple[Patient, list[Assessment]]:
    """One patient's assessments (optionally one instrument), oldest first, each as corrected (one marked
    entered in error is kept, said so: the record keeps it); audited as one read."""
    if instrument is not None:
        registry.get(instrument)  # UnknownInstrument for a code that does not exist
    patient = _scoped_patient(user, patient_id, target_type="assessment_list")
    qs = marked(Assessment.objects.filter(patient=patient).select_related("filled_by"))
    if instrument:
        qs = qs.filter(instrument=instrument)
    rows = with_corrections(oldest_first(qs))  # the last row standing is the latest
    # her own copy whatever the route (/me/ or her id): the one definition (lanes fix38j, fix38n)
    return patient, withheld_from_her(rows) if policy.withholds_struck_content(user, patient) else rows


def get_assessment(user: User, *, patient_id: int | None, assessment_id: int) -> Assessment:
    """One assessment of a patient in scope (404 otherwise), audited as a read of that assessment."""
    patient = _scoped_patient(
        user, patient_id, target_type="assessment", target_id=assessment_id, audit_success=False
    )
    assessment = marked(
        Assessment.objects.filter(pk=assessment_id, patient=patient).select_related("filled_by")
    ).first()
    if assessment is None:  # the denial names whose record was probed (the patient and the program)
        policy.row_not_theirs(
            user, patient, "assessment", assessment_id, reason="not this patient's or missing"
        )
    # the scoped patient: the getter's keel_off_team marks the row (not re-asked at a later clock, review 18b)
    audit.record_for_patient(user, patient, Action.READ, "assessment", assessment.pk)
    out = with_corrections([assessment])[0]
    if policy.withholds_struck_content(
        user, patient
    ):  # her own view, by /me/ or her id (lanes fix38d, fix38n)
        withheld_from_her([out])
    out.patient = patient  # what is built from it asks the scoped row (`sharing.carried.sender_named`)
    return out


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
