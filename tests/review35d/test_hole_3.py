"""Hole 3: a correction's byline names the corrector's role of today, not the one she corrected it in.

Ana Ruiz, a Riverside nurse on Alicia's team, enters Alicia's PHQ-9 and later corrects it (the answers
typed wrong), with a reason. Ana then becomes the program's prescriber (a role change on the staff page:
she finished her training). The result page of that PHQ-9 now says it was "corrected ... by Ana Ruiz
(Prescriber)": the record says a prescriber corrected a score that a nurse corrected. The disclosure
accounting keeps the role of the moment (`disclosed_by_role_shown`); the correction does not.

Should: a record's byline says the person as they were when they wrote it: "by Ana Ruiz (Nurse)"."""

from __future__ import annotations

from typing import Any

from keel.accounts import staff
from keel.assessments import services


def test_a_correction_says_the_role_she_corrected_it_in(world: Any, signed_in: Any) -> None:
    nurse = world.staff["nurse"]
    nurse.first_name, nurse.last_name = "Ana", "Ruiz"
    nurse.save(update_fields=["first_name", "last_name"])
    zeros = {f"phq9_{i}": 0 for i in range(1, 10)}
    assessment, _result = services.submit_assessment(
        by=nurse, patient_id=world.alice.pk, instrument="phq9", answers=zeros
    )
    services.correct_assessment(
        by=nurse,
        patient_id=world.alice.pk,
        assessment_id=assessment.pk,
        answers={**zeros, "phq9_1": 1},
        reason="typed the first answer wrong",
    )
    staff.change_role(
        by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk, role="prescriber"
    )

    page = signed_in("prescriber").get(f"/patients/{world.alice.pk}/assessments/{assessment.pk}/")

    assert "by Ana Ruiz (Nurse)" in page.content.decode(), (
        "the correction's byline names the role she holds now, not the one she corrected it in"
    )
