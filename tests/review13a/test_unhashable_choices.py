"""Review 13a: the disclosure's choices were looked up in dicts with whatever JSON sent, so a list or an
object where a choice belongs (`"purpose": ["treatment"]`, `"categories": [["medication"]]`,
`"representative_relationship": ["parent"]`, `"recipient_role": ["physician"]`) raised TypeError (a 500)
instead of the field's 422 (the consent API held: its schema refuses them first). Each is now refused by
name, like any other wrong value. Run on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from keel.sharing.models import Consent, Disclosure
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db
RECIPIENT = "Dr. Ruth Example, Valley Primary Care"


def _consent_body(**changes: Any) -> dict[str, Any]:
    return {
        "recipient_name": RECIPIENT,
        "purpose": "treatment",
        "categories": ["medication", "screenings"],
        "expires_on": (date.today() + timedelta(days=200)).isoformat(),
        "signature": "Alicia Zamorano",
        "understood": True,
        **changes,
    }


def _post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def _fields(response: Any) -> list[str]:
    """Every part of every field named ("body.categories.0": body, categories, 0)."""
    return [part for e in response.json()["errors"] for part in str(e["field"]).split(".")]


CONSENT_CASES = [
    ({"purpose": ["treatment"]}, "purpose"),
    ({"categories": [["medication"]]}, "categories"),
    ({"categories": [{"a": 1}]}, "categories"),
    (
        {
            "signer": "representative",
            "representative_name": "Rosa Zamorano",
            "representative_relationship": ["guardian"],
            "representative_authority": "court order 123",
            "signature": "Rosa Zamorano",
        },
        "representative_relationship",
    ),
]


@pytest.mark.parametrize(("changes", "field"), CONSENT_CASES)
def test_a_consent_with_a_list_for_a_choice_is_a_422(
    world: World, changes: dict[str, Any], field: str
) -> None:
    response = _post(sign_in(Client(), world.alice.user), "/api/v1/me/consents", _consent_body(**changes))
    assert response.status_code == 422


@pytest.mark.parametrize(("changes", "field"), CONSENT_CASES)
def test_a_consent_with_a_list_for_a_choice_names_it(
    world: World, changes: dict[str, Any], field: str
) -> None:
    response = _post(sign_in(Client(), world.alice.user), "/api/v1/me/consents", _consent_body(**changes))
    assert field in _fields(response)


@pytest.mark.parametrize(("changes", "field"), CONSENT_CASES)
def test_a_consent_with_a_list_for_a_choice_records_nothing(
    world: World, changes: dict[str, Any], field: str
) -> None:
    _post(sign_in(Client(), world.alice.user), "/api/v1/me/consents", _consent_body(**changes))
    assert not Consent.objects.exists()


DISCLOSURE_CASES = [
    ({"basis": "consent", "recipient_name": RECIPIENT, "purpose": ["treatment"]}, "purpose"),
    (
        {
            "basis": "emergency",
            "recipient_name": "Dr. Sam Lee",
            "recipient_role": ["physician"],
            "recipient_affiliation": "Valley General Hospital emergency department",
            "nature": "unresponsive after an overdose, needs the dose",
            "categories": ["medication"],
        },
        "recipient_role",
    ),
]


@pytest.mark.parametrize(("changes", "field"), DISCLOSURE_CASES)
def test_a_disclosure_with_a_list_for_a_choice_is_a_422(
    world: World, changes: dict[str, Any], field: str
) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    body = {"consent": 1, "password": PASSWORD, **changes}
    response = _post(nurse, f"/api/v1/patients/{world.alice.pk}/disclosures", body)
    assert (response.status_code, field in _fields(response)) == (422, True)


@pytest.mark.parametrize(("changes", "field"), DISCLOSURE_CASES)
def test_a_disclosure_with_a_list_for_a_choice_leaves_nothing(
    world: World, changes: dict[str, Any], field: str
) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    _post(
        nurse,
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        {"consent": 1, "password": PASSWORD, **changes},
    )
    assert not Disclosure.objects.exists()
