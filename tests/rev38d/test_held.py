"""Review 38d: guards that held (each passes today)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from keel.access.policy.scope import PatientNotFound
from keel.assessments.errors import AlreadyEnteredInError, CorrectionChanged
from keel.assessments.queries import latest
from keel.assessments.services import (
    NotAllowed,
    correct_assessment,
    correction_version,
    submit_assessment,
)
from keel.patients.models import FlagKind, PatientFlag
from tests.factories import pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _phq9(item9: int) -> dict[str, int]:
    return {f"phq9_{i}": 1 for i in range(1, 9)} | {"phq9_9": item9}


def _screen(world, item9: int = 2, by: str = "nurse"):
    screen, _ = submit_assessment(
        by=world.staff[by], patient_id=world.alice.pk, instrument="phq9", answers=_phq9(item9)
    )
    return screen


def _fix(world, screen, who: str = "counselor", item9: int | None = 0, version: int | None = None):
    return correct_assessment(
        by=world.staff[who] if who != "patient" else world.alice.user,
        patient_id=world.alice.pk,
        assessment_id=screen.pk,
        entered_in_error=item9 is None,
        answers=None if item9 is None else _phq9(item9),
        reason="Item 9 was keyed on the wrong row of the paper form",
        read_version=correction_version(screen) if version is None else version,
    )


def test_a_second_tab_correcting_from_the_version_it_read_is_refused(world):
    screen = _screen(world)
    _fix(world, screen, item9=1, version=0)
    with pytest.raises(CorrectionChanged):
        _fix(world, screen, item9=3, version=0)


def test_a_person_may_not_correct_a_result_on_her_record(world):
    screen = _screen(world)
    with pytest.raises(NotAllowed):
        _fix(world, screen, who="patient")


def test_a_peer_specialist_may_not_correct_a_result(world):
    screen = _screen(world)
    with pytest.raises((NotAllowed, PatientNotFound)):  # outside her clinical area: the same 404
        _fix(world, screen, who="peer_specialist")


def test_a_struck_result_is_never_the_latest(world):
    screen = _screen(world)
    _fix(world, screen, item9=None)
    assert latest(world.alice, "phq9") is None


def test_a_struck_result_cannot_be_corrected_after(world):
    screen = _screen(world)
    _fix(world, screen, item9=None)
    with pytest.raises(AlreadyEnteredInError):
        _fix(world, screen, item9=1)


def test_the_flag_of_a_screen_corrected_negative_then_positive_stays_open(world):
    screen = _screen(world)
    _fix(world, screen, item9=0)
    _fix(world, screen, who="prescriber", item9=2)
    flag = PatientFlag.objects.get(kind=FlagKind.SUICIDE_RISK, source_type="assessment", source_id=screen.pk)
    assert flag.resolved_at is None


def test_a_screen_corrected_into_a_positive_raises_the_flag(world):
    screen = _screen(world, item9=0)
    _fix(world, screen, item9=1)
    assert PatientFlag.objects.filter(kind=FlagKind.SUICIDE_RISK, source_id=screen.pk).exists()


def test_the_person_does_not_read_the_typed_reason_of_a_correction(world, signed_in):
    screen, _ = submit_assessment(by=world.alice.user, patient_id=None, instrument="phq9", answers=_phq9(0))
    _fix(world, screen, item9=None)
    page = signed_in("patient").get(reverse("assessments:my_result", args=[screen.pk]))
    assert "wrong row of the paper form" not in page.content.decode()
