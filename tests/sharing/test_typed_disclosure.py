"""The disclosure body typed (issue #17): `DisclosureIn` is the core's field list (`core.sharing.DISCLOSURE`)
checked by `core.sharing.parse_disclosure`; the API and the page parse through it, each step refused alone."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.audit.models import AuditEvent
from keel.core import sharing as core
from keel.core.rules.inputs import InvalidInput, json_schema
from keel.sharing.schemas import DisclosureIn
from tests.conftest import World, sign_in

BAD: list[dict[str, Any]] = [
    {},
    {"basis": 3, "categories": 5},
    {"basis": "consent", "categories": "checkins"},
    {"basis": "consent", "categories": ["record"]},
    {"basis": "consent", "recipient_name": 5, "purpose": "zz"},
    {"basis": "emergency", "recipient_role": "x", "nature": "short", "categories": ["checkins"]},
]


def _errors(raw: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        DisclosureIn.parse(raw)
    return [(e.field, e.reason) for e in caught.value.errors]


def test_the_model_is_the_core_field_list() -> None:
    assert list(DisclosureIn.model_fields) == [f.name for f in core.DISCLOSURE]


def test_a_wrong_basis_is_refused_before_anything_else() -> None:
    assert _errors({"basis": "x", "categories": 5}) == [("basis", "must be consent or emergency")]


def test_the_whole_record_is_refused_before_the_terms() -> None:
    assert _errors({"basis": "consent", "categories": ["record"]}) == [
        ("categories", "the whole record leaves only as the record export")
    ]


def test_wrong_terms_are_refused_as_terms() -> None:
    with pytest.raises(core.TermsInvalid):
        DisclosureIn.parse({"basis": "consent"})


def test_a_consent_request_keeps_what_was_asked_and_the_consent_named() -> None:
    body = DisclosureIn.parse(
        {
            "basis": "consent",
            "consent": "12",
            "categories": ["checkins"],
            "recipient_name": " Dr  A ",
            "purpose": "treatment",
            "password": "pw",
        }
    )
    assert (body.consent, body.categories, body.request()) == (
        12,
        ["checkins"],
        core.DisclosureRequest("Dr A", "treatment", ""),
    )


def test_a_password_that_is_not_text_is_empty() -> None:
    body = DisclosureIn.parse(
        {"basis": "consent", "recipient_name": "Dr A", "purpose": "treatment", "password": 5}
    )
    assert body.password == ""


@pytest.mark.django_db
@pytest.mark.parametrize("raw", BAD)
def test_the_api_422_is_the_core_errors_word_for_word(world: World, raw: dict[str, Any]) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    response = nurse.post(
        f"/api/v1/patients/{world.alice.pk}/disclosures", json.dumps(raw), content_type="application/json"
    )
    assert response.json() == {
        "message": "Some fields are not valid.",
        "errors": [{"field": f, "reason": r} for f, r in _errors(raw)],
    }


@pytest.mark.django_db
def test_who_may_not_disclose_is_refused_before_the_body_is_judged(world: World) -> None:
    peer = sign_in(Client(), world.staff["program_admin"])
    response = peer.post(
        f"/api/v1/patients/{world.alice.pk}/disclosures", "{}", content_type="application/json"
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_the_refusal_before_the_body_is_audited(world: World) -> None:
    peer = sign_in(Client(), world.staff["program_admin"])
    peer.post(f"/api/v1/patients/{world.alice.pk}/disclosures", "{}", content_type="application/json")
    assert AuditEvent.objects.filter(reason="role may not disclose").exists()


@pytest.mark.django_db
def test_the_openapi_body_is_a_component_with_the_core_schema() -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    body = doc["paths"]["/api/v1/patients/{patient_id}/disclosures"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/DisclosureIn"}
    assert doc["components"]["schemas"]["DisclosureIn"] == {
        "title": "DisclosureIn",
        **json_schema(core.DISCLOSURE),
    }
