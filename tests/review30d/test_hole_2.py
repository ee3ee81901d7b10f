"""Review 30d hole 2: a prescriber's end written after a hold's end shows the Spanish reader the hold's
words and the "Earlier end" note in English."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from keel.treatment.end_words import plan_end
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import prescriber_ends
from tests.review30a._setup import four_bottles_home_yesterday

pytestmark = pytest.mark.django_db


def test_prescriber_end_after_a_hold_reads_in_spanish(world: World) -> None:
    """Alice's four bottles went home yesterday; today she is held (sedated): the plan stops after the
    hold's run, its words in Spanish for a Spanish reader. The prescriber then ends the plan from tomorrow
    (fix30a keeps the hold's call-back under it). In Spanish, the end's reader (`end_words.plan_end`, the
    page's and the API's) still says the hold's sentence and "Earlier end, no take-home days after ..." in
    English: the system's words are never translated once a prescriber's end carries them."""
    plan, today = four_bottles_home_yesterday(world)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True)
    prescriber_ends(
        world,
        plan,
        "Relapse: positive urine screen for fentanyl",
        from_day=(today + timedelta(days=1)).isoformat(),
    )
    plan.refresh_from_db()
    with translation.override("es"):
        said = plan_end(plan.end_reason, today, plan.bottles_taken_back, plan.end_kind, plan.ended_on).text
    assert "Se retuvo una dosis" in said, said
    english_words = (
        "A dose was held on",
        "Earlier end, no take-home days after",
        "until a prescriber decides",
    )
    for english in english_words:
        assert english not in said, said
