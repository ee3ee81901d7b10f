"""Review 33e hole 4: the FHIR Condition keeps its old lastUpdated after the diagnosis is corrected.

The prescriber's DSM-5 checklist for Alice: 4 criteria (moderate opioid use disorder). Corrected a minute
later: 6 criteria (severe). The person's own record file (`GET /me/record.fhir.json`) says the Condition is
severe, but its `meta.lastUpdated` is still the time the checklist was stored
(`interop.fhir.condition.condition`: `last_updated(out, a.created_at or a.filled_at)`, "an assessment is never
changed once stored"), while its QuestionnaireResponse and Observations say the correction's time
(`assessments.fhir._changed_at`). Should: the Condition's lastUpdated the correction's time too, so a system
that reads changes by lastUpdated takes the severe diagnosis.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from keel.assessments.services import correct_assessment, submit_assessment
from tests.conftest import World

ITEMS = [f"dsm5_{n}" for n in range(1, 12)]


def _condition(world: World, signed_in: Any) -> tuple[dict[str, Any], datetime]:
    four = {k: (1 if n < 4 else 0) for n, k in enumerate(ITEMS)}
    dsm, _ = submit_assessment(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        instrument="dsm5-oud",
        answers=four,
        filled_at=timezone.now() - timedelta(hours=2),
    )
    fixed = correct_assessment(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        assessment_id=dsm.pk,
        answers={**four, "dsm5_5": 1, "dsm5_6": 1},
        reason="Two criteria missed: tolerance and withdrawal, from her history today",
        now=timezone.now() + timedelta(minutes=1),
    )
    bundle = signed_in("patient").get("/me/record.fhir.json").json()
    found = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"]
    return found[0], fixed.corrected_at


def test_control_the_condition_says_severe(world: World, signed_in: Any) -> None:
    condition, _ = _condition(world, signed_in)
    assert "severe" in condition["code"]["text"].casefold()


def test_the_condition_was_last_updated_by_the_correction(world: World, signed_in: Any) -> None:
    condition, corrected_at = _condition(world, signed_in)
    assert datetime.fromisoformat(condition["meta"]["lastUpdated"]) >= corrected_at.replace(microsecond=0)
