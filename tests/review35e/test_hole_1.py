"""Hole 1: a person whose death is recorded is ranked for outreach by silence.

What the user did: Alicia checked in daily, then died 20 days ago (her episode ended "Died"). The peer
specialist on her care team opens the morning caseload (her role's default list: everyone).
What happened: Alicia is ranked "this week" with "No check-in for 21 days": the peer is asked to reach out
to a person who died.
What should happen: a recorded death is no silence; she has no outreach signal (tier "none").
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.review35e._setup import checkins, died, row_of

pytestmark = pytest.mark.django_db


def test_a_person_who_died_is_not_ranked_as_silent(world: Any) -> None:
    alice = world.alice
    died(alice, on=-20)
    checkins(alice, range(-30, -20))
    assert row_of(world.staff["peer_specialist"], alice).tier == "none"
