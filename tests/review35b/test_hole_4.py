"""Hole 4: "delete my account for good" leaves the person's IP address in the audit trail, beside the words
"self-guided account deleted" (and "wrong link code", "re-authentication to delete an account").

What the user did: someone who used the private self-check and an account of their own deletes it from home.
What happened: every event the account made while it lived is kept with no actor, no record and no address
(`audit.services.recording`: "a self-guided account's event names no one"), but the deletion itself is written
with `actor=None` (`selfguided.services.delete_account`), so the self-guided rule is skipped and the row keeps
`ip_address`: the trail now says for ever "from this household's address, at this time, an opioid self-help
account was deleted". The failed re-authentication and a wrong link code (`record_failed_login`, actor None)
keep the address the same way, with words only a self-guided account produces.
What should happen: the deletion's row (and the self-guided account's failed tries) name no address, as the
account's other events do.
"""

from __future__ import annotations

from typing import Any

from keel.audit.models import AuditEvent
from tests.review35b._setup import PASSWORD, sign_up_on_the_page


def test_the_deletion_row_keeps_no_address(world: Any) -> None:
    client, _user = sign_up_on_the_page()
    client.post("/me/account/delete/", {"password": PASSWORD}, REMOTE_ADDR="203.0.113.77")
    row = AuditEvent.objects.filter(action="delete", target_type="self_guided_account").latest("id")
    assert row.ip_address is None
