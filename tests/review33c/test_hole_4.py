"""Hole 4: a withdrawal score (COWS) entered in error can never be corrected or struck.

The nurse picks the wrong column on the COWS bedside form: total 25 for a person who scored 5. The score
becomes the "latest COWS" that buprenorphine readiness reads (`keel.treatment.readiness`
`buprenorphine_readiness` -> `assessments.queries.latest`) and the FHIR export sends as a final
QuestionnaireResponse. `Assessment` has no amendment row and `keel.assessments.services` no correction, void
or strike (doses have `DoseAmendment`, last uses `LastUseCorrection`): the wrong score stays the record's,
with no one named as finding it wrong and no reason. The only way around is to score the person again,
which cannot undo a score on the wrong person.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from keel.assessments import services
from keel.assessments.services import submit_assessment
from keel.treatment.readiness import buprenorphine_readiness
from tests.conftest import World

pytestmark = pytest.mark.django_db

HIGH = {
    "pulse": 4,
    "sweating": 4,
    "restlessness": 5,
    "pupils": 5,
    "aches": 4,
    "nose_eyes": 0,
    "gi_upset": 3,
    "tremor": 0,
    "yawning": 0,
    "anxiety": 0,
    "gooseflesh": 0,
}
CORRECTING = ("amend", "correct", "void", "strike", "error")


def test_control_the_mistyped_score_is_the_one_readiness_reads(world: World) -> None:
    wrong, _ = submit_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        instrument="cows",
        answers=HIGH,
        filled_at=timezone.now() - timedelta(minutes=5),
    )
    assert buprenorphine_readiness(world.alice, timezone.now()).cows == wrong


def test_a_score_entered_in_error_can_be_corrected_with_a_reason() -> None:
    correcting = [name for name in dir(services) if any(word in name for word in CORRECTING)]
    assert correcting, "keel.assessments.services offers no correction of an assessment"
