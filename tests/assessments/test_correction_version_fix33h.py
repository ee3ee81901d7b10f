"""Lane fix33h (review 33e hole 2): a correction carries the version of the result its writer read (the id of
the correction in force, 0 for none: the page's hidden `correction_version`, the API's optional one); one
written since refuses it (409, nothing written) and the page shows the answers now in force."""

from __future__ import annotations

from typing import Any

from keel.assessments import queries
from keel.assessments.models import AssessmentCorrection
from keel.assessments.services import correct_assessment
from tests.conftest import World
from tests.review33e._setup import browser, form_of, phq9_for_alice

WHY = "She said more than half the days for item 9; I typed the wrong column"
LATER = "Item 2 was nearly every day, she told me today"


def _corrected_once(world: World) -> tuple[int, dict[str, int], int]:
    """A PHQ-9 (item 9 = 0) the nurse corrected to item 9 = 2: its id, answers and the correction's id."""
    assessment, answers = phq9_for_alice(world, item9=0)
    row = correct_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        assessment_id=assessment.pk,
        answers={**answers, "phq9_9": 2},
        reason=WHY,
    )
    return assessment.pk, answers, row.pk


def _api(world: World, signed_in: Any, assessment: int, body: dict[str, Any]) -> Any:
    url = f"/api/v1/patients/{world.alice.pk}/assessments/{assessment}/corrections"
    return signed_in("counselor").post(url, body, content_type="application/json")


def test_the_page_carries_the_version_in_force(world: World) -> None:
    pk, _answers, version = _corrected_once(world)
    page = browser(world, "counselor").get(f"/patients/{world.alice.pk}/assessments/{pk}/")
    assert f'name="correction_version" value="{version}"' in page.content.decode()


def test_a_post_with_the_version_in_force_is_saved(world: World) -> None:
    pk, answers, version = _corrected_once(world)
    form = {**form_of({**answers, "phq9_9": 2}, LATER, phq9_2=3), "correction_version": str(version)}
    browser(world, "counselor").post(f"/patients/{world.alice.pk}/assessments/{pk}/corrections/", form)
    assert AssessmentCorrection.objects.filter(assessment_id=pk).count() == 2


def test_the_stale_page_is_shown_the_answer_in_force(world: World) -> None:
    pk, answers, _version = _corrected_once(world)
    form = {**form_of(answers, LATER, phq9_2=3), "correction_version": "0"}
    page = browser(world, "counselor").post(f"/patients/{world.alice.pk}/assessments/{pk}/corrections/", form)
    assert "corrected since you opened it" in page.content.decode()


def test_a_version_that_is_not_a_number_is_422_and_nothing_written(world: World) -> None:
    pk, answers, _version = _corrected_once(world)
    form = {**form_of(answers, LATER), "correction_version": "²"}
    page = browser(world, "counselor").post(f"/patients/{world.alice.pk}/assessments/{pk}/corrections/", form)
    assert (page.status_code, AssessmentCorrection.objects.filter(assessment_id=pk).count()) == (422, 1)


def test_the_api_refuses_a_stale_version(world: World, signed_in: Any) -> None:
    pk, answers, _version = _corrected_once(world)
    response = _api(world, signed_in, pk, {"answers": answers, "reason": LATER, "correction_version": 0})
    assert response.status_code == 409


def test_the_api_writes_nothing_when_stale(world: World, signed_in: Any) -> None:
    pk, answers, _version = _corrected_once(world)
    _api(world, signed_in, pk, {"answers": answers, "reason": LATER, "correction_version": 0})
    found = queries.latest(world.alice, "phq9")
    assert found is not None and found.answers["phq9_9"] == 2


def test_the_api_takes_the_version_in_force(world: World, signed_in: Any) -> None:
    pk, answers, version = _corrected_once(world)
    body = {"answers": {**answers, "phq9_9": 2}, "reason": LATER, "correction_version": version}
    assert _api(world, signed_in, pk, body).status_code == 201


def test_a_struck_result_still_says_it_was_struck(world: World, signed_in: Any) -> None:
    pk, _answers, version = _corrected_once(world)
    _api(
        world,
        signed_in,
        pk,
        {"entered_in_error": True, "reason": "the wrong person", "correction_version": version},
    )
    again = _api(
        world,
        signed_in,
        pk,
        {"entered_in_error": True, "reason": "the wrong person", "correction_version": version},
    )
    assert again.json()["errors"][0]["field"] == "entered_in_error"
