"""Patient accounts (issue #18): the front desk gives a one-time code; the patient makes their own account on
their phone with it; the code works once and expires; a record with an account gets no code."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.accounts.models import Role, User
from keel.audit.models import AuditEvent
from keel.patients.models import ActivationCode, Enrollment, Patient
from tests.conftest import World

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a long and unusual passphrase"


@pytest.fixture
def maria(world: World) -> Patient:
    patient = Patient.objects.create(
        program=world.riverside,
        record_number="RR-0100",
        given_name="Maria",
        family_name="Lopez",
        preferred_name="Mari",
        date_of_birth=date(1988, 4, 2),
    )
    Enrollment.objects.create(patient=patient, program=world.riverside, started_on=date(2026, 3, 1))
    return patient


def _issue(client: Client, patient: Patient) -> Any:
    return client.post(
        f"/api/v1/patients/{patient.pk}/activation-code", "{}", content_type="application/json"
    )


def _activate(client: Client, code: str, **change: str) -> Any:
    form = {"code": code, "username": "mari", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    return client.post("/accounts/activate/", {**form, **change})


def test_the_desk_gives_a_code_shown_once(world: World, maria: Patient, signed_in: Any) -> None:
    response = _issue(signed_in("program_admin"), maria)
    assert response.status_code == 201
    code = response.json()["code"]
    assert len(code) == 14
    assert code.count("-") == 2
    assert code.replace("-", "") not in ActivationCode.objects.get().digest


def test_the_patient_makes_an_account_and_is_signed_in(world: World, maria: Patient, signed_in: Any) -> None:
    code = _issue(signed_in("program_admin"), maria).json()["code"]
    client = Client()
    response = _activate(client, code)
    assert response.status_code == 302
    maria.refresh_from_db()
    user = User.objects.get(username="mari")
    assert (maria.user_id, user.role) == (user.pk, Role.PATIENT)
    assert client.get("/me/").status_code == 200


def test_the_code_may_be_typed_in_lower_case_without_hyphens(
    world: World, maria: Patient, signed_in: Any
) -> None:
    code = _issue(signed_in("program_admin"), maria).json()["code"]
    assert _activate(Client(), code.replace("-", "").lower()).status_code == 302


def test_the_patient_signs_in_later_with_the_password(world: World, maria: Patient, signed_in: Any) -> None:
    code = _issue(signed_in("program_admin"), maria).json()["code"]
    _activate(Client(), code)
    client = Client()
    response = client.post("/accounts/login/", {"username": "mari", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/api/v1/me").json()["patient"]["id"] == maria.pk


def test_the_code_works_once(world: World, maria: Patient, signed_in: Any) -> None:
    code = _issue(signed_in("program_admin"), maria).json()["code"]
    _activate(Client(), code)
    response = _activate(Client(), code, username="someone-else")
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["code"]


def test_the_code_expires(world: World, maria: Patient, signed_in: Any) -> None:
    with time_machine.travel("2026-03-10T15:00:00+00:00", tick=False):
        code = _issue(signed_in("program_admin"), maria).json()["code"]
    with time_machine.travel("2026-03-24T15:00:01+00:00", tick=False):  # 14 days and a second
        assert _activate(Client(), code).status_code == 422
    assert not User.objects.filter(username="mari").exists()


def test_a_new_code_replaces_the_old_one(world: World, maria: Patient, signed_in: Any) -> None:
    client = signed_in("program_admin")
    old = _issue(client, maria).json()["code"]
    _issue(client, maria)
    assert _activate(Client(), old).status_code == 422


def test_a_wrong_code_is_refused_and_audited(world: World, maria: Patient) -> None:
    response = _activate(Client(), "AAAA-BBBB-CCCC")
    assert response.status_code == 422
    assert AuditEvent.objects.filter(target_type="activation_code", outcome="failure").count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": ""}, "username"),
        ({"username": "alice"}, "username"),
        ({"password": ""}, "password"),
        ({"password_again": "something else"}, "password_again"),
        ({"password": "123", "password_again": "123"}, "password"),
    ],
)
def test_bad_input_names_the_field_and_keeps_the_code(
    world: World, maria: Patient, signed_in: Any, change: dict[str, str], field: str
) -> None:
    code = _issue(signed_in("program_admin"), maria).json()["code"]
    response = _activate(Client(), code, **change)
    assert response.status_code == 422
    assert list(response.context["form"].errors) == [field]
    assert _activate(Client(), code).status_code == 302  # the code still works


def test_a_record_with_an_account_gets_no_code(world: World, signed_in: Any) -> None:
    response = _issue(signed_in("program_admin"), world.bob)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["patient"]


@pytest.mark.parametrize("role", ["peer_specialist", "auditor", "patient"])
def test_other_roles_give_no_code(world: World, maria: Patient, signed_in: Any, role: str) -> None:
    assert _issue(signed_in(role), maria).status_code in {403, 404}
    assert not ActivationCode.objects.exists()


def test_the_api_makes_the_account_too(world: World, maria: Patient, signed_in: Any) -> None:
    code = _issue(signed_in("nurse"), maria).status_code
    assert code == 404  # Maria is on no nurse's team yet: out of scope
    code = _issue(signed_in("program_admin"), maria).json()["code"]
    body = {"code": code, "username": "mari", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    response = Client().post("/api/v1/auth/activate", json.dumps(body), content_type="application/json")
    assert response.status_code == 201
    assert response.json()["role"] == "patient"


def test_the_desk_page_shows_the_code(world: World, maria: Patient, signed_in: Any) -> None:
    response = signed_in("program_admin").post(f"/patients/{maria.pk}/activation-code/")
    assert response.status_code == 200
    assert "/accounts/activate/" in response.content.decode()


def test_the_activation_page_in_spanish(world: World) -> None:
    body = Client().get("/accounts/activate/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Cree su cuenta" in body
