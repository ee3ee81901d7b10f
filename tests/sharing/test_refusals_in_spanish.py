"""A disclosure the consent refuses is said in the reader's language on the page (issue #17: the core's words
marked at their source). The API keeps its English reason word for word."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
LATER = datetime(2027, 6, 2, 17, 0, tzinfo=UTC)
RECIPIENT = "Dr. Ruth Example, Valley Primary Care"
CONSENT = {
    "recipient_name": RECIPIENT,
    "purpose": "treatment",
    "categories": ["medication"],
    "expires_on": "2027-05-31",
    "signature": "Alicia Zamorano",
    "understood": True,
}


def _consent(world: World) -> int:
    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(), world.alice.user)
        response = client.post("/api/v1/me/consents", json.dumps(CONSENT), content_type="application/json")
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _disclose_page(world: World, consent_id: int, language: str) -> Any:
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {
        "basis": "consent",
        "consent": str(consent_id),
        "password": PASSWORD,
        "recipient_name": RECIPIENT,
        "purpose": "treatment",
    }
    return nurse.post(f"/patients/{world.alice.pk}/sharing/disclose/", body, HTTP_ACCEPT_LANGUAGE=language)


def test_an_ended_consent_is_said_in_spanish_on_the_page(world: World) -> None:
    consent = _consent(world)
    with time_machine.travel(LATER, tick=False):
        body = _disclose_page(world, consent, "es").content.decode()
    assert "Este consentimiento terminó el 31 de mayo de 2027." in body  # the day in words (lane words34)


def test_an_ended_consent_is_not_said_in_english_on_the_spanish_page(world: World) -> None:
    consent = _consent(world)
    with time_machine.travel(LATER, tick=False):
        body = _disclose_page(world, consent, "es").content.decode()
    assert "This consent ended on" not in body


def test_an_ended_consent_is_said_in_english_on_the_english_page(world: World) -> None:
    consent = _consent(world)
    with time_machine.travel(LATER, tick=False):
        body = _disclose_page(world, consent, "en").content.decode()
    assert "This consent ended on May 31, 2027." in body  # the day in words (lane words34)


def test_the_api_says_the_reason_in_the_request_language(world: World) -> None:
    """Session 21 (lane es21): the API's errors follow the request's language, as the pages do; the field
    key stays English."""
    consent = _consent(world)
    body = {"basis": "consent", "consent": consent, "password": PASSWORD, "recipient_name": RECIPIENT}
    with time_machine.travel(LATER, tick=False):
        nurse = sign_in(Client(), world.staff["nurse"])
        response = nurse.post(
            f"/api/v1/patients/{world.alice.pk}/disclosures",
            json.dumps({**body, "purpose": "treatment"}),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="es",
        )
    assert response.json()["errors"] == [
        {"field": "consent", "reason": "Este consentimiento terminó el 2027-05-31."}
    ]
