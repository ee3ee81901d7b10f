"""Review 33e hole 1: a positive suicide screen cannot be corrected while item 9 stays positive.

A PHQ-9 with item 9 (thoughts of self-harm) answered 1 raised the suicide-risk flag. The nurse fixes item 2
(typed the wrong column) on the result page, item 9 unchanged: the correction raises the flag again for the
same assessment (`assessments.services._write_correction` -> `_flag_suicide_risk`, no check for the flag
already raised), the `flag_once_per_source` constraint refuses the row: a server error (500), nothing saved.
Should: the correction saved, the one flag of that screen kept (a second one only if none was raised).
"""

from __future__ import annotations

from keel.assessments.models import AssessmentCorrection
from keel.patients.models import FlagKind, PatientFlag
from tests.conftest import World
from tests.review33e._setup import browser, correction_url, form_of, phq9_for_alice

WHY = "Item 2 was nearly every day, not several days: I clicked the wrong column"


def test_control_the_positive_screen_raised_its_flag(world: World) -> None:
    phq9_for_alice(world, item9=1)
    assert PatientFlag.objects.filter(patient=world.alice, kind=FlagKind.SUICIDE_RISK).count() == 1


def test_the_correction_of_another_item_is_saved(world: World) -> None:
    assessment, answers = phq9_for_alice(world, item9=1)
    response = browser(world, "nurse").post(
        correction_url(world, assessment), form_of(answers, WHY, phq9_2=3)
    )
    assert response.status_code == 302


def test_the_correction_row_is_kept(world: World) -> None:
    assessment, answers = phq9_for_alice(world, item9=1)
    browser(world, "nurse").post(correction_url(world, assessment), form_of(answers, WHY, phq9_2=3))
    assert AssessmentCorrection.objects.filter(assessment=assessment).count() == 1
