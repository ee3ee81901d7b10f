"""Lane fix38j item 1: a result struck as entered in error reaches her through /fhir/R4 (her own token or her
session) as it reaches her own copy (/api/v1/me/fhir, lane fix38d): the QuestionnaireResponse kept, entered in
error, with no answers, and none of its Observations; on a read by id, a search and `$everything` alike. The
care team's reads keep the struck content (`Record.own` decided once, from who reads)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from keel.accounts.services.tokens import create_token
from keel.assessments.models import Assessment
from keel.assessments.services import correct_assessment, submit_assessment
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38d.test_hole_4 import COWS_OF_ROBERTO

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _struck(world: World) -> Assessment:
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


def _her_token(world: World) -> Client:
    secret = create_token(user=world.alice.user, name="my app").secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _her_session(world: World) -> Client:
    return sign_in(Client(), world.alice.user)


HER = {"token": _her_token, "session": _her_session}


def _entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in body.get("entry", [])]


def _of(resources: list[dict[str, Any]], cows: Assessment) -> list[dict[str, Any]]:
    return [x for x in resources if x.get("id", "").startswith(f"assessment-{cows.pk}")]


@pytest.mark.parametrize("way", HER)
def test_her_read_of_a_struck_response_says_entered_in_error(world: World, way: str) -> None:
    cows = _struck(world)
    body = HER[way](world).get(f"/fhir/R4/QuestionnaireResponse/assessment-{cows.pk}").json()
    assert body["status"] == "entered-in-error"


@pytest.mark.parametrize("way", HER)
def test_her_read_of_a_struck_response_carries_no_answers(world: World, way: str) -> None:
    cows = _struck(world)
    body = HER[way](world).get(f"/fhir/R4/QuestionnaireResponse/assessment-{cows.pk}").json()
    assert "item" not in body


@pytest.mark.parametrize("way", HER)
def test_her_search_of_responses_carries_no_answers_of_a_struck_one(world: World, way: str) -> None:
    cows = _struck(world)
    body = HER[way](world).get("/fhir/R4/QuestionnaireResponse").json()
    [response] = _of(_entries(body), cows)
    assert "item" not in response


@pytest.mark.parametrize("way", HER)
def test_her_paged_search_carries_no_answers_of_a_struck_one(world: World, way: str) -> None:
    cows = _struck(world)
    body = HER[way](world).get("/fhir/R4/QuestionnaireResponse", {"_count": 1}).json()
    assert [x for x in _of(_entries(body), cows) if "item" in x] == []


@pytest.mark.parametrize("way", HER)
def test_her_read_of_a_struck_results_observation_is_not_found(world: World, way: str) -> None:
    cows = _struck(world)
    staff_view = sign_in(Client(), world.staff["nurse"]).get(
        "/fhir/R4/Observation", {"patient": world.alice.pk}
    )
    [first, *_] = _of(_entries(staff_view.json()), cows)
    assert HER[way](world).get(f"/fhir/R4/Observation/{first['id']}").status_code == 404


@pytest.mark.parametrize("way", HER)
def test_her_search_of_observations_leaves_out_a_struck_results(world: World, way: str) -> None:
    cows = _struck(world)
    body = HER[way](world).get("/fhir/R4/Observation").json()
    assert _of(_entries(body), cows) == []


@pytest.mark.parametrize("way", HER)
def test_her_everything_carries_no_observation_of_a_struck_result(world: World, way: str) -> None:
    cows = _struck(world)
    body = HER[way](world).get(f"/fhir/R4/Patient/{world.alice.pk}/$everything").json()
    assert [x for x in _of(_entries(body), cows) if x["resourceType"] == "Observation"] == []


@pytest.mark.parametrize("way", HER)
def test_her_everything_carries_no_answers_of_a_struck_result(world: World, way: str) -> None:
    cows = _struck(world)
    body = HER[way](world).get(f"/fhir/R4/Patient/{world.alice.pk}/$everything").json()
    assert [x for x in _of(_entries(body), cows) if "item" in x] == []


def test_the_care_teams_read_keeps_the_struck_answers(world: World) -> None:
    cows = _struck(world)
    nurse = sign_in(Client(), world.staff["nurse"])
    body = nurse.get(f"/fhir/R4/QuestionnaireResponse/assessment-{cows.pk}").json()
    assert "item" in body


def test_the_care_teams_search_keeps_the_struck_observations(world: World) -> None:
    cows = _struck(world)
    nurse = sign_in(Client(), world.staff["nurse"])
    body = nurse.get("/fhir/R4/Observation", {"patient": world.alice.pk}).json()
    assert _of(_entries(body), cows) != []
