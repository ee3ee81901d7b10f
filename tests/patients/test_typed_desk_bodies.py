"""The desk's bodies typed (issue #17): `SecondFactorResetIn`, `ResetCodeIn` and `ActivationCodeIn` are the
core's field lists (`keel.core.desk`) checked by its parsers; the API's 422 names each field in the caller's
language, as it did when the service wrote the words itself."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.core import desk
from keel.core.rules.inputs import InvalidInput, json_schema
from keel.patients.schemas import ActivationCodeIn, ResetCodeIn, SecondFactorResetIn
from tests.conftest import World, sign_in

URL = "/api/v1/patients/{}/second-factor/reset"


def _post(client: Client, patient: Any, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(URL.format(patient.pk), json.dumps(body), content_type="application/json", **headers)


def test_the_model_is_the_core_field_list() -> None:
    assert list(SecondFactorResetIn.model_fields) == [f.name for f in desk.SECOND_FACTOR_RESET]


def test_parse_folds_the_reason() -> None:
    assert SecondFactorResetIn.parse({"reason": " lost  her phone ", "identity_checked": "on"}).reason == (
        "lost her phone"
    )


def test_each_missing_field_is_named_in_order() -> None:
    with pytest.raises(InvalidInput) as caught:
        SecondFactorResetIn.parse({"reason": "x" * 501})
    assert [(e.field, e.reason) for e in caught.value.errors] == [
        ("reason", "at most 500 characters"),
        ("identity_checked", "check who the person is first, then confirm it here"),
    ]


@pytest.mark.django_db
def test_the_api_names_the_fields_in_english(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    assert _post(nurse, world.alice, {"reason": "x" * 501}).json()["errors"] == [
        {"field": "reason", "reason": "at most 500 characters"},
        {"field": "identity_checked", "reason": "check who the person is first, then confirm it here"},
    ]


@pytest.mark.django_db
def test_the_api_names_the_fields_in_the_callers_language(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    assert _post(nurse, world.alice, {"reason": "x" * 501}, HTTP_ACCEPT_LANGUAGE="es").json()["errors"][
        0
    ] == {
        "field": "reason",
        "reason": "como máximo 500 caracteres",
    }


@pytest.mark.django_db
def test_who_may_not_reset_is_refused_before_the_body_is_judged(world: World) -> None:
    admin = sign_in(Client(), world.staff["program_admin"])
    assert _post(admin, world.alice, {}).status_code == 403


@pytest.mark.django_db
def test_the_openapi_body_is_a_component_with_the_core_schema() -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    body = doc["paths"]["/api/v1/patients/{patient_id}/second-factor/reset"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SecondFactorResetIn"
    }
    assert doc["components"]["schemas"]["SecondFactorResetIn"] == {
        "title": "SecondFactorResetIn",
        **json_schema(desk.SECOND_FACTOR_RESET),
    }


def test_the_reset_code_model_is_the_core_field_list() -> None:
    assert list(ResetCodeIn.model_fields) == [f.name for f in desk.RESET_CODE]


def test_a_reset_code_needs_the_identity_checked() -> None:
    with pytest.raises(InvalidInput) as caught:
        ResetCodeIn.parse({"identity_checked": "no"})
    assert [(e.field, e.reason) for e in caught.value.errors] == [
        ("identity_checked", "check who the person is first, then confirm it here")
    ]


@pytest.mark.django_db
def test_an_empty_reset_code_body_names_the_identity_check_in_the_callers_language(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    response = nurse.post(
        f"/api/v1/patients/{world.alice.pk}/password-reset-code",
        "",
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.json()["errors"] == [
        {
            "field": "identity_checked",
            "reason": "primero compruebe quién es la persona y luego confírmelo aquí",
        }
    ]


def test_the_activation_code_model_is_the_core_field_list() -> None:
    assert list(ActivationCodeIn.model_fields) == [f.name for f in desk.ACTIVATION_CODE]


def test_only_true_sends_the_activation_code() -> None:
    sent = ActivationCodeIn.parse({"send_by_text": "on", "send_by_email": True})
    assert (sent.send_by_text, sent.send_by_email) == (False, True)


def test_nothing_asked_sends_nothing() -> None:
    sent = ActivationCodeIn.parse({})
    assert (sent.send_by_text, sent.send_by_email) == (False, False)


@pytest.mark.django_db
def test_the_activation_code_body_is_documented_as_optional() -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    body = doc["paths"]["/api/v1/patients/{patient_id}/activation-code"]["post"]["requestBody"]
    assert body == {
        "required": False,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ActivationCodeIn"}}},
    }
