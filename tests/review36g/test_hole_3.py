"""Review 36g hole 3: a diagnosis struck as entered in error disappears from /fhir/R4/ instead of being sent
as entered in error, so a hospital's system that already read `Condition/oud-N` (an opioid use disorder,
severe, confirmed) keeps it as her active diagnosis for good: reading it again is a 404 (to a FHIR client:
"gone, keep what you have"), and a search no longer lists it. FHIR R4 Condition.verificationStatus
`entered-in-error` ("the statement was entered in error and is not valid"), as Keel already sends a voided
dose (MedicationAdministration.status) and a struck response (QuestionnaireResponse.status). Cause:
`interop.fhir.record._conditions` / `_diagnosing` drops the struck assessment, so `condition_for` builds
nothing under the id it gave out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from keel.assessments.services import correct_assessment, submit_assessment
from tests.conftest import World
from tests.review36g._setup import consent, fhir, token

pytestmark = pytest.mark.django_db


def _struck_diagnosis(world: World) -> str:
    """A severe OUD by the counselor yesterday, then struck by her as entered in error (the wrong person)."""
    a, _ = submit_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        instrument="dsm5-oud",
        answers={f"dsm5_{n}": 1 for n in range(1, 12)},
        filled_at=timezone.now() - timedelta(days=1),
    )
    rid = f"oud-{a.pk}"
    whole = consent(world, ["record"])
    before = fhir(f"/fhir/R4/Condition/{rid}", token(world), whole.pk)
    assert before.json()["clinicalStatus"]["coding"][0]["code"] == "active"  # the hospital holds it
    correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=a.pk,
        entered_in_error=True,
        reason="Filed on the wrong person's record",
    )
    return rid


def test_reading_the_struck_condition_again_says_entered_in_error(world: World) -> None:
    rid = _struck_diagnosis(world)
    whole = consent(world, ["record"], recipient="Acme Health")
    again = fhir(f"/fhir/R4/Condition/{rid}", token(world), whole.pk)
    assert (
        again.status_code,
        again.json().get("verificationStatus", {}).get("coding", [{}])[0].get("code"),
    ) == (
        200,
        "entered-in-error",
    )
