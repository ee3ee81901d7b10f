"""Hole 5: the consent a person signs to bring their history to a program is shown to no one, and is not in
their download.

What the user did: a self-guided person got a code from Riverside's care team, chose "bring my history" and
signed with their name (/me/account/join/sign/). Later they download their data (/me/account/my-data.json) to
check what they agreed to and what was moved.
What happened: the signed `HistoryConsent` (the words read, the choice, the parts and counts moved, when,
the signature) is written and then read by nothing: not in the download (`recovery.queries.own_data`), not on
any page of theirs or of the care team (only an audit row names it). The person cannot see or keep what they
signed; the program cannot show what it was given.
What should happen: the person's download (and a page) holds the consent they signed, at least its words and
its date.
"""

from __future__ import annotations

from typing import Any

from tests.review35b._setup import link_code_for, record_without_account, sign_up_on_the_page


def test_the_signed_history_consent_is_in_my_download(world: Any) -> None:
    patient = record_without_account(world)
    code = link_code_for(world, patient)
    client, _user = sign_up_on_the_page()
    joined = client.post(
        "/me/account/join/sign/",
        {"code": code, "bring_history": "yes", "signature": "Marisol Etxeberria"},
    )
    assert joined.status_code == 302  # joined: sent to home
    download = client.get("/me/account/my-data.json").content.decode()
    assert "I want my account to join Riverside Recovery" in download
