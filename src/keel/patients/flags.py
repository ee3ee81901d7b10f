"""Raising a flag on a patient's record for the care team: the one way every app does it (a held dose, a
positive suicide screen, an early warning from a check-in, an emergency access), the row and its audit row.

A module of its own rather than part of `keel.patients.services` (which resolves flags): that package imports
the treatment and sharing services for discharge, and those raise flags."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import transaction

from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action
from keel.db import rows
from keel.patients.models import Patient, PatientFlag

__all__ = ["raise_flag"]


def raise_flag(
    *,
    by: User | None,
    patient: Patient,
    kind: str,
    priority: int,
    reasons: Iterable[str],
    sources: Iterable[str],
    source_type: str,
    source_id: int,
    now: datetime,
    audit_reason: str,
    said: Iterable[Mapping[str, object]] = (),
) -> PatientFlag:
    """A flag on the patient's record for the care team, with its reasons (English, as the API and the audit
    carry them; `said`, the same as templates and parameters to show in the reader's language) and sources,
    and its audit row, inside the caller's transaction. The caller decides whether a flag is due (an open one
    of the kind already, a self-guided account with no care team).

    The row is inserted by hand-written SQL (`keel.db.rows.insert`: the values `save()` sends; PatientFlag has
    no save() or signal receivers of its own), as `save()` does under `mark_for_rollback_on_error`: the ORM
    compiled this INSERT on every held dose and flagged check-in (issue #21;
    tests/patients/test_raise_flag_insert.py holds the row to `PatientFlag.objects.create`'s)."""
    flag = PatientFlag(
        patient=patient,
        kind=kind,
        priority=priority,
        reasons=list(reasons),
        said=[dict(s) for s in said],
        sources=list(sources),
        source_type=source_type,
        source_id=source_id,
        raised_at=now,
    )
    with transaction.mark_for_rollback_on_error():
        rows.insert(flag)
    audit.record_for_patient(by, patient, Action.CREATE, "patient_flag", flag.pk, reason=audit_reason)
    return flag
