"""Review 17b: the care team's break-the-glass flag can be cleared by another off-team clinician."""

from __future__ import annotations

from typing import Any

import pytest

from keel.patients.models import FlagKind, PatientFlag
from keel.patients.services.flags import FlagNotAllowed, resolve_flag
from keel.sharing.services import emergency_access
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_an_off_team_clinician_cannot_clear_another_breakers_emergency_flag(world: Any) -> None:
    """Scenario: nurse N and prescriber P of Riverside are both off Bob's care team. N breaks the glass on
    Bob (reason: "patient unresponsive in lobby"); the care team gets a priority-1 EMERGENCY_ACCESS flag.
    P breaks the glass too (a second grant, its own flag) and, through that emergency access, resolves N's
    flag with a note. `_refuse_own_emergency` only stops N clearing N's own flag.

    Impact: the flag is the care team's only in-record notice that someone outside the team opened the
    Part 2 record; two colleagues (or one person with a second account) can each break the glass and clear
    the other's flag, so the team never sees it. HIPAA break-the-glass practice: the notice to the
    record's owners must not be dismissable by the people it reports on.

    Safe outcome: resolving any flag (and certainly an emergency-access flag) is refused to a clinician who
    reaches the record only through emergency access; N's flag stays open for the care team.
    """
    nurse, prescriber = world.staff["nurse"], world.staff["prescriber"]
    emergency_access(
        by=nurse, record_number="RR-0002", reason="patient unresponsive in lobby", password=PASSWORD
    )
    emergency_access(
        by=prescriber, record_number="RR-0002", reason="called to assess overdose", password=PASSWORD
    )
    nurses_flag = next(
        f
        for f in PatientFlag.objects.filter(patient=world.bob, kind=FlagKind.EMERGENCY_ACCESS)
        if "unresponsive" in str(f.reasons)
    )

    with pytest.raises(FlagNotAllowed):
        resolve_flag(by=prescriber, patient_id=world.bob.pk, flag_id=nurses_flag.pk, note="seen, all fine")

    nurses_flag.refresh_from_db()
    assert nurses_flag.resolved_at is None
