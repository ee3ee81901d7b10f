"""Lane fix33e (review 33c hole 4): a result entered in error is corrected, never edited.

A correction marks a result "entered in error" (it no longer counts anywhere) or gives the corrected
answers (scored again), with who, when and a required reason; the original row is kept. Routes: the API
(`POST /api/v1/patients/{id}/assessments/{id}/corrections`) and the result page's form. Ways around it
tried here: a double submit, a correction after the mark, both kinds at once, neither, an empty or blank
reason, another person's assessment by id, a patient on their own record, another program's staff.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.assessments import queries
from keel.assessments.models import Assessment, AssessmentCorrection
from keel.assessments.services import submit_assessment
from keel.audit.models import AuditEvent
from keel.treatment.readiness import buprenorphine_readiness
from tests.conftest import World, sign_in
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db

LOW = {
    "pulse": 1,
    "sweating": 1,
    "restlessness": 1,
    "pupils": 1,
    "aches": 1,
    "nose_eyes": 0,
    "gi_upset": 0,
    "tremor": 0,
    "yawning": 0,
    "anxiety": 0,
    "gooseflesh": 0,
}
HIGH = {**LOW, "pulse": 4, "sweating": 4, "restlessness": 5, "pupils": 5, "aches": 4, "gi_upset": 3}
WRONG_PERSON = "charted on the wrong person"
WRONG_COLUMN = "picked the wrong column on the form"


def _cows(world: World, answers: dict[str, int], minutes_ago: int) -> Assessment:
    made, _ = submit_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        instrument="cows",
        answers=answers,
        filled_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    return made


def _path(patient_id: int, assessment_id: int) -> str:
    return f"/api/v1/patients/{patient_id}/assessments/{assessment_id}/corrections"


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    body = {"correction_version": 0, **body}  # the version read: none (clin34: required)
    return client.post(path, json.dumps(body), content_type="application/json")


def _strike(world: World, role: str, a: Assessment, reason: str = WRONG_PERSON) -> Any:
    client = sign_in(Client(), world.user(role))
    return _post(client, _path(a.patient_id, a.pk), {"entered_in_error": True, "reason": reason})


@pytest.mark.parametrize("role", ["nurse", "prescriber", "counselor"])
def test_the_care_team_marks_a_result_entered_in_error(world: World, role: str) -> None:
    wrong = _cows(world, HIGH, 5)
    assert _strike(world, role, wrong).status_code == 201


def test_the_mark_names_who_and_why_and_keeps_the_original(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    _strike(world, "nurse", wrong)
    fix = AssessmentCorrection.objects.get(assessment=wrong)
    assert (fix.corrected_by, fix.reason) == (world.staff["nurse"], WRONG_PERSON)
    assert Assessment.objects.get(pk=wrong.pk).total == wrong.total


def test_the_mark_is_audited_without_the_typed_reason(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    _strike(world, "nurse", wrong)
    row = AuditEvent.objects.filter(target_type="assessment_correction").get()
    assert (row.action, row.patient_id, row.reason) == ("create", world.alice.pk, "entered in error")


def test_a_patient_may_not_correct_a_result_on_their_own_record(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    assert _strike(world, "patient", wrong).status_code == 403


def test_a_patient_is_refused_on_their_own_self_report_too(world: World) -> None:
    own, _ = submit_assessment(
        by=world.alice.user,
        patient_id=None,
        instrument="phq9",
        answers={f"phq9_{i}": 0 for i in range(1, 10)},
    )
    assert _strike(world, "patient", own).status_code == 403


def test_another_programs_nurse_gets_404(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    client = sign_in(Client(), world.lakeside_nurse)
    body = {"entered_in_error": True, "reason": WRONG_PERSON}
    assert _post(client, _path(wrong.patient_id, wrong.pk), body).status_code == 404


def test_another_persons_assessment_by_id_is_404(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    client = sign_in(Client(), world.staff["nurse"])
    body = {"entered_in_error": True, "reason": WRONG_PERSON}
    assert _post(client, _path(world.bob.pk, wrong.pk), body).status_code == 404


def test_a_second_mark_is_409_and_writes_nothing(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    _strike(world, "nurse", wrong)
    again = _strike(world, "prescriber", wrong)
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "entered_in_error"
    assert AssessmentCorrection.objects.filter(assessment=wrong).count() == 1


def test_a_correction_after_the_mark_is_409(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    _strike(world, "nurse", wrong)
    client = sign_in(Client(), world.staff["nurse"])
    response = _post(client, _path(wrong.patient_id, wrong.pk), {"answers": LOW, "reason": WRONG_COLUMN})
    assert response.status_code == 409


@pytest.mark.parametrize("reason", ["", "   ", "x"])
def test_no_reason_is_422_naming_reason(world: World, reason: str) -> None:
    wrong = _cows(world, HIGH, 5)
    response = _strike(world, "nurse", wrong, reason=reason)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["reason"]


def test_a_missing_reason_is_422_naming_reason(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    client = sign_in(Client(), world.staff["nurse"])
    response = _post(client, _path(wrong.patient_id, wrong.pk), {"entered_in_error": True})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["reason"]


@pytest.mark.parametrize(
    "body",
    [{"entered_in_error": True, "answers": LOW}, {}],
    ids=["both", "neither"],
)
def test_both_kinds_or_neither_is_422_naming_answers(world: World, body: dict[str, Any]) -> None:
    wrong = _cows(world, HIGH, 5)
    client = sign_in(Client(), world.staff["nurse"])
    response = _post(client, _path(wrong.patient_id, wrong.pk), {**body, "reason": WRONG_COLUMN})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["answers"]


def test_bad_corrected_answers_are_422_naming_the_item(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    client = sign_in(Client(), world.staff["nurse"])
    body = {"answers": {**LOW, "pulse": 3}, "reason": WRONG_COLUMN}
    response = _post(client, _path(wrong.patient_id, wrong.pk), body)
    assert response.status_code == 422
    assert "answers.pulse" in [e["field"] for e in response.json()["errors"]]
    assert not AssessmentCorrection.objects.exists()


def test_the_latest_cows_skips_one_entered_in_error(world: World) -> None:
    earlier = _cows(world, LOW, 30)
    wrong = _cows(world, HIGH, 5)
    _strike(world, "nurse", wrong)
    found = queries.latest(world.alice, "cows")
    assert found is not None and found.pk == earlier.pk


def test_the_latest_cows_says_the_corrected_score(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    client = sign_in(Client(), world.staff["nurse"])
    _post(client, _path(wrong.patient_id, wrong.pk), {"answers": LOW, "reason": WRONG_COLUMN})
    found = queries.latest(world.alice, "cows")
    assert found is not None and found.total == 5


def test_readiness_reads_the_earlier_cows_after_the_mark(world: World) -> None:
    earlier = _cows(world, LOW, 30)
    wrong = _cows(world, HIGH, 5)
    _strike(world, "prescriber", wrong)
    cows = buprenorphine_readiness(world.alice, timezone.now()).cows
    assert cows is not None and cows.pk == earlier.pk


def test_readiness_needs_a_cows_when_the_only_one_is_struck(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    _strike(world, "prescriber", wrong)
    assert "cows" in buprenorphine_readiness(world.alice, timezone.now()).missing


def test_readiness_reads_the_corrected_score(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    client = sign_in(Client(), world.staff["prescriber"])
    _post(client, _path(wrong.patient_id, wrong.pk), {"answers": LOW, "reason": WRONG_COLUMN})
    cows = buprenorphine_readiness(world.alice, timezone.now()).cows
    assert cows is not None and cows.total == 5


def test_the_fhir_response_says_entered_in_error_and_stays_valid(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    _strike(world, "nurse", wrong)
    client = sign_in(Client(), world.staff["nurse"])
    bundle = client.get(f"/api/v1/patients/{world.alice.pk}/assessments/{wrong.pk}/fhir").json()
    assert_valid_r4(bundle)
    statuses = {e["resource"]["resourceType"]: e["resource"].get("status") for e in bundle["entry"]}
    assert (statuses["QuestionnaireResponse"], statuses["Observation"]) == ("entered-in-error",) * 2


def test_the_fhir_response_says_amended_with_the_corrected_total(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    client = sign_in(Client(), world.staff["nurse"])
    _post(client, _path(wrong.patient_id, wrong.pk), {"answers": LOW, "reason": WRONG_COLUMN})
    bundle = client.get(f"/api/v1/patients/{world.alice.pk}/assessments/{wrong.pk}/fhir").json()
    assert_valid_r4(bundle)
    total = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"].endswith("-total"))
    assert (total["status"], total["valueInteger"]) == ("amended", 5)


def test_the_api_list_keeps_the_struck_result_said_so(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    _strike(world, "nurse", wrong)
    client = sign_in(Client(), world.staff["nurse"])
    rows = client.get(f"/api/v1/patients/{world.alice.pk}/assessments").json()
    assert [r["status"] for r in rows] == ["entered-in-error"]


def test_the_timeline_leaves_out_a_struck_result(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    _strike(world, "nurse", wrong)
    client = sign_in(Client(), world.staff["nurse"])
    events = client.get(f"/api/v1/patients/{world.alice.pk}/timeline").json()
    assert not [e for e in events["events"] if e["kind"] == "assessment"]


def test_the_flowsheet_charts_no_struck_result_and_her_own_lists_none(world: World) -> None:
    # review 39c hole 1 (lane fixrec39): the care team's list keeps the struck row, marked; the chart and
    # her own view leave it out, as this test once said of the whole page
    _cows(world, LOW, 30)
    wrong = _cows(world, HIGH, 5)
    _strike(world, "nurse", wrong)
    client = sign_in(Client(), world.staff["nurse"])
    page = client.get(f"/patients/{world.alice.pk}/flowsheet/cows/").content.decode()
    assert f"/assessments/{wrong.pk}/" in page and "entered in error" in page
    assert "1 score from" in page
    own = sign_in(Client(), world.alice.user).get(f"/patients/{world.alice.pk}/flowsheet/cows/")
    assert f"/assessments/{wrong.pk}/" not in own.content.decode()


# --- The page ---------------------------------------------------------------------------------------------


def _page(patient_id: int, assessment_id: int) -> str:
    return f"/patients/{patient_id}/assessments/{assessment_id}/corrections/"


def test_the_result_page_offers_the_correction_to_the_nurse(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    client = sign_in(Client(), world.staff["nurse"])
    page = client.get(f"/patients/{world.alice.pk}/assessments/{wrong.pk}/").content.decode()
    assert _page(world.alice.pk, wrong.pk) in page


def test_the_page_marks_a_result_entered_in_error(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    client = sign_in(Client(), world.staff["nurse"])
    response = client.post(_page(world.alice.pk, wrong.pk), {"kind": "error", "reason": WRONG_PERSON})
    assert response.status_code == 302
    assert AssessmentCorrection.objects.get(assessment=wrong).entered_in_error


def test_the_page_corrects_the_answers(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    client = sign_in(Client(), world.staff["nurse"])
    client.post(_page(world.alice.pk, wrong.pk), {"kind": "answers", "reason": WRONG_COLUMN, **LOW})
    assert AssessmentCorrection.objects.get(assessment=wrong).total == 5


def test_the_page_without_a_reason_is_shown_again_with_422(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    client = sign_in(Client(), world.staff["nurse"])
    response = client.post(_page(world.alice.pk, wrong.pk), {"kind": "error", "reason": ""})
    assert response.status_code == 422
    assert not AssessmentCorrection.objects.exists()


def test_a_double_submit_on_the_page_is_409(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    client = sign_in(Client(), world.staff["nurse"])
    client.post(_page(world.alice.pk, wrong.pk), {"kind": "error", "reason": WRONG_PERSON})
    again = client.post(_page(world.alice.pk, wrong.pk), {"kind": "error", "reason": WRONG_PERSON})
    assert again.status_code == 409
    assert AssessmentCorrection.objects.filter(assessment=wrong).count() == 1


def test_the_page_refuses_a_patient_with_403(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    client = sign_in(Client(), world.alice.user)
    response = client.post(_page(world.alice.pk, wrong.pk), {"kind": "error", "reason": WRONG_PERSON})
    assert response.status_code == 403


def test_the_struck_result_page_says_so_in_spanish(world: World) -> None:
    wrong = _cows(world, HIGH, 5)
    _strike(world, "nurse", wrong)
    client = sign_in(Client(), world.staff["nurse"])
    page = client.get(
        f"/patients/{world.alice.pk}/assessments/{wrong.pk}/", HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert "Registrado por error" in page
