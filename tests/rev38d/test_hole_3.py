"""Hole 3: a staff member rewrites the answers a person gave about herself, and the record (and its FHIR
copy) goes on naming her as their author.

What the user does: the person files her own PHQ-9 at home with item 9 = 2 ("more than half the days").
A counselor who thinks she "meant 0" sends a correction with item 9 = 0 and a reason.
What goes wrong: the correction is accepted (`policy.can_correct_assessment` asks only the corrector's role,
never whose answers they are), the result in force is negative, and the QuestionnaireResponse Keel exports
names the Patient as its `author` (`fhir.author_ref` reads `filled_by`) over answers she never gave: her own
words about self-harm were changed under her name. The policy's own docstring says a person's self-entered
check-ups are not corrected (she fills one again).
Severity: high (PHQ-9 item 9: a self-reported suicide risk silenced by someone else's edit; misattribution
in a record that leaves the program).
What should hold: the answers of a person's own filing are not rewritten by staff (struck with a reason if
filed in error, or she files again); whatever is allowed, the exported response never names her as the
author of answers someone else wrote.
"""

from __future__ import annotations

import contextlib

import pytest

from keel.assessments.errors import AssessmentInvalid
from keel.assessments.fhir import questionnaire_response
from keel.assessments.queries import get_assessment
from keel.assessments.services import NotAllowed, correct_assessment, submit_assessment
from keel.interop.fhir.base import Base
from tests.factories import pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _phq9(item9: int) -> dict[str, int]:
    return {f"phq9_{i}": 1 for i in range(1, 9)} | {"phq9_9": item9}


def _her_own_screen(world):
    screen, _ = submit_assessment(by=world.alice.user, patient_id=None, instrument="phq9", answers=_phq9(2))
    return screen


def _rewrite(world, screen):
    return correct_assessment(
        by=world.staff["counselor"],
        patient_id=world.alice.pk,
        assessment_id=screen.pk,
        answers=_phq9(0),
        reason="She told me in session she meant never, not more than half the days",
        read_version=0,
    )


def test_a_counselor_may_not_rewrite_the_answers_of_her_own_screen(world):
    screen = _her_own_screen(world)
    with pytest.raises((NotAllowed, AssessmentInvalid)):
        _rewrite(world, screen)


def test_the_exported_response_never_names_her_author_of_answers_a_counselor_wrote(world):
    screen = _her_own_screen(world)
    with contextlib.suppress(NotAllowed, AssessmentInvalid):
        _rewrite(world, screen)
    row = get_assessment(world.staff["counselor"], patient_id=world.alice.pk, assessment_id=screen.pk)
    doc = questionnaire_response(row, Base("https://keel.example/fhir/R4/"))
    item9 = next(i for i in doc["item"] if i["linkId"] == "phq9_9")["answer"][0]["valueCoding"]["code"]
    said_by_her = doc.get("author") == {"reference": f"Patient/{world.alice.pk}"}
    assert not (said_by_her and item9 != _her_own_code(world, screen)), (doc.get("author"), item9)


def _her_own_code(world, screen) -> str:
    """The code of the item 9 answer she gave herself (as the response said it before any correction)."""
    screen.answers = _phq9(2)
    doc = questionnaire_response(screen, Base("https://keel.example/fhir/R4/"))
    return next(i for i in doc["item"] if i["linkId"] == "phq9_9")["answer"][0]["valueCoding"]["code"]
