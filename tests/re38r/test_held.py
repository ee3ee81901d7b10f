"""Re-attack 38r: what held (passing). Each names the route and the case pressed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel.accounts.models import Program
from keel.assessments.models import Assessment
from keel.assessments.services import correct_assessment, submit_assessment
from keel.patients.models import Enrollment, local_today
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38d.test_hole_4 import COWS_OF_ROBERTO


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


PHQ9 = {f"phq9_{i}": 1 for i in range(1, 10)}


def _in_new_york_died_two_days_ago(world):
    Program.objects.filter(pk=world.alice.program_id).update(time_zone="America/New_York")
    world.alice.refresh_from_db()
    world.alice.program.refresh_from_db()
    died = local_today(world.alice) - timedelta(days=2)
    Enrollment.objects.filter(patient=world.alice).update(
        status="ended", ended_on=died, end_reason="deceased"
    )
    return died


def _file(world, signed_in, filled_at: str):
    url = f"/api/v1/patients/{world.alice.pk}/assessments"
    body = {"instrument": "phq9", "answers": PHQ9, "filled_at": filled_at}
    return signed_in("counselor").post(url, body, content_type="application/json")


def test_a_result_at_23_30_new_york_time_on_the_death_day_is_accepted(world, signed_in):
    died = _in_new_york_died_two_days_ago(world)
    assert _file(world, signed_in, f"{died}T23:30:00-05:00").status_code == 201


def test_a_result_at_00_30_new_york_time_the_day_after_the_death_is_refused(world, signed_in):
    died = _in_new_york_died_two_days_ago(world)
    assert _file(world, signed_in, f"{died + timedelta(days=1)}T00:30:00-05:00").status_code == 422


def test_a_result_refused_after_the_death_writes_nothing(world, signed_in):
    died = _in_new_york_died_two_days_ago(world)
    _file(world, signed_in, f"{died + timedelta(days=1)}T00:30:00-05:00")
    assert not Assessment.objects.filter(patient=world.alice).exists()


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


def test_her_fhir_read_by_id_of_a_struck_results_total_is_not_found(world, signed_in):
    cows = _struck(world)
    response = signed_in("patient").get(f"/fhir/R4/Observation/assessment-{cows.pk}-total")
    assert response.status_code == 404


def test_her_record_file_carries_no_answers_of_a_struck_result(world, signed_in):
    cows = _struck(world)
    doc = signed_in("patient").get("/me/record.fhir.json").json()
    [response] = [e["resource"] for e in doc["entry"] if e["resource"].get("id") == f"assessment-{cows.pk}"]
    assert "item" not in response


def test_her_own_filing_by_the_api_stores_her_role(world, signed_in):
    body = {"instrument": "phq9", "answers": PHQ9}
    made = signed_in("patient").post("/api/v1/me/assessments", body, content_type="application/json")
    assert Assessment.objects.get(pk=made.json()["id"]).filled_by_role == "patient"


def test_staff_may_not_rewrite_her_own_filing_through_the_api(world, signed_in):
    body = {"instrument": "phq9", "answers": PHQ9}
    made = signed_in("patient").post("/api/v1/me/assessments", body, content_type="application/json").json()
    url = f"/api/v1/patients/{world.alice.pk}/assessments/{made['id']}/corrections"
    fix = {"answers": PHQ9 | {"phq9_9": 0}, "reason": "Item 9 on the paper form was keyed wrong"}
    response = signed_in("prescriber").post(
        url, fix | {"correction_version": 0}, content_type="application/json"
    )
    assert response.status_code == 422
