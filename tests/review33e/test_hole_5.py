"""Review 33e hole 5: the person reads the staff's typed reason for a result struck as "the wrong person".

The nurse files a PHQ-9 on Alice that was another patient's, then marks it entered in error with the reason
she types, which names whose form it was. Alice opens the result from her own page
(`GET /me/assessments/{id}/`, `assessments.views.my_result`): the page (`result.html`, shared with the care
team) shows "Reason:" and the nurse's text, another person's name and visit with it. The form never tells the
nurse the person will read it. Should: the person's own page says the result was entered in error (no longer
counts) without the care team's typed reason (or the form says the person reads it).
"""

from __future__ import annotations

from typing import Any

from keel.assessments.services import correct_assessment
from tests.conftest import World
from tests.review33e._setup import phq9_for_alice

WRONG_PERSON = "Charted on the wrong person: this was Maria Gomez's form from her intake visit"


def _her_page(world: World, signed_in: Any) -> str:
    assessment, _ = phq9_for_alice(world, item9=0)
    correct_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        assessment_id=assessment.pk,
        entered_in_error=True,
        reason=WRONG_PERSON,
    )
    return str(signed_in("patient").get(f"/me/assessments/{assessment.pk}/").content.decode())


def test_control_her_page_says_entered_in_error(world: World, signed_in: Any) -> None:
    assert "Entered in error" in _her_page(world, signed_in)


def test_her_page_does_not_show_the_staff_reason(world: World, signed_in: Any) -> None:
    assert "Maria Gomez" not in _her_page(world, signed_in)
