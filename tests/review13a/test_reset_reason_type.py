"""Review 13a: the second-factor reset's reason (a text of 3 characters at least, the audit row's words) took
any JSON value as its text: `true` became the reason "True", a list its repr, a number its digits; the
guard "say why" was walked around by a value that says nothing. A reason that is not text is now refused by
name (the page posts text: unchanged). Run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.accounts import queries, services
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_with_app(world: World) -> Any:
    user = world.alice.user
    services.enroll_totp(user=user)
    return user


def _reset(world: World, reason: Any) -> Any:
    return sign_in(Client(), world.staff["nurse"]).post(
        f"/api/v1/patients/{world.alice.pk}/second-factor/reset",
        json.dumps({"reason": reason, "identity_checked": True, "password": PASSWORD}),
        content_type="application/json",
    )


NOT_TEXT = [True, 12345, ["lost", "phone"], {"why": "lost phone"}]


@pytest.mark.parametrize("reason", NOT_TEXT)
def test_a_reason_that_is_not_text_is_refused(world: World, alice_with_app: Any, reason: Any) -> None:
    response = _reset(world, reason)
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["reason"])


@pytest.mark.parametrize("reason", NOT_TEXT)
def test_a_reason_that_is_not_text_keeps_the_app(world: World, alice_with_app: Any, reason: Any) -> None:
    _reset(world, reason)
    assert queries.has_totp_device(alice_with_app)


def test_a_text_reason_still_resets(world: World, alice_with_app: Any) -> None:
    assert _reset(world, "lost her phone").status_code == 200
