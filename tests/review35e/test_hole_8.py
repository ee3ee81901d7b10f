"""Hole 8: a check-in edited to "no use" leaves the reported-use flag saying she reported use, unsaid.

What the user did: Alicia's morning check-in said "used" by a slip of the thumb (a reported-use flag is
raised); she edits today's check-in to "no use" (the app lets her edit today's). The nurse reads the caseload
and the timeline.
What happened: the flag stays open with only "Use reported in the check-in of <today>" (the caseload ranks her
"today: Reported use (open flag)"), while the timeline's check-in of that day says no use: nothing tells the
nurse the check-in was changed.
What should happen: as for a corrected suicide screen (clin34, `assessments.corrected_screen`): the flag stays
for a clinician to close, and says the check-in it cites was later edited to no use.
"""

from __future__ import annotations

from typing import Any

import pytest

from keel.api_body import Posted
from keel.patients.models import FlagKind, PatientFlag
from keel.recovery.schemas import CheckInIn
from keel.recovery.services.checkins import record_checkin

pytestmark = pytest.mark.django_db


def _checkin(world: Any, key: str, used: bool) -> None:
    raw = {
        "craving": 3,
        "mood": 3,
        "used": used,
        "used_what": ["heroin"] if used else [],
        "used_how": ["smoke"] if used else [],
        "medication": "not_on_medication",
        "meeting": False,
        "counseling": False,
        "triggers": [],
        "trigger_other": "",
        "sleep": "",
        "note": "",
    }
    record_checkin(by=world.alice.user, data=Posted(CheckInIn, raw), key=key)


def test_the_flag_says_its_checkin_was_edited(world: Any) -> None:
    _checkin(world, "first", used=True)
    _checkin(world, "edited", used=False)
    flag = PatientFlag.objects.get(patient=world.alice, kind=FlagKind.REPORTED_USE)
    assert any("edited" in r or "changed" in r or "corrected" in r for r in flag.reasons)
