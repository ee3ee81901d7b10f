"""Review 22p: a person whose two-step sign-in is required (SECURITY.md T16: anyone with a confirmed second
factor gives a code) keeps no way in by password alone. Fails on the code as reviewed."""

from __future__ import annotations

import json

from django.test import Client

from keel.accounts import services
from tests.conftest import PASSWORD, World, totp_now


def test_token_made_by_password_alone_outlives_the_second_factor_added_after_it(world: World) -> None:
    """A patient makes an API token with their password (no second factor yet), then adds an authenticator
    app: from then on every sign-in and every new token needs a code, and `confirm_totp_enrollment` ends
    nothing. The old token still reads their record by password alone (and so does a token from before a
    device replaced one the person no longer trusts)."""
    alice = world.alice.user
    made = Client().post(
        "/api/v1/auth/tokens",
        json.dumps({"username": alice.username, "password": PASSWORD, "name": "before the app"}),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    secret = made.json()["token"]
    device = services.start_totp_enrollment(user=alice)
    assert services.confirm_totp_enrollment(user=alice, code=totp_now(device))
    without_code = Client().post(
        "/api/v1/auth/tokens",
        json.dumps({"username": alice.username, "password": PASSWORD, "name": "after the app"}),
        content_type="application/json",
    )
    assert without_code.status_code == 401  # a new token needs the code now (held)
    old = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert old.status_code == 401, "a token made without the second factor still works after it is required"
