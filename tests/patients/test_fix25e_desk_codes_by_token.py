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
