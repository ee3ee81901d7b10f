"""re37f finding 2: her own self-check (a diagnosis, sent provisional) is the Condition once a clinician's
diagnosis is struck; a clinician's later "not met" then sends it `entered-in-error` (the struck result is
picked before the outranked self-check, `condition._basis`), where a "not met" is evidence that refutes it."""

from __future__ import annotations

from typing import Any

import pytest

from keel.assessments.services import correct_assessment
from tests.conftest import World
from tests.re37f.test_finding_1 import _dsm5, _searched

pytestmark = pytest.mark.django_db


def _status(found: dict[str, Any]) -> str:
    return str(found["verificationStatus"]["coding"][0]["code"])


def test_a_clinicians_not_met_after_a_struck_diagnosis_refutes_her_self_check(world: World) -> None:
    _dsm5(world, 6, days_ago=4, by=world.alice.user)  # her self-check: moderate, provisional
    wrong = _dsm5(world, 6, days_ago=3)  # the counselor's diagnosis, on the wrong record
    correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=wrong.pk,
        entered_in_error=True,
        reason="Filed on the wrong person's record",
    )
    (sent,) = _searched(world)
    assert _status(sent) == "provisional"  # her own self-check stands and is sent
    _dsm5(world, 0, days_ago=1)  # a clinician's assessment: criteria not met
    (now,) = _searched(world)
    assert _status(now) == "refuted"  # ruled out by the clinician, not "the statement was entered in error"
