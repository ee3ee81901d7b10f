"""Review 33e hole 3: a second correction through the API puts back the inputs the first one corrected.

An Opioid Risk Tool (ORT) entered for Alice with sex "male" (the wrong weights). The nurse corrects it: same
answers, sex "female" (family history of alcohol: 3 with the male weights, 1 with the female). Later a
prescriber corrects one answer through `POST /api/v1/patients/{id}/assessments/{id}/corrections` with the
answers only (no "extras"): the corrected result is scored with the ORIGINAL extras
(`assessments.services.correct_assessment`: `kept = assessment.extras if extras is None`, the row as
entered, not as corrected; the schema says "default: as entered"), so the record says male weights again and
a total of 6, not 3: the first correction silently undone. Should: inputs not given are those in force (the
latest correction's), as the result page's form (which shows the corrected inputs) already does.
"""

from __future__ import annotations

from typing import Any

from keel.assessments import queries
from keel.assessments.models import AssessmentCorrection
from keel.assessments.services import correct_assessment, submit_assessment
from tests.conftest import World

ITEMS = [
    "ort_family_alcohol",
    "ort_family_illegal",
    "ort_family_rx",
    "ort_personal_alcohol",
    "ort_personal_illegal",
    "ort_personal_rx",
    "ort_age_16_45",
    "ort_preadolescent_sexual_abuse",
    "ort_psych_add_ocd_bipolar_schizophrenia",
    "ort_depression",
]


def _female_corrected(world: World) -> tuple[int, dict[str, int]]:
    """The ORT entered with male weights, then corrected to female by the nurse: its id and answers."""
    answers = {**dict.fromkeys(ITEMS, 0), "ort_family_alcohol": 1}
    nurse = world.staff["nurse"]
    ort, _ = submit_assessment(
        by=nurse, patient_id=world.alice.pk, instrument="ort", answers=answers, extras={"sex": "male"}
    )
    correct_assessment(
        by=nurse,
        patient_id=world.alice.pk,
        assessment_id=ort.pk,
        answers=answers,
        extras={"sex": "female"},
        reason="Sex entered wrong: she is female, as her intake says",
    )
    return ort.pk, answers


def _corrected_twice(world: World, signed_in: Any) -> None:
    ort, answers = _female_corrected(world)
    response = signed_in("prescriber").post(
        f"/api/v1/patients/{world.alice.pk}/assessments/{ort}/corrections",
        {
            "answers": {**answers, "ort_family_illegal": 1},
            "reason": "Family history of illegal drugs too: her brother, she told me today",
            "correction_version": AssessmentCorrection.objects.get(assessment_id=ort).pk,  # clin34: required
        },
        content_type="application/json",
    )
    assert response.status_code == 201


def test_control_the_first_correction_puts_female_weights(world: World) -> None:
    _female_corrected(world)
    found = queries.latest(world.alice, "ort")
    assert found is not None and found.extras["sex"] == "female"


def test_the_second_correction_keeps_the_corrected_sex(world: World, signed_in: Any) -> None:
    _corrected_twice(world, signed_in)
    found = queries.latest(world.alice, "ort")
    assert found is not None and found.extras["sex"] == "female"


def test_the_second_correction_is_scored_with_female_weights(world: World, signed_in: Any) -> None:
    _corrected_twice(world, signed_in)
    found = queries.latest(world.alice, "ort")
    assert found is not None and found.total == 3  # family alcohol 1 + family illegal drugs 2 (female)
