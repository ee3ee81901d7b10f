"""Review 30d hole 5: a second correction down of the dose a keep back followed leaves the end naming the
first correction's amount: a dose that no longer stands."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel.treatment.models import DoseRecord
from tests.conftest import World
from tests.factories import corrected
from tests.review30a._setup import four_bottles_home_yesterday

pytestmark = pytest.mark.django_db


def test_end_words_follow_the_standing_amount(world: World) -> None:
    """Alice's four bottles (today to three days on) went home yesterday with her 80 mg. The dose is
    corrected to 40 mg: the bottles are kept back, the end says the window would not give their 80 mg
    ("An increase of 40 mg over the last observed dose (40 mg)"). It is corrected again, to 60 mg: still
    above the 10 mg step, still kept back, but the end still names 40 mg; the dose stands at 60 mg. The
    end's words must follow the amount standing (as fix30a makes a corrected-back end follow it)."""
    plan, today = four_bottles_home_yesterday(world)
    dose = DoseRecord.objects.filter(patient=world.alice, local_date=today - timedelta(days=1)).latest("id")
    corrected(world, dose, corrected_mg="40")
    plan.refresh_from_db()
    assert "(40 mg)" in plan.end_reason  # the keep back's words at 40 mg
    corrected(world, dose, corrected_mg="60")
    plan.refresh_from_db()
    assert "(40 mg)" not in plan.end_reason and "(60 mg)" in plan.end_reason, plan.end_reason
