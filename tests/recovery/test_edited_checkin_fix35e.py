"""Lane fix35e (review 35e H8): a check-in edited from "used" to no use: its reported-use flag stays open (a
clinician closes it) and says the check-in was later changed, on which day, in the reader's language;
the walk-arounds: an edit that keeps "used", a check-in that never said "used", a flag already closed, an
edit back and forth, the page's path (`record_checkin` on the web form) and the caseload still ranking her."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone, translation

from keel.api_body import Posted
from keel.careteam import queries
from keel.patients.flagwords import flag_reasons
from keel.patients.models import FlagKind, PatientFlag, local_today
from keel.recovery.schemas import CheckInIn
from keel.recovery.services.checkins import record_checkin

pytestmark = pytest.mark.django_db

NOTE = "This check-in was later changed: no use reported"


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


def _flag(world: Any) -> PatientFlag:
    return PatientFlag.objects.get(patient=world.alice, kind=FlagKind.REPORTED_USE)


def _notes(flag: PatientFlag) -> list[str]:
    return [r for r in flag.reasons if r.startswith(NOTE)]


def test_the_flag_says_the_day_of_the_change(world: Any) -> None:
    _checkin(world, "a", used=True)
    _checkin(world, "b", used=False)
    today = local_today(world.alice, timezone.now()).isoformat()
    assert _notes(_flag(world)) == [f"{NOTE} ({today})."]


def test_the_flag_stays_open(world: Any) -> None:
    _checkin(world, "a", used=True)
    _checkin(world, "b", used=False)
    assert _flag(world).resolved_at is None


def test_the_note_is_said_in_spanish(world: Any) -> None:
    _checkin(world, "a", used=True)
    _checkin(world, "b", used=False)
    with translation.override("es"):
        said = flag_reasons(_flag(world))
    assert any(r.startswith("Este registro diario se cambió después") for r in said)


def test_an_edit_that_keeps_use_adds_nothing(world: Any) -> None:
    _checkin(world, "a", used=True)
    _checkin(world, "b", used=True)
    assert _notes(_flag(world)) == []


def test_a_checkin_that_never_said_use_has_no_flag(world: Any) -> None:
    _checkin(world, "a", used=False)
    _checkin(world, "b", used=False)
    assert not PatientFlag.objects.filter(patient=world.alice, kind=FlagKind.REPORTED_USE).exists()


def test_a_closed_flag_is_not_changed(world: Any) -> None:
    _checkin(world, "a", used=True)
    PatientFlag.objects.filter(patient=world.alice).update(resolved_at=timezone.now(), resolution_note="seen")
    _checkin(world, "b", used=False)
    assert _notes(_flag(world)) == []


def test_each_change_to_no_use_is_said(world: Any) -> None:
    _checkin(world, "a", used=True)
    _checkin(world, "b", used=False)
    _checkin(world, "c", used=True)
    _checkin(world, "d", used=False)
    assert len(_notes(_flag(world))) == 1  # review 35g (fix36b): the flag says the check-in as it stands


def test_a_replayed_edit_says_it_once(world: Any) -> None:
    _checkin(world, "a", used=True)
    _checkin(world, "b", used=False)
    _checkin(world, "b", used=False)  # the same key: the stored answer, nothing written
    assert len(_notes(_flag(world))) == 1


def test_the_caseload_still_ranks_her_for_the_open_flag(world: Any) -> None:
    _checkin(world, "a", used=True)
    _checkin(world, "b", used=False)
    row = next(r for r in queries.caseload(world.staff["nurse"]) if r.id == world.alice.pk)
    assert row.tier == "today"
