"""Lane fix38d item 1 (review 38d hole 2): a flag follows its corrected result. Every correction that changes
a PHQ-9's item 9 adds a note to the screen's flag saying the value now (both directions, open or resolved);
one that makes item 9 higher than it was when the flag was resolved puts the flag back before the care team
(reopened: one flag per screen), audited. The first-dose COWS flag the same: a COWS corrected below its
threshold and back above no longer ends saying "below"."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import translation

from keel.assessments.services import correct_assessment, correction_version, submit_assessment
from keel.audit.models import AuditEvent
from keel.patients.flagwords import flag_reasons
from keel.patients.models import FlagKind, PatientFlag
from keel.patients.services.flags import resolve_flag
from tests.clin34.test_first_dose_cows import LOW, _given_on_cows
from tests.factories import pinned_at_last_five_pm_utc
from tests.treatment.test_start_guards import COWS_13
from tests.treatment.test_window_guards import NOON


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _phq9(item9: int, item1: int = 1) -> dict[str, int]:
    return {"phq9_1": item1} | {f"phq9_{i}": 1 for i in range(2, 9)} | {"phq9_9": item9}


def _screen(world, item9: int):
    screen, _ = submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="phq9", answers=_phq9(item9)
    )
    return screen


def _fix(world, screen, item9: int, item1: int = 1, who: str = "prescriber") -> None:
    correct_assessment(
        by=world.staff[who],
        patient_id=world.alice.pk,
        assessment_id=screen.pk,
        answers=_phq9(item9, item1),
        reason="Item 9 on the paper form was keyed wrong",
        read_version=correction_version(screen),
    )


def _flag(screen) -> PatientFlag:
    return PatientFlag.objects.get(kind=FlagKind.SUICIDE_RISK, source_type="assessment", source_id=screen.pk)


def _resolve(world, screen) -> None:
    resolve_flag(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        flag_id=_flag(screen).pk,
        note="Seen today: passive thoughts, safety plan made",
    )


def test_a_screen_corrected_back_to_positive_ends_saying_item_9_is_now_2(world):
    screen = _screen(world, 2)
    _fix(world, screen, 0)
    _fix(world, screen, 2)
    assert "item 9 is now 2" in _flag(screen).reasons[-1]


def test_a_positive_screen_corrected_to_a_higher_item_9_says_so_on_its_open_flag(world):
    screen = _screen(world, 1)
    _fix(world, screen, 3)
    assert "item 9 is now 3" in _flag(screen).reasons[-1]


def test_a_correction_that_leaves_item_9_as_it_was_adds_no_note(world):
    screen = _screen(world, 2)
    before = list(_flag(screen).reasons)
    _fix(world, screen, 2, item1=3)
    assert _flag(screen).reasons == before


def test_a_resolved_screen_corrected_higher_is_open_again(world):
    screen = _screen(world, 1)
    _resolve(world, screen)
    _fix(world, screen, 3, who="nurse")
    assert _flag(screen).resolved_at is None


def test_the_reopened_flag_says_why_it_is_open_again(world):
    screen = _screen(world, 1)
    _resolve(world, screen)
    _fix(world, screen, 3, who="nurse")
    assert "higher than when this flag was resolved" in _flag(screen).reasons[-1]


def test_the_reopened_flag_is_still_the_screens_one_flag(world):
    screen = _screen(world, 1)
    _resolve(world, screen)
    _fix(world, screen, 3, who="nurse")
    assert PatientFlag.objects.filter(kind=FlagKind.SUICIDE_RISK, patient=world.alice).count() == 1


def test_reopening_the_flag_is_audited(world):
    screen = _screen(world, 1)
    _resolve(world, screen)
    _fix(world, screen, 3, who="nurse")
    assert AuditEvent.objects.filter(
        target_type="patient_flag", target_id=str(_flag(screen).pk), reason="flag reopened: result corrected"
    ).exists()


def test_the_reopened_flag_speaks_spanish(world):
    screen = _screen(world, 1)
    _resolve(world, screen)
    _fix(world, screen, 3, who="nurse")
    with translation.override("es"):
        words = flag_reasons(_flag(screen))[-1]
    assert "resuelta" in words


def test_a_resolved_screen_corrected_lower_is_noted_and_stays_resolved(world):
    screen = _screen(world, 2)
    _resolve(world, screen)
    _fix(world, screen, 1, who="nurse")
    flag = _flag(screen)
    assert (flag.resolved_at is not None, "item 9 is now 1" in flag.reasons[-1]) == (True, True)


def test_a_resolved_screen_corrected_back_up_to_where_it_was_stays_resolved(world):
    screen = _screen(world, 2)
    _resolve(world, screen)
    _fix(world, screen, 1, who="nurse")
    _fix(world, screen, 2, who="nurse")
    assert _flag(screen).resolved_at is not None


def test_a_resolved_screen_corrected_above_what_the_resolver_read_is_open_again(world):
    screen = _screen(world, 2)
    _fix(world, screen, 1)
    _resolve(world, screen)
    _fix(world, screen, 3, who="nurse")
    assert _flag(screen).resolved_at is None


def test_the_resolvers_note_is_kept_in_the_audit_when_reopened(world):
    screen = _screen(world, 1)
    _resolve(world, screen)
    _fix(world, screen, 3, who="nurse")
    assert AuditEvent.objects.filter(target_type="patient_flag", target_id=str(_flag(screen).pk)).count() >= 3


# --- The first-dose COWS flag ------------------------------------------------------------------------------


def _correct_cows(world, score, hours: float, answers) -> None:
    with time_machine.travel(NOON + timedelta(hours=hours), tick=False):
        correct_assessment(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            assessment_id=score.pk,
            reason="The scores were typed on the wrong rows",
            answers=answers,
        )


def test_a_cows_corrected_below_then_back_above_no_longer_ends_saying_below(world):
    score, _dose = _given_on_cows(world)
    _correct_cows(world, score, 3, LOW)
    _correct_cows(world, score, 4, COWS_13)
    [flag] = PatientFlag.objects.filter(kind=FlagKind.FIRST_DOSE_COWS)
    assert "below" not in flag.reasons[-1]


def test_a_cows_corrected_back_above_says_its_score_now(world):
    score, _dose = _given_on_cows(world)
    _correct_cows(world, score, 3, LOW)
    _correct_cows(world, score, 4, COWS_13)
    [flag] = PatientFlag.objects.filter(kind=FlagKind.FIRST_DOSE_COWS)
    assert "now 13" in flag.reasons[-1]


def test_a_cows_corrected_back_above_speaks_spanish(world):
    score, _dose = _given_on_cows(world)
    _correct_cows(world, score, 3, LOW)
    _correct_cows(world, score, 4, COWS_13)
    [flag] = PatientFlag.objects.filter(kind=FlagKind.FIRST_DOSE_COWS)
    with translation.override("es"):
        words = flag_reasons(flag)[-1]
    assert "ahora es 13" in words
