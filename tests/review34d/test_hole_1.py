"""Hole 1: the code that adds an authenticator at sign-in (after an admin reset the second factor) is not
used up: the same code, within its window, gets an API token (or a second sign-in) again."""

from __future__ import annotations

import pytest
from django.test import Client

from keel.accounts.second_factor import remove_second_factor
from tests.review34d._setup import PENDING, api_token, code_for_key, password_step


@pytest.mark.django_db
def test_the_code_that_added_the_authenticator_at_sign_in_cannot_be_used_again(world):
    nurse = world.staff["nurse"]
    # the admin's reset (issue #18): the next sign-in adds a new authenticator (with the one-time set-up code
    # the reset makes, session 35's decision: set-up only, what this test holds is unchanged)
    setup = remove_second_factor(nurse).setup_code.code
    browser = Client()
    password_step(browser, nurse.username)
    browser.get("/accounts/login/verify/")  # the enrol page shows the new key
    code = code_for_key(browser.session[PENDING]["key"])
    added = browser.post("/accounts/login/verify/", {"setup_code": setup, "code": code})
    assert added.status_code == 302, "the code from the new authenticator signs the nurse in"
    # Whoever watched or relayed that code (with the password) uses it once more, seconds later.
    again = api_token(Client(), nurse.username, code)
    assert again.status_code == 401, (
        f"a code already used to add the authenticator gave an API token ({again.status_code}): "
        "codes are single-use (the new device's last_t is never set by enroll_totp)"
    )
