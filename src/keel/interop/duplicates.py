"""Responses from another system filed more than once in one program under the sender's system and id
(before lane fix33f's rule: a response is filed once; per program since review 34b H5, `interop/0003`),
listed and resolved so a clinic can upgrade (lane priv34). Copies filed in two programs (each its own) are
not duplicates and are never listed together: the program is the filing's person's.

Works on a database still before `interop/0003` (that migration stops, naming
`keel interop duplicate-imports`, while any are left): it reads and writes only the columns 0001 made
(`program` is deferred; a filing's program is read through its assessment's patient).

Resolving a set keeps the first filing (the earliest received) on the sender's id. Each later one:
- about the same person: marked entered in error through the assessment correction service (the one way a
  result stops standing; reason "duplicate filing from <system>"; nothing of the assessment rewritten);
- about another person (a sender's id that named two people): NOT marked (it may be her result; a
  clinician decides), only taken off the rule;
and its sender id is moved off the one-filing rule (the column emptied, so the rule no longer counts it) while
kept: in the row's `notes` (`KEPT_ID`, read by `sender_id_as_sent`, so its Provenance still names it) and
said by an audit row through the audit helper. Where the response came from (`sender_system`) is untouched.
A set is resolved whole or not at all; one the staff member may not correct is left, and said.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from keel.access import policy
from keel.access.policy import Area
from keel.accounts.models import Program
from keel.assessments.models import AssessmentCorrection
from keel.assessments.services import correct_assessment
from keel.audit import services as audit
from keel.audit.models import Action
from keel.interop.models import KEPT_ID, ImportedResponse
from keel.patients.models import day_in

if TYPE_CHECKING:
    from keel.accounts.models import User

MOVED_OFF = "duplicate filing: its sender id moved off the one-filing rule, kept on the filing"


@dataclass(frozen=True)
class Filing:
    """One filing of a duplicate set, as a data manager needs it: no answers, no names."""

    pk: int
    assessment_id: int
    patient_id: int
    day: str  # the day it was received, on its program's clock (YYYY-MM-DD; lane zones39)
    status: str  # "stands" | "corrected" | "entered in error"
    same_person: bool  # as the first filing's
    same_answers: bool  # as the first filing's


@dataclass(frozen=True)
class DuplicateSet:
    program_id: int
    sender_system: str
    sender_id: str
    filings: list[Filing]  # the first (kept) first, then by when they were received


def _status(assessment_id: int) -> str:
    fixes = AssessmentCorrection.objects.filter(assessment_id=assessment_id)
    if fixes.filter(entered_in_error=True).exists():
        return "entered in error"
    return "corrected" if fixes.exists() else "stands"


PROGRAM = "assessment__patient__program_id"  # a filing's program, on a database before interop/0003 too


def _rows() -> QuerySet[ImportedResponse]:
    return ImportedResponse.objects.defer("program")


def _triples() -> Iterator[tuple[int, str, str]]:
    rows = (
        _rows()
        .exclude(Q(sender_system="") | Q(sender_id=""))
        .values(PROGRAM, "sender_system", "sender_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by(PROGRAM, "sender_system", "sender_id")
    )
    for row in rows:
        yield row[PROGRAM], row["sender_system"], row["sender_id"]


def duplicate_sets() -> list[DuplicateSet]:
    """Every sender system and id filed more than once in one program, each filing in the order received."""
    found = []
    for program, system, sender_id in _triples():
        zone = Program.objects.values_list("time_zone", flat=True).get(pk=program)
        rows = list(
            _rows()
            .filter(sender_system=system, sender_id=sender_id, **{PROGRAM: program})
            .select_related("assessment")
            .defer("program")
            .order_by("received_at", "pk")
        )
        first = rows[0].assessment
        filings = [
            Filing(
                pk=r.pk,
                assessment_id=r.assessment_id,
                patient_id=r.assessment.patient_id,
                day=day_in(zone, r.received_at).isoformat(),
                status=_status(r.assessment_id),
                same_person=r.assessment.patient_id == first.patient_id,
                same_answers=r.assessment.answers == first.answers,
            )
            for r in rows
        ]
        found.append(DuplicateSet(program, system, sender_id, filings))
    return found


class NotYours(Exception):
    """The staff member may not correct a filing of this set: the set is left as it was."""


def _reach(by: User, patient_ids: set[int]) -> None:
    visible = policy.patients_visible_to(by, Area.CLINICAL).filter(pk__in=patient_ids)
    if not policy.can_correct_assessment(by) or visible.count() != len(patient_ids):
        raise NotYours


def resolve(by: User, found: DuplicateSet) -> list[int]:
    """Resolve one set as the module says, in one transaction; returns the filings marked entered in
    error. NotYours (nothing written) when `by` may not correct every filing's person."""
    _reach(by, {f.patient_id for f in found.filings})
    kept, later = found.filings[0], found.filings[1:]
    struck = []
    with transaction.atomic():
        for filing in later:
            row = _rows().select_for_update().get(pk=filing.pk)
            correction = None
            if filing.same_person and filing.status != "entered in error":
                correction = correct_assessment(
                    by=by,
                    patient_id=filing.patient_id,
                    assessment_id=filing.assessment_id,
                    entered_in_error=True,
                    reason=f"duplicate filing from {found.sender_system}"[:2000],
                )
                struck.append(filing.pk)
            _move_off(by, row, kept.pk, correction)
    return struck


def _move_off(by: User, row: ImportedResponse, kept: int, correction: AssessmentCorrection | None) -> None:
    """The filing's sender id off the rule, kept in its notes; audited (ids only)."""
    said = f"a later filing of imported response {kept}: entered in error or checked by a clinician"
    note = {"field": "identifier", "reason": said, KEPT_ID: row.sender_id}
    _rows().filter(pk=row.pk).update(sender_id="", notes=[*row.notes, note])
    audit.record_for_patient(
        by,
        row.assessment.patient,
        Action.UPDATE,
        "imported_response",
        row.pk,
        reason=MOVED_OFF,
        detail={
            "kept": kept,
            "assessment_id": row.assessment_id,
            "correction_id": correction.pk if correction is not None else None,
        },
    )
