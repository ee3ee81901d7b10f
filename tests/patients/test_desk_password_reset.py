"""A password reset started at the desk (issue #18), for a patient with no email to reset it with: the
program's admins and clinicians, having checked who the person is, give a one-time code (shown once, only its
digest stored); the patient sets a new password with it; every session and token of the account ends; the code
works once; every step is audited."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keel.audit.models import AuditEvent
from keel.patients.models import ActivationCode
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a different and unusual passphrase"


def _issue(client: Client, patient_id: int, **body: Any) -> Any:
    return client.post(
        f"/api/v1/patients/{patient_id}/password-reset-code",
        json.dumps(body),
        content_type="application/json",
    )


def _code(world: World, signed_in: Any, role: str = "program_admin") -> str:
    response = _issue(signed_in(role), world.alice.pk, identity_checked=True)
    assert response.status_code == 201, response.content
    return str(response.json()["code"])


def _reset(code: str, **change: str) -> Any:
    form = {"code": code, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD, **change}
    return Client().post("/accounts/reset-with-code/", form)


def _signs_in(password: str) -> bool:
    from keel.accounts.models import User

    return User.objects.get(username="alice").check_password(password)


def test_the_desk_gives_a_code_shown_once(world: World, signed_in: Any) -> None:
    code = _code(world, signed_in)
    assert code.replace("-", "") not in ActivationCode.objects.get(purpose="reset").digest


def test_the_patient_sets_a_new_password_with_the_code(world: World, signed_in: Any) -> None:
    _reset(_code(world, signed_in))
    assert _signs_in(NEW_PASSWORD)


def test_the_old_password_stops_working(world: World, signed_in: Any) -> None:
    _reset(_code(world, signed_in))
    assert not _signs_in(PASSWORD)


def test_the_password_is_unchanged_until_the_code_is_used(world: World, signed_in: Any) -> None:
    _code(world, signed_in)
    assert _signs_in(PASSWORD)


def test_the_code_works_once(world: World, signed_in: Any) -> None:
    code = _code(world, signed_in)
    _reset(code)
    assert (
        _reset(
            code, password="yet another long passphrase", password_again="yet another long passphrase"
        ).status_code
        == 422
    )


def test_the_code_expires(world: World, signed_in: Any) -> None:
    code = _code(world, signed_in)
    with time_machine.travel(timezone.now() + timedelta(days=60)):
        assert _reset(code).status_code == 422


def test_an_activation_code_does_not_reset_a_password(world: World, signed_in: Any) -> None:
    world.bob.user = None
    world.bob.save()
    response = signed_in("program_admin").post(
        f"/api/v1/patients/{world.bob.pk}/activation-code", "{}", content_type="application/json"
    )
    assert _reset(response.json()["code"]).status_code == 422


def test_a_new_code_replaces_the_old_one(world: World, signed_in: Any) -> None:
    first = _code(world, signed_in)
    _code(world, signed_in)
    assert _reset(first).status_code == 422


def test_every_session_of_the_account_ends(world: World, signed_in: Any) -> None:
    patient = signed_in("patient")
    assert patient.get("/me/").status_code == 200
    _reset(_code(world, signed_in))
    assert patient.get("/me/").status_code == 302


def test_without_the_identity_check_no_code_is_made(world: World, signed_in: Any) -> None:
    response = _issue(signed_in("program_admin"), world.alice.pk)
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "identity_checked")


def test_a_record_without_an_account_gets_no_reset_code(world: World, signed_in: Any) -> None:
    world.bob.user = None
    world.bob.save()
    response = _issue(signed_in("program_admin"), world.bob.pk, identity_checked=True)
    assert response.json()["errors"][0]["field"] == "patient"


@pytest.mark.parametrize(("role", "status"), [("peer_specialist", 403), ("auditor", 404)])
def test_other_roles_give_no_reset_code(world: World, signed_in: Any, role: str, status: int) -> None:
    assert _issue(signed_in(role), world.alice.pk, identity_checked=True).status_code == status


def test_the_reset_code_is_audited(world: World, signed_in: Any) -> None:
    _code(world, signed_in)
    row = AuditEvent.objects.get(target_type="password_reset", action="create")
    assert (row.patient_id, row.actor_id) == (world.alice.pk, world.staff["program_admin"].pk)


def test_the_new_password_is_audited(world: World, signed_in: Any) -> None:
    _reset(_code(world, signed_in))
    assert AuditEvent.objects.filter(
        target_type="password_reset", action="update", actor_id=world.alice.user.pk
    ).exists()


def test_a_wrong_code_is_refused_and_audited(world: World) -> None:
    response = _reset("AAAA-BBBB-CCCC")
    assert response.status_code == 422
    assert AuditEvent.objects.filter(target_type="password_reset", outcome="failure").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password_again": "something else entirely"}, "password_again"),
        ({"password": "", "password_again": ""}, "password"),
        ({"password": "short", "password_again": "short"}, "password"),
        ({"code": ""}, "code"),
    ],
)
def test_bad_input_names_the_field_and_keeps_the_code(
    world: World, signed_in: Any, change: dict[str, str], field: str
) -> None:
    code = _code(world, signed_in)
    response = _reset(code, **change) if "code" not in change else _reset(**{**change})
    assert field in response.context["form"].errors
    assert ActivationCode.objects.get(purpose="reset").used_at is None


def test_the_desk_page_shows_the_code(world: World, signed_in: Any) -> None:
    response = signed_in("nurse").post(
        f"/patients/{world.alice.pk}/password-reset-code/", {"identity_checked": "on"}
    )
    assert (response.status_code, "/accounts/reset-with-code/" in response.content.decode()) == (200, True)


def test_the_desk_page_names_a_missing_identity_check(world: World, signed_in: Any) -> None:
    response = signed_in("nurse").post(f"/patients/{world.alice.pk}/password-reset-code/", {})
    assert response.status_code == 422


def test_the_reset_page_in_spanish(world: World) -> None:
    client = Client()
    client.cookies["django_language"] = "es"
    body = client.get("/accounts/reset-with-code/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Guardar mi contraseña nueva" in body


# --- The same reset through the API (a phone app has no page) ---------------------------------------------


def _reset_api(code: str, **change: str) -> Any:
    body = {"code": code, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD, **change}
    return Client().post("/api/v1/auth/reset-with-code", json.dumps(body), content_type="application/json")


def test_the_api_sets_a_new_password_with_the_code(world: World, signed_in: Any) -> None:
    response = _reset_api(_code(world, signed_in))
    assert (response.status_code, _signs_in(NEW_PASSWORD)) == (200, True)


def test_the_api_code_works_once(world: World, signed_in: Any) -> None:
    code = _code(world, signed_in)
    _reset_api(code)
    assert (
        _reset_api(
            code, password="yet another unusual phrase", password_again="yet another unusual phrase"
        ).status_code
        == 422
    )


def test_a_wrong_code_through_the_api_is_refused_and_audited(world: World) -> None:
    response = _reset_api("AAAA-BBBB-CCCC")
    assert response.status_code == 422
    assert AuditEvent.objects.filter(target_type="password_reset", outcome="failure").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password_again": "something else entirely"}, "password_again"),
        ({"password": "short", "password_again": "short"}, "password"),
    ],
)
def test_the_api_names_the_bad_field_and_keeps_the_code(
    world: World, signed_in: Any, change: dict[str, str], field: str
) -> None:
    response = _reset_api(_code(world, signed_in), **change)
    assert field in [e["field"] for e in response.json()["errors"]]
    assert ActivationCode.objects.get(purpose="reset").used_at is None


def test_an_activation_code_does_not_reset_a_password_through_the_api(world: World, signed_in: Any) -> None:
    from keel.patients.models import Patient

    patient = Patient.objects.create(
        program=world.riverside,
        record_number="RR-0777",
        given_name="Nora",
        family_name="Ibarra",
        date_of_birth="1990-02-03",
    )
    issued = signed_in("program_admin").post(
        f"/api/v1/patients/{patient.pk}/activation-code", "{}", content_type="application/json"
    )
    assert _reset_api(issued.json()["code"]).status_code == 422
