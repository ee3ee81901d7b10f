"""Hole 6: a person's request for contact never reaches the peer specialist's caseload.

What the user did: after her evening check-in Alicia taps "ask my care team to reach out" (`request_contact`).
Her care team includes a peer specialist, who opens the morning caseload.
What happened: her row reads "Nothing new" (tier "none"): the request is a flag, flags are read only for
roles that see the clinical area, and the peer's list ranks by silence alone. The request she made to "the
care team" ranks her for the nurse only; the peer, who sees her check-ins and is the one she may be waiting
for, is told nothing.
What should happen: a flag the person raised herself from the recovery companion (her request for contact)
ranks her for everyone on her care team who sees her check-ins.
"""

from __future__ import annotations

from typing import Any

import pytest

from keel.recovery.services.flags import request_contact
from tests.review35e._setup import checkins, row_of

pytestmark = pytest.mark.django_db


def test_a_request_for_contact_ranks_her_for_the_peer_specialist(world: Any) -> None:
    alice = world.alice
    checkins(alice, [0])
    assert request_contact(by=alice.user)  # raised (the nurse's list ranks her "today")
    assert row_of(world.staff["peer_specialist"], alice).tier != "none"
