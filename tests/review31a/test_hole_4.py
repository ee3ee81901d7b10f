"""Review 31a hole 4: the dose four bottles went home with yesterday is corrected down (80 -> 40: keep back,
bottles at home, call back), then voided by mistake, then corrected to 60 mg, the amount that stands. The
call-back list and the nurse's words say the bottles are at home, yet the plan's end still says they "were
not handed out: the dose ... was voided or corrected to 0 mg": `go_on.kept_back_again` reads the end only
in the keep back's own templates, and `voided_since` had re-written it in the voided end's words, so the
words never follow the dose back up (nor does `corrected_back`: the end's kind is still KEPT_BACK)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel.treatment.models import DoseRecord
from tests.conftest import World
from tests.factories import corrected
from tests.review31a._setup import four_bottles_home_yesterday

pytestmark = pytest.mark.django_db


def test_end_words_follow_the_dose_back_up_after_a_void(world: World) -> None:
    plan, today = four_bottles_home_yesterday(world)
    dose = DoseRecord.objects.get(patient=world.alice, local_date=today - timedelta(days=1))
    corrected(world, dose, "Pump log shows 40 mg given, not 80 mg as typed", corrected_mg="40")
    corrected(world, dose, "Voided: this was recorded on the wrong chart", void=True)
    corrected(world, dose, "Wrong chart was a mistake: 60 mg given per the pump log", corrected_mg="60")
    plan.refresh_from_db()
    assert "voided or corrected to 0 mg" not in plan.end_reason
