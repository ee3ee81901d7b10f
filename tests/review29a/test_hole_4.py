"""Hole 4: after the window dose of a day whose bottle was brought back is voided, the window refuses her
dose until "today's bottle is returned unopened", a bottle the record already holds on the shelf.

Yesterday Alice took 80 mg and her bottles for today and tomorrow went home. Today she brings today's bottle
back unopened and the nurse doses her 80 mg at the window (the bottle is recorded brought back). The dose is
voided (she spat it out; it was poured for the wrong chart). When the nurse pours again, the window refuses:
"today is a take-home day: give an observed dose only when today's bottle is returned unopened". The record
already says the bottle is on the shelf: the day whose bottle is on the shelf is still read as a take-home
day (a standing plan's `plan_days` keeps a day in `returned_days`), so the words are false and, were she not
dosed again, the missed-dose checks would count the day as a take-home day with no dose and no bottle.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday, pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Noon in the program's zone: the first pour three hours earlier is the same day."""
    yield from pinned_at_last_five_pm_utc()


def test_window_never_asks_for_a_bottle_the_record_holds_on_the_shelf(world: World) -> None:
    handed_out_yesterday(world)
    now = timezone.now()
    nurse, alice = world.staff["nurse"], world.alice
    first = record_dose(
        by=nurse, patient_id=alice.pk, amount_mg="80", bottle_returned=True, now=now - timedelta(hours=3)
    )
    corrected(world, first.dose, void=True)
    refused = ""
    try:
        record_dose(by=nurse, patient_id=alice.pk, amount_mg="80", now=now)
    except TreatmentInvalid as exc:
        refused = str(exc)
    assert refused == ""
