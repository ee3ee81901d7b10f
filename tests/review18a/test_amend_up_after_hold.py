"""Review 18a: after a hold today, a correction raises the earlier dose of the day: the hold is skipped."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from keel.assessments.services import NotAllowed
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseStatus, Medication
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe

pytestmark = pytest.mark.django_db


def test_raising_todays_dose_while_a_hold_stands_is_refused(world: Any) -> None:
    """Scenario: Alice's second day of methadone; her order is raised to 40 mg. At 09:00 the nurse gives 30
    mg. At 11:00 Alice is back at the window sedated: the nurse records the dose as held, which stops every
    further dose today until a prescriber assesses ("hold_open"). At 11:05 the nurse "corrects" the 09:00
    dose from 30 to 40 mg (reason: "rest of today's dose"). `amend_dose` meets the ceilings and the window's
    titration and order checks for that day, but `window_limits_over` runs the rule with `hold_open=False`,
    so the correction passes: the record says 40 mg was given today, after the hold.

    Impact: the correction is the route around the hold: the 10 mg the hold stopped is given and written
    down as an entry error instead of a dose (which the window would refuse). A sedated person receiving
    more methadone is the overdose the hold exists to prevent; the held dose's flag says "before any dose".

    Safe outcome: while a hold of that day stands unreleased, a correction that raises a dose of that day is
    refused (the same "hold open" the window gives; a lowering or a void stays allowed).
    """
    zone = ZoneInfo("America/New_York")
    alice, nurse, prescriber = world.alice, world.staff["nurse"], world.staff["prescriber"]
    day1 = datetime(2026, 11, 16, 10, 0, tzinfo=zone)
    prescribe(by=prescriber, patient_id=alice.pk, medication=Medication.METHADONE, dose_mg="30", now=day1)
    record_dose(by=nurse, patient_id=alice.pk, medication=Medication.METHADONE, amount_mg="30", now=day1)
    morning = datetime(2026, 11, 17, 8, 0, tzinfo=zone)
    prescribe(by=prescriber, patient_id=alice.pk, medication=Medication.METHADONE, dose_mg="40", now=morning)
    given = record_dose(
        by=nurse,
        patient_id=alice.pk,
        medication=Medication.METHADONE,
        amount_mg="30",
        now=datetime(2026, 11, 17, 9, 0, tzinfo=zone),
    )
    held = record_dose(
        by=nurse,
        patient_id=alice.pk,
        medication=Medication.METHADONE,
        sedated=True,
        now=datetime(2026, 11, 17, 11, 0, tzinfo=zone),
    )
    assert held.dose.status == DoseStatus.HELD

    with pytest.raises((TreatmentInvalid, DoseBlocked, NotAllowed)):
        amend_dose(
            by=nurse,
            patient_id=alice.pk,
            dose_id=given.dose.pk,
            corrected_mg="40",
            reason="rest of today's dose, entered short",
            now=datetime(2026, 11, 17, 11, 5, tzinfo=zone),
        )
