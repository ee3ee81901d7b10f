"""A 422's reasons in the request's language (issue #17, lane shape17o): the unknown key of a
`keel.schemas.In` body ("not an input of this rule", `keel.api`'s 422 handler) and a rule's inputs
(`keel.core.rules.inputs`, whose bounds were f-strings no catalogue could hold) are said in Spanish to a
request that asks for it (Accept-Language: es), and in the same English as before to any other."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from keel.core.rules.inputs import Field, InvalidInput, parse
from keel.web import field_words
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def _reasons(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.content
    return [(e["field"], e["reason"]) for e in response.json()["errors"]]


def _token_with_a_misspelt_key(**headers: str) -> Any:
    body = {"username": "alice", "password": "wrong password 123", "expires_in": 7}
    return Client().post("/api/v1/auth/tokens", json.dumps(body), content_type="application/json", **headers)


def test_an_unknown_key_is_said_in_spanish() -> None:
    response = _token_with_a_misspelt_key(HTTP_ACCEPT_LANGUAGE="es")
    assert _reasons(response) == [("expires_in", "no es un dato de esta regla")]


def test_an_unknown_key_is_said_in_english_as_before() -> None:
    assert _reasons(_token_with_a_misspelt_key()) == [("expires_in", "not an input of this rule")]


def test_an_unknown_key_is_said_in_english_to_an_english_reader() -> None:
    response = _token_with_a_misspelt_key(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert _reasons(response) == [("expires_in", "not an input of this rule")]


def test_pydantics_checks_are_said_in_spanish_too() -> None:
    """Lane es21: pydantic's checks of a body have Spanish words (`keel.web.field_words.pydantic_said`; they
    stayed in pydantic's English before); an English request keeps pydantic's sentence."""
    body = {"username": "alice", "password": "x", "expires_in_days": 500}
    response = Client().post(
        "/api/v1/auth/tokens", json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE="es"
    )
    assert _reasons(response) == [("expires_in_days", "debe ser como máximo 90")]
    english = Client().post("/api/v1/auth/tokens", json.dumps(body), content_type="application/json")
    assert _reasons(english) == [("expires_in_days", "Input should be less than or equal to 90")]


def _rule(world: World, inputs: dict[str, object], **headers: str) -> Any:
    client = sign_in(Client(), world.staff["nurse"])
    return client.post(
        "/api/v1/rules/qtc-monitoring",
        json.dumps({"input": inputs}),
        content_type="application/json",
        **headers,
    )


@pytest.mark.parametrize(
    ("value", "english", "spanish"),
    [
        (5000, "must be at most 800", "debe ser como máximo 800"),
        (5, "must be at least 200", "debe ser como mínimo 200"),
        (10**20, "must be at most 800", "debe ser como máximo 800"),
        ("long", "must be a number", "debe ser un número"),
    ],
)
def test_a_rules_bad_input_in_each_language(world: World, value: object, english: str, spanish: str) -> None:
    inputs = {"qtc_ms": value, "nope": 1}
    en = dict(_reasons(_rule(world, inputs)))
    es = dict(_reasons(_rule(world, inputs, HTTP_ACCEPT_LANGUAGE="es")))
    assert (en["input.qtc_ms"], en["input.nope"]) == (english, "not an input of this rule")
    assert (es["input.qtc_ms"], es["input.nope"]) == (spanish, "no es un dato de esta regla")


@pytest.mark.parametrize(
    ("field", "value", "english", "spanish"),
    [
        (Field("f", "choice", choices=("a", "b")), "c", "must be one of a, b", "debe ser uno de a, b"),
        (
            Field("f", "choices", choices=("a", "b")),
            ["c", "d"],
            "c, d not one of a, b",
            "c, d no está entre a, b",
        ),
        (
            Field("f", "text", maximum=3),
            "abcd",
            "must be at most 3 characters",
            "debe tener como máximo 3 caracteres",
        ),
        (Field("f", "number", minimum=0.5), 0.1, "must be at least 0.5", "debe ser como mínimo 0.5"),
        (Field("f", "integer", minimum=1), -(10**20), "must be at least 1", "debe ser como mínimo 1"),
        (
            Field("f", "integer", maximum=9),
            -(10**20),
            "must be a number of at most 15 digits",
            "debe ser un número de 15 cifras como máximo",
        ),
        (Field("f", "bool"), "yes", "must be true or false", "debe ser verdadero o falso"),
    ],
)
def test_each_problem_of_a_cores_field_in_each_language(
    field: Field, value: object, english: str, spanish: str
) -> None:
    """The English as the f-strings said it (the API's, the audit trail's); the Spanish from the template."""
    with pytest.raises(InvalidInput) as caught:
        parse((field,), {"f": value})
    (error,) = caught.value.errors
    assert (error.field, error.reason) == ("f", english)
    with translation.override("es"):
        assert field_words.said(error) == spanish
