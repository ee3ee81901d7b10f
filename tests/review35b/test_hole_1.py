"""Hole 1: deleting one's account leaves a row named after it that says it tried to join a program.

What the user did: a self-guided person typed a program's code on "Join a program" (a typo, or they changed
their mind), then deleted their account for good from /me/account/delete/.
What happened: `selfguided_signupbucket` keeps a row keyed "join:<the deleted account's id>" with the time of
the last try: the database still says that this account existed and was about to join a treatment program,
after the product promised that no row of it is left (`delete_account`'s docstring).
What should happen: the account's join-try bucket goes with the account (the sign-up bucket is keyed by an
HMAC of the address, not the account, and may stay).
"""

from __future__ import annotations

from typing import Any

from keel.selfguided.models import SignupBucket
from tests.review35b._setup import PASSWORD, sign_up_on_the_page


def test_delete_leaves_no_row_keyed_by_the_account(world: Any) -> None:
    client, user = sign_up_on_the_page()
    key = f"join:{user.pk}"
    client.post("/me/account/join/", {"code": "ABCDE-FGHJK"})
    response = client.post("/me/account/delete/", {"password": PASSWORD})
    assert response.status_code == 302  # deleted, sent to the "deleted" page
    assert not SignupBucket.objects.filter(key=key).exists()
