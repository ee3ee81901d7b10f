"""Lane fix38d item 3 (review 38d hole 4): a result struck as entered in error shows none of its answers,
totals, bands or flags on the person's own views (her list, her result page, her FHIR copy): only that an
entry was removed. The kind of strike (wrong person or another error) is not stored, so every struck result
is withheld from her own views; the care team's views keep it for the audit."""

from __future__ import annotations

import pytest

from keel.assessments.services import correct_assessment, submit_assessment
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38d.test_hole_4 import COWS_OF_ROBERTO


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _struck(world):
    cows, _ = submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="cows", answers=COWS_OF_ROBERTO
    )
    correct_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        assessment_id=cows.pk,
        entered_in_error=True,
        reason="Scored on the wrong person at the window",
        read_version=0,
    )
    return cows


def _mine(world, signed_in, cows):
    body = signed_in("patient").get("/api/v1/me/assessments").json()
    return next(row for row in body if row["id"] == cows.pk)


def test_her_list_still_says_an_entry_was_removed(world, signed_in):
    cows = _struck(world)
    assert _mine(world, signed_in, cows)["status"] == "entered-in-error"


def test_her_list_carries_no_total_of_a_struck_result(world, signed_in):
    cows = _struck(world)
    assert _mine(world, signed_in, cows)["result"]["total"] is None


def test_her_list_carries_no_band_of_a_struck_result(world, signed_in):
    cows = _struck(world)
    assert _mine(world, signed_in, cows)["result"]["band"] is None


def test_her_list_carries_no_reasons_of_a_struck_result(world, signed_in):
    cows = _struck(world)
    assert _mine(world, signed_in, cows)["result"]["reasons"] == []


def test_the_care_teams_list_keeps_the_struck_answers(world, signed_in):
    cows = _struck(world)
    body = signed_in("nurse").get(f"/api/v1/patients/{world.alice.pk}/assessments").json()
    assert next(row for row in body if row["id"] == cows.pk)["answers"] == COWS_OF_ROBERTO


def test_her_fhir_copy_keeps_an_entered_in_error_response(world, signed_in):
    cows = _struck(world)
    doc = signed_in("patient").get("/api/v1/me/fhir").json()
    [response] = [e["resource"] for e in doc["entry"] if e["resource"].get("id") == f"assessment-{cows.pk}"]
    assert response["status"] == "entered-in-error"


def test_her_fhir_copy_has_no_observation_of_a_struck_result(world, signed_in):
    cows = _struck(world)
    doc = signed_in("patient").get("/api/v1/me/fhir").json()
    assert not [e for e in doc["entry"] if e["resource"].get("id", "").startswith(f"assessment-{cows.pk}-")]


def test_her_result_page_shows_no_score_of_a_struck_result(world, signed_in):
    cows = _struck(world)
    page = signed_in("patient").get(f"/me/assessments/{cows.pk}/").content.decode()
    assert "Score:" not in page


def test_her_result_page_says_the_entry_was_removed(world, signed_in):
    cows = _struck(world)
    page = signed_in("patient").get(f"/me/assessments/{cows.pk}/").content.decode()
    assert "Entered in error" in page


def test_the_care_teams_page_keeps_the_struck_score(world, signed_in):
    cows = _struck(world)
    page = signed_in("nurse").get(f"/patients/{world.alice.pk}/assessments/{cows.pk}/").content.decode()
    assert "Score: 37" in page
