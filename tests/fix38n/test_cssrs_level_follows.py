"""Lane fix38n item 2 (re38r finding 2): a C-SSRS screener's flag follows its risk level as a PHQ-9's follows
item 9 (`core.rules.flag_follows`, `patients.flags.follow_result`): every correction that changes the level is
noted on the screen's flag, open or resolved, in plain words (English and Spanish); one that raises the level
past the level the flag was resolved at puts the flag back before the care team."""

from __future__ import annotations

import pytest
from django.utils import translation

from keel.assessments.services import correct_assessment, correction_version, submit_assessment
from keel.core.rules.flag_follows import cssrs_level, risk_follow
from keel.patients.flagwords import flag_reasons
from keel.patients.models import FlagKind, PatientFlag
from keel.patients.services.flags import resolve_flag
from tests.factories import pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


LOW = {"cssrs_1": 1, "cssrs_2": 0, "cssrs_6": 0}
MODERATE = {"cssrs_1": 1, "cssrs_2": 1, "cssrs_3": 1, "cssrs_4": 0, "cssrs_5": 0, "cssrs_6": 0}
HIGH = {"cssrs_1": 1, "cssrs_2": 1, "cssrs_3": 1, "cssrs_4": 1, "cssrs_5": 0, "cssrs_6": 0}
NONE = {"cssrs_1": 0, "cssrs_2": 0, "cssrs_6": 0}


def _screen(world, answers):
    screen, _ = submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="cssrs-screen", answers=answers
    )
    return screen


def _fix(world, screen, answers) -> None:
    correct_assessment(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        assessment_id=screen.pk,
        answers=answers,
        reason="The paper form was keyed wrong at intake",
        read_version=correction_version(screen),
    )


def _flag(screen) -> PatientFlag:
    return PatientFlag.objects.get(kind=FlagKind.SUICIDE_RISK, source_type="assessment", source_id=screen.pk)


def _resolve(world, screen) -> None:
    resolve_flag(
        by=world.staff["prescriber"], patient_id=world.alice.pk, flag_id=_flag(screen).pk, note="Seen today"
    )


def test_the_cssrs_level_of_the_high_band_is_3():
    assert cssrs_level("high") == 3


def test_a_level_raised_past_the_level_resolved_at_reopens():
    assert risk_follow(before=1, now=2, when_resolved=1).reopen


def test_an_open_flag_corrected_from_low_to_high_risk_ends_saying_high_risk(world):
    screen = _screen(world, LOW)
    _fix(world, screen, HIGH)
    assert "the risk level is now high risk" in _flag(screen).reasons[-1]


def test_an_open_flag_corrected_from_high_to_low_risk_ends_saying_low_risk(world):
    screen = _screen(world, HIGH)
    _fix(world, screen, LOW)
    assert "the risk level is now low risk" in _flag(screen).reasons[-1]


def test_a_flag_resolved_at_low_risk_reopened_says_the_level_it_was_resolved_at(world):
    screen = _screen(world, LOW)
    _resolve(world, screen)
    _fix(world, screen, MODERATE)
    assert "higher than when this flag was resolved (low risk)" in _flag(screen).reasons[-1]


def test_a_flag_resolved_at_high_risk_corrected_to_moderate_stays_resolved(world):
    screen = _screen(world, HIGH)
    _resolve(world, screen)
    _fix(world, screen, MODERATE)
    assert _flag(screen).resolved_at is not None


def test_a_flag_resolved_at_high_risk_corrected_to_moderate_says_so(world):
    screen = _screen(world, HIGH)
    _resolve(world, screen)
    _fix(world, screen, MODERATE)
    assert "the risk level is now moderate risk" in _flag(screen).reasons[-1]


def test_a_resolved_flag_corrected_to_no_risk_says_it_is_no_longer_positive(world):
    screen = _screen(world, LOW)
    _resolve(world, screen)
    _fix(world, screen, NONE)
    assert "no longer positive" in _flag(screen).reasons[-1]


def test_the_raised_level_is_said_in_spanish(world):
    screen = _screen(world, LOW)
    _fix(world, screen, HIGH)
    with translation.override("es"):
        assert "riesgo alto" in flag_reasons(_flag(screen))[-1]
