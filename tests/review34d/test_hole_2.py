"""Hole 2: changing one's own password ("You were signed out everywhere else") leaves every API token made
with the old password working; the reset by email link ends them (passwords.reset_password)."""

from __future__ import annotations

import pytest
from django.test import Client

from keel.accounts import services
from tests.conftest import PASSWORD, sign_in

NEW = "a wholly different passphrase 77"


@pytest.mark.django_db
def test_a_token_made_with_the_old_password_ends_when_the_password_is_changed(world):
    nurse = world.staff["nurse"]
    # Someone who had her password and a code made a token (or she made one for a script, then lost it).
    issued = services.create_token(user=nurse, name="someone's script")
    page = sign_in(Client(), nurse)
    changed = page.post(
        "/accounts/password/",
        {"current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW},
    )
    assert b"signed out everywhere else" in changed.content, "the page says the change is done"
    answer = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert answer.status_code == 401, (
        f"the token made before the password change still reads as her ({answer.status_code}): "
        "passwords.change_password ends sessions (end_sessions) but never revoke_tokens"
    )
