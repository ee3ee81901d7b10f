"""Hole 2: the daily silence scan raises a flag on a person whose death is recorded.

What user did: Alicia checked in every day for a week, then died two days later (her episode ended "Died",
recorded by the desk). The nightly `keel recovery-scan` runs.
What happened: a "No check-in after a daily habit" flag is raised on her record (the care team's caseload and
her page show it open, asking them to reach out).
What should happen: no silence flag is raised for a person whose death is recorded.
"""

from __future__ import annotations

from typing import Any

import pytest

from keel.patients.models import FlagKind, PatientFlag
from keel.recovery.services.flags import scan_for_silence
from tests.review35e._setup import checkins, died

pytestmark = pytest.mark.django_db


def test_no_silence_flag_after_a_recorded_death(world: Any) -> None:
    alice = world.alice
    checkins(alice, range(-10, -4))
    died(alice, on=-3)
    scan_for_silence()
    assert not PatientFlag.objects.filter(patient=alice, kind=FlagKind.SILENCE).exists()
