"""Re-attack 38r finding 1 (high: Part 2, another person's data; the fix walked around by another route).

What the person does: Alicia, signed in to her own account (session or token), reads her assessments by the
routes that name her record by id, which the access policy lets a patient name for herself:
`GET /api/v1/patients/{her id}/assessments`, `GET /api/v1/patients/{her id}/assessments/{id}/fhir` and the
page `/patients/{her id}/assessments/{id}/`.

What goes wrong: a COWS scored on Roberto, filed on Alicia and struck as entered in error is withheld from her
only on the `/me/...` routes (`assessments.queries.list_assessments` / `get_assessment` withhold when
`patient_id is None`, not when the reader is the person herself). By id she gets every one of Roberto's
answers, the total 37 in the FHIR Observation, and on the page the score and the nurse's typed reason for the
strike. Lane fix38j decided "her own copy" once for FHIR (`policy.reads_her_own_record`); these reads do not
ask it.

What should hold: whatever the route, when the reader is the person herself a struck result keeps only that it
was (as `/api/v1/me/assessments` and `/me/assessments/{id}/` already do)."""

from __future__ import annotations

import pytest

from keel.assessments.services import correct_assessment, submit_assessment
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38d.test_hole_4 import COWS_OF_ROBERTO


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


STRIKE_REASON = "Scored on the wrong person at the window"


def _struck(world):
    cows, _ = submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="cows", answers=COWS_OF_ROBERTO
    )
    correct_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        assessment_id=cows.pk,
        entered_in_error=True,
        reason=STRIKE_REASON,
        read_version=0,
    )
    return cows


def test_her_list_by_her_own_id_carries_no_answers_of_a_struck_result(world, signed_in):
    cows = _struck(world)
    response = signed_in("patient").get(f"/api/v1/patients/{world.alice.pk}/assessments")
    # Session 39 (lane ownapi39): the care team's view of a record is refused to her own account (403); her
    # own copy is /api/v1/me/assessments. A 200 would have to carry no answers of the struck result.
    assert (
        response.status_code == 403
        or next(row for row in response.json() if row["id"] == cows.pk)["answers"] == {}
    )


def test_her_fhir_bundle_by_her_own_id_carries_no_total_of_a_struck_result(world, signed_in):
    cows = _struck(world)
    url = f"/api/v1/patients/{world.alice.pk}/assessments/{cows.pk}/fhir"
    response = signed_in("patient").get(url)
    doc = response.json() if response.status_code == 200 else {"entry": []}  # 403 since lane ownapi39
    totals = [e for e in doc["entry"] if e["resource"].get("id") == f"assessment-{cows.pk}-total"]
    assert totals == []


def test_the_result_page_by_her_own_id_shows_her_no_score_of_a_struck_result(world, signed_in):
    cows = _struck(world)
    page = signed_in("patient").get(f"/patients/{world.alice.pk}/assessments/{cows.pk}/").content.decode()
    assert "Score: 37" not in page


def test_the_result_page_by_her_own_id_shows_her_no_typed_reason_of_the_strike(world, signed_in):
    cows = _struck(world)
    page = signed_in("patient").get(f"/patients/{world.alice.pk}/assessments/{cows.pk}/").content.decode()
    assert STRIKE_REASON not in page
