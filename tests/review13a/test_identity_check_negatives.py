"""Review 13a: the identity check on the desk's password-reset code and the second-factor reset, attacked with
the values a client sends for "no" (false, "false", "no", 0, "0", "", null, a list, an object): each is
refused by name, no code made, the app kept (held). Run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.accounts import queries, services
from keel.patients.models import ActivationCode
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
NO = [False, "false", "False", "no", "off", 0, "0", "", None, [], {}, [True]]


def _post(world: World, path: str, body: dict[str, Any]) -> Any:
    return sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/{path}", json.dumps(body), content_type="application/json"
    )


def _fields(response: Any) -> list[str]:
    return [str(e["field"]) for e in response.json()["errors"]]


@pytest.mark.parametrize("value", NO)
def test_a_reset_code_needs_the_identity_checked(world: World, value: Any) -> None:
    response = _post(world, "password-reset-code", {"identity_checked": value})
    assert (response.status_code, _fields(response)) == (422, ["identity_checked"])


@pytest.mark.parametrize("value", NO)
def test_no_reset_code_is_made_without_the_identity_checked(world: World, value: Any) -> None:
    _post(world, "password-reset-code", {"identity_checked": value})
    assert not ActivationCode.objects.filter(patient=world.alice).exists()


@pytest.mark.parametrize("value", NO)
def test_a_second_factor_reset_needs_the_identity_checked(world: World, value: Any) -> None:
    services.enroll_totp(user=world.alice.user)
    response = _post(world, "second-factor/reset", {"reason": "lost her phone", "identity_checked": value})
    assert (response.status_code, _fields(response)) == (422, ["identity_checked"])


@pytest.mark.parametrize("value", NO)
def test_the_app_stays_without_the_identity_checked(world: World, value: Any) -> None:
    services.enroll_totp(user=world.alice.user)
    _post(world, "second-factor/reset", {"reason": "lost her phone", "identity_checked": value})
    assert queries.has_totp_device(world.alice.user)
