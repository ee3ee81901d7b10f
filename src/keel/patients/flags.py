"""Raising a flag on a patient's record for the care team: the one way every app does it (a held dose, a
positive suicide screen, an early warning from a check-in, an emergency access), the row and its audit row.

A module of its own rather than part of `keel.patients.services` (which resolves flags): that package imports
the treatment and sharing services for discharge, and those raise flags."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from keel.accounts.models import User
from keel.accounts.names import NO_NAME_ON_FILE
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.words import gettext_noop as N_
from keel.db import rows
from keel.patients.models import Patient, PatientFlag, zone_of

__all__ = ["follow_result", "raise_flag"]

# A resolved flag put back before the care team (lane fix38d): who resolved it, when and with which note,
# kept among its reasons (the row's resolution is cleared; the audit trail keeps the resolution's row).
RESOLVED_EARLIER = N_("Resolved earlier by %(resolver)s on %(resolved)s, with the note: %(note)s")


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


def follow_result(
    *,
    by: User,
    flag: PatientFlag,
    notes: Sequence[tuple[str, Mapping[str, object]]],
    reopen: bool,
    audit_reason: str,
) -> None:
    """A flag follows its corrected result (lane fix38d, review 38d hole 2), in the caller's transaction: each
    note (a template marked for the catalogue and its parameters) added to its reasons (English, as the API
    carries them) and its `said`, so that its last word says what the result in force says. `reopen`: a
    resolved flag put back before the care team (open again, the one flag of its source), its resolution
    kept among its reasons (`RESOLVED_EARLIER`). Audited ("flag reopened: result corrected", else
    `audit_reason`)."""
    entries = list(notes)
    fields = ["reasons", "said"]
    reopened = reopen and flag.resolved_at is not None
    if reopened:
        entries.insert(0, _resolution_kept(flag))
        flag.resolved_at, flag.resolved_by, flag.resolution_note = None, None, ""
        fields += ["resolved_at", "resolved_by", "resolution_note"]
    said = list(flag.said) if flag.said else [{} for _r in flag.reasons]  # older rows: reasons alone
    flag.reasons = [*flag.reasons, *(template % params for template, params in entries)]
    flag.said = [*said, *({"template": t, "params": dict(p)} for t, p in entries)]
    flag.save(update_fields=fields)
    why = "flag reopened: result corrected" if reopened else audit_reason
    audit.record_for_patient(by, flag.patient, Action.UPDATE, "patient_flag", flag.pk, reason=why)


def _resolution_kept(flag: PatientFlag) -> tuple[str, Mapping[str, object]]:
    resolver = flag.resolved_by.get_full_name().strip() if flag.resolved_by is not None else ""
    day = timezone.localtime(flag.resolved_at or timezone.now(), zone_of(flag.patient)).date().isoformat()
    params: dict[str, str | int] = {
        "resolver": resolver or NO_NAME_ON_FILE,
        "resolved": day,
        "note": flag.resolution_note,
    }
    return RESOLVED_EARLIER, params
