"""Lane es21 (item 3): the JSON API's error words follow the request's language as the pages do. Before
this, a request sent with `Accept-Language: es` got its 422 in English: the message was an English literal,
pydantic's checks of a body said "Input should be ...", and the words a service or the core marked for the
catalogue (`FieldsInvalid`: "is not valid JSON", a flag's note) were sent as written. Now the message, every
reason and the 401/404 words are Spanish to a Spanish request; each `field` stays the body's key as sent (a
machine key), and an English request (or one that asks for no language) gets the same English as before,
pydantic's own sentences byte for byte."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from keel.web.field_words import PYDANTIC, PYDANTIC_ONE, pydantic_said
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}


def _token(body: Any, **headers: str) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body)
    return Client().post("/api/v1/auth/tokens", raw, content_type="application/json", **headers)


def _errors(response: Any) -> tuple[str, dict[str, str]]:
    assert response.status_code == 422, response.content
    body = response.json()
    return body["message"], {e["field"]: e["reason"] for e in body["errors"]}


BAD = {"username": 5, "password": "", "expires_in_days": 500, "name": "x" * 101}


def test_pydantics_checks_are_said_in_spanish_with_the_fields_unchanged() -> None:
    message, errors = _errors(_token(BAD, **SPANISH))
    assert message == "Algunos campos no son válidos."
    assert errors == {
        "username": "debe ser texto",
        "password": "no puede estar vacío",
        "expires_in_days": "debe ser como máximo 90",
        "name": "debe tener como máximo 100 caracteres",
    }


def test_pydantics_checks_stay_in_pydantics_english_to_an_english_request() -> None:
    for headers in ({}, {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}):
        message, errors = _errors(_token(BAD, **headers))
        assert message == "Some fields are not valid."
        assert errors == {
            "username": "Input should be a valid string",
            "password": "String should have at least 1 character",
            "expires_in_days": "Input should be less than or equal to 90",
            "name": "String should have at most 100 characters",
        }


def test_a_missing_field_and_a_lower_bound_in_each_language() -> None:
    body = {"password": "x", "expires_in_days": 0}
    _, english = _errors(_token(body))
    _, spanish = _errors(_token(body, **SPANISH))
    assert english == {
        "username": "Field required",
        "expires_in_days": "Input should be greater than or equal to 1",
    }
    assert spanish == {"username": "falta: es obligatorio", "expires_in_days": "debe ser como mínimo 1"}


def test_a_body_that_is_not_json_in_each_language() -> None:
    assert _errors(_token(b"{not json")) == ("Some fields are not valid.", {"body": "is not valid JSON"})
    assert _errors(_token(b"{not json", **SPANISH)) == (
        "Algunos campos no son válidos.",
        {"body": "no es JSON válido"},
    )


def test_an_unknown_key_beside_a_bad_type_in_spanish() -> None:
    _, errors = _errors(
        _token({"username": "alice", "password": "x", "expires_in_days": "7", "nope": 1}, **SPANISH)
    )
    assert errors == {"expires_in_days": "debe ser un número entero", "nope": "no es un dato de esta regla"}


def test_the_401_and_404_words_in_each_language(world: World) -> None:
    assert Client().get("/api/v1/me").json()["message"] == "Sign in or send a valid API token."
    assert (
        Client().get("/api/v1/me", **SPANISH).json()["message"]
        == "Inicie sesión o envíe un token de API válido."
    )
    client = sign_in(Client(), world.staff["nurse"])
    assert client.get("/api/v1/patients/999999999").json()["message"] == "Not found."
    assert client.get("/api/v1/patients/999999999", **SPANISH).json()["message"] == "No se encontró."


def test_a_flags_missing_note_in_each_language(world: World) -> None:
    """A service's own words (`FlagError`, marked `N_`), as the care team's page says them."""
    from keel.patients.models import PatientFlag

    flag = PatientFlag.objects.create(
        patient=world.alice,
        kind="silence",
        priority=2,
        reasons=["No check-in for 7 days"],
        source_type="checkin",
        source_id=1,
        raised_at=timezone.now(),
    )
    client = sign_in(Client(), world.staff["counselor"])
    url = f"/api/v1/patients/{world.alice.pk}/flags/{flag.pk}/resolve"
    english = client.post(url, json.dumps({"note": " "}), content_type="application/json")
    spanish = client.post(url, json.dumps({"note": " "}), content_type="application/json", **SPANISH)
    assert _errors(english) == (
        "Some fields are not valid.",
        {"note": "write what was done (a note is required to resolve a flag)"},
    )
    assert _errors(spanish) == (
        "Algunos campos no son válidos.",
        {"note": "escriba lo que se hizo (hace falta una nota para resolver una alerta)"},
    )


@pytest.mark.parametrize("kind", sorted(PYDANTIC))
def test_every_listed_pydantic_error_has_spanish_words(kind: str) -> None:
    ctx = {
        "le": 9,
        "ge": 1,
        "lt": 9,
        "gt": 1,
        "min_length": 2,
        "max_length": 3,
        "expected": "'a' or 'b'",
        "pattern": "x",
    }
    error = {"type": kind, "msg": "English", "ctx": ctx}
    with translation.override("es"):
        spanish = pydantic_said(error)
    with translation.override("en"):
        assert pydantic_said(error) == "English"  # pydantic's own sentence, untouched
    assert spanish != "English" and "%(" not in spanish


def test_a_bound_of_one_and_a_list_of_choices_in_spanish() -> None:
    with translation.override("es"):
        for kind in PYDANTIC_ONE:
            assert "%(" not in pydantic_said(
                {"type": kind, "msg": "x", "ctx": {"min_length": 1, "max_length": 1}}
            )
        choice = {"type": "literal_error", "msg": "x", "ctx": {"expected": "'daily', 'weekly' or 'monthly'"}}
        assert pydantic_said(choice) == "debe ser 'daily', 'weekly' o 'monthly'"
        assert pydantic_said({"type": "some_new_type", "msg": "As pydantic says it"}) == "As pydantic says it"
