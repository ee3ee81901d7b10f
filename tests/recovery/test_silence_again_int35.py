"""Review 35g (read only, session 35): a silence flag whose silence is over (`recovery.models.silence_over`:
she checked in since) stays open for the team and ranks no one (lane fix35e); it must not hold back the
flag of her next silence (`recovery.services.flags._raise_once`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from keel.patients.models import FlagKind, PatientFlag
from keel.recovery.services.flags import scan_for_silence
from tests.review35e._setup import checkins

pytestmark = pytest.mark.django_db


def _silence_flags(world: Any) -> int:
    return PatientFlag.objects.filter(patient=world.alice, kind=FlagKind.SILENCE, resolved_at=None).count()


@pytest.fixture
def first_silence_over(world: Any) -> None:
    """A week of daily check-ins, quiet, the scan of that time raises a flag; she comes back for a week."""
    checkins(world.alice, range(-30, -23))
    assert scan_for_silence(now=timezone.now() - timedelta(days=18)) == 1
    checkins(world.alice, range(-15, -8))


def test_a_new_silence_after_an_ended_one_raises_its_own_flag(world: Any, first_silence_over: None) -> None:
    assert scan_for_silence() == 1


def test_the_ended_silence_flag_stays_open_beside_the_new_one(world: Any, first_silence_over: None) -> None:
    scan_for_silence()
    assert _silence_flags(world) == 2


def test_a_silence_still_going_on_is_flagged_once(world: Any) -> None:
    checkins(world.alice, range(-15, -8))
    scan_for_silence(now=timezone.now() - timedelta(days=3))
    assert scan_for_silence() == 0
