"""Lane fix38n item 4 (re38r, related): a resolved suicide-risk flag whose screen is then struck as entered in
error says so, as an open one does (`patients.flags.follow_result`), and stays resolved."""

from __future__ import annotations

import pytest

from keel.assessments.services import correct_assessment, correction_version, submit_assessment
from keel.patients.models import FlagKind, PatientFlag
from keel.patients.services.flags import resolve_flag
from tests.factories import pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _struck_after_resolution(world) -> PatientFlag:
    answers = {f"phq9_{i}": 1 for i in range(1, 10)}
    screen, _ = submit_assessment(
        by=world.staff["nurse"], patient_id=world.alice.pk, instrument="phq9", answers=answers
    )
    flag = PatientFlag.objects.get(kind=FlagKind.SUICIDE_RISK, source_type="assessment", source_id=screen.pk)
    resolve_flag(by=world.staff["prescriber"], patient_id=world.alice.pk, flag_id=flag.pk, note="Seen today")
    correct_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        assessment_id=screen.pk,
        entered_in_error=True,
        reason="Filed on the wrong person",
        read_version=correction_version(screen),
    )
    flag.refresh_from_db()
    return flag


def test_a_resolved_flag_whose_screen_is_struck_says_it_was_marked_entered_in_error(world):
    assert "marked entered in error" in _struck_after_resolution(world).reasons[-1]


def test_a_resolved_flag_whose_screen_is_struck_stays_resolved(world):
    assert _struck_after_resolution(world).resolved_at is not None
