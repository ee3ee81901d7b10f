"""Hole 1: a late entry typed on the care team's form or API may be dated after the person's recorded death
(or before her birth). The FHIR import refuses the very same answers dated so (`authored_within_life`,
lane fix33f): another route to the same record walks around the guard.

What the user does: a counselor types in a paper PHQ-9 late and mistypes its time of scoring (or files it on
the wrong person, whose death is recorded), dated two days after the recorded death day.
What goes wrong: it is stored as a standing PHQ-9 of a dead person, scored after her death, and (item 9 >= 1)
raises an open suicide-risk flag on a deceased person's record; it becomes her "latest" PHQ-9 on every screen.
Severity: high (record integrity: a clinical result dated after death; wrong-person filing not caught).
What should hold: a time of scoring after the recorded death day (or before the birth date) is refused,
422 naming `filled_at`, nothing written, as the import refuses `authored`.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from keel.assessments.models import Assessment
from keel.assessments.services import submit_assessment
from keel.core.instruments.model import InvalidAnswers
from keel.patients.models import Enrollment, local_today
from tests.factories import pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


PHQ9 = {f"phq9_{i}": 1 for i in range(1, 10)}


def _death_recorded_days_ago(world, days: int):
    died = local_today(world.alice) - timedelta(days=days)
    Enrollment.objects.filter(patient=world.alice).update(
        status="ended", ended_on=died, end_reason="deceased"
    )
    return died


def _file(world, filled_at):
    return submit_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        instrument="phq9",
        answers=PHQ9,
        filled_at=filled_at,
    )


def test_a_result_typed_in_for_two_days_after_the_recorded_death_is_refused(world):
    died = _death_recorded_days_ago(world, 5)
    after_death = datetime.combine(died + timedelta(days=2), datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=17
    )
    assert after_death < timezone.now()
    with pytest.raises(InvalidAnswers):
        _file(world, after_death)


def test_nothing_is_stored_for_a_time_of_scoring_after_the_recorded_death(world):
    died = _death_recorded_days_ago(world, 5)
    after_death = datetime.combine(died + timedelta(days=2), datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=17
    )
    with contextlib.suppress(InvalidAnswers):
        _file(world, after_death)
    assert not Assessment.objects.filter(patient=world.alice).exists()


def test_a_result_typed_in_for_a_time_before_the_persons_birth_is_refused(world):
    before_birth = datetime(1985, 3, 1, 15, 0, tzinfo=UTC)  # she was born 1990-05-17
    with pytest.raises(InvalidAnswers):
        _file(world, before_birth)
