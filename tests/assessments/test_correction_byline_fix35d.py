"""Review 35d hole 3, lane fix35d: a correction's byline says the corrector as she was when she corrected it
(her role of the moment, kept on the row); a correction from before the role was kept names her alone, never
by the role she holds today."""

from __future__ import annotations

from typing import Any

import pytest

from keel.accounts import staff
from keel.assessments import services
from keel.assessments.models import AssessmentCorrection
from keel.assessments.schemas import AssessmentCorrectionOut
from tests.conftest import World

pytestmark = pytest.mark.django_db

ZEROS = {f"phq9_{i}": 0 for i in range(1, 10)}


def _named(user: Any, first: str = "Ana", last: str = "Ruiz") -> None:
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])


def _corrected(world: World, *, entered_in_error: bool = False) -> tuple[int, AssessmentCorrection]:
    nurse = world.staff["nurse"]
    assessment, _result = services.submit_assessment(
        by=nurse, patient_id=world.alice.pk, instrument="phq9", answers=ZEROS
    )
    row = services.correct_assessment(
        by=nurse,
        patient_id=world.alice.pk,
        assessment_id=assessment.pk,
        entered_in_error=entered_in_error,
        answers=None if entered_in_error else {**ZEROS, "phq9_1": 1},
        reason="typed the first answer wrong",
    )
    return assessment.pk, row


def _made_prescriber(world: World) -> None:
    staff.change_role(
        by=world.staff["program_admin"],
        program_slug="riverside",
        user_id=world.staff["nurse"].pk,
        role="prescriber",
    )


def _page(world: World, signed_in: Any, assessment_id: int) -> str:
    path = f"/patients/{world.alice.pk}/assessments/{assessment_id}/"
    return str(signed_in("prescriber").get(path).content.decode())


def test_the_row_keeps_her_role_of_the_moment(world: World) -> None:
    _id, row = _corrected(world)
    assert row.corrected_by_role == "nurse"


def test_the_api_says_the_role_she_corrected_it_in(world: World) -> None:
    _id, row = _corrected(world)
    _made_prescriber(world)
    row.refresh_from_db()
    assert AssessmentCorrectionOut.of(row).corrected_by_role == "nurse"


def test_an_unnamed_correctors_line_says_her_role_then(world: World, signed_in: Any) -> None:
    assessment_id, _row = _corrected(world)
    _made_prescriber(world)
    assert "Corrected by Nurse (no name on file)" in _page(world, signed_in, assessment_id)


def test_an_unnamed_correctors_line_never_says_her_role_now(world: World, signed_in: Any) -> None:
    assessment_id, _row = _corrected(world)
    _made_prescriber(world)
    assert "Prescriber (no name on file)" not in _page(world, signed_in, assessment_id)


def test_entered_in_error_says_her_role_then(world: World, signed_in: Any) -> None:
    assessment_id, _row = _corrected(world, entered_in_error=True)
    _made_prescriber(world)
    assert "Marked by Nurse (no name on file)" in _page(world, signed_in, assessment_id)


def test_a_correction_from_before_the_role_was_kept_names_her_alone(world: World, signed_in: Any) -> None:
    _named(world.staff["nurse"])
    assessment_id, row = _corrected(world)
    AssessmentCorrection.objects.filter(pk=row.pk).update(corrected_by_role="")
    _made_prescriber(world)
    assert "by Ana Ruiz." in _page(world, signed_in, assessment_id)


def test_a_correction_from_before_the_role_was_kept_never_says_her_role_now(
    world: World, signed_in: Any
) -> None:
    _named(world.staff["nurse"])
    assessment_id, row = _corrected(world)
    AssessmentCorrection.objects.filter(pk=row.pk).update(corrected_by_role="")
    _made_prescriber(world)
    assert "Ana Ruiz (Prescriber)" not in _page(world, signed_in, assessment_id)
