"""Review 19: appointment reminders to an account the clinic has turned off."""

from __future__ import annotations

from typing import Any

from tests.review19.conftest import EVE_18H, book


def test_no_appointment_reminder_goes_to_a_deactivated_account(reminded: Any) -> None:
    """Attack: the clinic deactivates Alice's account (she reported her phone and email are no longer
    hers, or the account was taken over). She can no longer sign in to stop or change anything, but the
    worker still emails the account's address a reminder with the stop link. Safe: no reminder to an
    account that is not active."""
    from keel.appointments import services

    book(reminded)
    user = reminded.alice.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert services.send_due(now=EVE_18H) == 0
