"""Hole 2: "my data" download leaves out the account's API tokens (their names and dates).

What the user did: a self-guided person made an API token for the phone app, named "Maria's phone at the
shelter", then downloaded everything of theirs from /me/account/my-data.json.
What happened: the file holds check-ins, thought records, plan, reminders and meetings, but no token: the
names they gave, when each was made, last used, revoked. Those rows are theirs and are deleted with the
account, yet not in the copy the product promises is their data.
What should happen: the download lists the account's tokens (name, created, expires, last used, revoked;
never the secret).
"""

from __future__ import annotations

from typing import Any

from keel.accounts.services.tokens import create_token
from tests.review35b._setup import sign_up_on_the_page


def test_my_data_download_names_my_tokens(world: Any) -> None:
    client, user = sign_up_on_the_page()
    create_token(user=user, name="Maria's phone at the shelter")
    response = client.get("/me/account/my-data.json")
    assert "Maria's phone at the shelter" in response.content.decode()
