"""Hole 1: a program admin who is turned off leaves her invitations working.

The director's deputy (a program admin) invites "nia.reyes@example.org" as a program admin (her own private
address, say, or a friend's), and is turned off by the director the same afternoon ("her access ends at
once"). Nothing withdraws the invitations she sent, and the staff page has no way to withdraw one. The next
day whoever holds the link opens it and makes a new program admin account of Riverside: every patient's
record again.

Should: an invitation stops working when the admin who sent it is turned off (or no longer an admin of the
program): the link opens the "no longer works" page and no account is made."""

from __future__ import annotations

from typing import Any

from keel.accounts import staff
from keel.accounts.models import User
from tests.review35d._setup import accept_on_page, invite, second_admin


def test_an_invitation_from_an_admin_turned_off_makes_no_account(world: Any) -> None:
    deputy = second_admin(world)
    link = invite(deputy, "nia.reyes@example.org", role="program_admin")
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=deputy.pk)

    accept_on_page(link, "nia-back")

    assert not User.objects.filter(username="nia-back").exists(), (
        "the invitation a turned-off admin sent still made an account"
    )
