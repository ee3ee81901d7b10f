"""Lane fix25e (review 25d H3): a desk action handing a credential to a person at the desk (a patient's
password-reset code, activation code, second factor reset; a staff member's second factor reset) is refused
to every API token, 403 audited, bound or not, whatever the role; a signed-in session still does it.
Attacked with: each route, nurse / prescriber / program admin tokens, a bound token, the patient's own
token, another program's patient, Spanish."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.api_auth import DESK_TOKEN
from keel.audit.models import Action, AuditEvent
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db

RESET = {"reason": "lost her phone", "identity_checked": True}


def _token(user: Any, recipient: str = "") -> str:
    from keel.accounts import services

    return services.create_token(user=user, name="ehr", recipient_name=recipient).secret


def _post(path: str, body: dict[str, Any], secret: str, **extra: str) -> Any:
    return Client().post(
        path,
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        **extra,
    )


def _routes(world: World) -> list[tuple[str, dict[str, Any]]]:
    alice = world.alice.pk
    return [
        (f"/api/v1/patients/{alice}/password-reset-code", {"identity_checked": True}),
        (f"/api/v1/patients/{alice}/activation-code", {}),
        (f"/api/v1/patients/{alice}/second-factor/reset", RESET),
        (f"/api/v1/patients/{world.charlie.pk}/password-reset-code", {"identity_checked": True}),
    ]


@pytest.mark.parametrize("role", ["nurse", "prescriber", "counselor", "program_admin"])
def test_every_desk_code_is_refused_to_a_staff_token_audited(world: World, role: str) -> None:
    secret = _token(world.staff[role])
    for path, body in _routes(world):
        before = AuditEvent.objects.filter(action=Action.DENIED, reason=DESK_TOKEN).count()
        response = _post(path, body, secret)
        assert response.status_code == 403, (path, response.content[:200])
        assert "code" not in response.json()
        assert AuditEvent.objects.filter(action=Action.DENIED, reason=DESK_TOKEN).count() == before + 1


def test_a_bound_token_and_a_patients_own_token_are_refused(world: World) -> None:
    for secret in (_token(world.staff["nurse"], recipient="County ED"), _token(world.alice.user)):
        for path, body in _routes(world):
            assert _post(path, body, secret).status_code in (403, 404), path


def test_a_staff_second_factor_reset_is_refused_to_an_admins_token(world: World) -> None:
    nurse = world.staff["nurse"]
    response = _post(
        f"/api/v1/programs/riverside/staff/{nurse.pk}/second-factor/reset",
        {"password": PASSWORD},
        _token(world.staff["program_admin"]),
    )
    assert response.status_code == 403, response.content[:200]


def test_the_refusal_is_said_in_spanish(world: World) -> None:
    path, body = _routes(world)[0]
    response = _post(path, body, _token(world.staff["nurse"]), HTTP_ACCEPT_LANGUAGE="es")
    assert "Un token de API no puede hacer esto" in response.json()["message"]


def test_a_signed_in_nurse_still_hands_the_code_at_the_desk(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/password-reset-code",
        json.dumps({"identity_checked": True}),
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["code"]


# H2: registration is a desk action too (its notice and consent given at the desk; its duplicate check says
# who is in care): refused to every token before the duplicate check, so no token learns who is a patient.


def _registration(person: Any, record_number: str = "") -> dict[str, Any]:
    body = {
        "program": "riverside",
        "given_name": person.given_name,
        "family_name": person.family_name,
        "date_of_birth": person.date_of_birth.isoformat(),
        "birth_sex": "F",
        "episode_kind": "otp",
        "notice_given": True,
        "consented": True,
    }
    return {**body, "record_number": record_number} if record_number else body


@pytest.mark.parametrize("role", ["nurse", "program_admin", "counselor"])
def test_registration_is_refused_to_a_token_for_anyone(world: World, role: str) -> None:
    from keel.patients.models import Patient

    secret = _token(world.staff[role])
    before = Patient.objects.count()
    answers = [
        _post("/api/v1/patients", _registration(world.bob), secret),
        _post("/api/v1/patients", _registration(world.charlie), secret),
        _post("/api/v1/patients", {**_registration(world.bob), "family_name": "Nadie"}, secret),
        _post("/api/v1/patients", _registration(world.bob, record_number="RR-0001"), secret),
    ]
    assert [a.status_code for a in answers] == [403] * 4
    assert len({a.content for a in answers}) == 1  # the same words whoever is named
    assert Patient.objects.count() == before


def test_registration_at_the_desk_still_says_a_likely_duplicate(world: World) -> None:
    client = sign_in(Client(), world.staff["program_admin"])
    response = client.post(
        "/api/v1/patients", json.dumps(_registration(world.bob)), content_type="application/json"
    )
    assert response.status_code == 422 and "not_a_duplicate" in response.content.decode()
