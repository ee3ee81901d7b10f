"""Review 30d hole 1: a hold on a take-home day whose bottle is at home, changed by the prescriber into a
dose given at the window, records a second day's dose beside the bottle at home; the window refuses that
very dose (`bottle_returned`), and nobody is told to call the bottle back."""

from __future__ import annotations

import pytest

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, DoseStatus
from keel.treatment.queries.take_home_plans import call_back
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.review30a._setup import four_bottles_home_yesterday

pytestmark = pytest.mark.django_db


def test_held_dose_turned_given_beside_the_bottle_at_home_is_refused_or_called_back(world: World) -> None:
    """Alice's four bottles (today to three days on) went home yesterday; she comes to the window today
    and is held (sedated), which stops the plan after today and calls back the three later bottles. The
    prescriber then changes the held dose into 80 mg given. The window itself refuses 80 mg today unless
    today's bottle is returned unopened; the correction must do the same, or at least put today's bottle
    (still at home, the plan still covering today) on the call-back list. It does neither: the record says
    80 mg observed today and today's 80 mg bottle at home, and the call-back list leaves it out."""
    plan, today = four_bottles_home_yesterday(world)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True)
    held = DoseRecord.objects.filter(patient=world.alice, local_date=today, status=DoseStatus.HELD).get()
    with pytest.raises(TreatmentInvalid):  # the window's answer to the same dose
        record_dose(by=world.staff["prescriber"], patient_id=world.alice.pk, amount_mg="80")
    try:
        amend_dose(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            dose_id=held.pk,
            reason="Assessed: alert, was not sedated; she had her 80 mg at the window",
            corrected_mg="80",
        )
    except TreatmentInvalid:
        return  # refused as the window refuses it: held
    assert today in call_back(world.alice, today).get(plan.pk, {}), (
        "80 mg observed today and today's bottle at home, the plan still covering today: not on the "
        "call-back list"
    )
