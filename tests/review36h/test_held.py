"""Review 36h: attacks on the clinical record that held."""

from __future__ import annotations

import pytest

from keel.assessments import services
from keel.assessments.errors import AlreadyEnteredInError, AssessmentInvalid, CorrectionChanged
from keel.assessments.models import AssessmentCorrection

PHQ9 = {f"phq9_{i}": 1 for i in range(1, 10)}
PHQ9_HIGHER = {f"phq9_{i}": 2 for i in range(1, 10)}


def _phq9(world: object) -> int:
    a, _ = services.submit_assessment(
        by=world.staff["nurse"],  # type: ignore[attr-defined]
        patient_id=world.alice.pk,  # type: ignore[attr-defined]
        instrument="phq9",
        answers=PHQ9,
    )
    return a.pk


def test_a_whitespace_reason_is_refused_naming_reason(world: object) -> None:
    pk = _phq9(world)
    with pytest.raises(AssessmentInvalid) as refused:
        services.correct_assessment(
            by=world.staff["prescriber"],  # type: ignore[attr-defined]
            patient_id=world.alice.pk,  # type: ignore[attr-defined]
            assessment_id=pk,
            entered_in_error=True,
            reason="   \t ",
        )
    assert "reason" in str(refused.value.errors)


def test_a_second_strike_is_refused(world: object) -> None:
    pk = _phq9(world)
    kwargs = {
        "by": world.staff["prescriber"],  # type: ignore[attr-defined]
        "patient_id": world.alice.pk,  # type: ignore[attr-defined]
        "assessment_id": pk,
        "entered_in_error": True,
        "reason": "filed on the wrong person",
    }
    services.correct_assessment(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(AlreadyEnteredInError):
        services.correct_assessment(**kwargs)  # type: ignore[arg-type]
    assert AssessmentCorrection.objects.filter(assessment_id=pk).count() == 1


def test_a_correction_from_a_stale_tab_is_refused(world: object) -> None:
    pk = _phq9(world)
    common = {
        "by": world.staff["prescriber"],  # type: ignore[attr-defined]
        "patient_id": world.alice.pk,  # type: ignore[attr-defined]
        "assessment_id": pk,
        "answers": PHQ9_HIGHER,
        "reason": "the answers were read back wrongly",
        "read_version": 0,
    }
    services.correct_assessment(**common)  # type: ignore[arg-type]
    with pytest.raises(CorrectionChanged):
        services.correct_assessment(**common)  # type: ignore[arg-type]
