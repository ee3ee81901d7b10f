"""Re-attack 38r finding 2 (high: a suicide-risk signal silenced; the C-SSRS half of review 38d hole 2).

What the user does: a nurse files a C-SSRS screener as "wished to be dead" only (low risk); the care team's
suicide-risk flag opens. The paper form is re-read: the person also answered yes to actual thoughts, how, and
intent ("Intent or a plan in the past month: high risk. Do not leave the person alone."). The prescriber
corrects the answers (page or `POST .../corrections`, one service).

What goes wrong: `assessments.corrected_screen.flag_follows_screen` follows a C-SSRS only when it crosses
positive/negative, and only while the flag is open. Low -> high stays "positive", so (a) the open flag's last
word still says "at least low risk", no note; (b) a flag a clinician resolved at low risk ("passive thoughts,
safety plan made") stays resolved, nothing before the care team. The PHQ-9 (item 9 higher than when
resolved) reopens in the same case.

What should hold: a correction that raises a C-SSRS's risk level is noted on the screen's flag, and puts a
flag resolved at a lower level back before the care team (as the PHQ-9's item 9)."""

from __future__ import annotations

import pytest

from keel.assessments.services import correct_assessment, correction_version, submit_assessment
from keel.patients.models import FlagKind, PatientFlag
from keel.patients.services.flags import resolve_flag
from tests.factories import pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


LOW = {"cssrs_1": 1, "cssrs_2": 0, "cssrs_6": 0}
HIGH = {"cssrs_1": 1, "cssrs_2": 1, "cssrs_3": 1, "cssrs_4": 1, "cssrs_5": 0, "cssrs_6": 0}


def _screen(world):
    screen, _ = submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="cssrs-screen", answers=LOW
    )
    return screen


def _flag(screen) -> PatientFlag:
    return PatientFlag.objects.get(kind=FlagKind.SUICIDE_RISK, source_type="assessment", source_id=screen.pk)


def _to_high(world, screen) -> None:
    correct_assessment(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        assessment_id=screen.pk,
        answers=HIGH,
        reason="The paper form was keyed wrong at intake",
        read_version=correction_version(screen),
    )


def test_an_open_cssrs_flag_corrected_from_low_to_high_risk_says_so(world):
    screen = _screen(world)
    _to_high(world, screen)
    assert "at least low risk" not in _flag(screen).reasons[-1]


def test_a_cssrs_flag_resolved_at_low_risk_is_open_again_when_corrected_to_high_risk(world):
    screen = _screen(world)
    resolve_flag(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        flag_id=_flag(screen).pk,
        note="Seen today: passive thoughts, safety plan made",
    )
    _to_high(world, screen)
    assert _flag(screen).resolved_at is None
