"""Review 19: the words of an appointment reminder, as read on a shared phone."""

from __future__ import annotations

from typing import Any

from tests.review19.conftest import EVE_18H, book


def test_the_reminder_does_not_name_the_treatment_software(reminded: Any) -> None:
    """Attack: the body says "Open Keel: <url>". Keel is published as opioid use disorder care software;
    whoever reads the shared phone and searches the name learns what the appointment is for (42 CFR Part 2:
    naming the program or its purpose identifies a patient). The clinic's own address is already in the
    link. Safe: the message names no product (say "Open the app" and the clinic's configured address)."""
    from keel.appointments import services

    book(reminded)
    services.send_due(now=EVE_18H)
    body = reminded.box.body(reminded.box.messages[-1])
    assert "Keel" not in body


def test_the_reminder_time_is_not_followed_by_a_double_full_stop(reminded: Any) -> None:
    """Attack: the English time format ends in "a.m." and the sentence adds its own ".": the message reads
    "at 9:30 a.m..". Safe: one full stop (a message that looks broken reads like spam or phishing, and
    the person may ignore the reminder)."""
    from keel.appointments import services

    book(reminded)
    services.send_due(now=EVE_18H)
    body = reminded.box.body(reminded.box.messages[-1])
    assert ".." not in body.replace("...", "")
