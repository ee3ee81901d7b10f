"""Lane fix36b (review 35g, read only): the open reported-use flag of a check-in says the check-in as it now
stands. An edit back to "used" took the "no use reported" note off nothing (it stayed), and an edit of what
was used left the flag's "what they said they used" as first said (`edited_checkin.note_on_open_flag`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone, translation

from keel.api_body import Posted
from keel.audit.models import AuditEvent
from keel.patients.flagwords import flag_reasons
from keel.patients.models import FlagKind, PatientFlag, local_today
from keel.recovery.schemas import CheckInIn
from keel.recovery.services.checkins import record_checkin

pytestmark = pytest.mark.django_db

NOTE = "This check-in was later changed: no use reported"
WHAT = "What they said they used"


def _checkin(world: Any, key: str, used: bool, what: str = "heroin", how: str = "smoke") -> None:
    raw = {
        "craving": 3,
        "mood": 3,
        "used": used,
        "used_what": [what] if used else [],
        "used_how": [how] if used else [],
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


def _what(flag: PatientFlag) -> list[str]:
    return [r for r in flag.reasons if r.startswith(WHAT)]


def test_an_edit_back_to_use_takes_the_no_use_note_off(world: Any) -> None:
    _checkin(world, "a", used=True)
    _checkin(world, "b", used=False)
    _checkin(world, "c", used=True)
    assert _notes(_flag(world)) == []


def test_an_edit_of_what_was_used_is_what_the_flag_says(world: Any) -> None:
    _checkin(world, "a", used=True, what="heroin")
    _checkin(world, "b", used=True, what="alcohol")
    assert _what(_flag(world)) == ["What they said they used: Alcohol. How: Smoked."]


def test_an_edit_of_how_is_what_the_flag_says(world: Any) -> None:
    _checkin(world, "a", used=True, how="smoke")
    _checkin(world, "b", used=True, how="inject")
    assert _what(_flag(world)) == ["What they said they used: Heroin. How: Injected."]


def test_back_to_use_with_another_substance_says_the_new_one(world: Any) -> None:
    _checkin(world, "a", used=True, what="heroin")
    _checkin(world, "b", used=False)
    _checkin(world, "c", used=True, what="fentanyl")
    assert _what(_flag(world)) == ["What they said they used: Fentanyl. How: Smoked."]


def test_an_edit_to_no_use_keeps_what_was_said_and_adds_the_note(world: Any) -> None:
    _checkin(world, "a", used=True)
    _checkin(world, "b", used=False)
    today = local_today(world.alice, timezone.now()).isoformat()
    flag = _flag(world)
    assert (_what(flag), _notes(flag)) == (
        ["What they said they used: Heroin. How: Smoked."],
        [f"{NOTE} ({today})."],
    )


def test_changes_back_and_forth_leave_one_note(world: Any) -> None:
    for key, used in (("a", True), ("b", False), ("c", True), ("d", False)):
        _checkin(world, key, used=used)
    assert len(_notes(_flag(world))) == 1


def test_the_rules_own_reason_stays_first(world: Any) -> None:
    _checkin(world, "a", used=True)
    _checkin(world, "b", used=False)
    _checkin(world, "c", used=True, what="alcohol")
    assert _flag(world).reasons[0].startswith("Use reported in the check-in of")


def test_the_words_shown_match_the_reasons(world: Any) -> None:
    _checkin(world, "a", used=True)
    _checkin(world, "b", used=False)
    _checkin(world, "c", used=True, what="alcohol")
    flag = _flag(world)
    assert len(flag.said) == len(flag.reasons)


def test_the_spanish_reader_sees_the_new_substance(world: Any) -> None:
    _checkin(world, "a", used=True, what="heroin")
    _checkin(world, "b", used=True, what="alcohol")
    with translation.override("es"):
        said = " ".join(flag_reasons(_flag(world)))
    assert ("Alcohol" in said, "Heroína" in said) == (True, False)


def test_an_edit_back_to_use_is_audited(world: Any) -> None:
    _checkin(world, "a", used=True)
    _checkin(world, "b", used=False)
    before = AuditEvent.objects.filter(target_type="patient_flag", patient_id=world.alice.pk).count()
    _checkin(world, "c", used=True)
    after = AuditEvent.objects.filter(target_type="patient_flag", patient_id=world.alice.pk).count()
    assert after == before + 1


def test_an_edit_that_changes_nothing_of_use_writes_nothing_to_the_flag(world: Any) -> None:
    _checkin(world, "a", used=True)
    before = AuditEvent.objects.filter(target_type="patient_flag", patient_id=world.alice.pk).count()
    _checkin(world, "b", used=True)
    after = AuditEvent.objects.filter(target_type="patient_flag", patient_id=world.alice.pk).count()
    assert after == before
