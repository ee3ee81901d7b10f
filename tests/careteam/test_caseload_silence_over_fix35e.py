"""Lane fix35e (review 35e H7): a silence flag whose silence is over (she checked in after the check-in it
cites: `keel.recovery.models.silence_over`) ranks no one, on every path the caseload reads; it stays open
on her record for the care team to close. A silence still going on ranks her; a new silence after the
check-in ranks her by its own days. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from keel.careteam import queries
from keel.patients.models import FlagKind, PatientFlag
from keel.recovery.services.flags import scan_for_silence
from tests.careteam.test_caseload_death_fix35e import PATHS
from tests.review35e._setup import checkins

pytestmark = pytest.mark.django_db


def _row(world: Any, monkeypatch: pytest.MonkeyPatch, path: str) -> queries.CaseloadRow:
    for name, value in PATHS[path].items():
        monkeypatch.setattr(name, value)
    listed = queries.caseload(world.staff["nurse"])
    rows = [row for n in range(len(listed)) for row in listed[n : n + 1]]
    return next(r for r in rows if r.id == world.alice.pk)


@pytest.fixture
def flagged(world: Any) -> None:
    """A week of daily check-ins, then four quiet days: the nightly scan raises the silence flag."""
    checkins(world.alice, range(-11, -4))
    assert scan_for_silence() == 1


@pytest.mark.parametrize("path", sorted(PATHS))
def test_an_ended_silence_ranks_her_on_no_path(
    world: Any, flagged: None, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    checkins(world.alice, [0])
    assert _row(world, monkeypatch, path).tier == "none"


def test_the_flag_stays_open_for_the_team(world: Any, flagged: None) -> None:
    checkins(world.alice, [0])
    queries.caseload(world.staff["nurse"])
    assert PatientFlag.objects.filter(patient=world.alice, kind=FlagKind.SILENCE, resolved_at=None).exists()


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_silence_going_on_still_ranks_her(
    world: Any, flagged: None, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    assert _row(world, monkeypatch, path).tier == "this_week"


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_new_silence_after_her_checkin_ranks_her_by_its_days(
    world: Any, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    checkins(world.alice, range(-30, -23))
    assert scan_for_silence(now=None) in (0, 1)
    checkins(world.alice, [-20])  # she came back once, then went quiet again for 20 days
    assert _row(world, monkeypatch, path).reasons[-1]["text"] == "No check-in for 20 days"
