"""The blockade of an XR-naltrexone injection (review 36f hole 3, lanes fix36f and fix36i): her last
injection given (`last_injection`) and the one reading of whether methadone or buprenorphine on a day falls
inside its blockade (`blockade_of`, over `keel.core.rules.agonists.naltrexone_blockade`). A query module, so
that the readiness reads (the person's home start) and the window's services (`agonists.blockade_verdict`)
read the one definition."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TypeVar

from keel.core.decision import Decision
from keel.core.rules.agonists import DOCUMENTED, naltrexone_blockade
from keel.core.rules.base import NoPolicy
from keel.patients.models import Patient
from keel.treatment.models import DoseRecord, DoseStatus, Medication
from keel.treatment.queries.doses import taken_doses

AGONISTS = (Medication.METHADONE, Medication.BUPRENORPHINE)
DecisionT = TypeVar("DecisionT", bound=Decision)
GIVES = ("allowed", "allowed_with_rationale")  # the window's verdicts that give the dose


def last_injection(patient: Patient, on: date | None = None) -> DoseRecord | None:
    """The last injection given (and not voided or corrected to 0 mg); `on` (None: any day): given on or
    before that day, the injection in force on it (lane fix36n, re-attack 36l item 3)."""
    given = DoseRecord.objects.filter(
        patient=patient, medication=Medication.NALTREXONE_XR, status=DoseStatus.GIVEN
    )
    if on is not None:
        given = given.filter(local_date__lte=on)
    return taken_doses(given).order_by("-local_date", "-recorded_at").first()


def blockade_of(patient: Patient, medication: str, today: date, *, switch: bool) -> Decision[NoPolicy] | None:
    """Methadone or buprenorphine on `today` inside the blockade of her last XR-naltrexone injection: the
    blockade's decision ("needs_override", or "documented" with a prescriber's switch override for today,
    `switch`); None for another medication, no injection, or outside it. One statement, for these only.
    The injection in force on `today` (given on or before it, lane fix36n): a held dose corrected after a
    later injection is read against the blockade it fell in."""
    if medication not in AGONISTS:
        return None
    last = last_injection(patient, today)
    return None if last is None else naltrexone_blockade(last.local_date, today, documented=switch)


def joined(
    decision: DecisionT, blockade: Decision[NoPolicy] | None, gives: tuple[str, ...] = GIVES
) -> DecisionT | Decision[NoPolicy]:
    """A verdict with the blockade put to it: a verdict in `gives` (it would give the dose) becomes the
    blockade's "needs_override" without a switch override; with one, or a verdict that already stops the dose
    (a hold, a start gate, a limit, the clinic's stop of a home start), the blockade's reasons are added."""
    if blockade is None:
        return decision
    if blockade.decision == DOCUMENTED or decision.decision not in gives:
        return replace(decision, reasons=(*decision.reasons, *blockade.reasons))
    return blockade
