"""Shared reads of assessments: the one definition of "latest".

The latest assessment is the one given last (`filled_at`), and of two given at the same moment, the one
entered last (the higher id). Every screen that picks or orders assessments (the start page, the home start,
readiness, the flowsheets, the timeline, the progress report, the FHIR export) uses these, so two screens
never disagree about which score is current.

These take a patient the caller has already read through the access policy (and audited); they add no audit
row of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from keel.assessments.models import Assessment

if TYPE_CHECKING:
    from keel.patients.models import Patient

LATEST_FIRST = ("-filled_at", "-id")
OLDEST_FIRST = ("filled_at", "id")


def newest_first(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    return queryset.order_by(*LATEST_FIRST)


def oldest_first(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    return queryset.order_by(*OLDEST_FIRST)


def latest(patient: Patient | int, instrument: str, *, as_of: datetime | None = None) -> Assessment | None:
    """The patient's latest assessment of one instrument (given at or before `as_of`, when given), or None."""
    rows = Assessment.objects.filter(patient=patient, instrument=instrument)
    if as_of is not None:
        rows = rows.filter(filled_at__lte=as_of)
    return newest_first(rows).first()


def latest_by_instrument(
    patient: Any, instruments: Iterable[str], *, as_of: datetime | None = None
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
