"""Lane clin34, 2: a positive suicide screen corrected negative keeps its open flag (a clinician resolves it)
but the flag says so, with who corrected it and the day in words, on the record page, in English and
Spanish; no second flag."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.test import Client
from django.utils import translation

from keel.assessments.services import correct_assessment
from keel.audit.models import AuditEvent
from keel.patients.flagwords import flag_reasons
from keel.patients.models import FlagKind, PatientFlag
from tests.conftest import World, sign_in
from tests.review33e._setup import phq9_for_alice

WHY = "She said not at all for item 9; I typed the wrong column"
DAY = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def _positive_then_negative(world: World, *, named: bool = True, struck: bool = False) -> PatientFlag:
    nurse = world.staff["nurse"]
    if named:
        nurse.first_name, nurse.last_name = "Ana", "Ruiz"
        nurse.save(update_fields=["first_name", "last_name"])
    with time_machine.travel(DAY, tick=False):
        assessment, answers = phq9_for_alice(world, item9=2)
        change = {"entered_in_error": True} if struck else {"answers": {**answers, "phq9_9": 0}}
        correct_assessment(
            by=nurse, patient_id=world.alice.pk, assessment_id=assessment.pk, reason=WHY, **change
        )
    return PatientFlag.objects.get(kind=FlagKind.SUICIDE_RISK)


def test_the_flag_stays_open(world: World) -> None:
    assert _positive_then_negative(world).resolved_at is None


def test_no_second_flag(world: World) -> None:
    _positive_then_negative(world)
    assert PatientFlag.objects.filter(kind=FlagKind.SUICIDE_RISK).count() == 1


def test_the_flag_says_item_9_is_now_0_by_whom_and_when(world: World) -> None:
    flag = _positive_then_negative(world)
    with translation.override("en"):
        words = flag_reasons(flag)[-1]
    assert words == "This screen was later corrected: item 9 is now 0 (by Ana Ruiz, Nurse, Nov. 25, 2026)."


def test_the_flag_says_so_in_spanish(world: World) -> None:
    flag = _positive_then_negative(world)
    with translation.override("es"):
        words = flag_reasons(flag)[-1]
    assert "la pregunta 9 ahora es 0" in words and "Ana Ruiz" in words and "25 de noviembre de 2026" in words


def test_the_flag_keeps_its_first_reasons(world: World) -> None:
    flag = _positive_then_negative(world)
    assert len(flag.reasons) == len(flag.said) >= 2


def test_a_role_with_no_name_is_said_so(world: World) -> None:
    flag = _positive_then_negative(world, named=False)
    with translation.override("en"):
        assert "(by Nurse, no name on file, Nov. 25, 2026)" in flag_reasons(flag)[-1]


def test_a_struck_screen_says_entered_in_error(world: World) -> None:
    flag = _positive_then_negative(world, struck=True)
    with translation.override("en"):
        assert "later marked entered in error" in flag_reasons(flag)[-1]


def test_the_note_is_audited(world: World) -> None:
    flag = _positive_then_negative(world)
    event = AuditEvent.objects.get(target_type="patient_flag", action="update")
    assert (event.target_id, event.reason) == (str(flag.pk), "suicide screen corrected: flag says so")


def test_the_record_page_shows_it(world: World) -> None:
    _positive_then_negative(world)
    page = sign_in(Client(), world.staff["counselor"]).get(f"/patients/{world.alice.pk}/")
    text = page.content.decode()
    assert "item 9 is now 0 (by Ana Ruiz, Nurse, Nov. 25, 2026)" in text and "2026-11-25" not in text


def test_a_correction_that_stays_positive_says_item_9_now(world: World) -> None:
    """Lane fix38d (review 38d hole 2, decided): every correction that changes item 9 is noted on the flag."""
    with time_machine.travel(DAY, tick=False):
        assessment, answers = phq9_for_alice(world, item9=2)
        correct_assessment(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            assessment_id=assessment.pk,
            answers={**answers, "phq9_9": 3},
            reason=WHY,
        )
    reasons = PatientFlag.objects.get(kind=FlagKind.SUICIDE_RISK).reasons
    assert "item 9 is now 3" in reasons[-1]
