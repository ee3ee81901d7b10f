"""Lane clin34, 4: the API's assessment gives the version a correction must send (`correction_version`), and
the corrections POST requires it: 422 naming it when missing (nothing written), 409 when stale; the OpenAPI
schema says so."""

from __future__ import annotations

from typing import Any

from keel.assessments.models import AssessmentCorrection
from keel.assessments.services import correct_assessment
from tests.conftest import World
from tests.review33e._setup import phq9_for_alice

WHY = "She said more than half the days for item 2; I typed the wrong column"


def _url(world: World, pk: int) -> str:
    return f"/api/v1/patients/{world.alice.pk}/assessments/{pk}/corrections"


def _listed(world: World, signed_in: Any) -> dict[str, Any]:
    [found] = signed_in("nurse").get(f"/api/v1/patients/{world.alice.pk}/assessments").json()
    return found  # type: ignore[no-any-return]


def test_an_assessment_never_corrected_is_version_0(world: World, signed_in: Any) -> None:
    phq9_for_alice(world, item9=0)
    assert _listed(world, signed_in)["correction_version"] == 0


def test_a_corrected_assessment_gives_its_correction_in_force(world: World, signed_in: Any) -> None:
    assessment, answers = phq9_for_alice(world, item9=0)
    row = correct_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        assessment_id=assessment.pk,
        answers={**answers, "phq9_2": 2},
        reason=WHY,
    )
    assert _listed(world, signed_in)["correction_version"] == row.pk


def test_a_correction_without_the_version_is_422_naming_it(world: World, signed_in: Any) -> None:
    assessment, answers = phq9_for_alice(world, item9=0)
    body = {"answers": {**answers, "phq9_2": 2}, "reason": WHY}
    response = signed_in("nurse").post(_url(world, assessment.pk), body, content_type="application/json")
    assert response.status_code == 422 and "correction_version" in response.content.decode()
    assert not AssessmentCorrection.objects.exists()


def test_the_version_read_from_the_api_is_accepted(world: World, signed_in: Any) -> None:
    assessment, answers = phq9_for_alice(world, item9=0)
    version = _listed(world, signed_in)["correction_version"]
    body = {"answers": {**answers, "phq9_2": 2}, "reason": WHY, "correction_version": version}
    response = signed_in("nurse").post(_url(world, assessment.pk), body, content_type="application/json")
    assert response.status_code == 201


def test_a_stale_version_is_still_409(world: World, signed_in: Any) -> None:
    assessment, answers = phq9_for_alice(world, item9=0)
    body = {"answers": {**answers, "phq9_2": 2}, "reason": WHY, "correction_version": 0}
    signed_in("nurse").post(_url(world, assessment.pk), body, content_type="application/json")
    again = signed_in("counselor").post(_url(world, assessment.pk), body, content_type="application/json")
    assert again.status_code == 409


def test_the_openapi_schema_says_it_is_required(signed_in: Any) -> None:
    schema = signed_in("nurse").get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "correction_version" in schema["AssessmentCorrectionIn"]["required"]
    assert "correction_version" in schema["AssessmentOut"]["properties"]
