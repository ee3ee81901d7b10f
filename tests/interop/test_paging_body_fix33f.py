"""Lane fix33f (review 33d H6, H7): a search paged past its end says the number of matches (no previous link
there), and a body over the upload limit is answered in the API's JSON (or FHIR's OperationOutcome)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from tests.conftest import World, sign_in
from tests.review33d._setup import post_qr, qr


@pytest.fixture
def nurse(world: World) -> Client:
    return sign_in(Client(), world.staff["nurse"])


def _search(nurse: Client, query: str) -> dict[str, Any]:
    found: dict[str, Any] = nurse.get(f"/fhir/R4/{query}").json()
    return found


def test_observations_past_the_end_total_the_matches(world: World, nurse: Client) -> None:
    post_qr(nurse, world, qr(world))
    whole = _search(nurse, f"Observation?patient={world.alice.pk}&_count=0")["total"]
    assert _search(nurse, f"Observation?patient={world.alice.pk}&_offset=500")["total"] == whole


def test_a_page_past_the_end_has_no_previous_link(world: World, nurse: Client) -> None:
    post_qr(nurse, world, qr(world))
    page = _search(nurse, f"QuestionnaireResponse?patient={world.alice.pk}&_offset=50")
    assert [link["relation"] for link in page["link"]] == ["self"]


def test_the_last_page_inside_the_matches_keeps_its_previous_link(world: World, nurse: Client) -> None:
    post_qr(nurse, world, qr(world, rid="qr-1", authored=(timezone.now() - timedelta(days=3)).isoformat()))
    post_qr(nurse, world, qr(world, rid="qr-2"))
    page = _search(nurse, f"QuestionnaireResponse?patient={world.alice.pk}&_count=1&_offset=1")
    assert (page["total"], [link["relation"] for link in page["link"]]) == (2, ["self", "previous"])


def test_patients_past_the_end_total_the_matches(world: World, nurse: Client) -> None:
    whole = _search(nurse, "Patient?_count=0")["total"]
    assert _search(nurse, "Patient?_offset=900")["total"] == whole


def test_questionnaires_past_the_end_total_the_matches(world: World, nurse: Client) -> None:
    whole = _search(nurse, "Questionnaire?_count=0")["total"]
    assert _search(nurse, "Questionnaire?_offset=900")["total"] == whole


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_a_body_over_the_limit_is_a_413_naming_body(world: World, nurse: Client) -> None:
    doc = qr(world)
    doc["text"] = {"status": "generated", "div": "<div>" + "x" * 20_000 + "</div>"}
    sent = post_qr(nurse, world, doc)
    assert (sent.status_code, [e["field"] for e in sent.json()["errors"]]) == (413, ["body"])


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_a_json_body_over_the_limit_on_any_api_route_is_json(world: World, nurse: Client) -> None:
    sent = nurse.post("/api/v1/me/checkins", {"note": "x" * 20_000}, content_type="application/json")
    assert sent["Content-Type"].startswith("application/json")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_a_body_over_the_limit_on_fhir_is_an_operation_outcome(world: World, nurse: Client) -> None:
    sent = nurse.post("/fhir/R4/QuestionnaireResponse", "x" * 20_000, content_type="application/fhir+json")
    assert (sent.status_code, sent.json()["resourceType"]) == (413, "OperationOutcome")
