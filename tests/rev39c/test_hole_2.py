"""Review 39c hole 2: the care team's timeline shows a corrected score as if it had been entered so, and a
late entry as if it had been written at its time of scoring.

A nurse files a PHQ-9 of 16 for Alice; a counselor corrects it to 3 with a reason. The timeline says
"PHQ-9, score 3, ..." and nothing more. A COWS typed in six hours after its time of scoring sits on the
timeline at the bedside time with no "late entry". The result page and the flowsheet say the late entry
(`Assessment.entered_late`), the result page the score as entered (`entered_total`);
the timeline, another route to the same record, says neither. A correction must
never silently rewrite history (brief; AHIMA amendment guidance); a late entry is identified as one (AHIMA
late-entry guidance, CMS Program Integrity Manual 3.3.2.5, as `Assessment.entered_late` cites)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from keel.assessments import services
from keel.careteam.queries import timeline
from tests.factories import pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db

HIGH = {f"phq9_{i}": 2 for i in range(1, 9)} | {"phq9_9": 0}  # 16: moderately severe
LOW = {f"phq9_{i}": 0 for i in range(1, 9)} | {"phq9_1": 1, "phq9_2": 1, "phq9_3": 1, "phq9_9": 0}  # 3


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _assessment_details(world) -> list[str]:  # type: ignore[no-untyped-def]
    found = timeline(world.staff["counselor"], world.alice.pk, days=30)
    return [f"{e.title} {e.detail}" for e in found.events if e.kind == "assessment"]


def test_a_corrected_score_is_said_corrected_on_the_timeline(world) -> None:  # type: ignore[no-untyped-def]
    a, _ = services.submit_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        instrument="phq9",
        answers=HIGH,
    )
    services.correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=a.pk,
        answers=LOW,
        reason="Items read from the wrong column of the paper form",
        read_version=0,
    )
    (said,) = _assessment_details(world)
    assert "score 3" in said  # the corrected score is the one in force (held)
    assert "orrected" in said or "16" in said, f"the timeline says {said!r} as if entered so"


def test_a_late_entry_is_said_late_on_the_timeline(world) -> None:  # type: ignore[no-untyped-def]
    cows = {k: 0 for k in _cows_items()}
    a, _ = services.submit_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        instrument="cows",
        answers=cows,
        filled_at=timezone.now() - timedelta(hours=6),  # typed in six hours after the bedside
    )
    assert a.entered_late  # the record knows it (held)
    (said,) = _assessment_details(world)
    assert "late" in said.lower(), f"the timeline says {said!r}: nothing tells it was entered six hours later"


def _cows_items() -> list[str]:
    from keel.core.instruments import registry

    return [item.link_id for item in registry.get("cows").items]
