"""Review 33e hole 2: a correction from a stale result page silently undoes an earlier correction.

A PHQ-9 with item 9 answered 0. The nurse and the counselor both open its result page. The nurse corrects
item 9 to 2 ("more than half the days": the screen now positive, the flag raised). The counselor, on the
page she opened before, fixes item 2 and posts: her form carries the old answers, item 9 = 0, and is saved as
the correction in force (`assessments.views.correct` / `services.correct_assessment` take the answers as
posted, with no version of the result the page showed). The record's PHQ-9 now says item 9 = 0 and no one is
told. Should: the second post refused as stale (409, "this result changed since you opened it"), as a
stale order page is, so the counselor sees item 9 before she corrects.
"""

from __future__ import annotations

from keel.assessments import queries
from tests.conftest import World
from tests.review33e._setup import browser, correction_url, form_of, phq9_for_alice, result_url

NURSE_WHY = "She said more than half the days for item 9; I typed the wrong column"
COUNSELOR_WHY = "Item 2 was nearly every day, not several days, she told me today"


def _both_correct(world: World) -> int:
    assessment, answers = phq9_for_alice(world, item9=0)
    nurse, counselor = browser(world, "nurse"), browser(world, "counselor")
    counselor.get(result_url(world, assessment))  # her page, opened before the nurse's correction
    nurse.post(correction_url(world, assessment), form_of(answers, NURSE_WHY, phq9_9=2))
    stale = counselor.post(correction_url(world, assessment), form_of(answers, COUNSELOR_WHY, phq9_2=3))
    return int(stale.status_code)


def test_control_the_first_correction_stands_alone(world: World) -> None:
    assessment, answers = phq9_for_alice(world, item9=0)
    browser(world, "nurse").post(correction_url(world, assessment), form_of(answers, NURSE_WHY, phq9_9=2))
    found = queries.latest(world.alice, "phq9")
    assert found is not None and found.answers["phq9_9"] == 2


def test_the_post_from_the_stale_page_is_refused(world: World) -> None:
    assert _both_correct(world) == 409


def test_item_9_stays_as_the_nurse_corrected_it(world: World) -> None:
    _both_correct(world)
    found = queries.latest(world.alice, "phq9")
    assert found is not None and found.answers["phq9_9"] == 2
